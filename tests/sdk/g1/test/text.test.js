// G1 (@google/genai 1.33.0): text, determinism, generation_config, usage.
// Guide: intro (example 1), "Basic interactions" (2), "Configuration" (21).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, readLog, T } from '../../common/harness.js';
import { parseTurns } from '../../common/ack.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function lastText(i) {
  assert.ok(Array.isArray(i.outputs) && i.outputs.length > 0, `outputs[] non-empty: ${JSON.stringify(i).slice(0, 300)}`);
  const last = i.outputs[i.outputs.length - 1];
  assert.equal(last.type, 'text', 'last output is text');
  assert.equal(typeof last.text, 'string');
  assert.ok(last.text.length > 0, 'text non-empty');
  return last.text;
}

function checkUsage(u) {
  assert.ok(u, 'usage present');
  for (const k of ['total_input_tokens', 'total_output_tokens', 'total_tokens']) {
    assert.ok(Number.isInteger(u[k]) && u[k] >= 0, `usage.${k} integer: ${JSON.stringify(u)}`);
  }
  assert.ok(u.total_input_tokens > 0, 'input tokens counted');
  assert.ok(u.total_output_tokens > 0, 'output tokens counted');
  assert.ok(Number.isInteger(u.total_reasoning_tokens), `G1 name total_reasoning_tokens present: ${JSON.stringify(u)}`);
  assert.ok(u.total_tokens >= u.total_input_tokens + u.total_output_tokens,
    `total_tokens covers input+output: ${JSON.stringify(u)}`);
}

test('example 1: gemini-3-pro-preview text, read as outputs[-1].text', T, async () => {
  const i = await client.interactions.create({ model: G.PRO3, input: G.JOKE });
  assert.equal(typeof i.id, 'string');
  assert.ok(i.id.length > 0);
  assert.equal(i.object, 'interaction');
  assert.equal(i.status, 'completed');
  assert.equal(i.model, G.PRO3);
  assert.equal(i.role, 'model');
  assert.match(i.created, ISO, 'created is ISO-8601');
  assert.match(i.updated, ISO, 'updated is ISO-8601');
  const text = lastText(i);
  assert.equal(parseTurns(text), 1, `answer reports turns: 1 in ${JSON.stringify(text)}`);
  checkUsage(i.usage);
  assert.ok(Array.isArray(i.steps), 'both dialects served: steps[] also present');
});

test('example 2: gemini-2.5-flash text; the SDK used /v1beta/ and the emulator logged it', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE });
  assert.equal(i.status, 'completed');
  assert.equal(i.model, G.MODEL);
  lastText(i);
  checkUsage(i.usage);
  const log = readLog();
  assert.ok(log.some((e) => e.method === 'POST' && e.path === '/v1beta/interactions' && e.model === G.MODEL),
    `--log has POST /v1beta/interactions for ${G.MODEL}; last entries: ${JSON.stringify(log.slice(-3))}`);
});

test('deterministic: the same request gives the same answer, new ids', T, async () => {
  const body = { model: G.MODEL, input: 'Name three prime numbers.' };
  const a = await client.interactions.create(body);
  const b = await client.interactions.create(body);
  assert.notEqual(a.id, b.id, 'each create is a new interaction');
  assert.equal(lastText(a), lastText(b));
  assert.deepEqual(a.usage, b.usage);
});

test('input tokens follow the input length (about 4 characters a token)', T, async () => {
  const a = await client.interactions.create({ model: G.MODEL, input: 'alpha' });
  const long = 'a much longer input about something else entirely, '.repeat(20);
  const b = await client.interactions.create({ model: G.MODEL, input: long });
  assert.ok(b.usage.total_input_tokens > a.usage.total_input_tokens, 'longer input, more input tokens');
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
  lastText(i);
  checkUsage(i.usage);
  assert.ok(i.usage.total_output_tokens <= 500, `output tokens within max_output_tokens: ${i.usage.total_output_tokens}`);
});

test('generation_config max_output_tokens is a hard bound', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: G.KNIGHT,
    generation_config: { max_output_tokens: 8 },
  });
  assert.ok(['completed', 'incomplete'].includes(i.status), `status ${i.status}`);
  assert.ok(i.usage.total_output_tokens <= 8, `total_output_tokens ${i.usage.total_output_tokens} <= 8`);
});

test('system_instruction (a plain string) is accepted', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE, system_instruction: 'Answer in one line.' });
  assert.equal(i.status, 'completed');
  lastText(i);
});

test('input as one content object and as a content list', T, async () => {
  const a = await client.interactions.create({ model: G.MODEL, input: { type: 'text', text: G.JOKE } });
  const b = await client.interactions.create({ model: G.MODEL, input: [{ type: 'text', text: G.JOKE }] });
  assert.equal(a.status, 'completed');
  assert.equal(b.status, 'completed');
  assert.equal(parseTurns(lastText(a)), 1);
  assert.equal(parseTurns(lastText(b)), 1);
});

test('16 concurrent creates on one client: all answered, distinct ids', T, async () => {
  const all = await Promise.all(Array.from({ length: 16 }, (_, k) => client.interactions.create({ model: G.MODEL, input: `${G.JOKE} (${k})` })));
  assert.ok(all.every((i) => i.status === 'completed'));
  assert.equal(new Set(all.map((i) => i.id)).size, 16);
});
