// G3 (@google/genai 3.6.1; g33 runs it with 3.3.0): function calling. function_call arrives as a step;
// the result goes back as a function_result by previous_interaction_id (guide
// 12a/12b, tools not resent), or with the whole history as steps (13a/13b in
// the G3 form: user_input, function_call, function_result).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import { checkSchema } from '../../common/schema.js';
import { parseTurns } from '../../common/ack.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

function functionCalls(i, tool) {
  const calls = i.steps.filter((s) => s.type === 'function_call');
  assert.ok(calls.length >= 1, `a function_call step: ${JSON.stringify(i.steps)}`);
  for (const c of calls) {
    assert.equal(typeof c.id, 'string');
    assert.ok(c.id.length > 0);
    assert.equal(c.name, tool.name);
    assert.equal(typeof c.arguments, 'object');
    assert.deepEqual(checkSchema(tool.parameters, c.arguments), [], `arguments ${JSON.stringify(c.arguments)} valid`);
  }
  assert.equal(i.status, 'requires_action');
  return calls;
}

function finalText(i) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 400));
  assert.equal(i.steps[i.steps.length - 1].type, 'model_output');
  assert.ok(!i.steps.some((s) => s.type === 'function_call'), 'no further call');
  assert.ok(i.output_text.length > 0);
  return i.output_text;
}

test('examples 12a/12b: get_weather call step, function_result by previous_interaction_id', T, async () => {
  const first = await client.interactions.create({ model: G.MODEL, input: 'What is the weather in Paris?', tools: [G.weatherTool] });
  const [call] = functionCalls(first, G.weatherTool);
  const second = await client.interactions.create({
    model: G.MODEL,
    previous_interaction_id: first.id,
    input: [{ type: 'function_result', name: call.name, call_id: call.id, result: `The weather in ${call.arguments.location} is sunny.` }],
  });
  assert.equal(second.previous_interaction_id, first.id);
  finalText(second);
});

test('examples 13a/13b (G3 steps): client-side history, tools not resent', T, async () => {
  const history = [{ type: 'user_input', content: [{ type: 'text', text: G.SCHEDULE }] }];
  const interaction = await client.interactions.create({ model: G.MODEL, input: history, tools: [G.scheduleTool] });
  const calls = functionCalls(interaction, G.scheduleTool);
  history.push(...interaction.steps.filter((s) => s.type !== 'user_input'));
  for (const c of calls) history.push({ type: 'function_result', name: c.name, call_id: c.id, result: 'Meeting scheduled successfully.' });
  const interaction2 = await client.interactions.create({ model: G.MODEL, input: history });
  assert.equal(parseTurns(finalText(interaction2)), 3, 'user_input, the model\'s call, the function_result');
});

test('a function_result whose result is a content list', T, async () => {
  const first = await client.interactions.create({ model: G.MODEL, input: 'What is the weather in Paris?', tools: [G.weatherTool] });
  const [call] = functionCalls(first, G.weatherTool);
  const second = await client.interactions.create({
    model: G.MODEL, previous_interaction_id: first.id,
    input: [{ type: 'function_result', name: call.name, call_id: call.id, result: [{ type: 'text', text: 'Sunny, 21 C.' }] }],
  });
  finalText(second);
});
