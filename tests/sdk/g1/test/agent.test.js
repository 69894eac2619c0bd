// G1 (@google/genai 1.33.0): the Deep Research agent in background, polled with
// get until completed. Guide: "Agents" (11a/11b). Also a background model call.
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
    (i) => ['completed', 'failed', 'cancelled'].includes(i.status), { tries: 60, delayMs: 50 });
  const statuses = seen.map((i) => i.status);
  const firstDone = statuses.findIndex((s) => s !== 'in_progress');
  assert.equal(firstDone, statuses.length - 1, `only in_progress before the end: ${statuses}`);
  return { final: value, statuses };
}

test('examples 11a/11b: deep research agent, background, in_progress then completed', T, async () => {
  const initial = await client.interactions.create({ input: G.TPU, agent: G.AGENT, background: true });
  assert.equal(typeof initial.id, 'string');
  assert.equal(initial.status, 'in_progress', 'a background create returns at once, in_progress');
  assert.equal(initial.agent, G.AGENT);
  assert.equal(initial.model ?? undefined, undefined, 'agent, not model');
  assert.ok(!initial.outputs || initial.outputs.length === 0, 'no outputs yet');
  const { final } = await pollToEnd(initial.id);
  assert.equal(final.status, 'completed');
  assert.equal(final.id, initial.id);
  const report = final.outputs[final.outputs.length - 1];
  assert.equal(report.type, 'text');
  assert.ok(report.text.length > 0, 'a final report');
  assert.ok(final.usage.total_tokens > 0);
});

test('agent with agent_config deep-research', T, async () => {
  const initial = await client.interactions.create({
    input: G.TPU, agent: G.AGENT, background: true, agent_config: { type: 'deep-research', thinking_summaries: 'auto' },
  });
  assert.equal(initial.status, 'in_progress');
  const { final } = await pollToEnd(initial.id);
  assert.equal(final.status, 'completed');
});

test('an agent without background=true is rejected (400)', T, async () => {
  await expectApiError(client.interactions.create({ input: G.TPU, agent: G.AGENT }),
    { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
});

test('a background model call also moves in_progress -> completed', T, async () => {
  const initial = await client.interactions.create({ model: G.MODEL, input: G.JOKE, background: true });
  assert.equal(initial.status, 'in_progress');
  const { final } = await pollToEnd(initial.id);
  assert.equal(final.status, 'completed');
  assert.equal(final.outputs[final.outputs.length - 1].type, 'text');
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
  assert.equal(events[0].event_type, 'interaction.start');
  const last = events[events.length - 1];
  assert.equal(last.event_type, 'interaction.complete');
  assert.equal(last.interaction.status, 'completed');
  let text = '';
  for (const e of events) if (e.event_type === 'content.delta' && e.delta.type === 'text') text += e.delta.text;
  const got = await client.interactions.get(initial.id);
  assert.equal(got.status, 'completed');
  assert.equal(text, got.outputs[got.outputs.length - 1].text, 'streamed report = stored report');
});
