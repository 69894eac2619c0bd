// G1 (@google/genai 1.33.0): structured output with a BARE JSON Schema in
// response_format. Guide: "Structured output" (18: pydantic $defs/anyOf form,
// zod form, REST form) and "Combining tools and structured output" (19).
// The text is parsed as JSON and checked by an independent checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, startEmulator, T } from '../../common/harness.js';
import { checkSchema } from '../../common/schema.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

function parsedLast(i, schema) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  const last = i.outputs[i.outputs.length - 1];
  assert.equal(last.type, 'text', 'the JSON is in the final text output');
  let v;
  assert.doesNotThrow(() => { v = JSON.parse(last.text); }, `text is JSON: ${last.text}`);
  assert.deepEqual(checkSchema(schema, v), [], `instance ${JSON.stringify(v)} valid`);
  return v;
}

test('example 18 (Python): pydantic schema with $defs, anyOf, $ref, enum', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: G.moderationPydantic });
  const v = parsedLast(i, G.moderationPydantic);
  assert.equal(typeof v.decision, 'object');
  if ('spam_type' in v.decision) assert.ok(G.moderationPydantic.$defs.SpamDetails.properties.spam_type.enum.includes(v.decision.spam_type));
});

test('example 18 (JavaScript): zod schema with $schema and additionalProperties false', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: G.moderationZod });
  parsedLast(i, G.moderationZod);
  // The guide's JavaScript reads interaction.outputs[0].text.
  assert.deepEqual(checkSchema(G.moderationZod, JSON.parse(i.outputs[0].text)), []);
});

test('example 18 (REST): nested object schema', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: G.moderationRest });
  const v = parsedLast(i, G.moderationRest);
  assert.equal(typeof v.decision.reason, 'string');
  assert.equal(typeof v.decision.spam_type, 'string');
});

test('example 19: google_search tool plus a response_format', T, async () => {
  const i = await client.interactions.create({
    model: G.PRO3, input: 'Who won the last euro?', tools: [{ type: 'google_search' }], response_format: G.euroSchema,
  });
  parsedLast(i, G.euroSchema);
  assert.ok(i.outputs.some((o) => o.type === 'google_search_call'), 'the tool ran');
});

test('example 19 (Python): url_context tool plus the moderation schema', T, async () => {
  const i = await client.interactions.create({
    model: G.PRO3, input: G.MODERATE, response_format: G.moderationPydantic, tools: [{ type: 'url_context' }],
  });
  parsedLast(i, G.moderationPydantic);
});

test('enum, const, integer and array bounds, nullable, recursive $ref', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Extract the invoice.', response_format: G.richSchema });
  const v = parsedLast(i, G.richSchema);
  assert.equal(v.kind, 'invoice');
});

test('a top-level array schema', T, async () => {
  const schema = { type: 'array', items: { type: 'string', enum: ['cat', 'dog', 'other'] }, minItems: 2, maxItems: 3 };
  const i = await client.interactions.create({ model: G.MODEL, input: 'Label the animals.', response_format: schema });
  parsedLast(i, schema);
});

// The checker is not vacuous: the emulator's schema_violation fault returns
// output that breaks the schema, and the same check must catch it.
test('--fault schema_violation=1: the independent checker rejects the instance', T, async () => {
  const emu = await startEmulator(['--fault', 'schema_violation=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const i = await c.interactions.create({ model: G.MODEL, input: G.MODERATE, response_format: G.moderationPydantic });
    assert.equal(i.status, 'completed');
    let v, parsedOk = true;
    try { v = JSON.parse(i.outputs[i.outputs.length - 1].text); } catch { parsedOk = false; }
    assert.ok(!parsedOk || checkSchema(G.moderationPydantic, v).length > 0, `violation detected in ${i.outputs[i.outputs.length - 1].text}`);
  } finally {
    await emu.stop();
  }
});
