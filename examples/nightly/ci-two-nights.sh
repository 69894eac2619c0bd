#!/bin/sh
# ci-two-nights.sh: run gembatch-nightly.service's ExecStart= command line (not
# systemd itself) on two nights against the emulator, and check that the second
# night pays only for what changed: 40 scans, then 3 of them changed and 1 new,
# so night 2 sends exactly 4 requests and costs what those 4 cost (the saving
# is what the 37 cached answers cost on night 1), its results equal a fresh
# run's, the metrics parse and count the cache hits, and `latest` points at
# night 2.
# Usage: GEMBATCH=build/gembatch examples/nightly/ci-two-nights.sh
# Exit 0 passed, 1 failed, 77 skipped (a gembatch whose run does not use
# --cache yet).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
GEMBATCH=${GEMBATCH:-$ROOT/build/gembatch}
T=$(mktemp -d "${TMPDIR:-/tmp}/gb-nightly.XXXXXX")
emu_pid=""
cleanup() {
    [ -z "$emu_pid" ] || kill "$emu_pid" 2>/dev/null || true
    [ "${KEEP_TMP:-0}" = 1 ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "ci-two-nights: FAIL: $*" >&2; exit 1; }
skip() { echo "ci-two-nights: SKIPPED: $*" >&2; exit 77; }
"$GEMBATCH" run --help | grep -q -- '--cache PATH' || skip "this gembatch has no run --cache"

# the scans: a folder of 40 small PNGs, one job per file (its path as the id)
python3 "$ROOT/tests/tools/mkmedia.py" "$T/media" --copies 40 >/dev/null
mkdir -p "$T/scans" "$T/etc"
i=0
for f in $(find "$T/media" -name '*.png' | sort | head -n 40); do
    i=$((i + 1))
    cp "$f" "$T/scans/scan-$i.png"
done
[ "$i" = 40 ] || fail "mkmedia made $i PNGs, not 40"
n=$i
printf 'emulator-key\n' >"$T/etc/gemini-key"
chmod 600 "$T/etc/gemini-key"

"$GEMBATCH" emulate --listen 127.0.0.1:0 --log "$T/emu.log" >"$T/emu.url" 2>"$T/emu.err" &
emu_pid=$!
while [ ! -s "$T/emu.url" ]; do kill -0 "$emu_pid" || fail "the emulator exited"; sleep 0.05; done

# the service's environment, as /etc/gembatch/nightly.env would give it
export PIPELINE="$here/label-scans.json" INPUT="$T/scans" OUT_ROOT="$T/out" \
    CACHE="$T/answers.db" METRICS="$T/gembatch.prom" CREDENTIALS_DIRECTORY="$T/etc" \
    GEMINI_BASE_URL="$(head -n 1 "$T/emu.url")" GEMBATCH

# ExecStart= with systemd's rules: continuation lines, ${VAR}, %% for %
night() {
    TZ=$1 python3 - "$here/gembatch-nightly.service" <<'PY'
import os, re, shlex, subprocess, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
line = next(l for l in text.splitlines() if l.startswith("ExecStart="))
cmd = line[len("ExecStart="):].lstrip("-@:+!")
cmd = re.sub(r"\$\{(\w+)\}", lambda m: os.environ[m.group(1)], cmd).replace("%%", "%")
argv = shlex.split(cmd)
argv[0] = os.environ["GEMBATCH"]
sys.exit(subprocess.call(argv))
PY
}
posts() { grep -c '"method":"POST"' "$T/emu.log" || true; }

rc=0; night UTC+12 >"$T/night1.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/night1.log" >&2; fail "night 1 exited $rc"; }
night1=$(posts)
rows=$("$GEMBATCH" cache stats --cache "$CACHE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"])')
[ "$rows" -gt 0 ] || skip "night 1 stored nothing in the cache: this gembatch's run does not use --cache yet"
[ "$rows" = "$n" ] || fail "night 1 cached $rows answers, expected $n"

# between the nights: 3 scans changed, 1 new one
for k in 2 5 9; do printf 'changed' >>"$T/scans/scan-$k.png"; done
cp "$T/scans/scan-1.png" "$T/scans/scan-new.png"; printf 'x' >>"$T/scans/scan-new.png"
rc=0; night UTC-14 >"$T/night2.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/night2.log" >&2; fail "night 2 exited $rc"; }
night2=$(($(posts) - night1))
[ "$night2" = 4 ] || fail "night 2 sent $night2 requests, expected 4 (3 changed, 1 new)"

