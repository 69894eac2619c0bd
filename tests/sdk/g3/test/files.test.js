// G3 (@google/genai 3.6.1): Files API. Guide: "Working with Gemini Files API"
// (23): upload, poll files.get until ACTIVE, use file.uri in an interaction.
// Also: a file over one 8 MiB chunk (resumable upload in several chunks),
// list with paging, delete.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleGenAI, ApiError } from '@google/genai';
import { baseUrl, makeClient, quietExperimentalWarnings, recordFetch, pollUntil, expectApiError, T, T_SLOW } from '../../common/harness.js';
import { assertAck } from '../../common/ack.js';
import { makeJpeg, bigPng, makeMp4, makePdf, sha256b64 } from '../../common/media.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch(); // before the client: install before building the client
const client = makeClient(GoogleGenAI);
const dir = mkdtempSync(join(tmpdir(), 'gembatch-sdk-g3-files-'));
after(() => { rec.restore(); rmSync(dir, { recursive: true, force: true }); });

const CHUNK = 8 * 1024 * 1024;

function checkFile(f, { mime, buf, displayName }) {
  assert.match(f.name, /^files\/[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, `file name ${f.name}`);
  assert.equal(f.mimeType, mime);
  assert.equal(f.sizeBytes, String(buf.length), 'sizeBytes is a decimal string');
  assert.equal(f.sha256Hash, sha256b64(buf), 'sha256Hash is base64 of the SHA-256');
  assert.equal(typeof f.uri, 'string');
  assert.ok(f.uri.length > 0);
  assert.ok(['PROCESSING', 'ACTIVE'].includes(f.state), `state ${f.state}`);
  if (displayName) assert.equal(f.displayName, displayName);
  for (const k of ['createTime', 'updateTime', 'expirationTime']) assert.equal(typeof f[k], 'string', `${k} present`);
}

async function waitActive(name) {
  const { value, seen } = await pollUntil(() => client.files.get({ name }), (f) => f.state === 'ACTIVE', { tries: 100, delayMs: 100 });
  for (const f of seen) assert.ok(['PROCESSING', 'ACTIVE'].includes(f.state), `state while waiting: ${f.state}`);
  return { file: value, seen };
}

async function useFile(f, buf, mime, type = 'image') {
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [
      { type, uri: f.uri, mime_type: f.mimeType },
      { type: 'text', text: 'Describe what you see.' },
    ],
  });
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  assertAck(i.output_text, { type, mime, buf });
}

test('example 23: upload a JPEG by path, poll until ACTIVE, use its uri', T, async () => {
  const jpg = makeJpeg();
  const path = join(dir, 'cats-and-dogs.jpg');
  writeFileSync(path, jpg);
  const from = rec.calls.length;
  const f = await client.files.upload({ file: path, config: { mimeType: 'image/jpeg' } });
  checkFile(f, { mime: 'image/jpeg', buf: jpg });
  const calls = rec.calls.slice(from);
  const start = calls.find((c) => c.headers.get('x-goog-upload-command') === 'start');
  assert.ok(start, 'a start request was sent');
  assert.equal(new URL(start.url).pathname, '/upload/v1/files');
  assert.equal(start.status, 200);
  const chunks = calls.filter((c) => /upload/.test(c.headers.get('x-goog-upload-command') || '') && c !== start);
  assert.equal(chunks.length, 1, 'one chunk for a small file');
  assert.equal(chunks[0].headers.get('x-goog-upload-command'), 'upload, finalize');
  assert.ok(chunks[0].url.startsWith(baseUrl()), `upload URL is the emulator's own: ${chunks[0].url}`);
  assert.equal(chunks[0].resHeaders.get('x-goog-upload-status'), 'final');
  const { file } = await waitActive(f.name);
  checkFile(file, { mime: 'image/jpeg', buf: jpg });
  await useFile(file, jpg, 'image/jpeg');
});

