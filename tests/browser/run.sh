#!/bin/sh
# run.sh: the HTML report in a real browser. Builds output folders (the sample
# pipelines on the embedded emulator, a merge of two shards, and synthetic
# folders from mk_outdir.py: hostile content, 100,000 jobs, a sampled table,
# no cost fields), writes their reports with `gembatch report`, and loads them
# in Debian's headless Chromium through playwright-core with the network
# blocked (test/*.test.js). Node's test runner; one summary line at the end:
# `report: N passed, M failed`.
#
# Usage: tests/browser/run.sh   (GEMBATCH=path/to/gembatch, CHROMIUM=path)
#        REPORT_BIG=N           jobs of the big synthetic run (default 100000)
#        KEEP=1                 keep the fixtures folder and say where
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GEMBATCH=${GEMBATCH:-$root/build/gembatch}
case $GEMBATCH in /*) ;; *) GEMBATCH=$(pwd)/$GEMBATCH ;; esac
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BIG=${REPORT_BIG:-100000}
export CHROMIUM

say() { printf '%s\n' "$*"; }
die() { say "report: $*" >&2; say "report: 0 passed, 1 failed"; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not installed (scripts/install-deps)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (scripts/install-deps)"
[ -x "$CHROMIUM" ] || die "no chromium at $CHROMIUM (scripts/install-deps installs Debian's)"
[ -x "$GEMBATCH" ] || die "no gembatch binary at $GEMBATCH (run make first, or set GEMBATCH)"

fx=$(mktemp -d "${TMPDIR:-/tmp}/gembatch-report.XXXXXX") || die "mktemp failed"
cleanup() { if [ "${KEEP:-0}" = 1 ]; then say "report: fixtures kept in $fx" >&2; else rm -rf "$fx"; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

stamp=$here/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ -n "$(find "$here/package-lock.json" -newer "$stamp")" ]; then
    say "report: npm ci"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$fx/npm.log" 2>&1) || {
        cat "$fx/npm.log" >&2
        die "npm ci failed in $here"
    }
fi

# ---- output folders and their reports ----------------------------------------
fast="--rpm 100000 --poll-interval 0.2"
mkdir -p "$fx/demo"
while IFS='	' read -r name input; do
    case "$name" in '#'* | '') continue ;; esac
    # shellcheck disable=SC2086
    (cd "$root" && "$GEMBATCH" run "pipelines/$name.json" "$input" --emulator -o "$fx/demo/$name" \
        -q $fast --report </dev/null 2>"$fx/demo/$name.err") ||
        { cat "$fx/demo/$name.err" >&2; die "the demo run of $name failed"; }
done <"$root/samples/index.tsv"
for k in 1 2; do
    # shellcheck disable=SC2086
    (cd "$root" && "$GEMBATCH" run pipelines/classify-images.json samples/images.jsonl --emulator \
        --shard $k/2 -o "$fx/shard$k" -q $fast </dev/null) || die "shard $k failed"
done
"$GEMBATCH" merge "$fx/shard1" "$fx/shard2" -o "$fx/merged" -q || die "merge failed"
"$GEMBATCH" report "$fx/merged" -q || die "report of the merged folder failed"

py=$here/mk_outdir.py
python3 "$py" "$fx/hostile" --jobs 40 --fail-every 4 --images 8 --hostile || die "mk_outdir hostile"
python3 "$py" "$fx/big" --jobs "$BIG" --fail-every 50 --images 40 || die "mk_outdir big"
python3 "$py" "$fx/sampled" --jobs 3000 --fail-every 7 || die "mk_outdir sampled"
python3 "$py" "$fx/plain" --jobs 200 --fail-every 9 --no-extras || die "mk_outdir plain"
"$GEMBATCH" report "$fx/hostile" -q || die "report of the hostile folder failed"
t0=$(date +%s.%N)
"$GEMBATCH" report "$fx/big" -q || die "report of the big folder failed"
t1=$(date +%s.%N)
"$GEMBATCH" report "$fx/sampled" --max-rows 500 -q || die "report of the sampled folder failed"
"$GEMBATCH" report "$fx/plain" -q || die "report of the plain folder failed"

# ---- the browser ---------------------------------------------------------------
(cd "$here" && REPORT_FIXTURES="$fx" timeout -k 5 300 node --test --test-concurrency=1 \
    --test-timeout=120000 --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$fx/out.tap" test/*.test.js)
rc=$?
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$fx/out.tap" 2>/dev/null | tail -n 1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$fx/out.tap" 2>/dev/null | tail -n 1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$fx/out.tap" 2>/dev/null | tail -n 1)
pass=${pass:-0}
fail=$((${fail:-0} + ${cancelled:-0}))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    say "report: node --test exited $rc (timeout or crash)" >&2
    fail=1
fi
size=$(wc -c <"$fx/big/report.html")
say "report: the $BIG-job page: built in $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s, $size bytes; in the browser: $(cat "$fx/browser-figures.json" 2>/dev/null || echo '(not measured)')"
say "report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
