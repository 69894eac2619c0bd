// G1 (@google/genai 1.33.0): built-in tools and MCP. Guide: "Built-in tools"
// google_search (14), code execution (15), URL context (16), "Remote MCP" (17).
// Each gives its call and result items, then the text last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

function callAndResult(i, kind) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  const types = i.outputs.map((o) => o.type);
  const ci = types.indexOf(`${kind}_call`);
  const ri = types.indexOf(`${kind}_result`);
  assert.ok(ci >= 0, `${kind}_call in outputs ${types}`);
  assert.ok(ri > ci, `${kind}_result after the call in ${types}`);
  assert.equal(types[types.length - 1], 'text', `text last in ${types}`);
  const call = i.outputs[ci], result = i.outputs[ri];
  assert.equal(typeof call.id, 'string');
  assert.equal(result.call_id, call.id, 'result.call_id names the call');
  assert.ok(i.outputs[i.outputs.length - 1].text.length > 0);
  return { call, result };
}

test('example 14: google_search gives google_search_call/_result, then text', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Who won the last Super Bowl?', tools: [{ type: 'google_search' }] });
  const { call, result } = callAndResult(i, 'google_search');
  assert.ok(Array.isArray(call.arguments?.queries) && call.arguments.queries.length > 0, 'queries');
  assert.ok(Array.isArray(result.result), 'G1 result is a list');
  const textOutput = i.outputs.find((o) => o.type === 'text');
  assert.ok(textOutput.text);
});

test('example 15: code_execution gives code_execution_call/_result, then text last', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Calculate the 50th Fibonacci number.', tools: [{ type: 'code_execution' }] });
  const { call, result } = callAndResult(i, 'code_execution');
  assert.equal(typeof call.arguments?.code, 'string');
  assert.equal(call.arguments.language ?? 'python', 'python');
  assert.equal(typeof result.result, 'string');
});

test('example 16: url_context gives url_context_call/_result for the URL, then text', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: `Summarize the content of ${G.WIKI}`, tools: [{ type: 'url_context' }] });
  const { call, result } = callAndResult(i, 'url_context');
  assert.ok(call.arguments?.urls?.includes(G.WIKI), `the URL from the input: ${JSON.stringify(call.arguments)}`);
  assert.ok(Array.isArray(result.result));
  for (const r of result.result) assert.ok(['success', 'error', 'paywall', 'unsafe'].includes(r.status), `status ${r.status}`);
});

test('example 17: remote MCP server tool gives mcp_server_tool_call/_result, then text', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'What is the weather like in New York today?', tools: [G.mcpServer] });
  const types = i.outputs.map((o) => o.type);
  const call = i.outputs.find((o) => o.type === 'mcp_server_tool_call');
  const result = i.outputs.find((o) => o.type === 'mcp_server_tool_result');
  assert.ok(call, `mcp_server_tool_call in ${types}`);
  assert.ok(result, `mcp_server_tool_result in ${types}`);
  assert.equal(i.status, 'completed');
  assert.equal(call.server_name, 'weather_service');
  assert.equal(typeof call.name, 'string');
  assert.equal(typeof call.arguments, 'object');
  assert.equal(result.call_id, call.id);
  assert.ok(types.indexOf('mcp_server_tool_result') > types.indexOf('mcp_server_tool_call'));
  assert.equal(types[types.length - 1], 'text');
});

test('a built-in tool call is billed as tool-use tokens', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: 'Who won the last Super Bowl?', tools: [{ type: 'google_search' }] });
  assert.ok(Number.isInteger(i.usage.total_tool_use_tokens), JSON.stringify(i.usage));
});
