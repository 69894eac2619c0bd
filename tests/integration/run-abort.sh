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
# retries are the attempts that left again for a job already tried: a retry
# that was scheduled when the run stopped never left and is not counted
sent = {}
for l in open(sys.argv[1].replace("run.json", "journal.jsonl")):
    o = json.loads(l)
    if o.get("ev") == "send":
        sent[o["id"]] = sent.get(o["id"], 0) + 1
assert c["attempts"] == sum(sent.values()), (c, sent)
assert c["retries"] == sum(n - 1 for n in sent.values()), (c["retries"], sent)
PY
# the summary's figures are the journal's: a retry scheduled when the run
# stopped never left and is not counted, and the abort itself schedules none
start_emulator slow --fault 500=1 --latency 200
head -n 3 "$T/m.jsonl" >"$T/m3.jsonl"
GEMBATCH_DEBUG=1 "$GEMBATCH" run "$T/p.json" "$T/m3.jsonl" --endpoint "$slow_URL" -o "$T/out3" \
    --max-failures 3 -j 3 --progress none 2>"$T/err3" && fail "the run did not stop"
python3 - "$T/out3/journal.jsonl" "$T/err3" <<'PY'
import json, re, sys
sent = {}
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("ev") == "send":
        sent[o["id"]] = sent.get(o["id"], 0) + 1
err = open(sys.argv[2]).read()
m = re.search(r"attempts (\d+) \((\d+) retries\)", err)
assert m, err
assert int(m.group(1)) == sum(sent.values()) and int(m.group(2)) == sum(n - 1 for n in sent.values()), (m.groups(), sent)
# each failure before the third was announced as a scheduled retry; the third
# stopped the run and was not announced as one
assert err.count("retry scheduled") == 2, err
assert "3 attempts in a row failed" in err, err
PY
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$up_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
