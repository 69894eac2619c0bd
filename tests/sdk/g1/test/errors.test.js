// G1 (@google/genai 1.33.0): errors surface as the SDK's typed errors
// (reference section 6): validation errors, unknown ids, wrong key, rate limit
// and overload with the SDK's own retries. The fault tests start their own
// emulator (--fault, --api-key, --max-request-bytes) so the shared one stays clean.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, expectApiError, errorClasses, recordFetch, startEmulator, readLog, T } from '../../common/harness.js';
import { smallPng } from '../../common/media.js';
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
  assert.match(e.message, /^404 /, 'G1 message starts with the status');
  assert.equal(rec.calls.length - from, 1, '4xx is not retried');
  assert.equal(rec.calls[from].resHeaders.get('content-type')?.split(';')[0], 'application/json');
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

test('unknown model: NotFoundError 404 NOT_FOUND (as generateContent answers)', T, async () => {
  const e = await expectApiError(client.interactions.create({ model: 'gemini-0-nonexistent', input: G.JOKE }),
    { status: 404, cls: 'NotFoundError', rpcStatus: 'NOT_FOUND' });
  assert.match(e.error.error.message, /gemini-0-nonexistent/);
});

test('input of the wrong type (a number): 400', T, async () => {
  await expectApiError(client.interactions.create({ model: G.MODEL, input: 42 }), BAD);
});

test('the SDK itself refuses model + agent_config before sending', T, async () => {
  const from = rec.calls.length;
  assert.throws(() => client.interactions.create({ model: G.MODEL, input: G.JOKE, agent_config: { type: 'deep-research' } }),
    (e) => errorClasses(e)[0] === 'GeminiNextGenAPIClientError');
  assert.equal(rec.calls.length, from, 'nothing sent');
});

test('--fault 429=1: RateLimitError after the SDK retried (3 attempts, Retry-After sent, each logged)', { timeout: 40000 }, async () => {
  const emu = await startEmulator(['--fault', '429=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const from = rec.calls.length;
    const err = await expectApiError(c.interactions.create({ model: G.MODEL, input: G.JOKE }),
      { status: 429, cls: 'RateLimitError', rpcStatus: 'RESOURCE_EXHAUSTED' });
    const attempts = rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url));
    assert.equal(attempts.length, 3, 'G1 default maxRetries 2: 3 attempts');
    attempts.forEach((a, k) => {
      assert.equal(a.status, 429);
      assert.equal(a.headers.get('x-stainless-retry-count'), String(k));
      assert.match(a.resHeaders.get('retry-after') ?? '', /^\d+$/, 'Retry-After: seconds');
    });
    const details = err.error.error.details ?? [];
    const info = details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    assert.ok(info, `RetryInfo in details: ${JSON.stringify(details)}`);
    assert.match(info.retryDelay, /^\d+(\.\d+)?s$/);
    const logged = readLog(emu.log).filter((e) => e.method === 'POST' && e.path === '/v1beta/interactions');
    assert.equal(logged.length, 3, `--log shows every attempt: ${JSON.stringify(logged)}`);
    for (const e of logged) assert.equal(e.status, 429, 'each logged attempt was answered 429');
  } finally {
    await emu.stop();
  }
});

test('--fault 503=1: InternalServerError after retries, Retry-After sent', { timeout: 40000 }, async () => {
  const emu = await startEmulator(['--fault', '503=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const from = rec.calls.length;
    const err = await expectApiError(c.interactions.create({ model: G.MODEL, input: G.JOKE }), { status: 503, cls: 'InternalServerError', rpcStatus: 'UNAVAILABLE' });
    const attempts = rec.calls.slice(from).filter((x) => x.url.startsWith(emu.url));
    assert.equal(attempts.length, 3);
    assert.match(attempts[0].resHeaders.get('retry-after') ?? '', /^\d+$/);
    const info = (err.error.error.details ?? []).find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
    assert.ok(info, `503 carries RetryInfo too: ${JSON.stringify(err.error)}`);
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
        assert.deepEqual(statuses, [429, 429, 429]);
      } else {
        assert.equal(out.status, 'completed');
        assert.equal(statuses[statuses.length - 1], 200);
        assert.ok(statuses.slice(0, -1).every((s) => s === 429));
        if (statuses.length > 1) retriedThenOk++;
      }
    }
    assert.ok(retriedThenOk >= 1, 'a 429 followed by a successful retry');
    const st = readLog(emu.log).filter((e) => e.path === '/v1beta/interactions').map((e) => e.status);
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

test('--max-request-bytes: a body over the inline limit is 400 INVALID_ARGUMENT, a smaller one passes', T, async () => {
  const emu = await startEmulator(['--max-request-bytes', '65536']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const small = smallPng();
    const ok = await c.interactions.create({ model: G.MODEL, input: [{ type: 'image', data: small.toString('base64'), mime_type: 'image/png' }] });
    assert.equal(ok.status, 'completed');
    const big = Buffer.alloc(80000, 7);
    const err = await expectApiError(c.interactions.create({ model: G.MODEL, input: [{ type: 'document', data: big.toString('base64'), mime_type: 'application/pdf' }] }), BAD);
    assert.match(err.error.error.message, /payload size exceeds the limit/);
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
    try { await c.interactions.create({ model: G.MODEL, input: G.JOKE }); } catch (e) { err = e; }
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

// requires_continuation is a G3 status: on /v1beta/ the continuation fault
// is drawn and spent, and the guide's client gets the whole answer at once.
test('--fault continuation=1 never cuts an answer in the guide dialect', T, async () => {
  const emu = await startEmulator(['--fault', 'continuation=1', '--seed', '11']);
  const ref = await startEmulator(['--seed', '11']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const i = await c.interactions.create({ model: G.MODEL, input: G.JOKE });
    const w = await makeClient(GoogleGenAI, { url: ref.url }).interactions.create({ model: G.MODEL, input: G.JOKE });
    assert.equal(i.status, 'completed');
    assert.equal(i.continuation_token, undefined);
    assert.equal(i.outputs.at(-1).text, w.outputs.at(-1).text);
    const log = readLog(emu.log).filter((l) => l.method === 'POST');
    assert.equal(log.length, 1, 'one request');
    assert.equal(log[0].fault, null, 'the fault did not apply');
  } finally {
    await emu.stop();
    await ref.stop();
  }
});
