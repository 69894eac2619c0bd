#!/bin/sh
# soak.sh: the long robustness runs of issue 8 (`make soak`; not part of make
# test). Prints a report and writes it to SOAK_REPORT.
#
# 1. Soak: SOAK_JOBS (100,000) jobs with a response_format against an emulator
#    with every fault kind and an --rpm limit, the attempt timeout short enough
#    that `slow` answers are cut. Every id must end exactly once, every output
#    must be valid (checked independently), and run.json must report the
#    retries and re-asks (cross-checked against the emulator's request log).
# 2. Kill loop: SOAK_KILL_JOBS (30,000) jobs, kill -9 at SOAK_KILLS (20)
#    random moments, then run to completion. The ids and each id's text and
#    output must equal an uninterrupted run's against the same emulator seed,
#    with no duplicates and no torn lines. Transport faults only here: a
#    schema_violation re-ask changes the answer, so outputs could not be
#    compared.
#
# SOAK_SEED (7) seeds the emulator and the kill moments; SOAK_RPM (120000) is
# the emulator's limit; SOAK_PART=soak|kill runs one part; SOAK_API=v1 runs
# the soak in the /v1/ dialect with the continuation fault added (answers in
# hops); KEEP_TMP=1 keeps the folders.
. "$(dirname "$0")/../integration/lib.sh"
JOBS=${SOAK_JOBS:-100000}
KILL_JOBS=${SOAK_KILL_JOBS:-30000}
KILLS=${SOAK_KILLS:-20}
SEED=${SOAK_SEED:-7}
RPM=${SOAK_RPM:-120000}
PART=${SOAK_PART:-all}
API=${SOAK_API:-v1beta}
REPORT=${SOAK_REPORT:-$ROOT/build/soak/latest.txt}
mkdir -p "$(dirname "$REPORT")"
: >"$T/report"
say() { echo "$*" | tee -a "$T/report" >&2; }
now() { date +%s.%N; }
secs() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

cat >"$T/schema.json" <<'S'
{"type":"object","additionalProperties":false,
 "properties":{"label":{"type":"string","enum":["cat","dog","bird","other"]},
               "score":{"type":"number","minimum":0,"maximum":1},
               "tags":{"type":"array","items":{"type":"string","maxLength":12},"maxItems":3}},
 "required":["label","score"]}
S
cat >"$T/p.json" <<'P'
{"name":"soak","model":"gemini-2.5-flash","prompt":"Classify item {{n}}: {{text}}",
 "response_format":{"$file":"schema.json"},"validate":{"reask":2},
 "limits":{"concurrency":64,"max_attempts":10}}
P
manifest() { # N PREFIX > file
    python3 -c "
import json, sys
n, p = int(sys.argv[1]), sys.argv[2]
w = sys.stdout.write
for i in range(n):
    w(json.dumps({'id': '%s%d' % (p, i), 'vars': {'n': i, 'text': 'thing number %d' % i}}) + '\n')" "$1" "$2"
}
say "gembatch soak, $(date -u +%FT%TZ), $(uname -m), $(nproc) cores, binary $GEMBATCH"

# ---- 1. soak ---------------------------------------------------------------------
if [ "$PART" = all ] || [ "$PART" = soak ]; then
    FAULTS=429=0.1,500=0.03,503=0.05,reset=0.02,slow=0.01,bad_json=0.02,schema_violation=0.05
    [ "$API" = v1 ] && FAULTS=$FAULTS,continuation=0.1
    # --max-stored: a re-ask waiting out a few backoffs must still find the
    # interaction it continues (the emulator's default keeps the last 10,000)
    start_emulator soak --seed "$SEED" --rpm "$RPM" --fault "$FAULTS" --slow-ms 10000 \
        --latency 2 --jitter 8 --max-stored 300000 --log "$T/soak.log"
    manifest "$JOBS" s >"$T/soak.jsonl"
    say ""
    say "soak: $JOBS jobs, emulator --rpm $RPM --fault $FAULTS --slow-ms 10000"
    say "      run -j 64 --timeout 2 --max-attempts 10, validate.reask 2, --api-version $API"
    t0=$(now)
    rc=0
    peak_rss_kb "$T/soak.rss" "$GEMBATCH" run "$T/p.json" "$T/soak.jsonl" --endpoint "$soak_URL" \
        -o "$T/soak-out" --timeout 2 --progress plain --api-version "$API" 2>"$T/soak.err" || rc=$?
    t1=$(now)
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || { tail -n 20 "$T/soak.err" >&2; fail "soak run exited $rc"; }
    stop_emulator soak
    check_outputs "$T/soak-out" --manifest "$T/soak.jsonl" --schema "$T/schema.json"
    python3 - "$T/soak-out/run.json" "$T/soak.log" "$JOBS" "$(secs "$t0" "$t1")" \
        "$(cat "$T/soak.rss")" "$rc" >>"$T/report" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
c = run["counts"]
jobs, wall, rss, rc = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
creates = faults = 0
for l in open(sys.argv[2]):
    o = json.loads(l)
    if o.get("method") == "POST" and str(o.get("path", "")).endswith("/interactions"):
        creates += 1
http = c["http"]
print(f"      exit {rc}, wall {wall:.1f} s ({jobs / wall:.0f} jobs/s), peak RSS {rss / 1024:.1f} MiB")
print(f"      completed {c['completed']}, failed {c['failed']}, attempts {c['attempts']}, "
      f"retries {c['retries']}, timeouts {c['timeouts']}, network errors {c['network_errors']}, "
      f"bad bodies {c['bad_responses']}")
