// G3 (@google/genai 3.6.1; g33 runs it with 3.3.0): answers cut at the service's per-request output
// limit (status requires_continuation + continuation_token, reference 6.4).
// The emulator's `continuation` fault cuts every text answer into 2 or 3
// hops; a second emulator with the same seed and no fault gives the whole
// answer to compare with. The SDK's own automatic continuation (unary and
// streaming), its opt-out and the manual resume must all work unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, expectApiError, startEmulator, readLog, T } from '../../common/harness.js';
import { checkSchema } from '../../common/schema.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
let whole, cut, plain, client;
before(async () => {
  whole = await startEmulator(['--seed', '11']);
  cut = await startEmulator(['--seed', '11', '--fault', 'continuation=1']);
  plain = makeClient(GoogleGenAI, { url: whole.url });
  client = makeClient(GoogleGenAI, { url: cut.url });
  // the SDK warns once when a caller turns continuation off: expected here
  const warn = console.warn;
  console.warn = (...a) => { if (typeof a[0] === 'string' && /requires_continuation/.test(a[0])) return; warn(...a); };
});
after(async () => { await whole.stop(); await cut.stop(); });

const REQ = { model: G.MODEL, input: G.JOKE };
const hopsOf = (ids) => readLog(cut.log).filter((l) => ids.includes(l.interaction_id));

test('unary: the SDK continues by itself; text, steps and ids add up to the whole answer', T, async () => {
  const ref = await plain.interactions.create(REQ);
  const i = await client.interactions.create(REQ);
  assert.equal(i.status, 'completed');
  assert.equal(i.output_text, ref.output_text, 'the hops joined are the uncut answer');
  const ids = i.continuation_ids;
  assert.ok(Array.isArray(ids) && ids.length >= 2 && ids.length <= 3, `2 or 3 hops: ${ids}`);
  assert.equal(i.id, ids[ids.length - 1], 'the merged interaction is the last hop');
  assert.equal(i.steps.filter((s) => s.type === 'model_output').length, ids.length, 'one model_output step per hop');
  // the wire: hop k+1 names hop k and resends no input (store is on)
  const log = hopsOf(ids);
  assert.equal(log.length, ids.length);
  assert.equal(log[0].fault, 'continuation');
  assert.equal(log[0].continued, undefined);
  for (let k = 1; k < log.length; k++) {
    assert.equal(log[k].continued, true);
    assert.equal(log[k].previous_interaction_id, ids[k - 1], 'continuation hop names the hop that issued the token');
  }
  // every hop re-reads the prompt: input is billed once per hop
  assert.equal(i.usage.initial_input_tokens, ref.usage.total_input_tokens);
  assert.equal(i.usage.total_input_tokens, ref.usage.total_input_tokens * ids.length);
  assert.ok(i.usage.total_output_tokens >= ref.usage.total_output_tokens);
  for (const id of ids.slice(0, -1)) {
    const h = await client.interactions.get(id);
    assert.equal(h.status, 'requires_continuation', 'a stored hop keeps its status');
    assert.match(h.continuation_token, /\S/);
  }
});

test('unary with store:false: the hop resends the input with the token', T, async () => {
  const ref = await plain.interactions.create({ ...REQ, store: false });
  const i = await client.interactions.create({ ...REQ, store: false });
  assert.equal(i.output_text, ref.output_text);
  const log = hopsOf(i.continuation_ids);
  assert.ok(log.length >= 2);
  for (const l of log.slice(1)) {
    assert.equal(l.continued, true);
    assert.equal(l.previous_interaction_id, undefined, 'nothing stored to point at');
    assert.equal(l.turns, 1, 'the original input came again');
  }
});

test('streaming: the SDK opens the next hop; the text deltas add up to the whole answer', T, async () => {
  const ref = await plain.interactions.create(REQ);
  const s = await client.interactions.create({ ...REQ, stream: true });
  let text = '';
  const ends = [];
  for await (const ev of s) {
    if (ev.event_type === 'step.delta' && ev.delta?.type === 'text') text += ev.delta.text;
    if (ev.event_type === 'interaction.completed') ends.push(ev.interaction);
  }
  assert.equal(text, ref.output_text);
  assert.ok(ends.length >= 2, `one completed event per hop, got ${ends.length}`);
  for (const e of ends.slice(0, -1)) {
    assert.equal(e.status, 'requires_continuation');
    assert.match(e.continuation_token, /\S/);
  }
  assert.equal(ends[ends.length - 1].status, 'completed');
  assert.equal(ends[ends.length - 1].continuation_token, undefined);
});

