#!/bin/sh
# emulator.sh: requests/second of `gembatch emulate` answering small text
# creates (POST /v1beta/interactions) over keep-alive connections, measured
# with wrk on the same machine. Prints wrk's report and one summary line.
#   GEMBATCH=path  DURATION=10s  CONNS=64  WRK_THREADS=1  EMU_THREADS=0 (per CPU)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
GEMBATCH=${GEMBATCH:-$root/build/gembatch}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
EMU_THREADS=${EMU_THREADS:-0}
command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is not installed" >&2; exit 2; }
[ -x "$GEMBATCH" ] || { echo "bench: no gembatch at $GEMBATCH (run make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gb-bench.XXXXXX")
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
"$GEMBATCH" emulate --listen 127.0.0.1:0 --threads "$EMU_THREADS" -q >"$tmp/url" 2>"$tmp/err" &
pid=$!
i=0
while [ ! -s "$tmp/url" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
    i=$((i + 1)); [ $i -lt 200 ] || { echo "bench: emulator did not start" >&2; exit 1; }
    sleep 0.05
done
url=$(head -n 1 "$tmp/url")
# warm up (connections, allocator), then measure
wrk -t"$WRK_THREADS" -c"$CONNS" -d2s -s "$root/bench/emulator.lua" "$url" >/dev/null
wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$root/bench/emulator.lua" "$url" | tee "$tmp/wrk.out"
if grep -q "Non-2xx" "$tmp/wrk.out"; then
    echo "bench: some answers were not 200" >&2
    exit 1
fi
rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")
echo "emulator: $rps requests/second (small text creates, $CONNS keep-alive connections, wrk -t$WRK_THREADS, $DURATION)"

# latency must not block: 256 keep-alive connections against --latency 50,
# each answer should take about 50 ms (wrk's latency percentiles)
kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
"$GEMBATCH" emulate --listen 127.0.0.1:0 --threads "$EMU_THREADS" --latency 50 -q >"$tmp/url2" 2>"$tmp/err" &
pid=$!
while [ ! -s "$tmp/url2" ]; do sleep 0.05; done
url=$(head -n 1 "$tmp/url2")
wrk -t"$WRK_THREADS" -c256 -d1s -s "$root/bench/emulator.lua" "$url" >/dev/null
wrk -t"$WRK_THREADS" -c256 -d5s --latency -s "$root/bench/emulator.lua" "$url" >"$tmp/wrk2.out"
p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk2.out")
p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk2.out")
rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk2.out")
echo "emulator --latency 50: 256 connections, answers in p50 $p50, p99 $p99 ($rps requests/second; ideal 5120)"
