// G1 (@google/genai 1.33.0): conversations. Guide: "Stateful conversation"
// (3a/3b), "Retrieve past stateful interactions" (4), "Stateless conversation" (5).
// The emulator's text answer reports `turns: N`, counting history reached
// through previous_interaction_id as well as turns sent inline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import { parseTurns } from '../../common/ack.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

const text = (i) => {
  assert.equal(i.status, 'completed', `status: ${JSON.stringify(i).slice(0, 300)}`);
  const last = i.outputs[i.outputs.length - 1];
  assert.equal(last.type, 'text');
  return last.text;
};
const turns = (i) => {
  const n = parseTurns(text(i));
  assert.ok(Number.isInteger(n), `answer has a "turns: N" line: ${JSON.stringify(text(i))}`);
  return n;
};

test('examples 3a/3b: stateful turns by previous_interaction_id count the history', T, async () => {
  const i1 = await client.interactions.create({ model: G.MODEL, input: G.PHIL });
  assert.equal(turns(i1), 1);
  const i2 = await client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: i1.id });
  assert.notEqual(i2.id, i1.id);
  assert.equal(i2.previous_interaction_id, i1.id, 'previous_interaction_id echoed');
  // user, model, user
  assert.equal(turns(i2), 3, 'turn 2 sees turn 1 (user+model) plus its own input');
  const i3 = await client.interactions.create({ model: G.MODEL, input: 'And my surname?', previous_interaction_id: i2.id });
  assert.equal(turns(i3), 5, 'the chain is followed back to the start');
  assert.ok(i3.usage.total_input_tokens > i1.usage.total_input_tokens, 'history is billed as input');
});

test('example 4: get retrieves the stored interaction unchanged', T, async () => {
  const i1 = await client.interactions.create({ model: G.MODEL, input: G.PHIL });
  const got = await client.interactions.get(i1.id);
  assert.equal(got.id, i1.id);
  assert.equal(got.status, 'completed');
  assert.equal(got.model, G.MODEL);
  assert.deepEqual(got.outputs, i1.outputs);
  assert.deepEqual(got.usage, i1.usage);
});

test('example 5: stateless turns with role/content, model content = previous outputs', T, async () => {
  const history = [{ role: 'user', content: G.SPAIN_1 }];
  const i1 = await client.interactions.create({ model: G.MODEL, input: history });
  assert.equal(turns(i1), 1);
  history.push({ role: 'model', content: i1.outputs });
  history.push({ role: 'user', content: G.SPAIN_2 });
  const i2 = await client.interactions.create({ model: G.MODEL, input: history });
  assert.equal(turns(i2), 3);
  assert.equal(i2.previous_interaction_id ?? undefined, undefined, 'no server-side chain');
});

test('example 5 (REST form): model turn content as a bare string', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [
      { role: 'user', content: G.SPAIN_1 },
      { role: 'model', content: G.SPAIN_MODEL },
      { role: 'user', content: G.SPAIN_2 },
    ],
  });
  assert.equal(turns(i), 3);
});

test('stateful and stateless forms of the same conversation agree on the turn count', T, async () => {
  const a1 = await client.interactions.create({ model: G.MODEL, input: G.SPAIN_1 });
  const a2 = await client.interactions.create({ model: G.MODEL, input: G.SPAIN_2, previous_interaction_id: a1.id });
  const b = await client.interactions.create({
    model: G.MODEL,
    input: [
      { role: 'user', content: [{ type: 'text', text: G.SPAIN_1 }] },
      { role: 'model', content: a1.outputs },
      { role: 'user', content: [{ type: 'text', text: G.SPAIN_2 }] },
    ],
  });
  assert.equal(turns(a2), turns(b));
});
