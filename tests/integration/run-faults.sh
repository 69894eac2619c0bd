# run-faults: under 429/503/reset/bad_json faults every id ends exactly once in
# results.jsonl or errors.jsonl, retries are counted, and nothing is torn.
. "$(dirname "$0")/lib.sh"
start_emulator emu --fault 429=0.1,503=0.05,reset=0.02,bad_json=0.02 --seed 7
echo '{"name":"faults","model":"gemini-2.5-flash","limits":{"concurrency":32,"max_attempts":8}}' >"$T/p.json"
python3 -c "
import json
for i in range(2000): print(json.dumps({'id': 'f%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q --seed 3 || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "exit $rc"
check_outputs "$T/out" --manifest "$T/m.jsonl" --min-ok 1990
python3 - "$T/out/run.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
assert c["retries"] > 200, c            # ~20% of 2000 attempts fail
assert c["http"].get("429", 0) > 100 and c["http"].get("503", 0) > 50, c["http"]
assert c["bad_responses"] > 10 and c["network_errors"] > 10, c
assert c["completed"] + c["failed"] == 2000, c
PY
