# lib.sh: sourced by every integration scenario. Strict shell, a private temp
# dir removed on exit, emulators started on port 0 and stopped on exit, and
# small assertion helpers. Scenarios talk to 127.0.0.1 only.
set -eu
GEMBATCH=${GEMBATCH:-$(cd "$(dirname "$0")/../.." && pwd)/build/gembatch}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/gb-$TEST_NAME.XXXXXX")
_pids=""
cleanup() {
    for p in $_pids; do kill "$p" 2>/dev/null || true; done
    for p in $_pids; do wait "$p" 2>/dev/null || true; done
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
note() { echo "[$TEST_NAME] $*" >&2; }

# start_emulator NAME [emulate options...]: starts `gembatch emulate` on a free
# loopback port; sets NAME_URL and NAME_PID; stdout/stderr in $T/NAME.{out,err}.
start_emulator() {
    _name=$1; shift
    "$GEMBATCH" emulate --listen 127.0.0.1:0 "$@" >"$T/$_name.out" 2>"$T/$_name.err" &
    _pid=$!
    _pids="$_pids $_pid"
    _i=0
    while [ ! -s "$T/$_name.out" ]; do
        kill -0 "$_pid" 2>/dev/null || { cat "$T/$_name.err" >&2; fail "emulator $_name exited"; }
        _i=$((_i + 1)); [ $_i -lt 200 ] || fail "emulator $_name did not print its URL in 10 s"
        sleep 0.05
    done
    _url=$(head -n 1 "$T/$_name.out")
    eval "${_name}_URL=\$_url; ${_name}_PID=\$_pid"
}

# stop_emulator NAME: SIGTERM and wait; fails if it does not exit cleanly.
stop_emulator() {
    eval "_pid=\$${1}_PID"
    kill -TERM "$_pid"
    _rc=0; wait "$_pid" || _rc=$?
    [ "$_rc" = 0 ] || fail "emulator $1 exited with $_rc after SIGTERM"
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: expected '$2', got '$1'"; }
# expect_rc WANT CMD...: run CMD, check its exit status
expect_rc() {
    _want=$1; shift
    _rc=0; "$@" || _rc=$?
    [ "$_rc" = "$_want" ] || fail "'$*' exited $_rc, expected $_want"
}
# count lines of a file (0 if missing)
nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# ncreates LOG: the interaction creates in an emulator's --log (not the free
# GETs a resume may send to ask whether the endpoint is the emulator)
ncreates() { if [ -f "$1" ]; then grep -c '"method":"POST","path":"/v1[a-z]*/interactions"' "$1" || true; else echo 0; fi; }
# py SCRIPT [args]: run a python3 snippet (for JSON checks independent of our code)
py() { _s=$1; shift; python3 -c "$_s" "$@"; }

# Scenarios talk to their own emulator with a throwaway key.
export GEMINI_API_KEY=test-key-not-secret
unset GOOGLE_API_KEY GEMINI_BASE_URL 2>/dev/null || true
TOOLS="$ROOT/tests/tools"
# mkmedia DIR [COPIES]: small well-formed media files (see tests/tools/mkmedia.py)
mkmedia() { python3 "$TOOLS/mkmedia.py" "$1" --copies "${2:-1}" >"$1.sha"; }
# check_outputs OUTDIR [options]: independent checks of an output folder
check_outputs() { python3 "$TOOLS/check_outputs.py" "$@" >&2; }
# peak_rss_kb OUTFILE CMD...: run CMD, write its peak RSS (KiB) to OUTFILE, return its status
peak_rss_kb() {
    _o=$1; shift
    python3 - "$_o" "$@" <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
PY
}
