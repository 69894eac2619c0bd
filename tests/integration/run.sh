#!/bin/sh
# run.sh: runs every tests/integration/*.sh scenario (but lib.sh) with GNU
# Parallel, JOBS (default 2) at a time, prints each failure's log tail, a table,
# and one summary line. TESTS=glob narrows the set.
set -u
here=$(cd "$(dirname "$0")" && pwd)
pattern=${TESTS:-*}
list=$(ls "$here"/$pattern.sh 2>/dev/null | grep -v -e '/lib\.sh$' -e '/run\.sh$' || true)
if [ -z "$list" ]; then
    echo "integration: no scenarios match '$pattern'"
    exit 0
fi
logdir=$(mktemp -d)
jobs=${JOBS:-2}
printf '%s\n' $list | parallel --jobs "$jobs" --joblog "$logdir/joblog" \
    "sh {} >$logdir/{/.}.log 2>&1" >/dev/null 2>&1
total=$(($(wc -l <"$logdir/joblog") - 1))
nfail=0
for f in $(awk -F'\t' 'NR>1 && $7 != 0 {split($NF, w, " "); print w[2]}' "$logdir/joblog"); do
    nfail=$((nfail + 1))
    n=$(basename "$f" .sh)
    echo "---- $n failed; last lines of its output:"
    tail -n 40 "$logdir/$n.log"
done
awk -F'\t' 'NR>1 {split($NF, w, " "); n=w[2]; sub(/.*\//, "", n); sub(/\.sh$/, "", n); printf "  %-44s %7.1fs  %s\n", n, $4, ($7==0?"ok":"FAILED")}' \
    "$logdir/joblog" | sort
echo "integration: $((total - nfail)) passed, $nfail failed, $total total"
rm -rf "$logdir"
[ "$nfail" -eq 0 ]
