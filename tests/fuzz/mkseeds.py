#!/usr/bin/env python3
"""mkseeds.py: writes the seed corpora under tests/fuzz/corpus/<target>/ (run
from anywhere; rewrites seed-* files only, never crash or regression inputs)."""
import json
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def w(d, name, data):
    os.makedirs(os.path.join(HERE, d), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, d, name), "wb") as f:
        f.write(data)


def manifest_line():
    lines = [
        '{"id":"img-001","files":["photos/cat.png"],"vars":{"hint":"pets"}}',
        '{"id":"inv-7","input":[{"type":"text","text":"Extract the totals."},{"type":"document","path":"doc.pdf"}]}',
        '{"id":"gen-3","input":"A lighthouse at dawn, watercolor","response_modalities":["IMAGE"],"response_format":null}',
        '{"vars":{"hint":"x"},"response_format":{"type":"text","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}',
        '{"id":42,"vars":{"hint":"n"},"files":["a.png","s.wav","empty.png"]}',
        '{"input":[{"role":"user","content":[{"type":"audio","path":"s.wav"}]},{"role":"model","content":"ok"}],"generation_config":{"temperature":null}}',
        '{"id":"a","agent":"deep-research-pro-preview-12-2025","model":null,"input":"go"}',
        '{"id":"t","vars":{"hint":"h"},"tools":[{"type":"function","name":"f","run":["x"]}],"stream":true}',
        '{"id":"bad","files":"a.png"}',
        '{"id":"", "vars":[]}',
        '{"id":"u","input":[{"type":"image","path":"notes.txt","mime_type":"image/png"}],"store":false}',
        '{"id":"x","vars":{"hint":"\\u0000gbm0:q7Zr2xVb9k"}}',
        '[1,2,3]',
        '{"id":"trunc","input":"abc',
        '{"id":"dup","id":"dup"}',
        '{"id":"m","response_format":[{"type":"image"}],"input":"draw"}',
    ]
    for i, line in enumerate(lines):
        w("manifest_line", f"seed-{i:02d}.json", line)
    w("manifest_line", "seed-utf8.json", b'{"id":"\xff\xfe","input":"x"}')
    w("manifest_line", "seed-nul.json", b'{"id":"a\x00b"}')


def pipeline():
    docs = [
        {"name": "classify", "model": "gemini-2.5-flash", "prompt": "Classify {{hint}}",
         "response_format": {"$file": "schemas/ok.json"},
         "limits": {"concurrency": 32, "rpm": 1000, "tpm": 4000000, "max_attempts": 6, "timeout_s": 120},
         "validate": {"reask": 2}},
        {"model": "gemini-2.5-flash", "response_format": {"$file": "schemas/nest.json"}},
        {"model": "gemini-2.5-flash", "response_format": {"$file": "schemas/loop.json"}},
        {"model": "gemini-2.5-flash", "response_format": {"$file": "schemas/bad.json"}},
        {"model": "gemini-2.5-flash", "response_format": {"$file": "schemas/missing.json"}},
        {"model": "gemini-2.5-flash", "limits": {"burst": 3}},
        {"model": "gemini-2.5-flash", "limits": {"concurrency": "lots"}},
        {"model": "gemini-2.5-flash", "response_format": {"type": "objekt"}},
        {"model": "gemini-2.5-flash", "response_format": {"type": "text", "mime_type": "application/json",
                                                          "schema": {"type": "array", "items": {"type": "integer"}}}},
        {"name": "steps", "model": "gemini-2.5-flash",
         "steps": [{"name": "a", "prompt": "first {{hint}}"},
                   {"name": "b", "prompt": "then {{prev.text}} {{prev.output.total}}",
                    "response_format": {"type": "object"}}]},
        {"name": "tools", "model": "gemini-2.5-flash", "prompt": "weather {{id}}",
         "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"},
                    "run": ["./tool.sh", "--city"], "timeout_s": 5},
                   {"type": "function", "name": "get_weather", "run": ["x"]}]},
        {"agent": "deep-research-pro-preview-12-2025", "agent_config": {"type": "deep-research"},
         "prompt": "{{ hint }}"},
        {"model": "gemini-2.5-flash", "max_tool_turns": 3, "validate": {"reask": 0},
         "response_format": {"type": "image"}},
    ]
    for i, doc in enumerate(docs):
        w("pipeline", f"seed-{i:02d}.json", json.dumps(doc))
    w("pipeline", "seed-notobject.json", "[]")
    w("pipeline", "seed-trunc.json", '{"model": "gemini')


