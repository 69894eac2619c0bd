#!/bin/sh
# report.sh (`make bench-report`): `gembatch report` over output folders of
# 100,000 and 1,000,000 jobs in the shape a real run writes
# (bench/report_outdir.py): wall time, page size and peak RSS, against
# issue 18's bound of 64 MiB. REPORT_JOBS="N ..." to change the sizes.
# About a minute on 2 cores; writes only under a temporary folder.
set -eu
. "$(dirname "$0")/lib.sh"
for n in ${REPORT_JOBS:-100000 1000000}; do
    python3 "$root/bench/report_outdir.py" "$tmp/o$n" "$n"
    /usr/bin/time -f '%M %e %U' -o "$tmp/time" "$GEMBATCH" report "$tmp/o$n" -q
    set -- $(cat "$tmp/time")
    size=$(wc -c <"$tmp/o$n/report.html")
    echo "report: $n jobs in $2 s ($3 s user), page $((size / 1024)) KiB, peak RSS" \
        "$(($1 / 1024)) MiB (bound 64 MiB): $([ "$1" -lt 65536 ] && echo ok || echo OVER)"
    [ "$1" -lt 65536 ] || exit 1
    rm -rf "$tmp/o$n"
done
