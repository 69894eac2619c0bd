# bad-inputs: walks tests/bad-inputs/*/ (see tests/bad-inputs/README.md): each
# case is a folder of inputs and an `expect` file with the exit code, messages
# and outcomes gembatch must give. Hostile responses come from
# tests/bad-inputs/server.py on 127.0.0.1; the rest run against one emulator.
# Every case, whatever it tests, must also leave a sound OUTDIR (no torn
# lines, no id twice, every error line with a message): check_case.py.
# CASES=glob narrows the set; GEMBATCH_VALGRIND=1 skips cases marked heavy.
. "$(dirname "$0")/lib.sh"
CORPUS=$ROOT/tests/bad-inputs
start_emulator emu --seed 3
PY=$(python3 -c 'import sys; print(sys.executable)') # skip the pyenv shim: many small runs
mkdir -p "$T/cases"
: >"$T/ran"
: >"$T/failed"

case_fail() { echo "FAIL [bad-inputs/$c]: $*" >&2; echo "$c" >>"$T/failed"; }

run_case() {
    c=$1
    src=$CORPUS/$c
    w=$T/cases/$c
    cp -R "$src" "$w"
    [ -f "$w/pipeline.json" ] || [ -f "$w/no-pipeline" ] || cp "$CORPUS/default-pipeline.json" "$w/pipeline.json"
    if grep -q '^heavy' "$w/expect" && [ "${GEMBATCH_VALGRIND:-0}" = 1 ]; then
        note "$c: skipped under valgrind (heavy)"
        return 0
    fi
    if grep -q '^needs-nonroot' "$w/expect" && [ "$(id -u)" = 0 ]; then
        note "$c: skipped as root (permissions do not apply)"
        return 0
    fi
    echo "$c" >>"$T/ran"
    t0=$(date +%s)
    url=$emu_URL
    spid=
    mode=$(sed -n 's/^server //p' "$w/expect")
    if [ -n "$mode" ]; then
        CASE_DIR=$w "$PY" "$CORPUS/server.py" "$mode" >"$w/server.url" 2>"$w/server.err" &
        spid=$!
        _i=0
        while [ ! -s "$w/server.url" ]; do
            _i=$((_i + 1))
            [ $_i -lt 200 ] || { case_fail "server $mode did not start"; kill "$spid"; return 0; }
            sleep 0.05
        done
        url=$(head -n 1 "$w/server.url")
    fi
    if [ -x "$w/setup.sh" ]; then
        (cd "$w" && ./setup.sh) || { case_fail "setup.sh failed"; [ -z "$spid" ] || kill "$spid"; return 0; }
    fi
    # @URL@ in cmd and args stands for the server's (or the emulator's) URL
    cmd=$(sed -n 's/^cmd //p' "$w/expect" | sed "s|@URL@|$url|g")
    [ -n "$cmd" ] || cmd="run pipeline.json input.jsonl"
    args=$(sed -n 's/^args //p' "$w/expect" | sed "s|@URL@|$url|g")
    set -- $cmd
    if [ "$1" = run ]; then
        set -- "$@" -o out --endpoint "$url" --progress none $args
    else
        set -- "$@" $args
    fi
    want_rc=$(sed -n 's/^rc //p' "$w/expect")
    rc=0
    # run through python for the CPU time and peak RSS it used (maxcpu, maxrss)
    (cd "$w" && exec "$PY" -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=open("stdout", "wb"),
                     stderr=open("stderr", "wb"))
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open("cpu", "w").write("%.3f" % (u.ru_utime + u.ru_stime))
open("rss", "w").write("%d" % u.ru_maxrss)
sys.exit(rc if rc >= 0 else 128 - rc)' "$GEMBATCH" "$@") || rc=$?
    if [ -n "$spid" ]; then kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; fi
    if [ "$rc" != "$want_rc" ]; then
        case_fail "exit $rc, expected $want_rc; stderr:"
        head -n 20 "$w/stderr" >&2
        return 0
    fi
    # crashes and sanitizer reports fail a case whatever its exit code
    if grep -Eq '^==[0-9]+==|runtime error:|^SUMMARY: ' "$w/stderr"; then
        case_fail "sanitizer report:"; head -n 30 "$w/stderr" >&2; return 0
    fi
    "$PY" "$CORPUS/check_case.py" "$w" >"$w/check.out" 2>&1 ||
        { case_fail "$(cat "$w/check.out")"; }
    [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$w/out" "$w/input.jsonl"
    [ $(($(date +%s) - t0)) -lt 3 ] || note "$c took $(($(date +%s) - t0)) s"
    return 0
}

# cases mostly wait (timeouts, backoff): run a few at once
# (wait on the cases' pids only: a bare wait would wait for the emulator)
n=0
running=
for d in "$CORPUS"/${CASES:-*}/; do
    [ -f "$d/expect" ] || continue
    run_case "$(basename "$d")" &
    running="$running $!"
    n=$((n + 1))
    if [ $((n % ${BAD_INPUTS_JOBS:-4})) = 0 ]; then
        wait $running
        running=
    fi
done
[ -z "$running" ] || wait $running
ncase=$(nlines "$T/ran")
nfail=$(sort -u "$T/failed" | wc -l | tr -d ' ')
[ "$ncase" -gt 0 ] || fail "no cases ran"
note "$ncase cases, $nfail failed"
[ "$nfail" = 0 ] || fail "$nfail cases failed: $(sort -u "$T/failed" | tr '\n' ' ')"