def sse():
    g1 = [
        {"event_type": "interaction.start", "interaction": {"id": "ix_1", "status": "in_progress", "model": "gemini-2.5-flash"}},
        {"event_type": "content.start", "index": 0, "content": {"type": "text"}},
        {"event_type": "content.delta", "index": 0, "delta": {"type": "text", "text": "Hello "}},
        {"event_type": "content.delta", "index": 0, "delta": {"type": "text", "text": "world"}},
        {"event_type": "content.stop", "index": 0},
        {"event_type": "content.start", "index": 1, "content": {"type": "function_call", "name": "f", "id": "c1", "arguments": {"a": 1}}},
        {"event_type": "interaction.complete", "interaction": {"id": "ix_1", "status": "completed",
                                                               "usage": {"total_input_tokens": 3, "total_output_tokens": 2, "total_tokens": 5}}},
    ]
    g3 = [
        {"event_type": "interaction.created", "interaction": {"id": "ix_2", "status": "in_progress", "model": "gemini-3-flash-preview"}},
        {"event_type": "step.start", "index": 0, "step": {"type": "model_output"}},
        {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": "{\"label\":"}},
        {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": "\"cat\"}"}},
        {"event_type": "step.stop", "index": 0},
        {"event_type": "step.start", "index": 1, "step": {"type": "function_call", "name": "g", "id": "c2"}},
        {"event_type": "step.delta", "index": 1, "delta": {"type": "arguments_delta", "arguments": "{\"x\":"}},
        {"event_type": "step.delta", "index": 1, "delta": {"type": "arguments_delta", "arguments": "2}"}},
        {"event_type": "step.stop", "index": 1},
        {"event_type": "interaction.status_update", "status": "requires_action"},
        {"event_type": "interaction.completed", "interaction": {"id": "ix_2", "status": "requires_action"}},
    ]

    def frames(evs, eol="\n"):
        return "".join(f'event: {e["event_type"]}{eol}data: {json.dumps(e)}{eol}{eol}' for e in evs)

    w("sse", "seed-g1.sse", b"\x05" + frames(g1).encode())
    w("sse", "seed-g3.sse", b"\x03" + frames(g3, "\r\n").encode())
    w("sse", "seed-cr.sse", b"\x81" + (": keepalive\r" + frames(g1[:3], "\r") + "data: [DONE]\r\r").encode())
    w("sse", "seed-err.sse", b"\x02" + frames([g1[0], {"event_type": "error", "error": {"code": "RESOURCE_EXHAUSTED", "message": "quota"}}]).encode())
    w("sse", "seed-multiline.sse", b"\x07" + b'data: {"event_type":\ndata: "interaction.start","interaction":{"id":"x"}}\n\nid: 3\nretry: 10\nevent:x\ndata\n\ndata: [DONE]')


