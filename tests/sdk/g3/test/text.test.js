// G3 (@google/genai 3.6.1; g33 runs it with 3.3.0): text, determinism, generation_config, usage, in
// the current dialect: /v1/, steps[], output_text (added by the SDK).
// Guide examples 1, 2 and 21, written the G3 way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, readLog, recordFetch, T } from '../../common/harness.js';
import { parseTurns } from '../../common/ack.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

// The answer as G3 users read it: output_text, from the trailing model_output step.
function outputText(i) {
  assert.ok(Array.isArray(i.steps) && i.steps.length > 0, `steps[] non-empty: ${JSON.stringify(i).slice(0, 300)}`);
  const last = i.steps[i.steps.length - 1];
  assert.equal(last.type, 'model_output', 'last step is model_output');
  assert.ok(Array.isArray(last.content) && last.content.some((c) => c.type === 'text'), 'with text content');
  assert.equal(typeof i.output_text, 'string', 'the SDK derived output_text from the steps');
  assert.ok(i.output_text.length > 0);
  return i.output_text;
}

function checkUsage(u) {
  assert.ok(u, 'usage present');
  for (const k of ['total_input_tokens', 'total_output_tokens', 'total_tokens']) {
    assert.ok(Number.isInteger(u[k]) && u[k] >= 0, `usage.${k} integer: ${JSON.stringify(u)}`);
  }
  assert.ok(u.total_input_tokens > 0);
  assert.ok(u.total_output_tokens > 0);
  assert.ok(Number.isInteger(u.total_thought_tokens), `G3 name total_thought_tokens present: ${JSON.stringify(u)}`);
  assert.ok(u.total_tokens >= u.total_input_tokens + u.total_output_tokens, JSON.stringify(u));
}

test('example 1: gemini-3-pro-preview text, read as output_text / steps', T, async () => {
  const from = rec.calls.length;
  const i = await client.interactions.create({ model: G.PRO3, input: G.JOKE });
  const call = rec.calls[from];
  assert.equal(new URL(call.url).pathname, '/v1/interactions', 'G3 calls /v1/');
  assert.equal(call.resHeaders.get('content-type')?.split(';')[0].trim(), 'application/json');
  assert.equal(typeof i.id, 'string');
  assert.equal(i.status, 'completed');
  assert.equal(i.model, G.PRO3);
  assert.match(i.created, ISO);
  assert.match(i.updated, ISO);
  const text = outputText(i);
  assert.equal(parseTurns(text), 1, `turns: 1 in ${JSON.stringify(text)}`);
  checkUsage(i.usage);
  assert.ok(Array.isArray(i.outputs), 'both dialects served: outputs[] also present');
});

test('example 2: gemini-2.5-flash text; the emulator logged POST /v1/interactions', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE });
  assert.equal(i.status, 'completed');
  outputText(i);
  checkUsage(i.usage);
  const log = readLog();
  assert.ok(log.some((e) => e.method === 'POST' && e.path === '/v1/interactions' && e.model === G.MODEL),
    `--log has POST /v1/interactions for ${G.MODEL}; last entries: ${JSON.stringify(log.slice(-3))}`);
});

test('deterministic: the same request gives the same answer, new ids', T, async () => {
  const body = { model: G.MODEL, input: 'Name three prime numbers.' };
  const a = await client.interactions.create(body);
  const b = await client.interactions.create(body);
  assert.notEqual(a.id, b.id);
  assert.equal(outputText(a), outputText(b));
  assert.deepEqual(a.steps, b.steps);
});

test('input tokens follow the input length (about 4 characters a token)', T, async () => {
  const a = await client.interactions.create({ model: G.MODEL, input: 'alpha' });
  const long = 'a much longer input about something else entirely, '.repeat(20);
  const b = await client.interactions.create({ model: G.MODEL, input: long });
  assert.ok(b.usage.total_input_tokens > a.usage.total_input_tokens);
  const est = long.length / 4;
  assert.ok(b.usage.total_input_tokens >= est * 0.5 && b.usage.total_input_tokens <= est * 2,
    `~${est} tokens for ${long.length} characters, got ${b.usage.total_input_tokens}`);
});

test('example 21: generation_config temperature/max_output_tokens/thinking_level', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: G.KNIGHT,
    generation_config: { temperature: 0.7, max_output_tokens: 500, thinking_level: 'low' },
  });
  assert.equal(i.status, 'completed');
  outputText(i);
  assert.ok(i.usage.total_output_tokens <= 500);
});

test('G3-only thinking levels (minimal, xhigh) are accepted', T, async () => {
  for (const level of ['minimal', 'medium', 'xhigh']) {
    const i = await client.interactions.create({ model: G.PRO3, input: G.KNIGHT, generation_config: { thinking_level: level } });
    assert.equal(i.status, 'completed', level);
  }
});

test('generation_config max_output_tokens is a hard bound', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.KNIGHT, generation_config: { max_output_tokens: 8 } });
  assert.ok(['completed', 'incomplete'].includes(i.status), `status ${i.status}`);
  assert.ok(i.usage.total_output_tokens <= 8, `total_output_tokens ${i.usage.total_output_tokens} <= 8`);
});

test('system_instruction, and input as a user_input step list', T, async () => {
  const a = await client.interactions.create({ model: G.MODEL, input: G.JOKE, system_instruction: 'Answer in one line.' });
  assert.equal(a.status, 'completed');
  const b = await client.interactions.create({ model: G.MODEL, input: [{ type: 'user_input', content: [{ type: 'text', text: G.JOKE }] }] });
  assert.equal(parseTurns(outputText(b)), 1);
  const c = await client.interactions.create({ model: G.MODEL, input: [{ type: 'text', text: G.JOKE }] });
  assert.equal(parseTurns(outputText(c)), 1);
});

test('G3-only request fields (labels, service_tier, safety_settings) are accepted', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL, input: G.JOKE,
    labels: { team: 'batch' }, service_tier: 'standard',
    safety_settings: [{ type: 'hate_speech', threshold: 'block_none' }],
  });
  assert.equal(i.status, 'completed');
  assert.ok(i.output_text.length > 0);
});

test('16 concurrent creates on one client: all answered, distinct ids', T, async () => {
  const all = await Promise.all(Array.from({ length: 16 }, (_, k) => client.interactions.create({ model: G.MODEL, input: `${G.JOKE} (${k})` })));
  assert.ok(all.every((i) => i.status === 'completed'));
  assert.equal(new Set(all.map((i) => i.id)).size, 16);
});
