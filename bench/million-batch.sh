#!/bin/sh
# million-batch.sh (`make bench-batch`): a 1,000,000-job run in Batch Mode
# on the emulator: the parts built and uploaded, the batches run, their
# results downloaded and joined, against issue 16's bound: peak RSS of the
# client under 64 MiB for the whole run. Prints the time of each stage (from
# the run's own log), the peak RSS of client and emulator, and checks every id
# ended exactly once with a schema-valid answer. BATCH_JOBS=N to change the
# size. Loopback only; about 2 minutes on 2 cores.
set -eu
. "$(dirname "$0")/lib.sh"
N=${BATCH_JOBS:-1000000}
emu_start --batch-time 200
echo '{"name":"million-batch","model":"gemini-2.5-flash","prompt":"Label {{w}}.",
 "response_format":{"type":"object","properties":{"label":{"type":"string"}},"required":["label"]}}' >"$tmp/p.json"
python3 -c "
import sys
w = sys.stdout.write
for i in range($N): w('{\"id\":\"id-%07d\",\"vars\":{\"w\":\"thing %d\"}}\n' % (i, i))" >"$tmp/m.jsonl"
t0=$(date +%s.%N)
GEMINI_API_KEY=bench /usr/bin/time -f '%M' -o "$tmp/rss" "$GEMBATCH" run "$tmp/p.json" "$tmp/m.jsonl" \
    --endpoint "$url" -o "$tmp/out" --mode batch --wait --poll-interval 0.5 --progress none \
    2>"$tmp/run.err"
t1=$(date +%s.%N)
emu_rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
python3 - "$tmp" "$N" "$t0" "$t1" "$emu_rss" <<'PY'
import json, os, sys
t, n, t0, t1, emu = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
rss = int(open(t + "/rss").read().split()[-1])
seen = set()
for l in open(t + "/out/results.jsonl"):
    r = json.loads(l)
    assert r["id"] not in seen and r["service_tier"] == "batch", l[:80]
    assert isinstance(r["output"]["label"], str), l[:200]
    seen.add(r["id"])
c = json.load(open(t + "/out/run.json"))["counts"]
assert len(seen) == n and c["completed"] == n, (len(seen), c)
ev = [json.loads(l) for l in open(t + "/out/batch/state.jsonl")]
last = {}
for e in ev:
    last[e["ev"]] = e["at"]
up = sum(e["bytes"] for e in ev if e["ev"] == "part")
stages = ", ".join(f"{k} {last[k] - t0:.1f}" for k in ("built", "uploaded", "created", "ended",
                                                       "downloaded", "joined") if k in last)
print(f"million-batch: {n} jobs in batch mode in {t1 - t0:.1f} s ({n / (t1 - t0):.0f} jobs/s), "
      f"{up / 2**20:.0f} MiB of requests in {sum(e['ev'] == 'part' for e in ev)} parts; "
      f"peak RSS {rss / 1024:.1f} MiB (bound 64 MiB): {'ok' if rss < 64 * 1024 else 'OVER'}; "
      f"emulator peak RSS {emu / 1024:.1f} MiB")
print(f"million-batch: stages done at (s from start): {stages}")
sys.exit(0 if rss < 64 * 1024 else 1)
PY
