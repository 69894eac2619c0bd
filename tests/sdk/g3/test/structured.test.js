// G3 (@google/genai 3.6.1): structured output with the WRAPPED response_format
// {type:"text", mime_type:"application/json", schema}. Guide examples 18 and
// 19, written the G3 way. The text is parsed and checked independently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, startEmulator, T } from '../../common/harness.js';
import { checkSchema } from '../../common/schema.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);
const wrap = (schema) => ({ type: 'text', mime_type: 'application/json', schema });

function parsed(i, schema) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  assert.equal(i.steps[i.steps.length - 1].type, 'model_output', 'JSON in the final model_output step');
  let v;
  assert.doesNotThrow(() => { v = JSON.parse(i.output_text); }, `output_text is JSON: ${i.output_text}`);
  assert.deepEqual(checkSchema(schema, v), [], `instance ${JSON.stringify(v)} valid`);
  return v;
}

test('example 18 (Python schema, wrapped): $defs, anyOf, $ref, enum', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: wrap(G.moderationPydantic) });
  parsed(i, G.moderationPydantic);
});

test('example 18 (zod schema, wrapped): additionalProperties false', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: wrap(G.moderationZod) });
  parsed(i, G.moderationZod);
});

test('example 18 (REST schema, wrapped), response_format given as a one-element array', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: [wrap(G.moderationRest)] });
  const v = parsed(i, G.moderationRest);
  assert.equal(typeof v.decision.reason, 'string');
});

test('example 19: google_search plus a wrapped response_format', T, async () => {
  const i = await client.interactions.create({
    model: G.PRO3, input: 'Who won the last euro?', tools: [{ type: 'google_search' }], response_format: wrap(G.euroSchema),
  });
  parsed(i, G.euroSchema);
  assert.ok(i.steps.some((s) => s.type === 'google_search_call'), 'the tool ran');
});

test('enum, const, integer and array bounds, nullable, recursive $ref', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Extract the invoice.', response_format: wrap(G.richSchema) });
  assert.equal(parsed(i, G.richSchema).kind, 'invoice');
});

test('a wrapped schema whose root is an array', T, async () => {
  const schema = { type: 'array', items: { type: 'string', enum: ['cat', 'dog', 'other'] }, minItems: 2, maxItems: 3 };
  parsed(await client.interactions.create({ model: G.MODEL, input: 'Label the animals.', response_format: wrap(schema) }), schema);
});

test('text/plain response_format gives plain text, not JSON-forced', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE, response_format: { type: 'text', mime_type: 'text/plain' } });
  assert.equal(i.status, 'completed');
  assert.ok(i.output_text.length > 0);
});

// The checker is not vacuous: the emulator's schema_violation fault returns
// output that breaks the schema, and the same check must catch it.
test('--fault schema_violation=1: the independent checker rejects the instance', T, async () => {
  const emu = await startEmulator(['--fault', 'schema_violation=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const i = await c.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: wrap(G.moderationPydantic) });
    assert.equal(i.status, 'completed');
    let v, parsedOk = true;
    try { v = JSON.parse(i.output_text); } catch { parsedOk = false; }
    assert.ok(!parsedOk || checkSchema(G.moderationPydantic, v).length > 0, `violation detected in ${i.output_text}`);
  } finally {
    await emu.stop();
  }
});
