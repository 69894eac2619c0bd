#!/bin/sh
# emulator.sh: requests/second of `gembatch emulate` answering small text
# creates (POST /v1beta/interactions) over keep-alive connections, measured
# with wrk on the same machine. Prints wrk's report and one summary line.
#   GEMBATCH=path  DURATION=10s  CONNS=64  WRK_THREADS=1  EMU_THREADS=0 (per CPU)
set -eu
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
EMU_THREADS=${EMU_THREADS:-0}
command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is not installed" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
emu_start --threads "$EMU_THREADS"
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
emu_start --threads "$EMU_THREADS" --latency 50
wrk -t"$WRK_THREADS" -c256 -d1s -s "$root/bench/emulator.lua" "$url" >/dev/null
wrk -t"$WRK_THREADS" -c256 -d5s --latency -s "$root/bench/emulator.lua" "$url" >"$tmp/wrk2.out"
p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk2.out")
p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk2.out")
rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk2.out")
echo "emulator --latency 50: 256 connections, answers in p50 $p50, p99 $p99 ($rps requests/second; ideal 5120)"
