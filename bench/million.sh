#!/bin/sh
# million.sh (`make bench-million`): every line of a 1,000,000-line manifest
# sent to the emulator (zero latency, -j 64), against issue 3's bound: peak
# RSS under 64 MiB for the whole run. Prints wall time, jobs/s and peak RSS
# of the client, and checks every id ended exactly once. About 3 minutes on
# 2 cores. Loopback only; the emulator keeps no interactions (store:false).
set -eu
. "$(dirname "$0")/lib.sh"
N=${MILLION_JOBS:-1000000}
emu_start
echo '{"name":"million","model":"gemini-2.5-flash","store":false,"limits":{"concurrency":64}}' >"$tmp/p.json"
python3 -c "
import sys
w = sys.stdout.write
for i in range($N): w('{\"id\":\"id-%07d\",\"input\":\"question number %d\"}\n' % (i, i))" >"$tmp/m.jsonl"
t0=$(date +%s.%N)
GEMINI_API_KEY=bench /usr/bin/time -f '%M' -o "$tmp/rss" "$GEMBATCH" run "$tmp/p.json" "$tmp/m.jsonl" \
    --endpoint "$url" -o "$tmp/out" --progress none -q
t1=$(date +%s.%N)
python3 - "$tmp" "$N" "$t0" "$t1" <<'PY'
import json, sys
t, n, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rss = int(open(t + "/rss").read().split()[-1])
seen = set()
for l in open(t + "/out/results.jsonl"):
    i = l[7:17]
    assert l.startswith('{"id":"id-') and i not in seen, l[:40]
    seen.add(i)
c = json.load(open(t + "/out/run.json"))["counts"]
assert len(seen) == n and c["completed"] == n, (len(seen), c)
print(f"million: {n} jobs in {t1 - t0:.1f} s ({n / (t1 - t0):.0f} jobs/s), peak RSS {rss / 1024:.1f} MiB "
      f"(bound 64 MiB): {'ok' if rss < 64 * 1024 else 'OVER'}")
sys.exit(0 if rss < 64 * 1024 else 1)
PY
