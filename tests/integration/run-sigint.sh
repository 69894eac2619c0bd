# run-sigint: SIGINT (and SIGTERM) drains in-flight jobs, flushes and exits
# 130; nothing is lost, and a second run completes the set. A second signal
# cuts in-flight requests, records those jobs as interrupted, and a resume
# runs them again.
. "$(dirname "$0")/lib.sh"
start_emulator emu --latency 80
echo '{"name":"sigint","model":"gemini-2.5-flash","limits":{"concurrency":16}}' >"$T/p.json"
python3 -c "
import json
for i in range(1000): print(json.dumps({'id': 'i%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"
# drain SIG OUT: one signal a second into a run; it drains, says so, exits
# 130 with nothing in doubt, and a second run completes the set
drain() {
    "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$2" --progress plain \
        2>"$2.err" &
    pid=$!
    sleep 1
    kill -"$1" "$pid"
    rc=0; wait "$pid" || rc=$?
    assert_eq "$rc" 130 "exit status after SIG$1"
    grep -q "interrupted" "$2.err" || fail "no interruption notice after SIG$1"
    check_outputs "$2"
    python3 - "$2/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert r["status"] == "interrupted", r["status"]
assert c["completed"] > 0 and c["interrupted"] > 0, c
assert c["in_doubt"] == 0, c        # drained: every request that left was answered
assert c["completed"] + c["interrupted"] + c["failed"] == c["jobs"], c
PY
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$2" -q
    check_outputs "$2" --manifest "$T/m.jsonl" --all-ok
}
drain INT "$T/out"
# SIGTERM (a scheduler's stop) is the same
drain TERM "$T/out3"

# a second signal stops in-flight requests at once (they run again on resume)
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out2" -q &
pid=$!
sleep 0.8
kill -INT "$pid"; sleep 0.02; kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
assert_eq "$rc" 130 "exit status after two SIGINTs"
check_outputs "$T/out2"
python3 - "$T/out2/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert r["status"] == "interrupted", r["status"]
assert c["interrupted"] > 0, c      # cut mid-flight (and those never started)
assert c["completed"] + c["interrupted"] + c["failed"] == c["jobs"], c
PY
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out2" -q
check_outputs "$T/out2" --manifest "$T/m.jsonl" --all-ok
