# steps-pipeline: a 2-step pipeline (extract with one model, verify with
# another) runs stateful (previous_interaction_id) and stateless (history);
# the second step's prompt uses the first step's output; results hold the
# last step's output plus each step's interaction id, usage and latency.
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 4
cat >"$T/p.json" <<'P'
{"name":"two-step","model":"gemini-2.5-flash","limits":{"concurrency":16},
 "steps":[
   {"name":"extract","prompt":"Extract the totals of {{doc}}.",
    "response_format":{"type":"object","properties":{"total":{"type":"number","minimum":0},
      "currency":{"enum":["EUR","USD"]}},"required":["total","currency"]}},
   {"name":"verify","model":"gemini-2.5-pro",
    "prompt":"Check: total {{prev.output.total}} {{prev.output.currency}} for {{doc}} ({{id}})."}
 ]}
P
python3 -c "
import json
for i in range(60):
    o = {'id': 'd%d' % i, 'vars': {'doc': 'invoice %d' % i}}
    if i % 2: o['store'] = False
    print(json.dumps(o))" >"$T/m.jsonl"
for v in v1beta v1; do
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out-$v" -q \
        --api-version "$v"
    check_outputs "$T/out-$v" --manifest "$T/m.jsonl" --all-ok
    python3 - "$T/out-$v/results.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    s = r["steps"]
    assert [x["name"] for x in s] == ["extract", "verify"], s
    assert s[0]["model"] == "gemini-2.5-flash" and s[1]["model"] == "gemini-2.5-pro", s
    assert r["model"] == "gemini-2.5-pro" and r["interaction_id"] == s[1]["interaction_id"]
    assert s[0]["interaction_id"] != s[1]["interaction_id"]
    assert all(x["usage"]["total_tokens"] > 0 and "latency_ms" in x for x in s)
    assert sum(x["usage"]["total_tokens"] for x in s) == r["usage"]["total_tokens"], r
    # step 2 saw the whole conversation: user, model, user
    assert "turns: 3" in r["text"], r["text"]
    assert "output" not in r          # the last step has no response_format
    # the first step's validated output is kept, and fed the second step's prompt
    out0 = s[0]["output"]
    assert set(out0) >= {"total", "currency"}, out0
    assert s[1]["text"] == r["text"]
PY
done
