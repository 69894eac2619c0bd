# run-estimate: --dry-run's cost estimate against what a run on the emulator
# bills, for every priced sample pipeline (images, a PDF, audio, video,
# generated images, the two-step and the tool pipeline): within 15 %. The
# estimate reads the real files (image tiles, durations, pages), generates
# instances of each schema for the output, counts every step and tool turn
# with the conversation it carries, and says how it estimated.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
grep -v '^#' samples/index.tsv | while IFS='	' read -r name input; do
    [ -n "$name" ] || continue
    [ "$name" = deep-research ] && continue # an agent: no price, said as unknown below
    "$GEMBATCH" run "pipelines/$name.json" "$input" --dry-run >"$T/$name.dry" 2>"$T/$name.err" ||
        fail "dry run of $name: $(cat "$T/$name.err")"
    grep -q "how: input from the files" "$T/$name.err" || fail "$name: the estimate does not say how"
    "$GEMBATCH" run "pipelines/$name.json" "$input" --emulator -o "$T/$name" -q --rpm 100000 ||
        fail "run of $name"
    python3 - "$T/$name.err" "$T/$name/run.json" "$name" <<'PY'
import json, re, sys
err = open(sys.argv[1]).read()
est = float(re.search(r"estimated cost \$([0-9.]+) at standard", err).group(1))
billed = json.load(open(sys.argv[2]))["cost"]["total_usd"]
ratio = est / billed
print("%-20s estimated $%.6f, billed $%.6f (%.2f)" % (sys.argv[3], est, billed, ratio), file=sys.stderr)
assert 0.85 <= ratio <= 1.15, (sys.argv[3], est, billed)
PY
done
"$GEMBATCH" run pipelines/deep-research.json samples/topics.jsonl --dry-run 2>"$T/dr.err" >/dev/null
grep -q "estimated cost unknown" "$T/dr.err" || fail "an agent's cost was not said to be unknown: $(cat "$T/dr.err")"
