// G3 (@google/genai 3.6.1): conversations. Stateful by previous_interaction_id
// (guide 3a/3b), get (4), and stateless history in the G3 form: user_input /
// model_output steps (the G3 counterpart of guide example 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, recordFetch, T } from '../../common/harness.js';
import { parseTurns } from '../../common/ack.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);

const turns = (i) => {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  const n = parseTurns(i.output_text);
  assert.ok(Number.isInteger(n), `answer has a "turns: N" line: ${JSON.stringify(i.output_text)}`);
  return n;
};
const userInput = (text) => ({ type: 'user_input', content: [{ type: 'text', text }] });
const modelSteps = (i) => i.steps.filter((s) => s.type !== 'user_input');

test('examples 3a/3b: stateful turns by previous_interaction_id count the history', T, async () => {
  const i1 = await client.interactions.create({ model: G.MODEL, input: G.PHIL });
  assert.equal(turns(i1), 1);
  const i2 = await client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: i1.id });
  assert.equal(i2.previous_interaction_id, i1.id);
  assert.equal(turns(i2), 3);
  const i3 = await client.interactions.create({ model: G.MODEL, input: 'And my surname?', previous_interaction_id: i2.id });
  assert.equal(turns(i3), 5);
});

test('example 4: get sends ?stream=false and returns the stored interaction', T, async () => {
  const i1 = await client.interactions.create({ model: G.MODEL, input: G.PHIL });
  const from = rec.calls.length;
  const got = await client.interactions.get(i1.id);
  const u = new URL(rec.calls[from].url);
  assert.equal(u.pathname, `/v1/interactions/${i1.id}`);
  assert.equal(u.searchParams.get('stream'), 'false');
  assert.equal(got.id, i1.id);
  assert.equal(got.status, 'completed');
  assert.deepEqual(got.steps, i1.steps);
  assert.equal(got.output_text, i1.output_text);
  // G3 fills in usage.initial_input_tokens itself on create when the server
  // leaves it out (not on get), so compare without it.
  const { initial_input_tokens: _a, ...u1 } = i1.usage;
  const { initial_input_tokens: _b, ...u2 } = got.usage;
  assert.deepEqual(u2, u1);
});

test('get with include_input=true echoes the input; without it, no input', T, async () => {
  const input = [{ type: 'user_input', content: [{ type: 'text', text: G.PHIL }] }];
  const i1 = await client.interactions.create({ model: G.MODEL, input });
  const from = rec.calls.length;
  const withInput = await client.interactions.get(i1.id, { include_input: true });
  assert.equal(new URL(rec.calls[from].url).searchParams.get('include_input'), 'true');
  assert.deepEqual(withInput.input, input);
  const without = await client.interactions.get(i1.id);
  assert.equal(without.input, undefined);
});

test('stateless history as steps: user_input, model_output, user_input', T, async () => {
  const history = [userInput(G.SPAIN_1)];
  const i1 = await client.interactions.create({ model: G.MODEL, input: history });
  assert.equal(turns(i1), 1);
  history.push(...modelSteps(i1));
  history.push(userInput(G.SPAIN_2));
  const i2 = await client.interactions.create({ model: G.MODEL, input: history });
  assert.equal(turns(i2), 3);
});

test('stateless history with a hand-written model_output step', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [userInput(G.SPAIN_1), { type: 'model_output', content: [{ type: 'text', text: G.SPAIN_MODEL }] }, userInput(G.SPAIN_2)],
  });
  assert.equal(turns(i), 3);
});

test('stateful and stateless forms of the same conversation agree on the turn count', T, async () => {
  const a1 = await client.interactions.create({ model: G.MODEL, input: G.SPAIN_1 });
  const a2 = await client.interactions.create({ model: G.MODEL, input: G.SPAIN_2, previous_interaction_id: a1.id });
  const b = await client.interactions.create({ model: G.MODEL, input: [userInput(G.SPAIN_1), ...modelSteps(a1), userInput(G.SPAIN_2)] });
  assert.equal(turns(a2), turns(b));
});
