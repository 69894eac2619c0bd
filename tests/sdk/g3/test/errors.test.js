// G3 (@google/genai 3.6.1): errors surface as the SDK's typed errors
// (reference section 6); G3 retries 429/5xx up to 5 attempts. The fault tests
// start their own emulator so the shared one stays clean.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, expectApiError, errorClasses, recordFetch, startEmulator, readLog, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const rec = recordFetch();
const client = makeClient(GoogleGenAI);
after(() => rec.restore());

const BAD = { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' };

test('unknown previous_interaction_id: NotFoundError 404 NOT_FOUND, not retried', T, async () => {
  const from = rec.calls.length;
  const e = await expectApiError(client.interactions.create({ model: G.MODEL, input: G.WHAT_NAME, previous_interaction_id: 'v1_doesnotexist' }),
    { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
  assert.match(e.message, /^404 /, 'G3 message: "<code> <error.message>"');
  assert.equal(typeof e.body, 'string', 'G3 keeps the raw body');
  assert.equal(rec.calls.length - from, 1, '4xx is not retried');
  assert.equal(rec.calls[from].resHeaders.get('content-type')?.split(';')[0].trim(), 'application/json', 'G3 needs a JSON error to type it');
});

test('unknown interaction id on get: NotFoundError', T, async () => {
  await expectApiError(client.interactions.get('v1_doesnotexist'), { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
});

test('malformed base64 in inline data: BadRequestError 400', T, async () => {
  await expectApiError(client.interactions.create({
    model: G.MODEL, input: [{ type: 'image', data: '%%% not base64 %%%', mime_type: 'image/png' }],
  }), BAD);
});

test('neither model nor agent: 400', T, async () => {
  await expectApiError(client.interactions.create({ input: G.JOKE }), BAD);
});

test('both model and agent: 400', T, async () => {
  await expectApiError(client.interactions.create({ model: G.MODEL, agent: G.AGENT, input: G.JOKE, background: true }), BAD);
});

test('model with agent_config, agent with generation_config: 400 from the server (G3 does not check)', T, async () => {
  await expectApiError(client.interactions.create({ model: G.MODEL, input: G.JOKE, agent_config: { type: 'deep-research' } }), BAD);
  await expectApiError(client.interactions.create({ agent: G.AGENT, input: G.TPU, background: true, generation_config: { temperature: 0.5 } }), BAD);
});

test('unknown model: NotFoundError 404 NOT_FOUND (as generateContent answers)', T, async () => {
  const e = await expectApiError(client.interactions.create({ model: 'gemini-0-nonexistent', input: G.JOKE }),
    { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
  assert.match(e.error.error.message, /gemini-0-nonexistent/);
});

test('--fault 429=1: RateLimitError after the SDK retried (5 attempts, Retry-After sent, each logged)', { timeout: 50000 }, async () => {
  const emu = await startEmulator(['--fault', '429=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const from = rec.calls.length;
    const err = await expectApiError(c.interactions.create({ model: G.MODEL, input: G.JOKE }),
      { status: 429, cls: 'RateLimitError', rpcStatus: 'RESOURCE_EXHAUSTED' });
    const attempts = rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url));
    assert.equal(attempts.length, 5, 'G3 default: 4 retries, 5 attempts');
    for (const a of attempts) {
      assert.equal(a.status, 429);
      assert.equal(a.headers.get('x-stainless-retry-count'), null, 'no Stainless headers in G3');
      assert.match(a.resHeaders.get('retry-after') ?? '', /^\d+$/);
    }
    const info = (err.error?.error?.details ?? []).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    assert.ok(info, `RetryInfo detail: ${JSON.stringify(err.error)}`);
    const logged = readLog(emu.log).filter((e) => e.method === 'POST' && e.path === '/v1/interactions');
    assert.equal(logged.length, 5, '--log shows every attempt');
    for (const e of logged) assert.equal(e.status, 429);
  } finally {
    await emu.stop();
  }
});

test('--fault 500=1: InternalServerError after 5 attempts', { timeout: 50000 }, async () => {
  const emu = await startEmulator(['--fault', '500=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const from = rec.calls.length;
    await expectApiError(c.interactions.create({ model: G.MODEL, input: G.JOKE }), { status: 500, cls: 'InternalServerError', rpcStatus: 'INTERNAL' });
    assert.equal(rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url)).length, 5);
  } finally {
    await emu.stop();
  }
});

test('--fault 429=0.5: some calls succeed only after the SDK retried a 429', { timeout: 50000 }, async () => {
  const emu = await startEmulator(['--fault', '429=0.5', '--seed', '7']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    let retriedThenOk = 0;
    for (let k = 0; k < 6 && retriedThenOk < 1; k++) {
      const from = rec.calls.length;
      let out, err;
      try { out = await c.interactions.create({ model: G.MODEL, input: `${G.JOKE} #${k}` }); } catch (e) { err = e; }
      const statuses = rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url)).map((x) => x.status);
      if (err) {
        assert.equal(errorClasses(err)[0], 'RateLimitError');
      } else {
        assert.equal(out.status, 'completed');
        assert.equal(statuses[statuses.length - 1], 200);
        if (statuses.length > 1) retriedThenOk++;
      }
    }
    assert.ok(retriedThenOk >= 1, 'a 429 followed by a successful retry');
    const st = readLog(emu.log).filter((e) => e.path === '/v1/interactions').map((e) => e.status);
    assert.ok(st.some((x, k) => x === 429 && st[k + 1] === 200), `--log shows a 429 then a 200: ${st}`);
  } finally {
    await emu.stop();
  }
});

test('--api-key: the right key works; a wrong key is 400 INVALID_ARGUMENT with ErrorInfo API_KEY_INVALID (as the real API)', T, async () => {
  const emu = await startEmulator(['--api-key', 'right-key']);
  try {
    const ok = await makeClient(GoogleGenAI, { url: emu.url, apiKey: 'right-key' }).interactions.create({ model: G.MODEL, input: G.JOKE });
    assert.equal(ok.status, 'completed');
    const from = rec.calls.length;
    const err = await expectApiError(makeClient(GoogleGenAI, { url: emu.url, apiKey: 'wrong-key' }).interactions.create({ model: G.MODEL, input: G.JOKE }), BAD);
    const info = (err.error?.error?.details ?? []).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo');
    assert.equal(info?.reason, 'API_KEY_INVALID', JSON.stringify(err.error));
    assert.equal(rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url)).length, 1, 'not retried');
    assert.ok(!JSON.stringify(readLog(emu.log)).includes('right-key'), 'the key is never logged');
  } finally {
    await emu.stop();
  }
});

// SDK behaviour worth knowing: the emulator's reset fault drops the connection
// after the headers (mid-body). Neither SDK wraps or retries that: the caller
// gets fetch's own TypeError "terminated" (the reference's APIConnectionError
// is only for failures before a response arrives).
test('--fault reset=1 (dropped mid-body): the call rejects with fetch\'s TypeError "terminated", not retried', { timeout: 30000 }, async () => {
  const emu = await startEmulator(['--fault', 'reset=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const from = rec.calls.length;
    let err;
    try { await c.interactions.create({ model: G.MODEL, input: G.JOKE }, { maxRetries: 1 }); } catch (e) { err = e; }
    assert.ok(err, 'rejected, not a truncated success');
    const attempts = rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url));
    if (errorClasses(err).includes('APIConnectionError')) return; // dropped before the headers: typed and retried
    assert.equal(err.name, 'TypeError', `${errorClasses(err)}: ${err.message}`);
    assert.equal(err.message, 'terminated');
    assert.equal(attempts.length, 1, 'a failure while reading the body is not retried');
    assert.equal(attempts[0].status, 200, 'the headers had arrived');
  } finally {
    await emu.stop();
  }
});

