# tools-builtin: built-in tools (google_search, code_execution, url_context)
# and an MCP server pass through; their call and result items are kept in the
# result's "outputs", in both dialects, and the text is the model's answer.
. "$(dirname "$0")/lib.sh"
start_emulator emu
echo '{"name":"builtin","model":"gemini-2.5-flash"}' >"$T/p.json"
cat >"$T/m.jsonl" <<'M'
{"id":"search","input":"Who won the last Super Bowl?","tools":[{"type":"google_search"}]}
{"id":"code","input":"Calculate the 50th Fibonacci number.","tools":[{"type":"code_execution"}]}
{"id":"url","input":"Summarize https://www.wikipedia.org/","tools":[{"type":"url_context"}]}
{"id":"mcp","input":"Weather in New York?","tools":[{"type":"mcp_server","name":"weather_service","url":"https://example.invalid/mcp"}]}
M
for v in v1beta v1; do
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out-$v" -q \
        --api-version $v
    check_outputs "$T/out-$v" --manifest "$T/m.jsonl" --all-ok
    python3 - "$T/out-$v/results.jsonl" <<'PY'
import json, sys
want = {"search": ("google_search_call", "google_search_result"),
        "code": ("code_execution_call", "code_execution_result"),
        "url": ("url_context_call", "url_context_result"),
        "mcp": ("mcp_server_tool_call", "mcp_server_tool_result")}
for l in open(sys.argv[1]):
    r = json.loads(l)
    types = [o["type"] for o in r.get("outputs", [])]
    call, result = want[r["id"]]
    assert call in types and result in types, (r["id"], types)
    assert types.index(call) < types.index(result), types
    assert r["text"].startswith("Emulated answer"), r["text"]
PY
done
