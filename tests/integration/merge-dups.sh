# merge-dups: an id in two folders is kept once (the first folder wins) and
# reported on stderr and in run.json (exit 1); ids of the --manifest files that
# are in no folder are listed (first N) and counted (exit 1); an id that failed
# in one folder and completed in another ends in results only (exit 0); an
# absent shard of a K/N split, an unfinished shard and a torn line are
# reported (exit 1).
. "$(dirname "$0")/lib.sh"
start_emulator good --seed 5
start_emulator bad --fault 500=1
echo '{"name":"dups","model":"gemini-2.5-flash","limits":{"max_attempts":1}}' >"$T/p.json"
python3 -c "
import json
for i in range(60): print(json.dumps({'id': 'd%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
run() { "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" -q --max-failures 100000 "$@"; }
merged() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['merge'][sys.argv[2]])" "$1/run.json" "$2"; }
cd "$T"
expect_rc 0 run --endpoint "$good_URL" --shard 1/2 -o s1
expect_rc 0 run --endpoint "$good_URL" --shard 2/2 -o s2
n1=$(nlines s1/results.jsonl)

# duplicates: a copy of shard 1 given again; the first folder's lines are kept
cp -r s1 s1copy
sed 's/"status":"completed"/"status":"completed","copy":1/' s1/results.jsonl >s1copy/results.jsonl
_rc=0; "$GEMBATCH" merge s1 s2 s1copy -o d1 -q --list 3 2>"$T/err" || _rc=$?
assert_eq "$_rc" 1 "exit status with duplicates"
assert_eq "$(grep -c "duplicate id '.*': in 's1' and in 's1copy/results.jsonl'" "$T/err")" 3 \
    "duplicates listed (--list 3)"
grep -q "$n1 duplicate ids in all" "$T/err" || fail "no duplicate count"
check_outputs d1 --manifest m.jsonl --all-ok
grep -q '"copy":1' d1/results.jsonl && fail "a duplicate's line replaced the first"
assert_eq "$(merged d1 duplicates)" "$n1" "run.json merge.duplicates"
python3 -c "
import json,sys
m = json.load(open('d1/run.json'))['merge']
d = m['duplicate_ids']
assert len(d) == $n1 and all(x['kept'] == 's1' and x['dropped'] == 's1copy' for x in d), d[:2]
assert [s['dir'] for s in m['shards']] == ['s1', 's2', 's1copy'], m['shards']"

# missing ids: a manifest with ids no shard ran (and a line without an id)
cp m.jsonl m2.jsonl
python3 -c "
import json
for i in range(5): print(json.dumps({'id': 'never-%d' % i, 'input': 'x'}))
print(json.dumps({'input': 'no id'}))" >extra.jsonl
cat extra.jsonl >>m2.jsonl
_rc=0; "$GEMBATCH" merge s1 s2 -o d2 --manifest m2.jsonl --list 4 2>"$T/err" || _rc=$?
assert_eq "$_rc" 1 "exit status with missing ids"
assert_eq "$(grep -c "is in no folder" "$T/err")" 4 "missing ids listed (--list 4)"
grep -q "m2.jsonl:61: id 'never-0' is in no folder" "$T/err" || fail "a missing id without its line"
grep -q "6 ids of the manifests are in no folder" "$T/err" || fail "no missing count"
assert_eq "$(merged d2 missing)" 6 "run.json merge.missing"
assert_eq "$(merged d2 missing_ids)" "['never-0', 'never-1', 'never-2', 'never-3', 'never-4', 'line-66']" \
    "run.json merge.missing_ids"
# several manifests: the run's inputs in order; a complete set is clean
_rc=0; "$GEMBATCH" merge s1 s2 -o d3 --manifest m.jsonl --manifest=extra.jsonl -q 2>"$T/err" || _rc=$?
assert_eq "$_rc" 1 "two manifests, missing ids"
grep -q "extra.jsonl:6: id 'line-6' is in no folder" "$T/err" || fail "second manifest not read"
expect_rc 0 "$GEMBATCH" merge s1 s2 -o d4 --manifest m.jsonl -q
# ids in the folders that no manifest has: a warning, not a failure
head -n 10 m.jsonl >part.jsonl
_rc=0; "$GEMBATCH" merge s1 s2 -o d5 --manifest part.jsonl 2>"$T/err" || _rc=$?
assert_eq "$_rc" 0 "ids outside the manifests"
grep -q "50 ids in the folders are in none of the --manifest files" "$T/err" || fail "no warning"

# failed in one folder, completed in another: results only, in any order
expect_rc 1 run --endpoint "$bad_URL" -o f1
assert_eq "$(nlines f1/errors.jsonl)" 60 "failed run"
expect_rc 0 run --endpoint "$good_URL" -o f2
for order in "f1 f2" "f2 f1"; do
    rm -rf d6
    # shellcheck disable=SC2086
    expect_rc 0 "$GEMBATCH" merge $order -o d6 --manifest m.jsonl -q
    check_outputs d6 --manifest m.jsonl --all-ok
    assert_eq "$(merged d6 errors_superseded)" 60 "superseded failures ($order)"
done
# a failing shard and a good one: the failures stay in errors.jsonl
expect_rc 1 run --endpoint "$bad_URL" --shard 1/2 -o e1
expect_rc 0 "$GEMBATCH" merge e1 s2 -o d7 --manifest m.jsonl -q
check_outputs d7 --manifest m.jsonl
assert_eq "$(nlines d7/errors.jsonl)" "$(nlines e1/errors.jsonl)" "errors kept"
# within a shard the latest failure of an id wins (an uncompacted errors.jsonl)
first=$(head -n 1 e1/errors.jsonl)
printf '%s\n' "$first" | sed 's/"status":"failed"/"status":"failed","older":1/' >e1/errors.old
cat e1/errors.old e1/errors.jsonl >e1/errors.new && mv e1/errors.new e1/errors.jsonl
expect_rc 0 "$GEMBATCH" merge e1 s2 -o d8 -q
grep -q '"older":1' d8/errors.jsonl && fail "an older failure won over the latest"
assert_eq "$(nlines d8/errors.jsonl)" "$(($(nlines e1/errors.jsonl) - 1))" "one line per failed id"

# a K/N split with a shard absent
_rc=0; "$GEMBATCH" merge s1 -o d9 -q 2>"$T/err" || _rc=$?
assert_eq "$_rc" 1 "absent shard"
grep -q "shard 2/2 is not among the folders" "$T/err" || fail "absent shard not named"
assert_eq "$(merged d9 absent_shards)" "[2]" "run.json merge.absent_shards"
# a shard that did not finish, and one that ends with a torn line
cp -r s2 s2x
python3 -c "
import json
r = json.load(open('s2x/run.json')); r['status'] = 'interrupted'
json.dump(r, open('s2x/run.json', 'w'))"
printf '{"id":"d999","status":"compl' >>s2x/results.jsonl
_rc=0; "$GEMBATCH" merge s1 s2x -o d10 -q 2>"$T/err" || _rc=$?
assert_eq "$_rc" 1 "unfinished shard"
grep -q "'s2x' did not finish (run.json status 'interrupted')" "$T/err" || fail "unfinished not said"
grep -q "s2x/results.jsonl' ends with a torn line" "$T/err" || fail "torn line not said"
check_outputs d10 --manifest m.jsonl --all-ok
assert_eq "$(merged d10 torn_lines)" 1 "run.json merge.torn_lines"
python3 -c "import json; assert json.load(open('d10/run.json'))['status'] == 'interrupted'"
# the input folders are never changed by a merge
tail -c 5 s2x/results.jsonl | grep -q compl || fail "merge changed an input folder"
