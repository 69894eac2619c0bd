// G1 (@google/genai 1.33.0): get, delete, cancel, store=false.
// Guide: "Retrieve past stateful interactions" (4), "Data storage and retention".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, expectApiError, recordFetch, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);

test('get sends GET /v1beta/interactions/{id} with no query and returns the Interaction', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE });
  const from = rec.calls.length;
  const got = await client.interactions.get(i.id);
  const call = rec.calls.slice(from).find((c) => c.method === 'GET');
  const u = new URL(call.url);
  assert.equal(u.pathname, `/v1beta/interactions/${i.id}`);
  assert.equal(u.search, '');
  assert.equal(got.id, i.id);
  assert.equal(got.status, 'completed');
  assert.deepEqual(got.outputs, i.outputs);
});

test('delete, then get gives NotFoundError (404 NOT_FOUND)', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE });
  const res = await client.interactions.delete(i.id);
  assert.equal(typeof res, 'object', 'G1 parses the JSON body of a delete');
  await expectApiError(client.interactions.get(i.id), { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
  await expectApiError(client.interactions.delete(i.id), { status: 404, cls: 'NotFoundError' });
});

test('a deleted interaction cannot be continued (404)', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.PHIL });
  await client.interactions.delete(i.id);
  await expectApiError(client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: i.id }),
    { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
});

test('cancel a running background interaction: status cancelled, and it stays cancelled', T, async () => {
  const i = await client.interactions.create({ input: G.TPU, agent: G.AGENT, background: true });
  assert.equal(i.status, 'in_progress');
  const c = await client.interactions.cancel(i.id);
  assert.equal(c.id, i.id);
  assert.equal(c.status, 'cancelled');
  for (let k = 0; k < 3; k++) {
    const g = await client.interactions.get(i.id);
    assert.equal(g.status, 'cancelled', 'a cancelled interaction never completes');
  }
});

test('cancel of an unknown id gives NotFoundError', T, async () => {
  await expectApiError(client.interactions.cancel('no-such-interaction-id'), { status: 404, cls: 'NotFoundError' });
});

test('store=false: answered, but not retrievable and not continuable', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.PHIL, store: false });
  assert.equal(i.status, 'completed');
  await expectApiError(client.interactions.get(i.id), { status: 404, cls: 'NotFoundError' });
  await expectApiError(client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: i.id }),
    { status: 404, cls: 'NotFoundError' });
});
