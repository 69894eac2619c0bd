// G1 (@google/genai 1.33.0): inline media. Guide: image (6), audio (7),
// video (8), PDF (9) understanding; remote file URL (22). Every inline part
// must be acknowledged with its exact decoded size and SHA-256.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, readLog, T } from '../../common/harness.js';
import { assertAck, parseParts } from '../../common/ack.js';
import { smallPng, makeWav, makeMp4, makePdf, makeJpeg, sha256hex } from '../../common/media.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

const lastText = (i) => {
  assert.equal(i.status, 'completed', `status: ${JSON.stringify(i).slice(0, 300)}`);
  const last = i.outputs[i.outputs.length - 1];
  assert.equal(last.type, 'text');
  return last.text;
};

// tokens: the published rates (258 per small image, 32 per second of audio,
// 258 per PDF page); video duration is not read from MP4, so not checked.
const cases = [
  { ex: 6, type: 'image', mime: 'image/png', prompt: 'Describe the image.', buf: smallPng(), tokens: 258 },
  { ex: 7, type: 'audio', mime: 'audio/wav', prompt: 'What does this audio say?', buf: makeWav(), tokens: 8 },
  { ex: 8, type: 'video', mime: 'video/mp4', prompt: 'What is happening in this video? Provide a timestamped summary.', buf: makeMp4() },
  { ex: 9, type: 'document', mime: 'application/pdf', prompt: 'What is this document about?', buf: makePdf(), tokens: 258 },
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
    assertAck(lastText(i), { type: c.type, mime: c.mime, buf: c.buf });
    // The guide's JavaScript PDF example reads outputs[0].text.
    assert.equal(i.outputs[0].text, lastText(i), 'outputs[0] is the answer text');
    const textOnly = await client.interactions.create({ model: G.MODEL, input: [{ type: 'text', text: c.prompt }] });
    const mediaTokens = i.usage.total_input_tokens - textOnly.usage.total_input_tokens;
    if (c.tokens) assert.equal(mediaTokens, c.tokens, `${c.type} billed at the published rate`);
    else assert.ok(mediaTokens > 0, `${c.type} billed`);
    const sha = sha256hex(c.buf);
    const entry = readLog().find((e) => JSON.stringify(e).includes(sha));
    assert.ok(entry, `--log records the ${c.type} part's sha256`);
    assert.ok(JSON.stringify(entry).includes(String(c.buf.length)), `--log records the decoded size ${c.buf.length}`);
  });
}

test('all four media types in one request, acknowledged in input order', T, async () => {
  const input = [{ type: 'text', text: 'Compare these.' }];
  for (const c of cases) input.push({ type: c.type, data: c.buf.toString('base64'), mime_type: c.mime });
  const i = await client.interactions.create({ model: G.MODEL, input });
  const text = lastText(i);
  const hits = cases.map((c) => assertAck(text, { type: c.type, mime: c.mime, buf: c.buf }));
  const idx = hits.map((h) => h.index);
  assert.deepEqual([...idx].sort((a, b) => a - b), idx, `part numbers follow input order: ${idx}`);
  assert.equal(new Set(idx).size, idx.length, 'distinct part numbers');
});

test('the same image twice is acknowledged twice; a JPEG keeps its mime type', T, async () => {
  const jpg = makeJpeg();
  const png = smallPng();
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [
      { type: 'image', data: png.toString('base64'), mime_type: 'image/png' },
      { type: 'image', data: png.toString('base64'), mime_type: 'image/png' },
      { type: 'image', data: jpg.toString('base64'), mime_type: 'image/jpeg' },
    ],
  });
  const parts = parseParts(lastText(i));
  assert.equal(parts.filter((p) => p.sha256 === sha256hex(png)).length, 2, JSON.stringify(parts));
  assertAck(lastText(i), { type: 'image', mime: 'image/jpeg', buf: jpg });
});

test('media inside a role/content turn is acknowledged too', T, async () => {
  const wav = makeWav(0.1, 880);
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [{ role: 'user', content: [{ type: 'text', text: 'Listen.' }, { type: 'audio', data: wav.toString('base64'), mime_type: 'audio/wav' }] }],
  });
  assertAck(lastText(i), { type: 'audio', mime: 'audio/wav', buf: wav });
});

test('example 22: remote file by uri (https) is accepted and named in the answer', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [
      { type: 'image', uri: G.REMOTE_IMAGE_URI },
      { type: 'text', text: 'Describe what you see.' },
    ],
  });
  const text = lastText(i);
  assert.match(text, /image/, 'answer describes an image part');
  assert.ok(text.includes(G.REMOTE_IMAGE_URI), `answer names the uri it received: ${text}`);
});
