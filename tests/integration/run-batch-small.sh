# run-batch-small: a small Batch Mode run through every path of the join at
# once (a result line with an error asked again, schema violations re-asked
# in a later round and online, an image part, the batches listed, a resume
# that makes nothing), small enough to run under valgrind (`make memcheck`
# runs it: every exit of the join frees what it took).
. "$(dirname "$0")/lib.sh"
export GEMINI_API_KEY=k
start_emulator emu --seed 4 --batch-time 100 --fault batch_line=0.2,schema_violation=0.2 \
    --log "$T/emu.log"
cd "$T"
mkmedia media 1
img=$(cd media && ls | grep '\.png$' | head -n 1)
python3 - "$img" <<'PY'
import json, sys
with open("m.jsonl", "w") as m:
    for i in range(30):
        line = {"id": "s%d" % i, "vars": {"w": "thing %d" % i}}
        if i == 3:
            line["files"] = ["media/" + sys.argv[1]]
        m.write(json.dumps(line) + "\n")
json.dump({"name": "small", "model": "gemini-2.5-flash", "prompt": "Label {{w}}.",
           "validate": {"reask": 1},
           "response_format": {"type": "object", "properties": {"label": {"type": "string"}},
                               "required": ["label"]}}, open("p.json", "w"))
PY
posts() { grep -c '"method":"POST"' emu.log || true; }
made() { grep -c '"method":"POST","path":"/v1beta/models/[^"]*:batchGenerateContent"' emu.log || true; }
for how in batch online; do
    rc=0
    "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o "out-$how" --mode batch --wait \
        --reask "$how" --poll-interval 0.1 -q 2>"$how.err" || rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "--reask $how exited $rc: $(cat "$how.err")"
    check_outputs "out-$how" --manifest m.jsonl --min-ok 20
    # a resume asks again, in a new batch, what failed (as an online resume
    # does; the faults may make it take a round more); with nothing failed it
    # makes none
    n=$(made) p0=$(posts)
    failed=$(nlines "out-$how/errors.jsonl")
    rc2=0
    "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o "out-$how" --mode batch --wait \
        --reask "$how" --poll-interval 0.1 -q 2>/dev/null || rc2=$?
    [ "$rc2" = 0 ] || [ "$rc2" = 1 ] || fail "the resume of --reask $how exited $rc2"
    new=$(($(made) - n)) asked=$(($(posts) - p0))
    if [ "$failed" -gt 0 ]; then
        # in a batch, or online for what the online list holds
        [ "$asked" -ge 1 ] && [ "$new" -le 3 ] ||
            fail "the resume of --reask $how ($failed failed) sent $asked requests, $new batches"
    else
        [ "$asked" = 0 ] || fail "the resume of --reask $how sent $asked requests with nothing failed"
    fi
    # and a resume with nothing left makes none
    if [ ! -s "out-$how/errors.jsonl" ]; then
        n=$(made)
        expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o "out-$how" --mode batch -q
        [ "$(made)" = "$n" ] || fail "a resume of a finished folder made batches"
    fi
    check_outputs "out-$how" --manifest m.jsonl --min-ok 25
done
python3 - <<'PY'
import json
for how in ("batch", "online"):
    res = [json.loads(l) for l in open("out-%s/results.jsonl" % how)]
    errs = [json.loads(l) for l in open("out-%s/errors.jsonl" % how)] \
        if __import__("os").path.exists("out-%s/errors.jsonl" % how) else []
    ids = sorted([r["id"] for r in res] + [e["id"] for e in errs])
    assert ids == sorted("s%d" % i for i in range(30)), (how, ids)
    assert any(r.get("requests", 1) > 1 for r in res), "%s: nothing was asked twice" % how
PY
"$GEMBATCH" batches list --endpoint "$emu_URL" >list.txt || fail "batches list failed"
[ "$(grep -c 'batches/' list.txt)" = "$(made)" ] || fail "batches list: $(cat list.txt)"
note "30 jobs in batch mode with line errors and re-asks, in batches and online; resumes made nothing"

# ---- a create whose answer is lost (the batch was made: the connection
# dropped, a 500 or a torn 200) is not simply sent again: the batches are
# listed first and the part's own, found by its displayName, adopted. Every
# part has exactly one batch and every job its result.
start_emulator lost --seed 4 --batch-time 100 --fault batch_create_lost=0.5 --log "$T/lost.log"
head -n 8 m.jsonl | grep -v media/ >m7.jsonl
rc=0
"$GEMBATCH" run p.json m7.jsonl --endpoint "$lost_URL" -o lost --mode batch --wait \
    --batch-size 1 --poll-interval 0.1 --progress none 2>lost-run.err || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "the lost-create run exited $rc: $(cat lost-run.err)"
python3 - <<'PY'
import collections, json
log = [json.loads(l) for l in open("lost.log")]
made = [l for l in log if l["method"] == "POST" and l["path"].endswith(":batchGenerateContent")
        and l.get("batch")]
