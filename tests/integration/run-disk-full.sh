# run-disk-full: the output disk fills up in the middle of a run (simulated
# with a file-size limit, RLIMIT_FSIZE: writes past it fail with EFBIG). The
# run stops at once with exit 3 and says why; nothing that was written is
# lost or doubled: the next run drops the torn line, counts exactly the jobs
# whose answers came back but were never written (paid again), and ends with
# every id once.
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 8
echo '{"name":"full","model":"gemini-2.5-flash","limits":{"concurrency":16}}' >"$T/p.json"
python3 -c "
import json
for i in range(400): print(json.dumps({'id': 'd%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"
cd "$T"
rc=0
# 200 blocks of 512 bytes: about 100 KB, a third of the results
(trap '' XFSZ; ulimit -f 200 && exec "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out \
    --progress none) 2>run1.err || rc=$?
[ "$rc" = 3 ] || fail "a full disk should abort the run with 3, got $rc: $(cat run1.err)"
grep -q "write failed in 'out'" run1.err || fail "no reason given: $(cat run1.err)"
n1=$(nlines out/results.jsonl)
[ "$n1" -gt 10 ] && [ "$n1" -lt 400 ] || fail "the limit hit too early or too late ($n1 results)"
cp out/journal.jsonl journal1.jsonl
cp out/results.jsonl results1.jsonl
# the summary counts what is on disk: whole result lines, not answers that
# could not be written (those are said apart)
whole=$(python3 -c "
import json, sys
n = 0
for l in open('results1.jsonl', 'rb'):
    try:
        json.loads(l); n += 1
    except ValueError:
        pass
print(n)")
said=$(sed -n 's/.*aborted in [0-9.]*s: [0-9]* jobs, \([0-9]*\) completed.*/\1/p' run1.err)
[ "$said" = "$whole" ] || fail "the summary says $said completed, $whole whole lines were written: $(cat run1.err)"
grep -q "could not be written" run1.err || fail "the jobs not written are not said: $(cat run1.err)"
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out -q
check_outputs out --manifest m.jsonl --all-ok
python3 - <<'PY'
import json
done = set()
for l in open("results1.jsonl", "rb"):
    try:
        done.add(json.loads(l)["id"])
    except ValueError:
        pass  # the torn last line
answered = set()
for l in open("journal1.jsonl", "rb"):
    try:
        o = json.loads(l)
    except ValueError:
        continue
    if o.get("ev") == "ans" and 200 <= o.get("http", 0) < 300:
        answered.add(o["id"])
c = json.load(open("out/run.json"))["counts"]
lost = answered - done
assert c["restarted_from_previous_run"]["jobs"] == len(lost), (c["restarted_from_previous_run"], len(lost))
assert c["skipped_done"] == len(done) and c["completed"] == 400 - len(done), (c, len(done))
print(f"run-disk-full: {len(done)} results written before the disk filled, {len(lost)} answered "
      "jobs not written (counted as paid again)", file=__import__("sys").stderr)
PY
