# merge-refuse: merge writes nothing (exit 2) when the folders come from
# different pipelines (naming both), when the output is one of the inputs or
# a folder is given twice, when a folder is not a run's output, when a run is
# writing to an input or the output, when the output already holds outputs
# (unless --force), and on usage mistakes.
. "$(dirname "$0")/lib.sh"
start_emulator emu
echo '{"name":"one","model":"gemini-2.5-flash"}' >"$T/p1.json"
echo '{"name":"one","model":"gemini-2.5-pro"}' >"$T/p2.json"
python3 -c "
import json
for i in range(20): print(json.dumps({'id': 'x%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
run() { "$GEMBATCH" run "$@" --endpoint "$emu_URL" -q; }
expect_rc 0 run "$T/p1.json" "$T/m.jsonl" --shard 1/2 -o "$T/a"
expect_rc 0 run "$T/p1.json" "$T/m.jsonl" --shard 2/2 -o "$T/b"
expect_rc 0 run "$T/p2.json" "$T/m.jsonl" --shard 2/2 -o "$T/c"
# refused ERRTEXT ARGS...: exit 2, the message, and no outputs in $T/out
refused() {
    want=$1; shift
    _rc=0; "$GEMBATCH" merge "$@" 2>"$T/err" || _rc=$?
    [ "$_rc" = 2 ] || { cat "$T/err" >&2; fail "merge $* exited $_rc, expected 2"; }
    grep -q -- "$want" "$T/err" || { cat "$T/err" >&2; fail "no '$want' from merge $*"; }
    for f in results.jsonl errors.jsonl run.json images .merge-tmp; do
        [ ! -e "$T/out/$f" ] || fail "merge $* left $f"
    done
}
cd "$T"
refused "different pipelines" a c -o out
grep -q "'a' and 'c'" "$T/err" || fail "the message does not name both folders"
refused "different pipelines" b a c -o out
refused "is one of the inputs" a b -o a
refused "is one of the inputs" a b -o ./b/
refused "are the same folder" a ./a -o out
ln -s a alias
refused "are the same folder" a b alias -o out
mkdir empty
refused "has no run.json" a empty -o out
refused "is not a folder" a nowhere -o out
refused "is not a folder" a m.jsonl -o out
refused "no output folder" a b
refused "no OUTDIR" -o out
refused "unknown option" a b -o out --frobnicate
refused "cannot read --manifest" a b -o out --manifest nowhere.jsonl
python3 -c "
import io, tarfile
with tarfile.open('$T/m.tar', 'w') as t:
    t.add('$T/m.jsonl', arcname='m.jsonl')"
refused "is an archive" a b -o out --manifest m.jsonl --manifest m.tar
# a run writing to an input (it holds the folder's lock) or to the output
hold_lock() {
    python3 -c "
import fcntl, sys, time
f = open(sys.argv[1], 'a')
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[1] + '.held', 'w').close()
time.sleep(60)" "$1" &
    lockpid=$!
    _pids="$_pids $lockpid"
    while [ ! -e "$1.held" ]; do sleep 0.05; done
}
hold_lock a/.gembatch.lock
refused "being written by a gembatch run" a b -o out
kill "$lockpid"; wait "$lockpid" 2>/dev/null || true
mkdir -p out
hold_lock out/.gembatch.lock
refused "another gembatch run or merge is writing to 'out'" a b -o out
kill "$lockpid"; wait "$lockpid" 2>/dev/null || true
rm -f a/.gembatch.lock.held out/.gembatch.lock.held
# an output folder with outputs: refused, unless --force replaces them
expect_rc 0 "$GEMBATCH" merge a b -o out -q
cp out/results.jsonl "$T/first.jsonl"
_rc=0; "$GEMBATCH" merge b a -o out -q 2>"$T/err" || _rc=$?
assert_eq "$_rc" 2 "merging into a folder with outputs"
grep -q "already holds outputs.*--force" "$T/err" || fail "no hint at --force"
cmp -s out/results.jsonl "$T/first.jsonl" || fail "a refused merge changed the output"
expect_rc 0 "$GEMBATCH" merge b a -o out -q --force
assert_eq "$(nlines out/results.jsonl)" 20 "results after --force"
[ ! -e out/.merge-tmp ] || fail "the staging folder was left behind"
# the output of a plain run is refused too, and -o may not be an input even with --force
expect_rc 2 "$GEMBATCH" merge a b -o c -q 2>/dev/null
expect_rc 2 "$GEMBATCH" merge a b -o b --force -q 2>/dev/null
# --help: synopsis, every option, an example; exit 0
"$GEMBATCH" merge --help >"$T/help" || fail "merge --help failed"
for w in "usage: gembatch merge" --manifest --force --copy --list --out "Example" "Exit status"; do
    grep -q -- "$w" "$T/help" || fail "merge --help lacks '$w'"
done
