#!/bin/sh
# flex.sh (`make bench-flex`, part of `make bench`): 2,000 jobs at service
# tier flex against an emulator whose flex answers take seconds and 20 % of
# whose flex creates are shed (503/429), beside the same jobs at standard with
# the same latency and no shedding. Prints wall time against the ideal (jobs x
# mean latency / concurrency), CPU per 1,000 requests, peak RSS, and the sheds
# run.json counted; then 3x the jobs at flex to show RSS follows the
# concurrency, not the job count. FLEX_JOBS=N, FLEX_J=N (concurrency) to
# change. Loopback only; about 1.5 minutes on 2 cores.
set -eu
. "$(dirname "$0")/lib.sh"
N=${FLEX_JOBS:-2000}
J=${FLEX_J:-400}
LAT=3000 JIT=1000
echo '{"name":"flex","model":"gemini-2.5-flash","store":false,"prompt":"Label {{w}}."}' >"$tmp/p.json"
mk() { python3 -c "
import sys
for i in range($1): sys.stdout.write('{\"id\":\"f%d\",\"vars\":{\"w\":\"thing %d\"}}\n' % (i, i))" >"$tmp/m$1.jsonl"; }
# one: NAME JOBS TIER EMULATOR-ARGS...
one() {
    name=$1 n=$2 tier=$3; shift 3
    emu_start "$@"
    [ -f "$tmp/m$n.jsonl" ] || mk "$n"
    rm -rf "$tmp/out"
    t0=$(date +%s.%N)
    GEMINI_API_KEY=bench /usr/bin/time -f '%M %U %S' -o "$tmp/time" "$GEMBATCH" run "$tmp/p.json" \
        "$tmp/m$n.jsonl" --endpoint "$url" -o "$tmp/out" --tier "$tier" -j "$J" --progress none -q
    t1=$(date +%s.%N)
    python3 - "$tmp" "$name" "$n" "$t0" "$t1" "$J" "$LAT" "$JIT" <<'PY'
import json, sys
t, name, n, t0, t1, j, lat, jit = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), \
    float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
rss, user, sys_ = open(t + "/time").read().split()[-3:]
rj = json.load(open(t + "/out/run.json"))
c = rj["counts"]
assert c["completed"] == n, c
ids = set()
for l in open(t + "/out/results.jsonl"):
    ids.add(json.loads(l)["id"])
assert len(ids) == n
wall = t1 - t0
ideal = n * (lat + jit / 2) / 1000 / j
req = c.get("attempts", n)
cpu = float(user) + float(sys_)
print(f"{name:<34} {n:>5} jobs -j {j}: wall {wall:5.1f} s (ideal {ideal:4.1f} s, "
      f"{100 * ideal / wall:3.0f} %), {req} attempts, shed {c.get('shed', 0)}, "
      f"CPU {1000 * cpu / req:.2f} s/1k req, peak RSS {int(rss) / 1024:.1f} MiB")
PY
}
one "standard, latency ${LAT}:${JIT} ms" "$N" standard --latency "$LAT" --jitter "$JIT"
one "flex, flex latency ${LAT}:${JIT}, shed 20 %" "$N" flex --flex-latency "$LAT:$JIT" \
    --fault shed=0.2 --seed 5
[ -n "${QUICK:-}" ] || one "flex, as above, 3x the jobs" $((N * 3)) flex --flex-latency "$LAT:$JIT" \
    --fault shed=0.2 --seed 5
