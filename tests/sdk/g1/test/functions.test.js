// G1 (@google/genai 1.33.0): function calling. Guide: "Function calling"
// (12a/12b: result sent by previous_interaction_id, tools not resent) and
// "Function calling with client-side state" (13a/13b: full history as turns).
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
  const calls = i.outputs.filter((o) => o.type === 'function_call');
  assert.ok(calls.length >= 1, `a function_call output: ${JSON.stringify(i.outputs)}`);
  for (const c of calls) {
    assert.equal(typeof c.id, 'string');
    assert.ok(c.id.length > 0, 'call id');
    assert.equal(c.name, tool.name);
    assert.equal(typeof c.arguments, 'object', 'arguments is an object, not a JSON string');
    assert.deepEqual(checkSchema(tool.parameters, c.arguments), [], `arguments ${JSON.stringify(c.arguments)} valid for the parameters schema`);
  }
  assert.equal(i.status, 'requires_action', 'a pending function call leaves the interaction requires_action');
  return calls;
}

function finalText(i) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 400));
  assert.ok(!i.outputs.some((o) => o.type === 'function_call'), 'no further call');
  const last = i.outputs[i.outputs.length - 1];
  assert.equal(last.type, 'text');
  assert.ok(last.text.length > 0);
  return last.text;
}

test('examples 12a/12b: get_weather call, result sent back by previous_interaction_id', T, async () => {
  let interaction = await client.interactions.create({ model: G.MODEL, input: 'What is the weather in Paris?', tools: [G.weatherTool] });
  const [call] = functionCalls(interaction, G.weatherTool);
  const result = `The weather in ${call.arguments.location} is sunny.`;
  const first = interaction;
  interaction = await client.interactions.create({
    model: G.MODEL,
    previous_interaction_id: interaction.id,
    input: [{ type: 'function_result', name: call.name, call_id: call.id, result }],
  });
  assert.equal(interaction.previous_interaction_id, first.id);
  finalText(interaction);
});

test('examples 13a/13b: schedule_meeting with client-side history, tools not resent', T, async () => {
  const history = [{ role: 'user', content: [{ type: 'text', text: G.SCHEDULE }] }];
  const interaction = await client.interactions.create({ model: G.MODEL, input: history, tools: [G.scheduleTool] });
  history.push({ role: 'model', content: interaction.outputs });
  const calls = functionCalls(interaction, G.scheduleTool);
  for (const c of calls) {
    assert.ok(Array.isArray(c.arguments.attendees));
    history.push({ role: 'user', content: [{ type: 'function_result', name: c.name, call_id: c.id, result: 'Meeting scheduled successfully.' }] });
  }
  const interaction2 = await client.interactions.create({ model: G.MODEL, input: history });
  const text = finalText(interaction2);
  assert.equal(parseTurns(text), history.length, `turns counts the whole history (${history.length})`);
});

test('several function tools: the call names one of them', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Weather in Rome, then book a meeting.', tools: [G.weatherTool, G.scheduleTool] });
  const calls = i.outputs.filter((o) => o.type === 'function_call');
  assert.ok(calls.length >= 1);
  for (const c of calls) {
    const tool = [G.weatherTool, G.scheduleTool].find((t) => t.name === c.name);
    assert.ok(tool, `call names a declared tool: ${c.name}`);
    assert.deepEqual(checkSchema(tool.parameters, c.arguments), []);
  }
});
