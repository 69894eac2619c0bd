# run-kill: kill -9 in the middle of a run, then run again: the set completes
# with no duplicate ids and no torn lines; the in-doubt requests are reported.
. "$(dirname "$0")/lib.sh"
start_emulator emu --latency 60 --jitter 20
echo '{"name":"kill","model":"gemini-2.5-flash","limits":{"concurrency":32}}' >"$T/p.json"
python3 -c "
import json
for i in range(1500): print(json.dumps({'id': 'k%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"
# the kills come 0.6, 0.8 and 1.0 s into each run (the third was "0.$((4 + 6))",
# i.e. 0.10 s: often before its first request, leaving nothing in doubt)
for delay in 0.6 0.8 1.0; do
    "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q &
    pid=$!
    sleep "$delay"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
done
n1=$(nlines "$T/out/results.jsonl")
[ "$n1" -gt 0 ] && [ "$n1" -lt 1500 ] || fail "kill came too late or too early ($n1 results)"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
python3 - "$T/out/run.json" "$n1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert r["status"] == "completed", r["status"]
assert c["skipped_done"] >= int(sys.argv[2]) - 1, c
assert c["completed"] + c["skipped_done"] == 1500, c
# requests were in flight at the kill: they count as in doubt, never silently
assert c["in_doubt_from_previous_run"] > 0, c
PY
