#!/bin/sh
# run.sh: SDK conformance tests. Drives `gembatch emulate` with the official
# @google/genai SDK in both generations, unchanged:
#   g1/   @google/genai 1.33.0 (the guide's dialect: /v1beta/, outputs[], content.* events)
#   g3/   @google/genai 3.6.1  (the current dialect: /v1/, steps[], step.* events)
#   g33/  @google/genai 3.3.0  (a smoke set: some of g3's tests, symlinked)
# Each is its own npm package with a committed lock file; node_modules is
# installed with `npm ci` when missing or older than the lock. Node keeps
# symlinked test files where they are linked (--preserve-symlinks), so g33's
# links to g3's tests load g33's own SDK.
#
# Usage: tests/sdk/run.sh            (GEMBATCH=path/to/gembatch, default ../../build/gembatch)
#        SDK_GENS=g3 tests/sdk/run.sh  (one generation only)
#        SDK_TESTS='files' tests/sdk/run.sh  (only test/<name>.test.js files; space-separated)
# Prints one summary line per generation and a final `sdk: N passed, M failed`;
# exits non-zero on any failure. Traffic goes only to 127.0.0.1.
set -u

here=$(cd "$(dirname "$0")" && pwd)
GEMBATCH=${GEMBATCH:-$here/../../build/gembatch}
case $GEMBATCH in /*) ;; *) GEMBATCH=$(pwd)/$GEMBATCH ;; esac
SDK_GENS=${SDK_GENS:-g1 g3 g33}
SDK_TESTS=${SDK_TESTS:-}
# Emulator options for the shared instance: background work completes after
# two polls and batches after 100 ms, so the agent, background and batch
# tests are quick.
EMU_OPTS=${EMU_OPTS:---background-polls 2 --batch-time 100}
GEN_TIMEOUT=${GEN_TIMEOUT:-100}   # seconds for one generation's whole run

say() { printf '%s\n' "$*"; }
die() { say "sdk: $*" >&2; say "sdk: 0 passed, 1 failed"; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not installed (scripts/install-deps installs Node.js and npm)"
command -v npm >/dev/null 2>&1 || die "npm is not installed"
[ -x "$GEMBATCH" ] || die "no gembatch binary at $GEMBATCH (run make first, or set GEMBATCH)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gembatch-sdk.XXXXXX") || die "mktemp failed"
emu_pid=
cleanup() {
    if [ -n "$emu_pid" ]; then
        kill -TERM "$emu_pid" 2>/dev/null
        wait "$emu_pid" 2>/dev/null
        emu_pid=
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- dependencies ---------------------------------------------------------
for gen in $SDK_GENS; do
    dir=$here/$gen
    stamp=$dir/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ -n "$(find "$dir/package-lock.json" -newer "$stamp")" ]; then
        say "sdk $gen: npm ci"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm-$gen.log" 2>&1) || {
            cat "$tmp/npm-$gen.log" >&2
            die "npm ci failed in $dir"
        }
    fi
done

# ---- the shared emulator ----------------------------------------------------
log=$tmp/requests.jsonl
# shellcheck disable=SC2086
"$GEMBATCH" emulate --listen 127.0.0.1:0 --log "$log" $EMU_OPTS >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
url=
i=0
while [ $i -lt 100 ]; do
    if [ -s "$tmp/emu.out" ] && [ "$(wc -l <"$tmp/emu.out")" -ge 1 ]; then
        url=$(head -n 1 "$tmp/emu.out")
        break
    fi
    kill -0 "$emu_pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
case $url in
http://127.0.0.1:[0-9]*) ;;
*)
    say "emulator stdout: $(head -c 300 "$tmp/emu.out")" >&2
    say "emulator stderr: $(head -c 600 "$tmp/emu.err")" >&2
    die "gembatch emulate did not print a loopback base URL"
    ;;
esac
say "sdk: emulator at $url"

# ---- the tests -------------------------------------------------------------
total_pass=0
total_fail=0
summary=
for gen in $SDK_GENS; do
    dir=$here/$gen
    want=$(sed -n 's/.*"@google\/genai": *"\([^"]*\)".*/\1/p' "$dir/package.json" | head -n 1)
    have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dir/node_modules/@google/genai/package.json" | head -n 1)
    files=
    if [ -n "$SDK_TESTS" ]; then
        for t in $SDK_TESTS; do files="$files test/$t.test.js"; done
    else
        files=$(cd "$dir" && ls test/*.test.js)
    fi
    pass=0
    fail=0
    if [ "$want" != "$have" ]; then
        say "sdk $gen: installed @google/genai $have, pinned $want" >&2
        fail=1
    else
        # shellcheck disable=SC2086
        (cd "$dir" && GEMBATCH="$GEMBATCH" GEMBATCH_EMU_URL="$url" GEMBATCH_EMU_LOG="$log" \
            NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--preserve-symlinks --preserve-symlinks-main" \
            timeout -k 5 "$GEN_TIMEOUT" node --test --test-concurrency=2 --test-timeout=60000 \
            --test-reporter=spec --test-reporter-destination=stdout \
            --test-reporter=tap --test-reporter-destination="$tmp/$gen.tap" $files)
        rc=$?
        pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tmp/$gen.tap" 2>/dev/null | tail -n 1)
        fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tmp/$gen.tap" 2>/dev/null | tail -n 1)
        cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tmp/$gen.tap" 2>/dev/null | tail -n 1)
        pass=${pass:-0}
        fail=$((${fail:-0} + ${cancelled:-0}))
        if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
            say "sdk $gen: node --test exited $rc (timeout or crash)" >&2
            fail=1
        fi
    fi
    line="sdk $gen (@google/genai $want): $pass passed, $fail failed"
    summary="$summary$line
"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
done

if ! kill -0 "$emu_pid" 2>/dev/null; then
    say "sdk: the shared emulator died during the run; stderr:" >&2
    tail -n 20 "$tmp/emu.err" >&2
    total_fail=$((total_fail + 1))
fi
kill -TERM "$emu_pid" 2>/dev/null
wait "$emu_pid" 2>/dev/null
emu_pid=
# A sanitizer build (make check) reports on stderr, mostly at exit.
if grep -E -q 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' "$tmp/emu.err"; then
    say "sdk: the shared emulator reported a sanitizer error:" >&2
    head -n 60 "$tmp/emu.err" >&2
    total_fail=$((total_fail + 1))
fi

printf '%s' "$summary"
say "sdk: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
