// G3 (@google/genai 3.6.1): built-in tools (guide 14-16) and remote MCP (17).
// Each gives its call and result steps, then a model_output step with the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

function callAndResult(i, callType, resultType) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  const types = i.steps.map((s) => s.type);
  const ci = types.indexOf(callType), ri = types.indexOf(resultType);
  assert.ok(ci >= 0, `${callType} step in ${types}`);
  assert.ok(ri > ci, `${resultType} after the call in ${types}`);
  assert.equal(types[types.length - 1], 'model_output', `text last in ${types}`);
  const call = i.steps[ci], result = i.steps[ri];
  assert.equal(typeof call.id, 'string', 'G3 steps: call id required');
  assert.equal(result.call_id, call.id);
  assert.ok(i.output_text.length > 0, 'output_text from the last step');
  return { call, result };
}

test('example 14: google_search call and result steps, then text', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Who won the last Super Bowl?', tools: [{ type: 'google_search' }] });
  const { call } = callAndResult(i, 'google_search_call', 'google_search_result');
  assert.ok(Array.isArray(call.arguments?.queries) && call.arguments.queries.length > 0);
});

test('google_search with G3 search_types', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Who won the last Super Bowl?', tools: [{ type: 'google_search', search_types: ['web_search'] }] });
  callAndResult(i, 'google_search_call', 'google_search_result');
});

test('example 15: code_execution call and result steps, then text last', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Calculate the 50th Fibonacci number.', tools: [{ type: 'code_execution' }] });
  const { call, result } = callAndResult(i, 'code_execution_call', 'code_execution_result');
  assert.equal(typeof call.arguments?.code, 'string');
  assert.ok(result.result !== undefined);
});

test('example 16: url_context call and result steps for the URL, then text', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: `Summarize the content of ${G.WIKI}`, tools: [{ type: 'url_context' }] });
  const { call } = callAndResult(i, 'url_context_call', 'url_context_result');
  assert.ok(call.arguments?.urls?.includes(G.WIKI), JSON.stringify(call.arguments));
});

test('example 17: remote MCP server tool call and result steps, then text', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'What is the weather like in New York today?', tools: [G.mcpServer] });
  const { call } = callAndResult(i, 'mcp_server_tool_call', 'mcp_server_tool_result');
  assert.equal(call.server_name, 'weather_service');
  assert.equal(typeof call.name, 'string');
  assert.equal(typeof call.arguments, 'object');
});
