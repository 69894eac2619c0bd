// G1 (@google/genai 1.33.0): streaming with "stream": true. Guide: "Streaming"
// (20). G1 event family: interaction.start, content.start / content.delta /
// content.stop, interaction.complete (interaction.status_update optional).
// Also get with stream=true and last_event_id (replay after an event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, recordFetch, T } from '../../common/harness.js';
import { collect, assertEventIds } from '../../common/stream.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);
const FAMILY = ['interaction.start', 'content.start', 'content.delta', 'content.stop', 'interaction.complete'];

// Structural checks; returns { text of each index, final interaction }.
function checkG1Stream(events) {
  assertEventIds(events);
  const types = events.map((e) => e.event_type);
  for (const t of FAMILY) assert.ok(types.includes(t), `${t} seen in ${[...new Set(types)]}`);
  for (const t of types) {
    assert.ok([...FAMILY, 'interaction.status_update'].includes(t), `G1 event family only, got ${t}`);
  }
  assert.equal(types[0], 'interaction.start', 'first event');
  assert.equal(types[types.length - 1], 'interaction.complete', 'last event');
  const start = events[0].interaction;
  assert.equal(typeof start.id, 'string');
  assert.equal(start.status, 'in_progress');
  const open = new Map();
  const texts = new Map();
  const stopped = [];
  for (const e of events) {
    if (e.event_type === 'content.start') {
      assert.ok(!open.has(e.index), `index ${e.index} started once`);
      assert.equal(e.index, open.size + stopped.length, 'indices start in order');
      assert.equal(typeof e.content?.type, 'string', 'content.start carries a typed content');
      open.set(e.index, e.content.type);
      texts.set(e.index, e.content.type === 'text' ? (e.content.text ?? '') : undefined);
    } else if (e.event_type === 'content.delta') {
      assert.ok(open.has(e.index), `delta for open index ${e.index}`);
      assert.equal(typeof e.delta?.type, 'string');
      if (e.delta.type === 'text') texts.set(e.index, (texts.get(e.index) ?? '') + e.delta.text);
    } else if (e.event_type === 'content.stop') {
      assert.ok(open.has(e.index), `stop for open index ${e.index}`);
      open.delete(e.index);
      stopped.push(e.index);
    }
  }
  assert.equal(open.size, 0, 'every content.start has a content.stop');
  const final = events[events.length - 1].interaction;
  assert.equal(final.id, start.id);
  assert.equal(final.status, 'completed');
  assert.ok(Number.isInteger(final.usage?.total_tokens) && final.usage.total_tokens > 0, 'interaction.usage.total_tokens');
  assert.equal(final.outputs.length, stopped.length, 'one output per streamed content');
  return { texts, final };
}

test('example 20: stream, every G1 event type, text reassembled equals the unstreamed answer', T, async () => {
  const body = { model: G.MODEL, input: G.ENTANGLEMENT };
  const plain = await client.interactions.create(body);
  const plainText = plain.outputs[plain.outputs.length - 1].text;

  const from = rec.calls.length;
  const stream = await client.interactions.create({ ...body, stream: true });
  const events = await collect(stream);
  const call = rec.calls.slice(from)[0];
  assert.equal(call.resHeaders.get('content-type')?.split(';')[0], 'text/event-stream');
  assert.equal(call.headers.get('accept'), 'application/json', 'G1 streams with Accept: application/json');

  const { texts, final } = checkG1Stream(events);
  let streamed = '';
  for (const e of events) {
    if (e.event_type === 'content.delta' && e.delta.type === 'text') streamed += e.delta.text;
  }
  assert.equal(streamed, plainText, 'reassembled text = non-streamed text');
  assert.equal([...texts.values()].filter((t) => t !== undefined).join(''), plainText);
  assert.equal(final.outputs[final.outputs.length - 1].text, plainText);
  assert.ok(events.filter((e) => e.event_type === 'content.delta').length >= 2, 'text arrives in several deltas');
});

test('a streamed interaction is stored: get returns it completed', T, async () => {
  const events = await collect(await client.interactions.create({ model: G.MODEL, input: G.JOKE, stream: true }));
  const id = events[0].interaction.id;
  const got = await client.interactions.get(id);
  assert.equal(got.status, 'completed');
  assert.deepEqual(got.outputs, events[events.length - 1].interaction.outputs);
});

test('get with stream=true and last_event_id replays the events after it', T, async () => {
  const events = await collect(await client.interactions.create({ model: G.MODEL, input: G.ENTANGLEMENT, stream: true }));
  const id = events[0].interaction.id;
  const k = 1;
  const replay = await collect(await client.interactions.get(id, { stream: true, last_event_id: events[k].event_id }));
  assert.deepEqual(replay.map((e) => e.event_id), events.slice(k + 1).map((e) => e.event_id), 'the same events, after the given one');
  assert.deepEqual(replay.map((e) => e.event_type), events.slice(k + 1).map((e) => e.event_type));
  assert.equal(replay[replay.length - 1].event_type, 'interaction.complete');
  const full = await collect(await client.interactions.get(id, { stream: true }));
  assert.deepEqual(full.map((e) => e.event_id), events.map((e) => e.event_id), 'without last_event_id: the whole stream');
});

test('streaming with code_execution: tool contents streamed, text last', T, async () => {
  const body = { model: G.MODEL, input: 'Calculate the 50th Fibonacci number.', tools: [{ type: 'code_execution' }] };
  const events = await collect(await client.interactions.create({ ...body, stream: true }));
  const { final } = checkG1Stream(events);
  const startTypes = events.filter((e) => e.event_type === 'content.start').map((e) => e.content.type);
  assert.ok(startTypes.includes('code_execution_call'), `${startTypes}`);
  assert.ok(startTypes.includes('code_execution_result'), `${startTypes}`);
  assert.equal(startTypes[startTypes.length - 1], 'text');
  const plain = await client.interactions.create(body);
  assert.deepEqual(final.outputs.map((o) => o.type), plain.outputs.map((o) => o.type));
});

test('streaming a function call: the call arrives whole and the interaction requires_action', T, async () => {
  const events = await collect(await client.interactions.create({
    model: G.MODEL, input: 'What is the weather in Paris?', tools: [G.weatherTool], stream: true,
  }));
  assertEventIds(events);
  const final = events[events.length - 1].interaction;
  assert.equal(events[events.length - 1].event_type, 'interaction.complete');
  assert.equal(final.status, 'requires_action');
  const call = final.outputs.find((o) => o.type === 'function_call');
  assert.ok(call && typeof call.arguments.location === 'string', JSON.stringify(final.outputs));
});
