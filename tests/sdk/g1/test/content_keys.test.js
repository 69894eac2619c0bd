// G1 (@google/genai 1.33.0): content blocks, turns and tools are checked
// key by key with the keys 1.33.0's types define, like the top level: an
// unknown key is 400 INVALID_ARGUMENT naming it and where it is. Keys only
// later SDKs define (3.6.1's processing, a document's resolution, a
// function's defer_loading) are unknown in this dialect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { expectApiError, makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

async function refused(body, part) {
  const e = await expectApiError(client.interactions.create({ model: G.MODEL, ...body }),
    { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
  const msg = (e.error?.error ?? e.error).message;
  assert.ok(msg.includes(part), `${part} in ${msg}`);
}

test('an unknown key in a content block, a turn or a tool is refused', T, async () => {
  await refused({ input: [{ type: 'text', text: 'hi', bogus_xyz: 1 }] }, "Unknown name \"bogus_xyz\" at 'input[0]'");
  await refused({ input: [{ role: 'user', content: [{ type: 'text', text: 'hi', bogus_xyz: 1 }] }] }, "at 'input[0].content[0]'");
  await refused({ input: [{ role: 'user', content: 'hi', bogus_xyz: 1 }] }, "\"bogus_xyz\" at 'input[0]'");
  await refused({ input: 'hi', tools: [{ ...G.weatherTool, bogus_xyz: 1 }] }, "\"bogus_xyz\" at 'tools[0]'");
});

test('keys of later SDKs are unknown here; those of 1.33.0 pass', T, async () => {
  await refused({ input: [{ type: 'document', uri: 'https://example.com/a.pdf', resolution: 'high' }] }, "\"resolution\" at 'input[0]'");
  await refused({ input: [{ type: 'audio', uri: 'https://example.com/a.wav', processing: 'static' }] }, '"processing"');
  await refused({ input: 'hi', tools: [{ ...G.weatherTool, defer_loading: true }] }, '"defer_loading"');
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [{ type: 'text', text: 'Describe.', annotations: [] }, { type: 'image', uri: G.REMOTE_IMAGE_URI, mime_type: 'image/jpeg', resolution: 'low' }],
  });
  assert.equal(i.status, 'completed');
});
