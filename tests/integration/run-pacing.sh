# run-pacing: the client keeps to --rpm and --tpm by itself (token buckets,
# a burst of one second's worth), read off the emulator's request log: no
# one-second window holds more than a burst plus a second's refill, and the
# whole run takes at least as long as the budget demands. Lower bounds only:
# a slow machine makes a run longer, never shorter.
. "$(dirname "$0")/lib.sh"
start_emulator emu --log "$T/emu.log"
echo '{"name":"pacing","model":"gemini-2.5-flash","limits":{"concurrency":16}}' >"$T/p.json"
py "
import json
for i in range(40): print(json.dumps({'id': 'r%d' % i, 'input': 'question %d' % i}))" >"$T/rpm.jsonl"
py "
import json
words = ' '.join('word%d' % k for k in range(300))
for i in range(20): print(json.dumps({'id': 't%d' % i, 'input': 'summarise %d: %s' % (i, words)}))" >"$T/tpm.jsonl"

# span.py LOG PREFIX: first-to-last create time and the busiest 1 s window
cat >"$T/span.py" <<'PY'
import datetime, json, sys
ts = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["method"] == "POST" and o["path"].endswith("/interactions") and o["status"] == 200:
        ts.append(datetime.datetime.fromisoformat(o["ts"].replace("Z", "+00:00")).timestamp())
ts.sort()
busiest = max(sum(1 for u in ts if t <= u < t + 1.0) for t in ts)
print("%d %.3f %d" % (len(ts), ts[-1] - ts[0], busiest))
PY

# ---- --rpm 600: 10 a second, burst 10; 40 jobs need at least 3 s
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/rpm.jsonl" --endpoint "$emu_URL" -o "$T/rpm" \
    --rpm 600 -q
check_outputs "$T/rpm" --manifest "$T/rpm.jsonl" --all-ok
set -- $(python3 "$T/span.py" "$T/emu.log")
note "--rpm 600: $1 requests over $2 s, at most $3 in one second"
assert_eq "$1" 40 "requests"
py "import sys; assert float(sys.argv[1]) >= 2.9, sys.argv[1]" "$2" || fail "40 requests at --rpm 600 took $2 s"
[ "$3" -le 21 ] || fail "$3 requests in one second at --rpm 600 (burst 10 + 10 a second)"

# ---- --tpm: the bucket is charged the estimate, then corrected by the usage
# that comes back; the run takes at least (input tokens - burst - one request)
# over the rate
: >"$T/emu.log"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/tpm.jsonl" --endpoint "$emu_URL" -o "$T/tpm" \
    --tpm 120000 -q
check_outputs "$T/tpm" --manifest "$T/tpm.jsonl" --all-ok
set -- $(python3 "$T/span.py" "$T/emu.log")
python3 - "$T/tpm/run.json" "$1" "$2" "$3" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
n, span, busiest = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
tin = run["tokens"]["input"]
per = tin / n
need = (tin - 2000 - per) / 2000.0       # 120000 tpm: 2000 a second, burst 2000
print(f"--tpm 120000: {n} requests, {tin} input tokens ({per:.0f} each) over {span:.2f} s "
      f"(at least {need:.2f} s), at most {busiest} in one second", file=sys.stderr)
assert n == 20 and per > 300, (n, per)
assert span >= need * 0.95, (span, need)
assert busiest * per <= 4000 + 2 * per, (busiest, per)
PY
