// G3 (@google/genai 3.6.1; g33 runs it with 3.3.0): streaming (guide 20) in the G3 event family:
// interaction.created, step.start / step.delta / step.stop,
// interaction.completed (interaction.status_update optional). Text is a
// model_output step with text deltas; a function call streams its arguments
// as arguments_delta. Also get with stream=true and last_event_id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, recordFetch, T } from '../../common/harness.js';
import { collect, assertEventIds } from '../../common/stream.js';
import { checkSchema } from '../../common/schema.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);
const FAMILY = ['interaction.created', 'step.start', 'step.delta', 'step.stop', 'interaction.completed'];

function checkG3Stream(events, finalStatus = 'completed') {
  assertEventIds(events);
  const types = events.map((e) => e.event_type);
  for (const t of FAMILY) assert.ok(types.includes(t), `${t} seen in ${[...new Set(types)]}`);
  for (const t of types) assert.ok([...FAMILY, 'interaction.status_update'].includes(t), `G3 event family only, got ${t}`);
  assert.equal(types[0], 'interaction.created');
  assert.equal(types[types.length - 1], 'interaction.completed');
  const created = events[0].interaction;
  assert.equal(typeof created.id, 'string');
  assert.equal(created.status, 'in_progress');
  const open = new Map();
  const steps = [];
  for (const e of events) {
    if (e.event_type === 'step.start') {
      assert.ok(!open.has(e.index), `index ${e.index} started once`);
      assert.equal(e.index, steps.length, 'step indices in order');
      assert.equal(typeof e.step?.type, 'string');
      const s = { type: e.step.type, start: e.step, text: '', args: '', deltas: [] };
      open.set(e.index, s);
      steps.push(s);
    } else if (e.event_type === 'step.delta') {
      const s = open.get(e.index);
      assert.ok(s, `delta for open step ${e.index}`);
      assert.equal(typeof e.delta?.type, 'string');
      s.deltas.push(e.delta.type);
      if (e.delta.type === 'text') s.text += e.delta.text;
      if (e.delta.type === 'arguments_delta') s.args += e.delta.arguments;
    } else if (e.event_type === 'step.stop') {
      assert.ok(open.has(e.index), `stop for open step ${e.index}`);
      open.delete(e.index);
    }
  }
  assert.equal(open.size, 0, 'every step.start has a step.stop');
  const done = events[events.length - 1].interaction;
  assert.equal(done.id, created.id);
  assert.equal(done.status, finalStatus);
  assert.ok(Number.isInteger(done.usage?.total_tokens) && done.usage.total_tokens > 0, 'usage.total_tokens on interaction.completed');
  return { steps, id: created.id };
}

test('example 20: stream, every G3 event type, text reassembled equals the unstreamed output_text', T, async () => {
  const body = { model: G.MODEL, input: G.ENTANGLEMENT };
  const plain = await client.interactions.create(body);
  const from = rec.calls.length;
  const events = await collect(await client.interactions.create({ ...body, stream: true }));
  const call = rec.calls[from];
  assert.equal(call.headers.get('accept'), 'text/event-stream', 'G3 asks for SSE');
  assert.equal(call.resHeaders.get('content-type')?.split(';')[0].trim(), 'text/event-stream');
  const { steps } = checkG3Stream(events);
  const out = steps.filter((s) => s.type === 'model_output');
  assert.equal(out.length, 1, 'text is one model_output step');
  assert.ok(out[0].deltas.filter((d) => d === 'text').length >= 2, 'in several text deltas');
  let streamed = '';
  for (const e of events) if (e.event_type === 'step.delta' && e.delta.type === 'text') streamed += e.delta.text;
  assert.equal(streamed, plain.output_text, 'reassembled = non-streamed output_text');
});

test('a streamed interaction is stored: get returns the same text', T, async () => {
  const events = await collect(await client.interactions.create({ model: G.MODEL, input: G.JOKE, stream: true }));
  const { steps, id } = checkG3Stream(events);
  const got = await client.interactions.get(id);
  assert.equal(got.status, 'completed');
  assert.equal(got.output_text, steps.filter((s) => s.type === 'model_output').map((s) => s.text).join(''));
});

test('get with stream=true and last_event_id replays the events after it', T, async () => {
  const events = await collect(await client.interactions.create({ model: G.MODEL, input: G.ENTANGLEMENT, stream: true }));
  const id = events[0].interaction.id;
  const k = 2;
  const from = rec.calls.length;
  const replay = await collect(await client.interactions.get(id, { stream: true, last_event_id: events[k].event_id }));
  const u = new URL(rec.calls[from].url);
  assert.equal(u.searchParams.get('stream'), 'true');
  assert.equal(u.searchParams.get('last_event_id'), events[k].event_id);
  assert.deepEqual(replay.map((e) => e.event_id), events.slice(k + 1).map((e) => e.event_id));
  assert.equal(replay[replay.length - 1].event_type, 'interaction.completed');
});

test('streaming a function call: function_call step, arguments_delta parses to valid arguments', T, async () => {
  const events = await collect(await client.interactions.create({
    model: G.MODEL, input: 'What is the weather in Paris?', tools: [G.weatherTool], stream: true,
  }));
  const { steps } = checkG3Stream(events, 'requires_action');
  const fc = steps.find((s) => s.type === 'function_call');
  assert.ok(fc, `a function_call step in ${steps.map((s) => s.type)}`);
  assert.equal(fc.start.name, 'get_weather');
  assert.equal(typeof fc.start.id, 'string');
  let args;
  if (fc.args) assert.doesNotThrow(() => { args = JSON.parse(fc.args); }, `arguments_delta text is JSON: ${fc.args}`);
  else args = fc.start.arguments;
  assert.deepEqual(checkSchema(G.weatherTool.parameters, args), [], JSON.stringify(args));
});

test('streaming with code_execution: call/result steps, then model_output', T, async () => {
  const events = await collect(await client.interactions.create({
    model: G.MODEL, input: 'Calculate the 50th Fibonacci number.', tools: [{ type: 'code_execution' }], stream: true,
  }));
  const { steps } = checkG3Stream(events);
  const types = steps.map((s) => s.type);
  assert.ok(types.includes('code_execution_call') && types.includes('code_execution_result'), `${types}`);
  assert.equal(types[types.length - 1], 'model_output');
});
