// G3 (@google/genai 3.6.1): inline media (guide 6-9) and a remote uri (22),
// sent as content lists and inside user_input steps. Every inline part must be
// acknowledged with its exact decoded size and SHA-256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, readLog, T } from '../../common/harness.js';
import { assertAck } from '../../common/ack.js';
import { smallPng, makeWav, makeMp4, makePdf, makeJpeg, sha256hex } from '../../common/media.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

const answer = (i) => {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  assert.equal(typeof i.output_text, 'string');
  return i.output_text;
};

const cases = [
  { ex: 6, type: 'image', mime: 'image/png', prompt: 'Describe the image.', buf: smallPng() },
  { ex: 7, type: 'audio', mime: 'audio/wav', prompt: 'What does this audio say?', buf: makeWav() },
  { ex: 8, type: 'video', mime: 'video/mp4', prompt: 'What is happening in this video? Provide a timestamped summary.', buf: makeMp4() },
  { ex: 9, type: 'document', mime: 'application/pdf', prompt: 'What is this document about?', buf: makePdf() },
];

for (const c of cases) {
  test(`example ${c.ex}: inline ${c.type} (${c.mime}, ${c.buf.length} bytes) acknowledged by size and sha256`, T, async () => {
    const i = await client.interactions.create({
      model: G.MODEL,
      input: [
        { type: 'text', text: c.prompt },
        { type: c.type, data: c.buf.toString('base64'), mime_type: c.mime },
      ],
    });
    assertAck(answer(i), { type: c.type, mime: c.mime, buf: c.buf });
    const sha = sha256hex(c.buf);
    const entry = readLog().find((e) => e.path === '/v1/interactions' && JSON.stringify(e).includes(sha));
    assert.ok(entry, `--log records the ${c.type} part's sha256 under /v1/`);
  });
}

test('media inside a user_input step, all four types, in input order', T, async () => {
  const content = [{ type: 'text', text: 'Compare these.' }];
  for (const c of cases) content.push({ type: c.type, data: c.buf.toString('base64'), mime_type: c.mime });
  const i = await client.interactions.create({ model: G.MODEL, input: [{ type: 'user_input', content }] });
  const text = answer(i);
  const idx = cases.map((c) => assertAck(text, { type: c.type, mime: c.mime, buf: c.buf }).index);
  assert.deepEqual([...idx].sort((a, b) => a - b), idx, `part numbers follow input order: ${idx}`);
});

test('a JPEG image keeps its mime type', T, async () => {
  const jpg = makeJpeg([60, 200, 128]);
  const i = await client.interactions.create({ model: G.MODEL, input: [{ type: 'image', data: jpg.toString('base64'), mime_type: 'image/jpeg' }] });
  assertAck(answer(i), { type: 'image', mime: 'image/jpeg', buf: jpg });
});

test('example 22: remote file by uri (https) is accepted and named in the answer', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [
      { type: 'image', uri: G.REMOTE_IMAGE_URI, mime_type: 'image/jpeg' },
      { type: 'text', text: 'Describe what you see.' },
    ],
  });
  const text = answer(i);
  assert.match(text, /image/);
  assert.ok(text.includes(G.REMOTE_IMAGE_URI), `answer names the uri it received: ${text}`);
});
