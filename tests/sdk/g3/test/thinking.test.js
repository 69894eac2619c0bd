// G3 (@google/genai 3.6.1): generation_config.thinking_summaries "auto" gives
// a thought step (summary + signature) before the model_output step, streamed
// as thought_summary and thought_signature step deltas; output_text is the
// answer only; a stateless follow-up may send the thought step back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, readLog, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);
const REQ = { model: G.PRO3, input: G.JOKE, generation_config: { thinking_level: 'low', thinking_summaries: 'auto' } };

test('thinking_summaries auto: a thought step first; output_text is the answer only', T, async () => {
  const i = await client.interactions.create(REQ);
  assert.equal(i.status, 'completed');
  const th = i.steps.find((s) => s.type === 'thought');
  assert.ok(th, JSON.stringify(i.steps).slice(0, 200));
  assert.equal(i.steps.indexOf(th), i.steps.findIndex((s) => s.type !== 'user_input'), 'before the answer');
  assert.match(th.signature, /^[A-Za-z0-9+/]+=*$/);
  assert.match(th.summary[0].text, /^Thinking \(low\)/);
  assert.ok(!i.output_text.includes('Thinking'), 'the thought is not in output_text');
  assert.match(i.output_text, /^Emulated answer from gemini-3-pro-preview/);
  assert.ok(i.usage.total_thought_tokens > 0);
});

test('streamed: thought deltas rebuild the same thought step', T, async () => {
  const ref = await client.interactions.create(REQ);
  const th = ref.steps.find((s) => s.type === 'thought');
  const s = await client.interactions.create({ ...REQ, stream: true });
  let summary = '', signature, text = '';
  const starts = [];
  for await (const ev of s) {
    if (ev.event_type === 'step.start') starts.push(ev.step.type);
    if (ev.event_type !== 'step.delta') continue;
    if (ev.delta.type === 'thought_summary') summary += ev.delta.content.text;
    if (ev.delta.type === 'thought_signature') signature = ev.delta.signature;
    if (ev.delta.type === 'text') text += ev.delta.text;
  }
  assert.deepEqual(starts, ['thought', 'model_output']);
  assert.equal(summary, th.summary[0].text);
  assert.equal(signature, th.signature);
  assert.equal(text, ref.output_text);
});

test('a stateless follow-up sends the thought step back: accepted and counted', T, async () => {
  const first = await client.interactions.create({ ...REQ, store: false });
  const answer = first.steps.filter((s) => s.type !== 'user_input');
  const i = await client.interactions.create({ ...REQ, store: false, input: [
    { type: 'user_input', content: [{ type: 'text', text: G.JOKE }] },
    ...answer,
    { type: 'user_input', content: [{ type: 'text', text: 'Another one.' }] },
  ] });
  assert.equal(i.status, 'completed');
  const line = readLog().find((l) => l.interaction_id === i.id);
  assert.ok(line && line.signatures === 1, 'the emulator saw the signed thought');
});