lost = [l for l in made if l.get("fault") == "batch_create_lost"]
assert lost, "no create answer was lost: the fault did not bite"
per = collections.Counter(l["display_name"] for l in made)
assert len(per) == 7 and set(per.values()) == {1}, "batches per part: %s" % dict(per)
ids = sorted(json.loads(l)["id"] for l in open("lost/results.jsonl"))
want = sorted(json.loads(l)["id"] for l in open("m7.jsonl"))
if __import__("os").path.exists("lost/errors.jsonl"):
    ids = sorted(ids + [json.loads(l)["id"] for l in open("lost/errors.jsonl")])
assert ids == want, (ids, want)
print("%d of 7 create answers lost, each part one batch" % len(lost))
PY
n=$(grep -c "create was lost, but the batch was made.*adopted" lost-run.err || true)
[ "$n" -ge 1 ] || fail "no adoption was said: $(cat lost-run.err)"
"$GEMBATCH" batches list --endpoint "$lost_URL" >lost-list.txt || fail "batches list failed"
[ "$(grep -o 'gembatch-[0-9a-f-]*' lost-list.txt | sort | uniq -d)" = "" ] ||
    fail "a displayName has two batches: $(cat lost-list.txt)"
note "lost create answers: the batches were found by name, none made twice"

# ---- --batch-max-bytes: a part is closed before the line that would cross
# the bound, never after; a line bigger than the bound goes alone, and is
# said; past the Batch API's 2 GB (decimal) the flag is refused
B=$(python3 -c '
import glob, statistics
ls = [len(l) for f in glob.glob("out-batch/batch/part-*[0-9].jsonl") for l in open(f, "rb")]
print(int(2.5 * statistics.median(ls)))')
start_emulator plain --seed 4 --batch-time 100
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$plain_URL" -o bytes --mode batch --wait \
    --batch-max-bytes "$B" --poll-interval 0.1 --progress none 2>bytes.err
check_outputs bytes --manifest m.jsonl --all-ok
python3 - "$B" <<'PY'
import glob, sys
bound = int(sys.argv[1])
parts = sorted(glob.glob("bytes/batch/part-*[0-9].jsonl"))
sizes = [(f, sum(len(l) for l in open(f, "rb")), sum(1 for l in open(f, "rb"))) for f in parts]
over = [s for s in sizes if s[1] > bound]
assert all(n == 1 for _, _, n in over), "a part of many lines crosses %d: %s" % (bound, over)
assert len(over) == 1, "the image's line, and it only, is bigger than %d: %s" % (bound, over)
assert max(n for _, _, n in sizes) == 2, sizes  # 2.5 lines fit: two, never three
print("%d parts under %d bytes, one line alone over it" % (len(parts), bound))
PY
grep -q "more than --batch-max-bytes.*goes alone" bytes.err || fail "the big line was not said: $(cat bytes.err)"
for big in 2G 2000000001 0; do
    expect_rc 2 "$GEMBATCH" run p.json m.jsonl --endpoint "$plain_URL" -o big --mode batch \
        --batch-max-bytes "$big" -q
done
[ ! -e big ] || fail "a refused --batch-max-bytes left a folder"
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$plain_URL" -o big --mode batch \
    --batch-max-bytes 1953125K --dry-run -q >/dev/null # 2,000,000,000: the ceiling itself
"$GEMBATCH" run --help | grep -q "default and ceiling 2000000000" || fail "--help: --batch-max-bytes"
note "--batch-max-bytes $B: no part crosses it but a lone line bigger than it"

# ---- while --wait waits, each look says the state the service gave its
# batches (here one that stays PENDING) and when the next look is.
# waitrun NAME [run options...]: a --wait run in the background until it
# says when it looks next, then interrupted
start_emulator slow --seed 4 --batch-time 600000
head -n 2 m.jsonl >m2.jsonl
waitrun() {
    _o=$1; shift
    "$GEMBATCH" run p.json m2.jsonl --endpoint "$slow_URL" -o "$_o" --mode batch --wait \
        --progress none "$@" 2>"$_o.err" &
    _run=$!
    _pids="$_pids $_run"
    _i=0
    until grep -q "next look in" "$_o.err"; do
        kill -0 "$_run" 2>/dev/null || fail "the --wait run $_o ended: $(cat "$_o.err")"
        _i=$((_i + 1)); [ $_i -lt 300 ] || fail "the --wait run $_o did not look: $(cat "$_o.err")"
        sleep 0.1
    done
    kill -INT "$_run"
    wait "$_run" || true
}
waitrun wait1 --poll-interval 0.5
grep -q 'batch: 1 batch not ended (1 pending); next look in 0.5 s' wait1.err ||
    fail "the batch's state was not said: $(cat wait1.err)"
note "--wait says the state of its batches"
# without --poll-interval, Batch Mode looks first after a minute (the 2 s
# default is the background agents'), as --help says
waitrun wait2
grep -q 'batch: 1 batch not ended (1 pending); next look in 60 s' wait2.err ||
    fail "the first look without --poll-interval: $(cat wait2.err)"
"$GEMBATCH" run --help | tr -s ' \n' ' ' | grep -q "Batch Mode's batches (default 60, growing to 600)" ||
    fail "--help does not say Batch Mode's poll default"
note "--wait looks after --poll-interval, else a minute"
