#!/bin/sh
# run.sh: run libFuzzer harnesses built by `make fuzz-build`: each TARGET for
# FUZZ_SECONDS (0 = replay its corpus once), seeds from tests/fuzz/corpus/TARGET,
# what it learns kept in FUZZ_BUILD/corpus/TARGET, findings (crash-, leak-,
# timeout-, oom- files) in FUZZ_BUILD/artifacts/TARGET. Prints executions and
# findings per target, appends them to FUZZ_BUILD/history.tsv, and exits 1 when
# any target found something.
#   usage: tests/fuzz/run.sh TARGET...   (e.g. sse schema)
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=${FUZZ_BUILD:-build/fuzz}
S=${FUZZ_SECONDS:-60}
# per input: 10 s before it counts as a hang; 2 GiB before it counts as a leak of memory
OPTS="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 ${FUZZ_OPTS:-}"
[ $# -gt 0 ] || set -- $(ls "$here"/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||')
mkdir -p "$B/logs"
printf '%-14s %8s %12s %10s %8s %s\n' target seconds executions exec/s findings log
bad=0
for t in "$@"; do
    bin=$B/fuzz_$t
    [ -x "$bin" ] || { echo "$t: $bin not built (make fuzz-build)"; bad=1; continue; }
    mkdir -p "$B/corpus/$t" "$B/artifacts/$t" "$here/corpus/$t"
    before=$(ls "$B/artifacts/$t" | wc -l)
    dict=
    if [ -f "$here/$t.dict" ]; then dict="-dict=$here/$t.dict"
    elif [ "$t" != b64 ]; then dict="-dict=$here/json.dict"; fi
    log=$B/logs/$t.log
    t0=$(date +%s)
    if [ "$S" = 0 ]; then
        # replay: every seed and regression input once
        "$bin" $OPTS -runs=0 $dict "$here/corpus/$t" >"$log" 2>&1 </dev/null
    else
        "$bin" $OPTS -max_total_time="$S" -artifact_prefix="$B/artifacts/$t/" $dict \
            "$B/corpus/$t" "$here/corpus/$t" >"$log" 2>&1 </dev/null
    fi
    rc=$?
    secs=$(($(date +%s) - t0))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    found=$(($(ls "$B/artifacts/$t" | wc -l) - before))
    [ "$rc" = 0 ] || [ "$found" -gt 0 ] || found=1   # a crash in replay leaves no artifact
    [ "$found" = 0 ] || bad=1
    printf '%-14s %8s %12s %10s %8s %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$found" "$log"
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" "${execs:-0}" "$found" \
        >>"$B/history.tsv"
    if [ "$rc" != 0 ]; then
        grep -m 1 -E '^==[0-9]+==ERROR|^SUMMARY|fuzz property failed|runtime error' "$log" | head -n 3
        ls -t "$B/artifacts/$t" | head -n 3 | sed "s|^|    $B/artifacts/$t/|"
    fi
done
exit $bad