test('streaming with store:false: each hop resends the input with the token', T, async () => {
  const ref = await plain.interactions.create({ ...REQ, store: false });
  const s = await client.interactions.create({ ...REQ, store: false, stream: true });
  let text = '';
  const ids = [];
  for await (const ev of s) {
    if (ev.event_type === 'step.delta' && ev.delta?.type === 'text') text += ev.delta.text;
    if (ev.event_type === 'interaction.completed') ids.push(ev.interaction.id);
  }
  assert.equal(text, ref.output_text);
  const log = hopsOf(ids);
  assert.ok(log.length >= 2);
  for (const l of log.slice(1)) {
    assert.equal(l.continued, true);
    assert.equal(l.previous_interaction_id, undefined);
    assert.equal(l.turns, 1);
  }
});

test('structured output: the JSON is cut across hops and whole again after them', T, async () => {
  const rf = { type: 'text', mime_type: 'application/json', schema: G.moderationPydantic };
  const ref = await plain.interactions.create({ ...REQ, input: G.MODERATE, response_format: rf });
  const i = await client.interactions.create({ ...REQ, input: G.MODERATE, response_format: rf });
  assert.ok(i.continuation_ids.length >= 2);
  const first = await client.interactions.get(i.continuation_ids[0]);
  assert.throws(() => JSON.parse(first.output_text), 'one hop alone is not JSON');
  assert.equal(i.output_text, ref.output_text);
  assert.deepEqual(checkSchema(G.moderationPydantic, JSON.parse(i.output_text)), []);
});

test('a thinking model: the thought step comes with the first hop, output_text is whole', T, async () => {
  const req = { ...REQ, model: G.PRO3, generation_config: { thinking_level: 'low', thinking_summaries: 'auto' } };
  const ref = await plain.interactions.create(req);
  const i = await client.interactions.create(req);
  assert.ok(i.continuation_ids.length >= 2);
  const kinds = i.steps.filter((s) => s.type !== 'user_input').map((s) => s.type);
  assert.deepEqual(kinds, ['thought', ...Array(i.continuation_ids.length).fill('model_output')]);
  assert.equal(i.output_text, ref.output_text);
  assert.deepEqual(i.steps.find((s) => s.type === 'thought'), ref.steps.find((s) => s.type === 'thought'));
});

test('automatic_continuation:false, then a manual resume as the SDK warning describes', T, async () => {
  const ref = await plain.interactions.create(REQ);
  let i = await client.interactions.create({ ...REQ, automatic_continuation: false });
  assert.equal(i.status, 'requires_continuation');
  let text = i.output_text;
  assert.ok(text.length > 0 && text.length < ref.output_text.length, 'a part of the answer');
  for (let n = 0; i.status === 'requires_continuation' && n < 3; n++) {
    i = await client.interactions.create({ model: G.MODEL, continuation_token: i.continuation_token,
      previous_interaction_id: i.id, automatic_continuation: false });
    text += i.output_text;
  }
  assert.equal(i.status, 'completed');
  assert.equal(text, ref.output_text);
});

test('a bad token, or a token from another interaction: 400 INVALID_ARGUMENT', T, async () => {
  const BAD = { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' };
  await expectApiError(client.interactions.create({ model: G.MODEL, continuation_token: 'ct_not-a-token' }), BAD);
  const a = await client.interactions.create({ ...REQ, automatic_continuation: false });
  const b = await client.interactions.create({ ...REQ, input: G.PHIL, automatic_continuation: false });
  assert.equal(a.status, 'requires_continuation');
  const e = await expectApiError(client.interactions.create({ model: G.MODEL, continuation_token: a.continuation_token,
    previous_interaction_id: b.id, automatic_continuation: false }), BAD);
  assert.match(e.message, /issued by interaction/);
  // a token is not an interaction id
  await expectApiError(client.interactions.get(a.continuation_token), { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
});

test('background interactions and agents are never cut (the service continues them itself)', T, async () => {
  const i = await client.interactions.create({ ...REQ, background: true });
  let g = i;
  for (let n = 0; g.status === 'in_progress' && n < 20; n++) g = await client.interactions.get(i.id);
  assert.equal(g.status, 'completed');
  assert.equal(g.continuation_token, undefined);
});