def schema():
    pairs = [
        ({"type": "object", "properties": {"label": {"type": "string", "enum": ["cat", "dog", "other"]}}, "required": ["label"]}, {"label": "cat"}),
        ({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 10}, "minItems": 2, "maxItems": 4, "uniqueItems": True}, [1, 2, 2]),
        ({"type": "string", "pattern": "^[A-Z]{3}-[0-9]{2,4}$", "minLength": 5}, "ABC-123"),
        ({"type": "string", "format": "date-time"}, "2024-01-01T00:00:00Z"),
        ({"type": "string", "format": "email"}, "a@b.c"),
        ({"anyOf": [{"type": "null"}, {"type": "number", "multipleOf": 0.5}]}, 1.5),
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 3),
        ({"allOf": [{"type": "object", "required": ["a"]}, {"properties": {"a": {"const": 1}}}]}, {"a": 1}),
        ({"$defs": {"n": {"type": "object", "properties": {"next": {"$ref": "#/$defs/n"}, "v": {"type": "integer"}}}}, "$ref": "#/$defs/n"}, {"v": 1, "next": {"v": 2}}),
        ({"type": "object", "additionalProperties": False, "properties": {"a": {"type": "boolean"}}, "patternProperties": {"^x-": {"type": "string"}}, "minProperties": 1}, {"x-y": "z"}),
        ({"not": {"type": "string"}}, "s"),
        ({"type": "object", "dependentRequired": {"a": ["b"]}, "propertyNames": {"maxLength": 3}}, {"a": 1}),
        ({"if": {"properties": {"k": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}}, {"k": "a"}),
        ({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}], "items": False, "contains": {"type": "number"}, "minContains": 1}, ["a", 1]),
        (True, None),
        (False, 1),
        ({"type": ["integer", "string"], "maxLength": 2, "exclusiveMaximum": 5}, "abc"),
        ({"$dynamicRef": "#x"}, 1),
        ({"unevaluatedProperties": False}, {}),
        ({"type": "string", "format": "uuid"}, "0"),
        ({"type": "number", "minimum": 1e308, "multipleOf": 1e-308}, 1e308),
        ({"title": "t", "description": "d", "default": 1, "examples": [1], "propertyOrdering": ["a"], "type": "object", "nullable": True}, None),
    ]
    for i, (a, b) in enumerate(pairs):
        w("schema", f"seed-{i:02d}.bin", json.dumps(a).encode() + b"\0" + json.dumps(b).encode())


def b64():
    w("b64", "seed-0.bin", b"\x00\x00")
    w("b64", "seed-1.bin", b"\x03\x05" + b"aGVsbG8gd29ybGQ=")
    w("b64", "seed-2.bin", b"\x01\x01" + b"YQ==")
    w("b64", "seed-3.bin", b"\x07\x02" + b"YWI=")
    w("b64", "seed-4.bin", b"\x02\x09" + bytes(range(256)))
    w("b64", "seed-5.bin", b"\x04\x04" + b"a-_b")
    w("b64", "seed-6.bin", b"\x04\x04" + b"YQ=a")


