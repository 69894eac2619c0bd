// harness.js: what every SDK test file shares: where the emulator is, a client
// built the way a user builds one (only the base URL and key changed), extra
// emulators with their own options, the emulator's request log, fetch
// recording, and typed-error checks.
//
// The SDK is passed in by the caller (tests/sdk/g1 or g3 imports its own
// pinned @google/genai), so this folder never resolves the package itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));

// Loopback only: any SDK request to another host fails loudly instead of
// leaving the machine (installed when this module is first imported).
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
if (!globalThis.fetch.__loopbackOnly) {
  const inner = globalThis.fetch;
  const guarded = (input, init) => {
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    const host = new URL(url).hostname;
    if (!LOOPBACK.has(host)) return Promise.reject(new Error(`sdk tests: refused a request to ${host}: only 127.0.0.1 may be contacted`));
    return inner(input, init);
  };
  guarded.__loopbackOnly = true;
  globalThis.fetch = guarded;
}

export const API_KEY = process.env.GEMBATCH_EMU_KEY || 'sdk-conformance-key';
export const GEMBATCH = process.env.GEMBATCH || resolve(here, '../../../build/gembatch');

export function baseUrl() {
  const u = process.env.GEMBATCH_EMU_URL;
  if (!u) throw new Error('GEMBATCH_EMU_URL is not set: run the tests through tests/sdk/run.sh');
  if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\/?$/.test(u)) {
    throw new Error(`refusing a non-loopback emulator URL: ${u}`);
  }
  return u.replace(/\/+$/, '');
}

// The SDK's own base-URL option, the same name in both generations.
export function makeClient(GoogleGenAI, { url = baseUrl(), apiKey = API_KEY, httpOptions = {} } = {}) {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url, ...httpOptions } });
}

// Per-test timeout (ms) for ordinary calls; run.sh also bounds every file.
export const T = { timeout: 20000 };
export const T_SLOW = { timeout: 60000 };

// The SDK logs a one-time "experimental" warning on first use of
// client.interactions; keep test output readable.
export function quietExperimentalWarnings() {
  const warn = console.warn;
  console.warn = (...a) => {
    if (typeof a[0] === 'string' && /experimental and may change/.test(a[0])) return;
    warn(...a);
  };
}

// ---- extra emulators ----------------------------------------------------------
const SANITIZER_RE = /ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:/;

// Start `gembatch emulate` on a free loopback port with extra options.
// Resolves { url, log, stop() } once the first stdout line (the base URL) is read.
export async function startEmulator(args = [], { timeoutMs = 10000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'gembatch-sdk-emu-'));
  const log = join(dir, 'requests.jsonl');
  const proc = spawn(GEMBATCH, ['emulate', '--listen', '127.0.0.1:0', '--log', log, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  // Never leave an emulator behind, even if this test process is cut short.
  const reap = () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } rmSync(dir, { recursive: true, force: true }); };
  process.once('exit', reap);
  proc.once('exit', () => process.removeListener('exit', reap));
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`emulator did not print its URL in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    const rl = createInterface({ input: proc.stdout });
    rl.once('line', (line) => { clearTimeout(timer); res(line.trim()); });
    proc.once('exit', (code) => { clearTimeout(timer); rej(new Error(`emulator exited (${code}) before printing its URL; stderr: ${stderr}`)); });
    proc.once('error', (e) => { clearTimeout(timer); rej(e); });
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'first stdout line of `gembatch emulate` is its base URL');
  // Stops the emulator; rejects if it (a sanitizer build under `make check`)
  // reported an error on stderr.
  const stop = () => new Promise((res, rej) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      if (SANITIZER_RE.test(stderr)) rej(new Error(`emulator sanitizer report:\n${stderr.slice(0, 4000)}`));
      else res();
    };
    if (proc.exitCode !== null || proc.signalCode !== null) { done(); return; }
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => { clearTimeout(kill); done(); });
    proc.kill('SIGTERM');
  });
  return { url, log, stop, proc, stderr: () => stderr };
}

// ---- the emulator's JSONL request log ------------------------------------------
export function readLog(path = process.env.GEMBATCH_EMU_LOG) {
  if (!path || !existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

// ---- fetch recording --------------------------------------------------------
// Wraps globalThis.fetch (both SDKs call it) and records each HTTP attempt:
// method, url, request headers, status, response headers. Install it BEFORE
// building the client (G1 binds fetch at construction).
export function recordFetch() {
  const orig = globalThis.fetch;
  const calls = [];
  globalThis.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    const method = init.method || input.method || 'GET';
    const headers = new Headers(init.headers || (typeof input === 'object' ? input.headers : undefined));
    const rec = { method, url, headers, status: undefined, resHeaders: undefined };
    calls.push(rec);
    const res = await orig(input, init);
    rec.status = res.status;
    rec.resHeaders = res.headers;
    return res;
  };
  return { calls, restore: () => { globalThis.fetch = orig; } };
}

// ---- typed errors -------------------------------------------------------------
// The SDKs do not export their Interactions error classes; they are reached by
// class name along the prototype chain (G1: GeminiNextGenAPIClient statics).
export function errorClasses(e) {
  const names = [];
  for (let p = e && Object.getPrototypeOf(e); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    names.push(p.constructor.name);
  }
  return names;
}

// Await `promise`, require it to reject with an APIError subclass `cls` and
// HTTP `status`; returns the error for further checks.
export async function expectApiError(promise, { status, cls, rpcStatus }) {
  let err;
  try {
    const v = await promise;
    assert.fail(`expected ${cls} (${status}), got a result: ${JSON.stringify(v).slice(0, 300)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const chain = errorClasses(err);
  assert.equal(chain[0], cls, `error class chain ${chain.join(' < ')} (${err.message})`);
  assert.ok(chain.includes('APIError'), `${cls} extends APIError: ${chain.join(' < ')}`);
  assert.equal(err.status, status, `err.status (${err.message})`);
  if (rpcStatus) {
    const env = err.error?.error ?? err.error;
    assert.equal(env?.status, rpcStatus, `error envelope status in ${JSON.stringify(err.error)}`);
    assert.equal(env?.code, status, `error envelope code in ${JSON.stringify(err.error)}`);
    assert.equal(typeof env?.message, 'string', 'error envelope message');
  }
  return err;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll `fn` until `done(value)`; bounded by `tries` (no test may hang).
export async function pollUntil(fn, done, { tries = 40, delayMs = 50 } = {}) {
  const seen = [];
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    seen.push(v);
    if (done(v)) return { value: v, seen };
    await sleep(delayMs);
  }
  throw new Error(`condition not reached after ${tries} polls`);
}