test('upload over 8 MiB goes in several chunks and arrives intact', T_SLOW, async () => {
  const png = bigPng();
  assert.ok(png.length > CHUNK);
  const path = join(dir, 'noise.png');
  writeFileSync(path, png);
  const from = rec.calls.length;
  const f = await client.files.upload({ file: path, config: { mimeType: 'image/png', displayName: 'noise' } });
  checkFile(f, { mime: 'image/png', buf: png, displayName: 'noise' });
  const chunks = rec.calls.slice(from).filter((c) => /^upload/.test(c.headers.get('x-goog-upload-command') || ''));
  const n = Math.ceil(png.length / CHUNK);
  assert.equal(chunks.length, n, `${n} chunks sent`);
  chunks.forEach((c, k) => {
    assert.equal(c.headers.get('x-goog-upload-offset'), String(k * CHUNK), `chunk ${k} offset`);
    assert.equal(c.headers.get('x-goog-upload-command'), k === n - 1 ? 'upload, finalize' : 'upload');
    assert.equal(c.status, 200);
    assert.equal(c.resHeaders.get('x-goog-upload-status'), k === n - 1 ? 'final' : 'active');
  });
  const { file } = await waitActive(f.name);
  await useFile(file, png, 'image/png');
});

test('a Blob upload (no file name) and a video that is PROCESSING first', T, async () => {
  const mp4 = makeMp4();
  const f = await client.files.upload({ file: new Blob([mp4], { type: 'video/mp4' }) });
  checkFile(f, { mime: 'video/mp4', buf: mp4 });
  if (f.state === 'PROCESSING') {
    // Used before it is ACTIVE: refused (reference 7.4 suggests 400 FAILED_PRECONDITION).
    const e = await expectApiError(client.interactions.create({ model: G.MODEL, input: [{ type: 'video', uri: f.uri }] }),
      { status: 400, cls: 'BadRequestError', rpcStatus: 'FAILED_PRECONDITION' });
    assert.match(e.error.error.message, /ACTIVE/);
  }
  const { file, seen } = await waitActive(f.name);
  assert.ok(f.state === 'PROCESSING' || seen[0].state === 'PROCESSING', 'a video is PROCESSING before ACTIVE');
  await useFile(file, mp4, 'video/mp4', 'video');
});

test('files.list pages through every file (pageSize 2); files.delete removes one', T, async () => {
  const names = [];
  for (let k = 0; k < 3; k++) {
    const pdf = makePdf(`list test ${k}`);
    const f = await client.files.upload({ file: new Blob([pdf], { type: 'application/pdf' }), config: { displayName: `list-${k}` } });
    names.push(f.name);
  }
  const from = rec.calls.length;
  const pager = await client.files.list({ config: { pageSize: 2 } });
  const listed = [];
  for await (const f of pager) listed.push(f.name);
  for (const n of names) assert.ok(listed.includes(n), `${n} listed`);
  assert.equal(new Set(listed).size, listed.length, 'no file listed twice');
  const pages = rec.calls.slice(from).filter((c) => c.method === 'GET' && new URL(c.url).pathname === '/v1/files');
  assert.ok(pages.length >= 2, `more than one page fetched (${pages.length})`);
  assert.ok(pages.slice(1).every((c) => new URL(c.url).searchParams.get('pageToken')), 'later pages use pageToken');

  await client.files.delete({ name: names[0] });
  try {
    await client.files.get({ name: names[0] });
    assert.fail('get after delete should fail');
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(e instanceof ApiError, `ApiError, got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, 404);
  }
  const after = [];
  for await (const f of await client.files.list({ config: { pageSize: 50 } })) after.push(f.name);
  assert.ok(!after.includes(names[0]), 'deleted file no longer listed');
  assert.ok(after.includes(names[1]));
});

test('an interaction naming an unknown file uri: NotFoundError 404', T, async () => {
  const f = await client.files.upload({ file: new Blob([makePdf('x')], { type: 'application/pdf' }) });
  const uri = f.uri.replace(/files\/[^/?]+/, 'files/no-such-file-0');
  await expectApiError(client.interactions.create({ model: G.MODEL, input: [{ type: 'document', uri }] }),
    { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
});

test('files.get of an unknown name is a 404 ApiError', T, async () => {
  await assert.rejects(client.files.get({ name: 'files/does-not-exist-0' }), (e) => e instanceof ApiError && e.status === 404);
});