def response():
    resp = [
        (0, {"id": "ix_1", "status": "completed", "model": "gemini-2.5-flash",
             "outputs": [{"type": "text", "text": "hi"}, {"type": "image", "mime_type": "image/png", "data": "iVBORw0KGgo="}],
             "usage": {"total_input_tokens": 1, "total_output_tokens": 2, "total_tokens": 3, "total_thought_tokens": 0,
                       "total_cached_tokens": 0, "total_tool_use_tokens": 0}}),
        (0, {"id": "ix_2", "status": "requires_action", "agent": "deep-research-pro-preview-12-2025",
             "steps": [{"type": "model_output", "content": [{"type": "text", "text": "a"}]},
                       {"type": "function_call", "name": "f", "arguments": {}}],
             "usage": {"total_reasoning_tokens": 4}}),
        (7, {"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED",
                       "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]}}),
        (1, {"error": {"code": 400, "message": "API key not valid", "status": "INVALID_ARGUMENT",
                       "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}),
        (10, {"error": {}}),
        (8, [{"error": {"code": 500}}]),
    ]
    for i, (st, doc) in enumerate(resp):
        w("response", f"seed-{i:02d}.bin", bytes([st]) + json.dumps(doc).encode())
    w("response", "seed-html.bin", b"\x0b<html><body><h1>502 Bad Gateway</h1></body></html>")
    w("response", "seed-trunc.bin", b'\x00{"id":"ix_1","status":"compl')
    w("response", "seed-dur.bin", b"\x07100ms")


def emu_request():
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    wav = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA="
    reqs = [
        (0, {"model": "gemini-2.5-flash", "input": "hello"}),
        (1, {"model": "gemini-3-flash-preview",
             "input": [{"type": "text", "text": "look"}, {"type": "image", "mime_type": "image/png", "data": png}],
             "response_format": {"type": "text", "mime_type": "application/json",
                                 "schema": {"type": "object", "properties": {"label": {"type": "string", "enum": ["a", "b"]}}, "required": ["label"]}}}),
        (0x20, {"model": "gemini-2.5-flash",
                "input": [{"role": "user", "content": "hi"}, {"role": "model", "content": [{"type": "text", "text": "yo"}]},
                          {"role": "user", "content": [{"type": "function_result", "name": "get_weather", "call_id": "c1", "result": "sunny"}]}],
                "previous_interaction_id": "ix_prev", "response_format": {"type": "array", "items": {"type": "integer"}}}),
        (0, {"model": "gemini-2.5-flash", "input": "w?",
             "tools": [{"type": "function", "name": "get_weather",
                        "parameters": {"type": "object", "properties": {"city": {"type": "string", "pattern": "^[A-Z][a-z]+$"}}, "required": ["city"]}},
                       {"type": "google_search"}]}),
        (0, {"model": "gemini-2.5-flash-image", "input": "draw", "response_modalities": ["IMAGE", "TEXT"]}),
        (0, {"agent": "deep-research-pro-preview-12-2025", "input": "research", "background": True,
             "agent_config": {"type": "deep-research"}}),
        (0, {"model": "gemini-2.5-flash",
             "input": [{"type": "video", "uri": "http://127.0.0.1:1/v1beta/files/active"},
                       {"type": "document", "uri": "https://example.com/x.pdf", "mime_type": "application/pdf"},
                       {"type": "image", "uri": "http://127.0.0.1:1/v1beta/files/busy"}]}),
        (1, {"model": "gemini-3-pro-preview", "input": [{"type": "user_input", "content": [{"type": "text", "text": "x"}]}],
             "generation_config": {"max_output_tokens": 5, "thinking_level": "low"}, "stream": True}),
        (0, {"model": "gemini-2.5-flash", "input": "x", "vars": {"a": 1}}),
        (0, {"model": "nope", "input": "x"}),
        (0, {"model": "gemini-2.5-flash", "input": [{"type": "audio", "mime_type": "audio/wav", "data": wav}],
             "tool_choice": "none"}),
    ]
    for i, (sel, doc) in enumerate(reqs):
        w("emu_request", f"seed-{i:02d}.bin", bytes([sel]) + json.dumps(doc).encode())
    w("emu_request", "seed-notjson.bin", b'\x00{"model":')


def imgstream():
    """first byte: bit 0 SSE, the rest the piece size; then the body"""
    img = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
    g1 = {"id": "ix", "outputs": [{"type": "text", "text": "a \"data\": x"},
                                  {"type": "image", "mime_type": "image/png", "data": img}]}
    g3 = {"steps": [{"type": "model_output", "content": [{"type": "image", "data": img.replace("/", "\\/")}]}]}
    w("imgstream", "seed-g1.bin", b"\x06" + json.dumps(g1).encode())
    w("imgstream", "seed-g3-escaped.bin", b"\x08" + json.dumps(g3).encode().replace(b"\\\\/", b"\\/"))
    w("imgstream", "seed-args.bin", b"\x02" + json.dumps({"outputs": [{"type": "function_call", "arguments": {"data": "x" * 40}}]}).encode())
    w("imgstream", "seed-bad.bin", b"\x04" + json.dumps({"outputs": [{"type": "image", "data": "*" * 40}]}).encode())
    ev = {"event_type": "content.delta", "index": 0, "delta": {"type": "image", "data": img}}
    w("imgstream", "seed-sse.bin", b"\x03data: " + json.dumps(ev).encode() + b"\r\n\r\n: c\n\ndata:{}\n\n")
    w("imgstream", "seed-sse-split.bin", b"\x05data: {\"delta\":\ndata: {\"data\":\"" + img.encode() + b"\"}}\n\n")
    w("imgstream", "seed-cut.bin", b"\x07" + json.dumps(g1).encode()[:120])


if __name__ == "__main__":
    for f in (manifest_line, pipeline, sse, schema, b64, response, emu_request, imgstream):
        f()
