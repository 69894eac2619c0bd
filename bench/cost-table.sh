#!/bin/sh
# cost-table.sh (`make bench-cost`): what each sample pipeline (samples/
# index.tsv) costs at each service tier, billed by the ledger from the
# emulator's usage (synthetic answers, prices/gemini.json): standard, flex,
# priority online, and --mode batch where the Batch API can express the
# pipeline; beside the --dry-run estimate at standard. Prints a markdown
# table. The emulator's usage matches the service's token accounting for
# inputs; its output lengths are synthetic, so read the ratios, not the sums.
set -eu
. "$(dirname "$0")/lib.sh"
cd "$root"
fast="--rpm 100000 --poll-interval 0.2 --progress none -q"
echo "| pipeline | jobs | estimate (standard) | standard | flex | priority | batch |"
echo "|---|---:|---:|---:|---:|---:|---:|"
grep -v '^#' samples/index.tsv | while IFS='	' read -r name input; do
    [ -n "$name" ] || continue
    row="| $name"
    est=$(GEMINI_API_KEY=none "$GEMBATCH" run "pipelines/$name.json" "$input" --dry-run 2>&1 |
          sed -n 's/.*estimated cost[^$]*\$\([0-9.]*\).*/\1/p' | head -n 1)
    for tier in standard flex priority batch; do
        out="$tmp/$name-$tier"
        if [ "$tier" = batch ]; then
            args="--mode batch --wait"
        else
            args="--tier $tier"
        fi
        rc=0
        # shellcheck disable=SC2086
        "$GEMBATCH" run "pipelines/$name.json" "$input" --emulator -o "$out" $args $fast \
            </dev/null 2>"$out.err" || rc=$?
        if [ "$rc" -ne 0 ]; then
            cost="n/a"
        else
            cost=$(python3 -c "
import json, sys
rj = json.load(open(sys.argv[1]))
print('%d %.4f' % (rj['counts']['completed'], rj['cost']['total_usd']))" "$out/run.json")
            jobs=${cost% *}
            cost=\$${cost#* }
        fi
        eval "c_$tier=\$cost"
    done
    # shellcheck disable=SC2154
    echo "$row | $jobs | \$${est:-?} | $c_standard | $c_flex | $c_priority | $c_batch |"
done
