#!/bin/sh
# instructions.sh (`make bench-ir`): the instructions the client spends on
# 2,000 zero-latency jobs with a schema (-j 64), counted by valgrind's
# callgrind: repeatable to a fraction of a percent on a noisy machine, where
# wall and CPU times are not. Compare two builds with
#   GEMBATCH=old/gembatch bench/instructions.sh; bench/instructions.sh
# Loopback only.
set -eu
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "bench: valgrind is missing (scripts/install-deps)" >&2; exit 2; }
emu_start
echo '{"name":"bench","model":"gemini-2.5-flash","response_format":{"type":"object",
 "properties":{"label":{"type":"string"}},"required":["label"]}}' >"$tmp/p.json"
python3 -c "
for i in range(2000): print('{\"id\": \"b%d\", \"input\": \"Classify item number %d please.\"}' % (i, i))" \
    >"$tmp/m.jsonl"
GEMINI_API_KEY=bench valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$GEMBATCH" run \
    "$tmp/p.json" "$tmp/m.jsonl" -o "$tmp/out" --endpoint "$url" -j 64 -q --progress none \
    2>"$tmp/vg.err" || { cat "$tmp/vg.err" >&2; exit 1; }
ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/vg.err")
n=$(wc -l <"$tmp/out/results.jsonl")
[ "$n" = 2000 ] || { echo "bench: $n results of 2000" >&2; exit 1; }
echo "instructions: $(echo "$ir" | awk '{printf "%.1f M", $1 / 1e6}') for 2000 jobs" \
    "($(echo "$ir" | awk '{printf "%.0f", $1 / 2000}') a job), $GEMBATCH"
