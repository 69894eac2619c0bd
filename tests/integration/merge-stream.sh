# merge-stream: merge streams its inputs: peak RSS stays far below the size of
# the folders (2 x 100,000 results, 105 MB) and grows with the number of ids
# only; a merge killed midway leaves each output file whole (old or new,
# never half) and its staging folder is cleared by the next merge.
# slow
. "$(dirname "$0")/lib.sh"
LIMIT_KB=$((48 * 1024))
# ASan's shadow memory makes RSS meaningless: under `make check` the flow
# still runs (for memory errors and leaks); the bound is asserted by the plain build.
[ -n "${GEMBATCH_SAN:-}" ] && LIMIT_KB=$((4 * 1024 * 1024))
python3 - "$T" <<'PY'
import json, os, sys
t = sys.argv[1]
pad = "lorem ipsum " * 40
for k in (1, 2):
    d = os.path.join(t, "s%d" % k)
    os.makedirs(d)
    run = {"pipeline": {"name": "big", "path": "big.json", "digest": "d1g35t"},
           "inputs": ["big.jsonl"], "options": {"rpm": 0, "tpm": 0, "shard": {"k": k, "n": 2}},
           "status": "completed", "started": "2026-01-0%dT00:00:00Z" % k,
           "ended": "2026-01-0%dT01:00:00Z" % k,
           "counts": {"lines": 200000, "jobs": 100000, "completed": 100000, "failed": 0},
           "tokens": {"input": 100000, "output": 1000000, "thought": 0, "total": 1100000},
           "latency_ms": {"p50": 1, "p95": 1, "p99": 1, "max": 1.5, "samples": 100000,
                          "histogram_us": [[1000, 70000], [1500, 30000]]}}
    json.dump(run, open(os.path.join(d, "run.json"), "w"))
    with open(os.path.join(d, "results.jsonl"), "w") as f:
        for i in range(k - 1, 200000, 2):
            f.write('{"id":"big-%06d","status":"completed","text":"%d %s"}\n' % (i, i, pad))
PY
peak_rss_kb "$T/rss" "$GEMBATCH" merge "$T/s1" "$T/s2" -o "$T/out" -q || fail "merge failed"
note "2 x 100,000 results, $(du -sm "$T/s1" | cut -f1) MB each: peak RSS $(cat "$T/rss") KiB"
[ "$(cat "$T/rss")" -lt $LIMIT_KB ] || fail "peak RSS $(cat "$T/rss") KiB >= $LIMIT_KB KiB"
assert_eq "$(nlines "$T/out/results.jsonl")" 200000 "merged results"
python3 -c "
import json; r = json.load(open('$T/out/run.json'))
assert r['counts']['completed'] == 200000 and r['counts']['lines'] == 200000, r['counts']
assert r['latency_ms']['samples'] == 200000 and abs(r['latency_ms']['p50'] - 1.0) < 0.02, r['latency_ms']
assert r['started'] == '2026-01-01T00:00:00Z' and r['ended'] == '2026-01-02T01:00:00Z'
assert r['wall_s'] == 90000, r['wall_s']"

# killed midway: every file in out is whole, old or new
for delay in 0.05 0.2 0.5; do
    "$GEMBATCH" merge "$T/s2" "$T/s1" -o "$T/out" -q --force &
    pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    assert_eq "$(nlines "$T/out/results.jsonl")" 200000 "results after a kill at ${delay}s"
    [ "$(tail -c 1 "$T/out/results.jsonl" | od -An -c | tr -d ' ')" = '\n' ] || fail "torn results"
    python3 -c "import json; json.load(open('$T/out/run.json'))" || fail "run.json is not whole"
done
# the next merge clears what a killed one staged
expect_rc 0 "$GEMBATCH" merge "$T/s2" "$T/s1" -o "$T/out" -q --force
[ ! -e "$T/out/.merge-tmp" ] || fail "staging folder left behind"
ls "$T/out" | grep -q tmp && fail "temporary files left behind: $(ls -a "$T/out")"
head -n 1 "$T/out/results.jsonl" | grep -q '"id":"big-000001"' || fail "s2 did not come first"
true