d1=$(TZ=UTC+12 date +%Y-%m-%d); d2=$(TZ=UTC-14 date +%Y-%m-%d)
[ "$(readlink "$T/out/latest")" = "$d2" ] || fail "latest -> $(readlink "$T/out/latest"), expected $d2"
# a fresh run without the cache gives the same answers
"$GEMBATCH" run "$PIPELINE" "$INPUT" -o "$T/fresh" -q --api-key-file "$T/etc/gemini-key" ||
    fail "the fresh run failed"
python3 - "$T/out/$d2/results.jsonl" "$T/fresh/results.jsonl" "$METRICS" "$n" <<'PY' || exit 1
import json, sys
def load(p):
    keep = ("status", "model", "output", "text")
    return {r["id"]: {k: r.get(k) for k in keep} for r in map(json.loads, open(p))}
night, fresh = load(sys.argv[1]), load(sys.argv[2])
if night != fresh:
    bad = sorted(i for i in set(night) | set(fresh) if night.get(i) != fresh.get(i))
    sys.exit("ci-two-nights: FAIL: night 2 differs from a fresh run at %s" % bad[:5])
cached = sum(1 for r in map(json.loads, open(sys.argv[1])) if r.get("cached"))
if cached != int(sys.argv[4]) - 3:
    sys.exit("ci-two-nights: FAIL: %d results say cached, expected %d" % (cached, int(sys.argv[4]) - 3))
text = open(sys.argv[3]).read()
hits = [l for l in text.splitlines() if l.startswith("gembatch_cache_hits_total ")]
if hits != ["gembatch_cache_hits_total %d" % cached]:
    sys.exit("ci-two-nights: FAIL: metrics say %s, results %d hits" % (hits, cached))
PY
# the second night's cost: what its 4 requests cost, nothing for the 37 served
# from the cache, and the saving is what those 37 cost on night 1
python3 - "$T/out/$d1" "$T/out/$d2" <<'PY' || exit 1
import json, sys
def lines(d):
    return {r["id"]: r for r in map(json.loads, open(d + "/results.jsonl"))}
n1, n2 = lines(sys.argv[1]), lines(sys.argv[2])
r1, r2 = (json.load(open(d + "/run.json")) for d in sys.argv[1:3])
paid = [r for r in n2.values() if not r.get("cached")]
served = [r for r in n2.values() if r.get("cached")]
cost2 = r2["cost"]["total_usd"]
def check(ok, what):
    if not ok:
        sys.exit("ci-two-nights: FAIL: " + what)
check(len(paid) == 4 and len(served) == len(n2) - 4, "%d paid, %d served" % (len(paid), len(served)))
check(all(r["cost_usd"] == 0 for r in served), "a cached answer was charged")
check(cost2 > 0 and abs(cost2 - sum(r["cost_usd"] for r in paid)) < 1e-12,
      "night 2 cost %r is not its 4 requests' %r" % (cost2, sum(r["cost_usd"] for r in paid)))
saved = sum(n1[r["id"]]["cost_usd"] for r in served)
check(abs(r2["cache"]["saved_usd"] - saved) < 1e-9,
      "saved %r, night 1 paid %r for those answers" % (r2["cache"]["saved_usd"], saved))
check(cost2 < 0.2 * r1["cost"]["total_usd"], "night 2 cost %r of night 1's %r" % (cost2, r1["cost"]["total_usd"]))
print("ci-two-nights: night 1 cost $%.6f, night 2 $%.6f, saved $%.6f"
      % (r1["cost"]["total_usd"], cost2, r2["cache"]["saved_usd"]))
PY
for p in python3 /usr/bin/python3; do
    if $p -c 'import prometheus_client' 2>/dev/null; then
        $p "$ROOT/tests/tools/check_metrics.py" "$METRICS" --run-json "$T/out/$d2/run.json" >/dev/null ||
            fail "the metrics file does not check"
        break
    fi
done
echo "ci-two-nights: night 1 sent $night1 requests, night 2 sent $night2 ($d1, $d2)"
