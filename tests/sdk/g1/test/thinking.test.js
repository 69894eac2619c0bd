// G1 (@google/genai 1.33.0): generation_config.thinking_summaries "auto" gives
// a thought output (summary + signature) before the answer, streamed as
// thought_summary and thought_signature deltas; a stateless follow-up may
// send the thought back in the model turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, readLog, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);
const REQ = { model: G.PRO3, input: G.JOKE, generation_config: { thinking_level: 'low', thinking_summaries: 'auto' } };

test('thinking_summaries auto: a thought output first, with summary and signature', T, async () => {
  const i = await client.interactions.create(REQ);
  assert.equal(i.status, 'completed');
  const [th, answer] = i.outputs;
  assert.equal(th.type, 'thought');
  assert.match(th.signature, /^[A-Za-z0-9+/]+=*$/, 'base64 signature');
  assert.equal(th.summary[0].type, 'text');
  assert.match(th.summary[0].text, /^Thinking \(low\)/);
  assert.equal(answer.type, 'text');
  assert.ok(i.usage.total_reasoning_tokens > 0);
  const none = await client.interactions.create({ ...REQ, generation_config: { thinking_level: 'low' } });
  assert.ok(!none.outputs.some((o) => o.type === 'thought'), 'no summaries asked for: no thought');
});

test('streamed: thought_summary and thought_signature deltas rebuild the same thought', T, async () => {
  const ref = await client.interactions.create(REQ);
  const s = await client.interactions.create({ ...REQ, stream: true });
  let summary = '', signature, text = '';
  const starts = [];
  for await (const ev of s) {
    if (ev.event_type === 'content.start') starts.push(ev.content.type);
    if (ev.event_type !== 'content.delta') continue;
    if (ev.delta.type === 'thought_summary') summary += ev.delta.content.text;
    if (ev.delta.type === 'thought_signature') signature = ev.delta.signature;
    if (ev.delta.type === 'text') text += ev.delta.text;
  }
  assert.deepEqual(starts, ['thought', 'text']);
  assert.equal(summary, ref.outputs[0].summary[0].text);
  assert.equal(signature, ref.outputs[0].signature);
  assert.equal(text, ref.outputs[1].text);
});

test('a stateless follow-up sends the thought back: accepted and counted', T, async () => {
  const first = await client.interactions.create({ ...REQ, store: false });
  const i = await client.interactions.create({ ...REQ, store: false, input: [
    { role: 'user', content: G.JOKE },
    { role: 'model', content: first.outputs },
    { role: 'user', content: 'Another one.' },
  ] });
  assert.equal(i.status, 'completed');
  const line = readLog().find((l) => l.interaction_id === i.id);
  assert.equal(line.turns, 3);
  assert.equal(line.signatures, 1, 'the emulator saw the signed thought');
  await assert.rejects(client.interactions.create({ ...REQ, store: false, input: [
    { role: 'user', content: G.JOKE },
    { role: 'model', content: [{ type: 'thought', signature: 7 }] },
    { role: 'user', content: 'Again.' },
  ] }), (e) => e.status === 400, 'a signature that is not a string is refused');
});
