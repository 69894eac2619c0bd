# run-wrong-endpoint: an endpoint whose path is wrong answers every create
# 404 "Method not found". The run stops after a few (exit 3) with a hint
# about --endpoint, instead of failing all 300 jobs one by one; the jobs
# run again on resume against the right endpoint.
. "$(dirname "$0")/lib.sh"
start_emulator emu --log "$T/emu.log"
echo '{"name":"wrong","model":"gemini-2.5-flash","limits":{"concurrency":2}}' >"$T/p.json"
python3 -c "
import json
for i in range(300): print(json.dumps({'id': 'w%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL/proxy" -o "$T/out" --progress none \
    2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "expected exit 3, got $rc: $(cat "$T/err")"
grep -q "answered 404 to 3 requests" "$T/err" || fail "no 404 summary: $(cat "$T/err")"
grep -q "check --endpoint" "$T/err" || fail "no hint about --endpoint: $(cat "$T/err")"
sent=$(nlines "$T/emu.log")
[ "$sent" -le 6 ] || fail "$sent requests were sent to a wrong path; it should stop after a few"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
