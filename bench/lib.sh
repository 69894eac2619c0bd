# lib.sh: sourced by the bench scripts (sh). Sets root, GEMBATCH and a scratch
# folder $tmp removed on exit; emu_start runs `gembatch emulate` on a free
# loopback port (stopping any it started before) and sets $url and $pid.
root=$(cd "$(dirname "$0")/.." && pwd)
GEMBATCH=${GEMBATCH:-$root/build/gembatch}
[ -x "$GEMBATCH" ] || { echo "bench: no gembatch at $GEMBATCH (run make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gb-bench.XXXXXX")
pid=
emu_stop() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    pid=
}
trap 'emu_stop; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
# emu_start ARGS...: more `gembatch emulate` options
emu_start() {
    emu_stop
    : >"$tmp/url"
    "$GEMBATCH" emulate --listen 127.0.0.1:0 -q "$@" >"$tmp/url" 2>"$tmp/err" &
    pid=$!
    _i=0
    while [ ! -s "$tmp/url" ]; do
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
        _i=$((_i + 1)); [ $_i -lt 200 ] || { echo "bench: emulator did not start" >&2; exit 1; }
        sleep 0.05
    done
    url=$(head -n 1 "$tmp/url")
}
