// batches.js: the Batch API (reference batch-api.md) driven through the SDK's
// own ai.batches and ai.files calls, for both generations: inline and file
// batches polled with get until done, list paging, cancel, delete, the
// results file downloaded, per-line errors (batch_line) and an expired batch
// (batch_expire) on emulators of their own. The caller passes its pinned SDK.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClient, recordFetch, startEmulator, pollUntil, readLog, T, T_SLOW } from './harness.js';
import { assertAck, parseTurns } from './ack.js';
import { smallPng } from './media.js';
import { decodePng } from './png.js';
import { checkSchema } from './schema.js';

const MODEL = 'gemini-2.5-flash';
const TERMINAL = ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED'];
const SCHEMA = { type: 'object', properties: { name: { type: 'string' }, n: { type: 'integer' } }, required: ['name', 'n'] };

export function batchSuite({ GoogleGenAI, ApiError, gen }) {
  const ver = gen === 'g1' ? 'v1beta' : 'v1';
  const rec = recordFetch(); // before the clients: G1 binds fetch when it is built
  const client = makeClient(GoogleGenAI);
  const dir = mkdtempSync(join(tmpdir(), `gembatch-sdk-${gen}-batches-`));
  const extra = [];
  after(async () => {
    rec.restore();
    for (const e of extra) await e.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const tag = `${gen}-${process.pid}`;

  async function waitDone(c, name) {
    const { value, seen } = await pollUntil(() => c.batches.get({ name }), (j) => TERMINAL.includes(j.state), { tries: 200, delayMs: 50 });
    for (const j of seen.slice(0, -1)) assert.ok(['JOB_STATE_PENDING', 'JOB_STATE_RUNNING'].includes(j.state), `state while waiting: ${j.state}`);
    return value;
  }

  async function uploadJsonl(c, name, lines) {
    const path = join(dir, name);
    writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    // a .jsonl path has no MIME type the SDK knows: the guide passes 'jsonl'
    return c.files.upload({ file: path, config: { mimeType: 'jsonl', displayName: name } });
  }

  async function download(c, fileName, name) {
    const path = join(dir, name);
    await c.files.download({ file: fileName, downloadPath: path });
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  function textOf(resp) {
    return resp.candidates[0].content.parts.filter((p) => !p.thought && typeof p.text === 'string').map((p) => p.text).join('');
  }

  test('batches.create inline: PENDING, then SUCCEEDED with the answers in input order', T, async () => {
    const png = smallPng();
    const from = rec.calls.length;
    const job = await client.batches.create({
      model: MODEL,
      src: [
        { contents: 'Say hello.', metadata: { key: 'plain' } },
        {
          contents: [{ role: 'user', parts: [{ text: 'What is in the picture?' }, { inlineData: { mimeType: 'image/png', data: png.toString('base64') } }] }],
          metadata: { key: 'image' },
        },
        { contents: 'Extract it.', config: { responseMimeType: 'application/json', responseJsonSchema: SCHEMA }, metadata: { key: 'json' } },
        { contents: 'Draw a cat.', config: { responseModalities: ['TEXT', 'IMAGE'] }, metadata: { key: 'draw' } },
      ],
      config: { displayName: `inline-${tag}` },
    });
    assert.match(job.name, /^batches\/[a-z0-9]+$/);
    assert.equal(job.state, 'JOB_STATE_PENDING');
    assert.equal(job.displayName, `inline-${tag}`);
    assert.equal(job.model, `models/${MODEL}`);
    for (const k of ['createTime', 'updateTime']) assert.match(job[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/, k);
    const create = rec.calls.slice(from).find((c) => c.method === 'POST');
    assert.equal(new URL(create.url).pathname, `/${ver}/models/${MODEL}:batchGenerateContent`);
    assert.equal(create.status, 200);

    const done = await waitDone(client, job.name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED');
    assert.ok(done.endTime, 'endTime on a finished batch');
    const items = done.dest.inlinedResponses;
    assert.equal(items.length, 4, 'one response per request');
    for (const it of items) assert.ok(it.response && !it.error, JSON.stringify(it).slice(0, 300));
    if (gen === 'g3') assert.deepEqual(items.map((it) => it.metadata.key), ['plain', 'image', 'json', 'draw'], 'metadata echoed, in input order');
    assert.equal(parseTurns(textOf(items[0].response)), 1);
    assertAck(textOf(items[1].response), { type: 'image', mime: 'image/png', buf: png });
    const obj = JSON.parse(textOf(items[2].response));
    assert.deepEqual(checkSchema(SCHEMA, obj), [], 'the JSON answer is valid against responseJsonSchema');
    const img = items[3].response.candidates[0].content.parts.find((p) => p.inlineData);
    assert.equal(img.inlineData.mimeType, 'image/png');
    const dec = decodePng(Buffer.from(img.inlineData.data, 'base64'));
    assert.equal(dec.width, 64);
    for (const it of items) {
      const u = it.response.usageMetadata;
      assert.equal(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0));
      assert.equal(it.response.candidates[0].finishReason, 'STOP');
      assert.equal(it.response.modelVersion, MODEL);
    }
    const imgTokens = items[1].response.usageMetadata.promptTokensDetails.find((d) => d.modality === 'IMAGE');
    assert.equal(imgTokens.tokenCount, 258, 'an input image is 258 tokens');
  });

  test('batches.create from an uploaded JSONL; files.download of the results', T, async () => {
    const png = smallPng();
    const media = await client.files.upload({ file: new Blob([png], { type: 'image/png' }) });
    await pollUntil(() => client.files.get({ name: media.name }), (f) => f.state === 'ACTIVE', { tries: 100, delayMs: 50 });
    const lines = [
      { key: 'a', request: { contents: [{ parts: [{ text: 'one' }] }] } },
      // snake_case request fields, as the guide's and the cookbook's lines have them
      { key: 'b', request: { contents: [{ parts: [{ text: 'two' }] }], generation_config: { temperature: 0.7 } } },
      { key: 'c', request: { contents: [{ parts: [{ text: 'look' }, { file_data: { file_uri: media.uri, mime_type: 'image/png' } }] }] } },
      { key: 'd', request: { contents: [{ parts: [{ text: 'json' }] }], generationConfig: { responseMimeType: 'application/json', responseJsonSchema: SCHEMA } } },
    ];
    const input = await uploadJsonl(client, `in-${tag}.jsonl`, lines);
    assert.equal(input.mimeType, 'jsonl');
    const job = await client.batches.create({ model: MODEL, src: input.name, config: { displayName: `file-${tag}` } });
    assert.equal(job.state, 'JOB_STATE_PENDING');
    const done = await waitDone(client, job.name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED');
    assert.equal(done.dest.fileName, `files/batch-${job.name.slice('batches/'.length)}`);
    const results = await download(client, done.dest.fileName, `out-${tag}.jsonl`);
    assert.deepEqual(results.map((r) => r.key), ['a', 'b', 'c', 'd'], 'one result line per input line, in order');
    for (const r of results) assert.ok(r.response?.candidates?.length, JSON.stringify(r).slice(0, 300));
    assertAck(textOf(results[2].response), { type: 'image', mime: 'image/png', buf: png });
    assert.deepEqual(checkSchema(SCHEMA, JSON.parse(textOf(results[3].response))), []);
    const dl = rec.calls.filter((c) => c.url.includes(':download'));
    assert.equal(new URL(dl.at(-1).url).pathname, `/${ver}/${done.dest.fileName}:download`);
    const f = await client.files.get({ name: done.dest.fileName });
    assert.equal(f.source, 'GENERATED');
    assert.equal(f.sizeBytes, String(readFileSync(join(dir, `out-${tag}.jsonl`)).length));
  });

  test('batches.list pages through every batch with pageSize 2 and stops', T, async () => {
    const mine = [];
    for (let k = 0; k < 5; k++) {
      const j = await client.batches.create({ model: MODEL, src: [{ contents: `page ${k}` }], config: { displayName: `page-${k}-${tag}` } });
      mine.push(j.name);
    }
    const from = rec.calls.length;
    let pager = await client.batches.list({ config: { pageSize: 2 } });
    const seen = [];
    let pages = 0;
    for (;;) {
      pages++;
      assert.ok(pager.page.length <= 2, 'at most pageSize per page');
      seen.push(...pager.page.map((j) => j.name));
      if (!pager.hasNextPage()) break;
      assert.ok(pages < 1000, 'the pager ends');
      await pager.nextPage();
    }
    for (const n of mine) assert.equal(seen.filter((s) => s === n).length, 1, `${n} listed once`);
    assert.equal(new Set(seen).size, seen.length, 'no batch twice');
    const calls = rec.calls.slice(from);
    assert.equal(calls.length, pages, 'one request per page');
    assert.ok(pages >= 3, `5 batches at 2 a page take at least 3 pages (${pages})`);
    for (const c of calls) assert.equal(new URL(c.url).searchParams.get('pageSize'), '2');
  });

  test('batches.delete: then get is 404', T, async () => {
    const j = await client.batches.create({ model: MODEL, src: [{ contents: 'to delete' }] });
    await client.batches.delete({ name: j.name });
    await assert.rejects(client.batches.get({ name: j.name }), (e) => e instanceof ApiError && e.status === 404);
    const page = await client.batches.list({ config: { pageSize: 100 } });
    assert.ok(!page.page.some((b) => b.name === j.name), 'gone from the list');
  });

  test('batches.cancel: a pending batch ends CANCELLED without results', T_SLOW, async () => {
    const emu = await startEmulator(['--batch-time', '60000']);
    extra.push(emu);
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const j = await c.batches.create({ model: MODEL, src: [{ contents: 'slow' }] });
    assert.equal(j.state, 'JOB_STATE_PENDING');
    assert.equal((await c.batches.get({ name: j.name })).state, 'JOB_STATE_PENDING');
    await c.batches.cancel({ name: j.name });
    const got = await c.batches.get({ name: j.name });
    assert.equal(got.state, 'JOB_STATE_CANCELLED');
    assert.equal(got.dest, undefined, 'no results after a cancel');
    await assert.rejects(c.batches.cancel({ name: 'batches/nosuchbatch' }), (e) => e instanceof ApiError && e.status === 404);
    const log = readLog(emu.log).filter((l) => l.batch === j.name);
    assert.deepEqual(log.map((l) => l.state), ['BATCH_STATE_PENDING', 'BATCH_STATE_PENDING', 'BATCH_STATE_CANCELLED', 'BATCH_STATE_CANCELLED']);
    assert.equal(log[0].requests, 1, 'the log counts the requests of a create');
  });

  test('batch_line fault: some requests fail, each as an error in its place', T_SLOW, async () => {
    const emu = await startEmulator(['--batch-time', '50', '--seed', '7', '--fault', 'batch_line=0.5']);
    extra.push(emu);
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const src = Array.from({ length: 20 }, (_, k) => ({ contents: `line ${k}`, metadata: { key: `i${k}` } }));
    const done = await waitDone(c, (await c.batches.create({ model: MODEL, src })).name);
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED', 'per-request failures do not fail the batch');
    const items = done.dest.inlinedResponses;
    assert.equal(items.length, 20);
    const errs = items.filter((it) => it.error);
    assert.ok(errs.length > 0 && errs.length < 20, `some but not all fail (${errs.length})`);
    for (const it of errs) {
      assert.equal(it.error.code, 13);
      assert.equal(typeof it.error.message, 'string');
      assert.equal(it.response, undefined);
    }
    const lines = Array.from({ length: 20 }, (_, k) => ({ key: `f${k}`, request: { contents: [{ parts: [{ text: `line ${k}` }] }] } }));
    const input = await uploadJsonl(c, `faulty-${tag}.jsonl`, lines);
    const fdone = await waitDone(c, (await c.batches.create({ model: MODEL, src: input.name })).name);
    const out = await download(c, fdone.dest.fileName, `faulty-out-${tag}.jsonl`);
    assert.deepEqual(out.map((r) => r.key), lines.map((l) => l.key));
    const ferr = out.filter((r) => r.error);
    assert.ok(ferr.length > 0 && ferr.length < 20, `some lines fail (${ferr.length})`);
    for (const r of ferr) assert.deepEqual(Object.keys(r.error).sort(), ['code', 'message']);
  });

  test('batch_expire fault: the batch ends EXPIRED with no results', T_SLOW, async () => {
    const emu = await startEmulator(['--batch-time', '50', '--fault', 'batch_expire=1']);
    extra.push(emu);
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const done = await waitDone(c, (await c.batches.create({ model: MODEL, src: [{ contents: 'never' }] })).name);
    assert.equal(done.state, 'JOB_STATE_EXPIRED');
    assert.equal(done.dest, undefined);
  });
}