// Request validation: each mistake is a 400 INVALID_ARGUMENT naming the field.
const INVALID = [
  ['an unresolvable $ref in response_format', { response_format: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } } }, /response_format/],
  ['an unknown tool type', { tools: [{ type: 'nope' }] }, /tools\[0\]\.type/],
  ['an unknown response modality', { response_modalities: ['SMELL'] }, /response_modalities/],
  ['a temperature that is not a number', { generation_config: { temperature: 'hot' } }, /temperature/],
  ['a media item with neither data nor uri', { input: [{ type: 'image', mime_type: 'image/png' }] }, /input\[0\]/],
];
for (const [what, extra, field] of INVALID) {
  test(`400 INVALID_ARGUMENT for ${what}`, T, async () => {
    const e = await expectApiError(client.interactions.create({ model: G.MODEL, input: G.JOKE, ...extra }), BAD);
    assert.match(e.error.error.message, field);
  });
}

// SDK behaviour worth knowing: a 200 with a truncated JSON body is not typed
// or retried by either SDK; the caller gets JSON.parse's SyntaxError.
test('--fault bad_json=1: a truncated 200 body rejects with a SyntaxError (no hang, no half result)', T, async () => {
  const emu = await startEmulator(['--fault', 'bad_json=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const from = rec.calls.length;
    let err;
    try { await c.interactions.create({ model: G.MODEL, input: G.JOKE }); } catch (e) { err = e; }
    assert.ok(err, 'rejected');
    assert.equal(err.name, 'SyntaxError', `${errorClasses(err)}: ${err.message}`);
    const attempts = rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url));
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].status, 200);
    assert.equal(readLog(emu.log).filter((e) => e.fault === 'bad_json').length, 1, '--log names the fault');
  } finally {
    await emu.stop();
  }
});

test('--fault slow=1: the SDK times out (httpOptions.timeout) with APIConnectionTimeoutError and retries', T, async () => {
  const emu = await startEmulator(['--fault', 'slow=1', '--slow-ms', '3000']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url, httpOptions: { timeout: 400 } });
    const from = rec.calls.length;
    let err;
    try { await c.interactions.create({ model: G.MODEL, input: G.JOKE }, { maxRetries: 1 }); } catch (e) { err = e; }
    assert.ok(err, 'rejected');
    assert.equal(errorClasses(err)[0], 'APIConnectionTimeoutError', `${errorClasses(err)}: ${err.message}`);
    assert.equal(rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url)).length, 2, 'timeouts are retried (maxRetries 1)');
  } finally {
    await emu.stop();
  }
});
