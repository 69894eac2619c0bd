# run-resume: finished ids are skipped, failed ones are tried again and
# errors.jsonl ends with one line per job that failed for good; a torn last
# line is dropped; a changed pipeline is refused; --restart starts over.
. "$(dirname "$0")/lib.sh"
start_emulator bad --fault 500=1
start_emulator good
echo '{"name":"resume","model":"gemini-2.5-flash","limits":{"max_attempts":2}}' >"$T/p.json"
python3 -c "
import json
for i in range(200): print(json.dumps({'id': 'r%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
head -n 100 "$T/m.jsonl" >"$T/half.jsonl"
# first run: half the ids complete
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/half.jsonl" --endpoint "$good_URL" -o "$T/out" -q
# second run against a failing endpoint: the other half fail (exit 1), the
# first half is skipped, nothing is sent for it
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$bad_URL" -o "$T/out" -q \
    --max-failures 100000
assert_eq "$(nlines "$T/out/errors.jsonl")" 100 "errors after the failing run"
python3 - "$T/out/run.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
assert c["skipped_done"] == 100 and c["failed"] == 100 and c["attempts"] == 200, c
PY
# a torn last line (as a crash mid-write would leave) is dropped on resume
printf '{"id":"r150","status":"compl' >>"$T/out/results.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$good_URL" -o "$T/out" \
    --progress plain 2>"$T/err"
grep -q "dropped 1 torn last line" "$T/err" || fail "torn line not reported"
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
assert_eq "$(nlines "$T/out/errors.jsonl")" 0 "errors.jsonl after the retry"
# a third run has nothing to do
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$good_URL" -o "$T/out" -q
assert_eq "$(nlines "$T/out/results.jsonl")" 200 "results after a no-op run"
# a changed pipeline is refused (exit 2, nothing sent); --restart starts over
echo '{"name":"resume","model":"gemini-2.5-pro"}' >"$T/p2.json"
"$GEMBATCH" run "$T/p2.json" "$T/m.jsonl" --endpoint "$good_URL" -o "$T/out" -q 2>"$T/err" \
    && fail "a changed pipeline was not refused"
grep -q "different run (changed since: pipeline field 'model')" "$T/err" || fail "no message naming the changed field: $(cat "$T/err")"
expect_rc 0 "$GEMBATCH" run "$T/p2.json" "$T/half.jsonl" --endpoint "$good_URL" -o "$T/out" \
    -q --restart
assert_eq "$(nlines "$T/out/results.jsonl")" 100 "results after --restart"
grep -q gemini-2.5-pro "$T/out/results.jsonl" || fail "--restart did not use the new pipeline"
