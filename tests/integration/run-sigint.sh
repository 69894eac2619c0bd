# run-sigint: SIGINT drains in-flight jobs, flushes and exits 130; nothing is
# lost, and a second run completes the set.
. "$(dirname "$0")/lib.sh"
start_emulator emu --latency 80
echo '{"name":"sigint","model":"gemini-2.5-flash","limits":{"concurrency":16}}' >"$T/p.json"
python3 -c "
import json
for i in range(1000): print(json.dumps({'id': 'i%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" --progress plain \
    2>"$T/err" &
pid=$!
sleep 1
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq "$rc" 130 "exit status after SIGINT"
grep -q "interrupted" "$T/err" || fail "no interruption notice"
check_outputs "$T/out"
python3 - "$T/out/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert r["status"] == "interrupted", r["status"]
assert c["completed"] > 0 and c["interrupted"] > 0, c
assert c["in_doubt"] == 0, c        # drained: every request that left was answered
assert c["completed"] + c["interrupted"] + c["failed"] == c["jobs"], c
PY
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
# a second signal stops in-flight requests at once (they run again on resume)
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out2" -q &
pid=$!
sleep 0.8
kill -INT "$pid"; sleep 0.02; kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq "$rc" 130 "exit status after two SIGINTs"
check_outputs "$T/out2"