print(f"      re-asks {c['reasks']} (fixed {c['reasks_fixed']}), schema failures "
      f"{c['schema_violations']}, in doubt {c['in_doubt']}, continuations {c['continuations']}")
print("      http " + ", ".join(f"{k}: {v}" for k, v in sorted(http.items())))
print(f"      emulator received {creates} create requests; the driver counts {c['attempts']} "
      f"attempts")
assert c["completed"] + c["failed"] == jobs, c
assert c["retries"] > 0 and c["reasks"] > 0 and c["timeouts"] > 0, c
assert http.get("429", 0) > 0 and http.get("500", 0) > 0 and http.get("503", 0) > 0, http
assert c["failed"] <= jobs // 1000, f"{c['failed']} jobs failed for good"
# every attempt the driver counts reached the emulator, and nothing more
assert creates == c["attempts"], (creates, c["attempts"])
PY
    tail -n 5 "$T/report" >&2
fi

# ---- 2. kill loop --------------------------------------------------------------------
if [ "$PART" = all ] || [ "$PART" = kill ]; then
    KFAULTS=429=0.05,500=0.02,503=0.03,reset=0.02,slow=0.005,bad_json=0.02
    start_emulator kill --seed "$SEED" --fault "$KFAULTS" --slow-ms 5000 --latency 40 --jitter 40
    manifest "$KILL_JOBS" k >"$T/kill.jsonl"
    say ""
    say "kill loop: $KILL_JOBS jobs, emulator --fault $KFAULTS --latency 40 --jitter 40,"
    say "           run -j 64 --timeout 2 --max-attempts 10; $KILLS kill -9 at random moments"
    # run_to_end OUT: run (resuming) until every job completed; prints the runs' walls
    run_to_end() {
        _n=0
        while :; do
            _n=$((_n + 1))
            _rc=0
            "$GEMBATCH" run "$T/p.json" "$T/kill.jsonl" --endpoint "$kill_URL" -o "$1" \
                --timeout 2 --progress none 2>>"$1.err" || _rc=$?
            [ "$_rc" = 0 ] && return 0
            [ "$_rc" = 1 ] && [ $_n -lt 4 ] || fail "run into $1 exited $_rc (round $_n)"
        done
    }
    t0=$(now)
    run_to_end "$T/ref"
    t1=$(now)
    say "  uninterrupted run: $(secs "$t0" "$t1") s"
    python3 -c "
import random, sys
r = random.Random(int(sys.argv[1]))
print(' '.join('%.2f' % r.uniform(0.2, 3.0) for _ in range(int(sys.argv[2]))))" "$SEED" "$KILLS" \
        >"$T/moments"
    t2=$(now)
    killed=0
    k=0
    for m in $(cat "$T/moments"); do
        k=$((k + 1))
        "$GEMBATCH" run "$T/p.json" "$T/kill.jsonl" --endpoint "$kill_URL" -o "$T/killed" \
            --timeout 2 --progress none 2>>"$T/killed.err" &
        pid=$!
        sleep "$m"
        if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
        wait "$pid" 2>/dev/null || true
        echo "$k $m $(nlines "$T/killed/results.jsonl")" >>"$T/kill-progress"
    done
    t3=$(now)
    run_to_end "$T/killed"
    t4=$(now)
    # the interrupted runs' reports: torn lines dropped, requests in doubt
    torn=$(grep -o 'dropped [0-9]* torn' "$T/killed.err" | awk '{s += $2} END {print s + 0}')
    doubt=$(grep -o '[0-9]* requests\? of the last run w[a-z]* sent but never answered' \
        "$T/killed.err" | awk '{s += $1} END {print s + 0}')
    say "  kill loop: $killed of $KILLS kills landed in $(secs "$t2" "$t3") s;" \
        "results after each kill: $(awk '{printf "%s ", $3}' "$T/kill-progress")"
    say "  completion run: $(secs "$t3" "$t4") s; torn lines dropped on resume: $torn;" \
        "requests reported in doubt on resume: $doubt"
    [ "$killed" -ge $((KILLS * 3 / 4)) ] || fail "only $killed kills landed before the run ended"
    check_outputs "$T/ref" --manifest "$T/kill.jsonl" --all-ok --schema "$T/schema.json"
    check_outputs "$T/killed" --manifest "$T/kill.jsonl" --all-ok --schema "$T/schema.json"
    python3 - "$T/ref/results.jsonl" "$T/killed/results.jsonl" >>"$T/report" <<'PY'
import json, sys
def load(p):
    d = {}
    for l in open(p):
        o = json.loads(l)
        assert o["id"] not in d, "duplicate " + o["id"]
        d[o["id"]] = (o.get("text"), json.dumps(o.get("output"), sort_keys=True))
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
assert set(a) == set(b), (len(a), len(b))
diff = [i for i in a if a[i] != b[i]]
assert not diff, f"{len(diff)} ids answered differently, e.g. {diff[:3]}: {a[diff[0]]} vs {b[diff[0]]}"
print(f"  equal: {len(a)} ids, each with the same text and output as the uninterrupted run; "
      "no duplicates, no torn lines")
PY
    tail -n 1 "$T/report" >&2
    stop_emulator kill
fi
cp "$T/report" "$REPORT"
note "report in $REPORT"
