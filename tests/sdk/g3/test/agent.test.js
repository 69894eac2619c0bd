// G3 (@google/genai 3.6.1): the Deep Research agent in background, polled with
// get until completed (guide 11a/11b), and a background model call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, expectApiError, pollUntil, T } from '../../common/harness.js';
import { collect, assertEventIds } from '../../common/stream.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

async function pollToEnd(id) {
  const { value, seen } = await pollUntil(() => client.interactions.get(id),
    (i) => ['completed', 'failed', 'cancelled', 'incomplete'].includes(i.status), { tries: 60, delayMs: 50 });
  const statuses = seen.map((i) => i.status);
  assert.equal(statuses.findIndex((s) => s !== 'in_progress'), statuses.length - 1, `only in_progress before the end: ${statuses}`);
  return value;
}

test('examples 11a/11b: deep research agent, background, in_progress then completed', T, async () => {
  const initial = await client.interactions.create({ input: G.TPU, agent: G.AGENT, background: true });
  assert.equal(initial.status, 'in_progress');
  assert.equal(initial.agent, G.AGENT);
  assert.ok(!initial.steps.some((s) => s.type === 'model_output'), 'no output yet');
  const final = await pollToEnd(initial.id);
  assert.equal(final.status, 'completed');
  assert.equal(final.steps[final.steps.length - 1].type, 'model_output');
  assert.ok(final.output_text.length > 0, 'a final report');
});

test('G3 agent name and agent_config with G3 fields', T, async () => {
  const initial = await client.interactions.create({
    input: G.TPU, agent: G.AGENT, background: true,
    agent_config: { type: 'deep-research', thinking_summaries: 'auto', visualization: 'off' },
  });
  assert.equal(initial.status, 'in_progress');
  assert.equal((await pollToEnd(initial.id)).status, 'completed');
});

test('an agent without background=true is rejected (400)', T, async () => {
  await expectApiError(client.interactions.create({ input: G.TPU, agent: G.AGENT }), { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
});

test('a background model call moves in_progress -> completed', T, async () => {
  const initial = await client.interactions.create({ model: G.MODEL, input: G.JOKE, background: true });
  assert.equal(initial.status, 'in_progress');
  const final = await pollToEnd(initial.id);
  assert.equal(final.status, 'completed');
  assert.ok(final.output_text.length > 0);
});

test('store=false with background=true is rejected (400)', T, async () => {
  await expectApiError(client.interactions.create({ model: G.MODEL, input: G.JOKE, background: true, store: false }),
    { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
});

test('a running background agent can be followed with get(stream=true) to its end', T, async () => {
  const initial = await client.interactions.create({ input: G.TPU, agent: G.AGENT, background: true });
  assert.equal(initial.status, 'in_progress');
  const events = await collect(await client.interactions.get(initial.id, { stream: true }));
  assertEventIds(events);
  assert.equal(events[0].event_type, 'interaction.created');
  const last = events[events.length - 1];
  assert.equal(last.event_type, 'interaction.completed');
  assert.equal(last.interaction.status, 'completed');
  let text = '';
  for (const e of events) if (e.event_type === 'step.delta' && e.delta.type === 'text') text += e.delta.text;
  const got = await client.interactions.get(initial.id);
  assert.equal(text, got.output_text, 'streamed report = stored report');
});

test('background + stream on create: events from in_progress to completed', T, async () => {
  const events = await collect(await client.interactions.create({ input: G.TPU, agent: G.AGENT, background: true, stream: true }));
  assertEventIds(events);
  assert.equal(events[0].event_type, 'interaction.created');
  assert.equal(events[events.length - 1].event_type, 'interaction.completed');
  assert.equal(events[events.length - 1].interaction.status, 'completed');
});
