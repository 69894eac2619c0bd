// G3 (@google/genai 3.6.1): service_tier, typed on the create and on the
// Interaction in 3.6.1 (issue 15 points 5 and 6). Each tier is sent and read
// back from the Interaction's service_tier and from the
// x-gemini-service-tier header the SDK exposes on sdkHttpResponse.headers;
// priority past --priority-rpm comes back as standard; flex waits
// --flex-latency and is the only tier --fault shed refuses; the tier changes
// neither the answer nor its usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { expectApiError, makeClient, quietExperimentalWarnings, readLog, startEmulator, T, T_SLOW } from '../../common/harness.js';
import { collect } from '../../common/stream.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);
const tierHeader = (i) => i.sdkHttpResponse?.headers?.['x-gemini-service-tier'];

test('each tier is echoed as served, in the field and the header; usage and answer do not change', T, async () => {
  const plain = await client.interactions.create({ model: G.MODEL, input: G.JOKE });
  assert.equal(plain.service_tier, undefined, 'not asked, not echoed');
  assert.equal(tierHeader(plain), 'standard', 'the header is always there');
  for (const tier of ['standard', 'flex', 'priority']) {
    const i = await client.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: tier });
    assert.equal(i.service_tier, tier);
    assert.equal(tierHeader(i), tier);
    assert.deepEqual(i.usage, plain.usage, `${tier}: same usage`);
    assert.equal(i.output_text, plain.output_text, `${tier}: same answer`);
    const got = await client.interactions.get(i.id);
    assert.equal(got.service_tier, tier, 'stored with the tier');
  }
  const log = readLog().filter((l) => l.method === 'POST' && l.path === '/v1/interactions' && l.tier_asked === 'flex');
  assert.ok(log.some((l) => l.tier_served === 'flex' && l.dialect === 'g3'), 'the log records tier asked and served');
});

test('invalid tiers are refused (uppercase, deferred)', T, async () => {
  for (const tier of ['FLEX', 'deferred', 'cheap']) {
    const e = await expectApiError(client.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: tier }),
      { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
    assert.ok(e.message.includes('service_tier'), e.message);
  }
});

test('priority past --priority-rpm is served and billed as standard, streamed too', T_SLOW, async () => {
  const emu = await startEmulator(['--priority-rpm', '1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const first = await c.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: 'priority' });
    assert.equal(first.service_tier, 'priority');
    assert.equal(tierHeader(first), 'priority');
    const second = await c.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: 'priority' });
    assert.equal(second.service_tier, 'standard', 'downgraded');
    assert.equal(tierHeader(second), 'standard');
    assert.deepEqual(second.usage, first.usage);
    const events = await collect(await c.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: 'priority', stream: true }));
    assert.equal(events[0].interaction.service_tier, 'standard', 'the opening event says the tier');
    assert.equal(events.at(-1).interaction.service_tier, 'standard');
  } finally {
    await emu.stop();
  }
});

test('flex waits --flex-latency; --fault shed refuses flex alone, with 503 or 429', T_SLOW, async () => {
  const emu = await startEmulator(['--flex-latency', '300', '--fault', 'shed=1', '--seed', '2']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const std = await c.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: 'standard' });
    assert.equal(tierHeader(std), 'standard', 'standard is never shed');
    const seen = new Set();
    for (let k = 0; k < 8; k++) {
      const e = await c.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: 'flex' }, { maxRetries: 0 })
        .then(() => assert.fail('flex was not shed under shed=1'), (x) => x);
      assert.ok([503, 429].includes(e.status), `shed with ${e.status}`);
      seen.add(e.status);
    }
    assert.deepEqual([...seen].sort(), [429, 503], 'both documented answers appear');
  } finally {
    await emu.stop();
  }
  const slow = await startEmulator(['--flex-latency', '300']);
  try {
    const c = makeClient(GoogleGenAI, { url: slow.url });
    const t0 = Date.now();
    const i = await c.interactions.create({ model: G.MODEL, input: G.JOKE, service_tier: 'flex' });
    assert.ok(Date.now() - t0 >= 290, 'a flex answer waits the flex latency');
    assert.equal(tierHeader(i), 'flex');
  } finally {
    await slow.stop();
  }
});
