# merge-totals: the merged run.json sums counts and tokens, merges the latency
# and time-to-first-token histograms exactly (p50/p95/p99 recomputed from the
# merged buckets; the shards stream), takes
# the earliest start and latest end, and lists each shard with its options;
# images are hard-linked (or copied with --copy) so "files" paths stay valid;
# merging merged folders gives the same result as merging the shards.
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 9 --latency 5 --jitter 40
echo '{"name":"totals","model":"gemini-2.5-flash","limits":{"rpm":6000}}' >"$T/p.json"
python3 -c "
import json
for i in range(90):
    o = {'id': 'n%d' % i, 'input': 'tell me about %d' % i}
    if i % 6 == 0:
        o = {'id': 'pic/%d' % i, 'input': 'draw %d' % i, 'response_modalities': ['IMAGE']}
    print(json.dumps(o))" >"$T/m.jsonl"
cd "$T"
for k in 1 2 3; do
    expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" --shard "$k/3" -o "s$k" -q --stream
done
expect_rc 0 "$GEMBATCH" merge s1 s2 s3 -o all --manifest m.jsonl -q
check_outputs all --manifest m.jsonl --all-ok --png
python3 - s1 s2 s3 all <<'PY'
import json, os, sys
shards = [json.load(open(os.path.join(d, "run.json"))) for d in sys.argv[1:-1]]
m = json.load(open(os.path.join(sys.argv[-1], "run.json")))
def add(a, b):
    for k, v in b.items():
        if isinstance(v, dict):
            add(a.setdefault(k, {}), v)
        else:
            a[k] = a.get(k, 0) + v
counts, tokens = {}, {}
for s in shards:
    add(counts, s["counts"])
    add(tokens, s["tokens"])
# each shard read all 90 lines: they count once; no other shard is left out
counts["lines"] = 90
counts["other_shards"] = 0
assert m["counts"] == counts, (m["counts"], counts)
assert m["tokens"] == tokens, (m["tokens"], tokens)
# the histogram is the bucket-wise sum of the shards' (hist.c's log-linear buckets)
def bucket(v):
    if v < 64:
        return (0, v)
    b = min(v.bit_length() - 1, 37)
    if b - 5 >= 32:
        return (31, 63)
    return (b - 5, (v >> (b - 6)) & 63)
def value(e, s):
    if e == 0:
        return s
    b = e + 5
    return ((1 << b) | (s << (b - 6))) + (1 << (b - 6)) // 2
def buckets(rows):
    h = {}
    for v, c in rows:
        h[bucket(v)] = h.get(bucket(v), 0) + c
    return h
for key in ("latency_ms", "ttft_ms"):
    h = buckets([r for s in shards for r in s[key]["histogram_us"]])
    lat = m[key]
    assert buckets(lat["histogram_us"]) == h, key + " histogram"
    n = sum(h.values())
    assert lat["samples"] == n == 90, (key, lat["samples"])
    mx = max(s[key]["max"] for s in shards)
    assert lat["max"] == mx, (key, lat["max"], mx)
    rows = sorted(h.items())
    def q(p):  # hist.c's rule: the bucket holding rank floor(p*(n-1))+1, capped at the max
        rank, seen = int(p * (n - 1)) + 1, 0
        for (e, s), c in rows:
            seen += c
            if seen >= rank:
                return min(value(e, s), round(mx * 1000)) / 1000.0
    for p, k in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
        assert abs(lat[k] - q(p)) < 1e-9, (key, k, lat[k], q(p))
    assert len(rows) > 5, key + ": latencies too alike to test the merge"
assert m["started"] == min(s["started"] for s in shards)
assert m["ended"] == max(s["ended"] for s in shards)
assert m["status"] == "completed"
# the shards' options, each with its share of the pipeline's 6000 rpm
ms = m["merge"]["shards"]
assert [x["dir"] for x in ms] == ["s1", "s2", "s3"], ms
assert [x["shard"] for x in ms] == [{"k": k, "n": 3} for k in (1, 2, 3)]
assert all(x["options"]["rpm"] == 2000 and x["status"] == "completed" for x in ms)
assert sum(x["results"] for x in ms) == 90
assert m["options"]["rpm"] == 6000 and "shard" not in m["options"], m["options"]
assert m["options"]["split"] == {"n": 3, "k": [1, 2, 3]}, m["options"]
assert m["pipeline"] == shards[0]["pipeline"]
assert m["merge"]["images_linked"] == 15 and m["merge"]["images_copied"] == 0, m["merge"]
PY
# images: hard links to the shards' files; with --copy, copies of the same bytes
python3 - all s1 s2 s3 <<'PY'
import json, os, sys
out, shards = sys.argv[1], sys.argv[2:]
n = 0
for l in open(os.path.join(out, "results.jsonl")):
    r = json.loads(l)
    for f in r.get("files", []):
        src = [os.path.join(s, f) for s in shards if os.path.exists(os.path.join(s, f))]
        assert len(src) == 1, (f, src)
        assert os.path.samefile(os.path.join(out, f), src[0]), f
        n += 1
assert n == 15, n
PY
expect_rc 0 "$GEMBATCH" merge s1 s2 s3 -o copied --copy -q
python3 - copied s1 s2 s3 <<'PY'
import json, os, sys
out, shards = sys.argv[1], sys.argv[2:]
for l in open(os.path.join(out, "results.jsonl")):
    for f in json.loads(l).get("files", []):
        src = [os.path.join(s, f) for s in shards if os.path.exists(os.path.join(s, f))][0]
        assert not os.path.samefile(os.path.join(out, f), src), f
        assert open(os.path.join(out, f), "rb").read() == open(src, "rb").read(), f
assert json.load(open(os.path.join(out, "run.json")))["merge"]["images_copied"] == 15
PY
# journals travel along
assert_eq "$(nlines all/journal.jsonl)" "$(cat s1/journal.jsonl s2/journal.jsonl s3/journal.jsonl | wc -l | tr -d ' ')" \
    "journal lines"
# merging merged folders: the same lines, counts and histogram as one merge
# shard 3 is absent from m12: exit 1, said on stderr
expect_rc 1 "$GEMBATCH" merge s1 s2 -o m12 -q 2>/dev/null
expect_rc 0 "$GEMBATCH" merge m12 s3 -o nested --manifest m.jsonl -q
cmp -s all/results.jsonl nested/results.jsonl || fail "nested merge: results differ"
python3 - all nested <<'PY'
import json, sys
a, b = (json.load(open(d + "/run.json")) for d in sys.argv[1:])
for k in ("counts", "tokens", "latency_ms", "pipeline"):
    assert a[k] == b[k], (k, a[k], b[k])
assert b["options"]["split"] == {"n": 3, "k": [1, 2, 3]}
PY
