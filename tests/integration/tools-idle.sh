# tools-idle: SDK 3.6.1's status idle (an interaction waiting on the client,
# the newer name of requires_action) is read like requires_action: the
# function calls the model asked for, with no program of ours to answer
# them, end the job as a result line with that status.
. "$(dirname "$0")/lib.sh"
start_emulator emu --fault idle=1
echo '{"name":"idle","model":"gemini-2.5-flash"}' >"$T/p.json"
tools='[{"type":"function","name":"ask_human","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}]'
printf '{"id":"a","input":"Ask me.","tools":%s}\n{"id":"b","input":"Ask me too.","tools":%s}\n' \
    "$tools" "$tools" >"$T/m.jsonl"
for v in v1 v1beta; do
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out-$v" -q \
        --api-version $v
    check_outputs "$T/out-$v" --manifest "$T/m.jsonl"
    python3 - "$T/out-$v" <<'PY'
import json, sys
for l in open(sys.argv[1] + "/results.jsonl"):
    r = json.loads(l)
    assert r["status"] in ("idle", "requires_action"), r
    calls = [o for o in r.get("outputs", []) if o["type"] == "function_call"]
    assert calls and calls[0]["name"] == "ask_human", r
PY
done
grep -q '"status":"idle"' "$T/out-v1/results.jsonl" || fail "the emulator's idle answer was not read as idle: $(cat "$T/out-v1/results.jsonl")"
