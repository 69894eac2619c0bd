// G3 (@google/genai 3.6.1): get, delete, cancel, store=false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, expectApiError, recordFetch, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);
const NOT_FOUND = { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' };

test('delete sends DELETE /v1/interactions/{id}; then get gives NotFoundError (404)', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE });
  const from = rec.calls.length;
  await client.interactions.delete(i.id);
  const call = rec.calls[from];
  assert.equal(call.method, 'DELETE');
  assert.equal(new URL(call.url).pathname, `/v1/interactions/${i.id}`);
  assert.equal(call.status, 200);
  const e = await expectApiError(client.interactions.get(i.id), NOT_FOUND);
  assert.match(e.message, /^404 /);
  await expectApiError(client.interactions.delete(i.id), { status: 404, cls: 'NotFoundError' });
});

test('a deleted interaction cannot be continued (404)', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.PHIL });
  await client.interactions.delete(i.id);
  await expectApiError(client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: i.id }), NOT_FOUND);
});

test('cancel a running background interaction: cancelled, and it stays cancelled', T, async () => {
  const i = await client.interactions.create({ input: G.TPU, agent: G.AGENT, background: true });
  assert.equal(i.status, 'in_progress');
  const from = rec.calls.length;
  const c = await client.interactions.cancel(i.id);
  const call = rec.calls[from];
  assert.equal(call.method, 'POST');
  assert.equal(new URL(call.url).pathname, `/v1/interactions/${i.id}/cancel`);
  assert.equal(c.id, i.id);
  assert.equal(c.status, 'cancelled');
  for (let k = 0; k < 3; k++) assert.equal((await client.interactions.get(i.id)).status, 'cancelled');
});

test('cancel of an unknown id gives NotFoundError', T, async () => {
  await expectApiError(client.interactions.cancel('no-such-interaction-id'), { status: 404, cls: 'NotFoundError' });
});

test('store=false: answered, but not retrievable and not continuable', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.PHIL, store: false });
  assert.equal(i.status, 'completed');
  await expectApiError(client.interactions.get(i.id), { status: 404, cls: 'NotFoundError' });
  await expectApiError(client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: i.id }), { status: 404, cls: 'NotFoundError' });
});
