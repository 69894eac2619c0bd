// G3 (@google/genai 3.6.1): what 3.6.1 added to tools and statuses. The
// tool_search tool with functions marked defer_loading (and their
// short_description): a server search comes back as tool_search_call and
// tool_search_result steps before the function_call; a client search
// (execution "client") stops at the call until the client sends the
// result. Status idle (the emulator's `idle` fault answers it where
// requires_action would be).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, startEmulator, T, T_SLOW } from '../../common/harness.js';
import { collect } from '../../common/stream.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

const deferredWeather = { ...G.weatherTool, defer_loading: true, short_description: 'current weather by city' };
const deferredTime = { type: 'function', name: 'get_time', description: 'The time in a city.', defer_loading: true, short_description: 'local time' };

test('server tool_search: search call and result steps, then the call of a loaded function', T, async () => {
  const i = await client.interactions.create({
    model: G.MODEL, input: 'What is the weather in Paris?',
    tools: [{ type: 'tool_search' }, deferredWeather, deferredTime],
  });
  assert.deepEqual(i.steps.map((s) => s.type), ['tool_search_call', 'tool_search_result', 'function_call'], JSON.stringify(i.steps));
  const [call, result, fc] = i.steps;
  assert.equal(typeof call.id, 'string');
  assert.deepEqual(call.arguments.function_names, ['get_weather', 'get_time']);
  assert.equal(result.call_id, call.id);
  assert.deepEqual(result.result.map((f) => [f.type, f.name, f.short_description]),
    [['function', 'get_weather', 'current weather by city'], ['function', 'get_time', 'local time']]);
  assert.equal(fc.name, 'get_weather');
  assert.equal(i.status, 'requires_action');
  // answered by previous_interaction_id: the model answers, no new search
  const after = await client.interactions.create({
    model: G.MODEL, previous_interaction_id: i.id,
    input: [{ type: 'function_result', name: fc.name, call_id: fc.id, result: 'sunny' }],
  });
  assert.equal(after.status, 'completed');
  assert.ok(!after.steps.some((s) => s.type.startsWith('tool_search')), JSON.stringify(after.steps));
});

test('server tool_search streamed: the steps arrive as step events', T, async () => {
  const stream = await client.interactions.create({
    model: G.MODEL, input: 'What is the weather in Oslo?', stream: true,
    tools: [{ type: 'tool_search' }, deferredWeather],
  });
  const events = await collect(stream);
  const starts = events.filter((e) => e.event_type === 'step.start').map((e) => e.step.type);
  assert.deepEqual(starts, ['tool_search_call', 'tool_search_result', 'function_call']);
  const done = events[events.length - 1];
  assert.equal(done.event_type, 'interaction.completed');
  assert.equal(done.interaction.steps[1].result[0].name, 'get_weather');
});

test('client tool_search: the search call waits for the client; what it loads is called', T, async () => {
  const tools = [{ type: 'tool_search', execution: 'client', name: 'find_tools', description: 'Finds tools.' }, deferredWeather, deferredTime];
  const history = [{ type: 'user_input', content: [{ type: 'text', text: 'What time is it in Tokyo?' }] }];
  const first = await client.interactions.create({ model: G.MODEL, input: history, tools, store: false });
  assert.equal(first.status, 'requires_action');
  assert.deepEqual(first.steps.map((s) => s.type), ['tool_search_call']);
  const call = first.steps[0];
  history.push(call, { type: 'tool_search_result', call_id: call.id, result: [deferredTime] });
  const second = await client.interactions.create({ model: G.MODEL, input: history, tools, store: false });
  assert.deepEqual(second.steps.map((s) => s.type), ['function_call'], JSON.stringify(second.steps));
  assert.equal(second.steps[0].name, 'get_time', 'only what the client loaded is in context');
});

test('defer_loading and short_description are checked', T, async () => {
  for (const [tool, field] of [
    [{ ...deferredWeather, defer_loading: 'yes' }, 'defer_loading'],
    [{ ...deferredWeather, short_description: 3 }, 'short_description'],
    [{ type: 'tool_search', execution: 'elsewhere' }, 'execution'],
  ]) {
    await assert.rejects(client.interactions.create({ model: G.MODEL, input: 'x', tools: [tool] }),
      (e) => e.status === 400 && e.message.includes(`tools[0].${field}`), field);
  }
});

test('status idle: an answer that waits on the client says idle (--fault idle=1)', T_SLOW, async () => {
  const emu = await startEmulator(['--fault', 'idle=1']);
  try {
    const c = makeClient(GoogleGenAI, { url: emu.url });
    const i = await c.interactions.create({ model: G.MODEL, input: 'What is the weather in Paris?', tools: [G.weatherTool] });
    assert.equal(i.status, 'idle');
    assert.equal(i.steps[i.steps.length - 1].type, 'function_call');
    assert.equal((await c.interactions.get(i.id)).status, 'idle');
    const call = i.steps[i.steps.length - 1];
    const after = await c.interactions.create({
      model: G.MODEL, previous_interaction_id: i.id,
      input: [{ type: 'function_result', name: call.name, call_id: call.id, result: 'sunny' }],
    });
    assert.equal(after.status, 'completed', 'nothing waits on the client: the draw is spent');
  } finally {
    await emu.stop();
  }
});
