# run-abort: a long run of failed attempts stops the run (exit 3) before more
# is spent; what was in flight or waiting is recorded as interrupted and runs
# again on resume, and run.json says why it stopped.
. "$(dirname "$0")/lib.sh"
start_emulator down --fault 500=1
start_emulator up
echo '{"name":"abort","model":"gemini-2.5-flash","limits":{"concurrency":4}}' >"$T/p.json"
python3 -c "
import json
for i in range(100): print(json.dumps({'id': 'x%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$down_URL" -o "$T/out" --max-failures 8 \
    --progress none 2>"$T/err" && fail "the run did not stop"
expect_rc 3 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$down_URL" -o "$T/out2" \
    --max-failures 8 -q
grep -q "8 attempts in a row failed" "$T/err" || fail "abort message: $(cat "$T/err")"
check_outputs "$T/out"
python3 - "$T/out/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert r["status"] == "aborted", r["status"]
assert c["completed"] == 0 and c["attempts"] <= 16 and c["interrupted"] > 0, c
PY
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$up_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
