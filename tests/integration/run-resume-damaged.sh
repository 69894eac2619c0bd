# run-resume-damaged: damaged lines in the middle of results.jsonl (cut short,
# garbage, a result without its status) used to count as done. Now only a
# whole result line marks its id done: each damaged one is reported on stderr
# with its line number, and its job runs again. Damaged errors.jsonl and
# journal.jsonl lines are reported too, not skipped in silence.
. "$(dirname "$0")/lib.sh"
cd "$T"
start_emulator emu --log "$T/emu.log"
echo '{"name":"dmg","model":"gemini-2.5-flash"}' >p.json
python3 -c "
for i in range(1, 11): print('{\"id\":\"j%d\",\"input\":\"question %d\"}' % (i, i))" >m.jsonl
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -j 1 -o out -q
python3 - out/results.jsonl <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")[:-1]
assert [l.split('"')[3] for l in lines] == ["j%d" % i for i in range(1, 11)], lines
lines[2] = lines[2][:40]                 # j3: cut short (a newline follows)
lines[4] = "\x01\x02 garbage \xff"       # j5: garbage
lines[7] = '{"id":"j8"}'                 # j8: no status
open(p, "w", encoding="latin-1").write("\n".join(lines) + "\n")
PY
printf 'not json\n' >>out/errors.jsonl
printf '{"ev":"nope"}\n' >out/journal.jsonl
n0=$(nlines emu.log)
"$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -j 1 -o out --progress none 2>err.txt ||
    fail "the resume failed: $(cat err.txt)"
grep -qF "out/results.jsonl:3: damaged result line (not whole JSON: cut short or garbled); 'j3' runs again" err.txt ||
    fail "line 3 not reported: $(cat err.txt)"
grep -qF "out/results.jsonl:5: damaged result line (not whole JSON: cut short or garbled); the job it was for runs again" err.txt ||
    fail "line 5 not reported: $(cat err.txt)"
grep -qF "out/results.jsonl:8: damaged result line (no \"status\"); 'j8' runs again" err.txt ||
    fail "line 8 not reported: $(cat err.txt)"
grep -qF "out/errors.jsonl:1: damaged error line" err.txt || fail "errors.jsonl: $(cat err.txt)"
grep -qF "out/journal.jsonl:1: damaged journal line (not a journal event)" err.txt ||
    fail "journal.jsonl: $(cat err.txt)"
python3 - emu.log "$n0" out/results.jsonl <<'PY'
import json, sys
rows = [r for r in (json.loads(l) for l in open(sys.argv[1]))][int(sys.argv[2]):]
rows = [r for r in rows if r["method"] == "POST"]
assert len(rows) == 3, f"{len(rows)} requests on resume, expected 3 (j3, j5, j8)"
whole = set()
for l in open(sys.argv[3], "rb"):
    try:
        o = json.loads(l)
    except ValueError:
        continue
    if o.get("status") == "completed":
        whole.add(o["id"])
assert whole == {"j%d" % i for i in range(1, 11)}, sorted(whole)
PY
# a third run: the damaged lines are still there (and reported), but every id
# now has a whole line: nothing is sent
n1=$(ncreates emu.log)
"$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out --progress none 2>err2.txt ||
    fail "third run: $(cat err2.txt)"
grep -qF "'j3' has a whole line too" err2.txt || fail "third run: $(cat err2.txt)"
assert_eq "$(ncreates emu.log)" "$n1" "requests sent by the third run"
note "3 damaged result lines reported by line number and run again; nothing more after"
