#!/bin/sh
# cache-run.sh (`make bench-cache-run`, part of `make bench`): issue 17's
# figure. A first run of CACHE_JOBS (100,000) text jobs fills an answer cache
# from the emulator; a second run of the same jobs into a new folder is served
# entirely from the cache. Prints the second run's wall time, CPU and peak RSS
# against the 64 MiB bound, and the cache's size on disk. Loopback only;
# about 2 minutes on 2 cores, most of it the first run.
set -eu
. "$(dirname "$0")/lib.sh"
N=${CACHE_JOBS:-100000}
echo '{"name":"cached","model":"gemini-2.5-flash","prompt":"Label {{w}}.",
 "generation_config":{"temperature":0}}' >"$tmp/p.json"
python3 -c "
import sys
for i in range($N): sys.stdout.write('{\"id\":\"c%d\",\"vars\":{\"w\":\"thing %d\"}}\n' % (i, i))" >"$tmp/m.jsonl"
emu_start
t0=$(date +%s.%N)
GEMINI_API_KEY=bench "$GEMBATCH" run "$tmp/p.json" "$tmp/m.jsonl" --endpoint "$url" -o "$tmp/night1" \
    --cache "$tmp/answers.db" -j 64 --progress none -q
t1=$(date +%s.%N)
# the emulator stays up (a run checks its endpoint at the start); the
# second run must send it nothing
GEMINI_API_KEY=bench /usr/bin/time -f '%M %U %S %e' -o "$tmp/time" "$GEMBATCH" run "$tmp/p.json" \
    "$tmp/m.jsonl" --endpoint "$url" -o "$tmp/night2" --cache "$tmp/answers.db" --progress none -q
python3 - "$tmp" "$N" "$t0" "$t1" <<'PY'
import json, os, sys
t, n, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rss, user, sys_, wall = open(t + "/time").read().split()[-4:]
rj = json.load(open(t + "/night2/run.json"))
assert rj["counts"]["completed"] == n, rj["counts"]
assert rj["cache"]["served"] == n and rj["counts"]["attempts"] == 0, (rj["cache"], rj["counts"])
size = 0
for dp, _, fs in os.walk(t):
    for f in fs:
        p = os.path.join(dp, f)
        if p.startswith(t + "/answers.db"):
            size += os.path.getsize(p)
rss_mib = int(rss) / 1024
print("cache-run: %d jobs; first run (emulator) %.1f s; second run all from the cache: "
      "%.1f s wall, %.1f s CPU, peak RSS %.1f MiB (bound 64), cache on disk %.1f MiB "
      "(%d bytes an answer), saved $%.4f"
      % (n, t1 - t0, float(wall), float(user) + float(sys_), rss_mib, size / 2**20, size // n,
         rj["cache"]["saved_usd"]))
assert rss_mib < 64, "past the memory bound"
PY
