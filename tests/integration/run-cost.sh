# run-cost: money as data. Every answered request is priced at the tier the
# service billed, recomputed here independently from each result line's
# usage and prices/gemini.json. --max-cost stops the run within the budget
# (exit 4) and a later run with a higher budget completes every id once;
# +USD adds to what the folder spent; bad values are usage errors. Priority
# over the emulator's --priority-rpm is served and priced as standard. A
# flex run shed at 30% with --finish-by ends by then with every job done and
# its cost split by tier.
. "$(dirname "$0")/lib.sh"
export GEMINI_API_KEY=k
start_emulator emu --seed 5 --priority-rpm 4 --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"cost","model":"gemini-2.5-flash","prompt":"Say {{w}}","generation_config":{"max_output_tokens":120}}
P
py "
import json
for i in range(40): print(json.dumps({'id': 'c%d' % i, 'vars': {'w': 'word %d' % i}}))" >"$T/m.jsonl"

# check_costs DIR [LIMIT]: every line's cost_usd is its usage at its tier;
# run.json's ledger and the folder's total add up; nothing passes LIMIT
check_costs() {
    python3 - "$ROOT/prices/gemini.json" "$@" <<'PY'
import json, math, sys
table = json.load(open(sys.argv[1]))
d = sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else math.inf
row = table["models"]["gemini-2.5-flash"]
total = 0.0
for l in open(d + "/results.jsonl"):
    r = json.loads(l)
    u = r["usage"]
    m = table["tiers"][r["service_tier"]]["multiplier"]
    want = (u["total_input_tokens"] * row["input"] + u["total_output_tokens"] * row["output"]) / 1e6 * m
    assert abs(r["cost_usd"] - want) < 1e-12, (r["id"], r["cost_usd"], want)
    total += want
run = json.load(open(d + "/run.json"))
assert abs(run["totals"]["cost_usd"] - total) < 1e-9, (run["totals"], total)
assert total <= limit + 1e-12, (total, limit)
by_tier = sum(v["usd"] for v in run["cost"]["by_tier"].values())
assert abs(by_tier - run["cost"]["total_usd"]) < 1e-12, run["cost"]
assert run["cost"]["complete"] is True and "unpriced" not in run["cost"], run["cost"]
print(f"check_costs {d}: ${total:.6f} over {len(open(d + '/results.jsonl').readlines())} results", file=sys.stderr)
PY
}

# ---- the budget: a request costs at most 120 output tokens ($0.0003 each)
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/b" -j 4 --max-cost 0.002 \
    --progress none 2>"$T/b.err" || rc=$?
[ "$rc" = 4 ] || fail "expected exit 4 at the budget, got $rc: $(cat "$T/b.err")"
grep -q "stopped at the budget" "$T/b.err" || fail "$(cat "$T/b.err")"
n=$(nlines "$T/b/results.jsonl")
[ "$n" -gt 0 ] && [ "$n" -lt 40 ] || fail "$n results under a budget of 40 x 6 requests"
check_costs "$T/b" 0.002
py "import json; r=json.load(open('$T/b/run.json')); assert r['status']=='stopped_at_budget' and r['cost']['budget']['reached'], r['cost']"
# a higher budget resumes: every id once, the folder's total counts both runs
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/b" -j 4 \
    --max-cost 0.05 -q
check_outputs "$T/b" --manifest "$T/m.jsonl" --all-ok
check_costs "$T/b" 0.05
# +USD: this much more than the folder spent
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/plus" -j 2 --max-cost 0.001 \
    -q || rc=$?
[ "$rc" = 4 ] || fail "first +USD run: exit $rc"
spent=$(py "import json; print(json.load(open('$T/plus/run.json'))['totals']['cost_usd'])")
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/plus" -j 2 --max-cost +0.001 \
    -q || rc=$?
[ "$rc" = 4 ] || fail "second +USD run: exit $rc"
check_costs "$T/plus" "$(py "print($spent + 0.001)")"
py "import json; t=json.load(open('$T/plus/run.json'))['totals']['cost_usd']; assert t > $spent, t"
# bad values are usage errors, before anything is sent
sent=$(nlines "$T/emu.log")
for v in abc -1 1e400 ''; do
    expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/bad" --max-cost "$v" -q
done
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/bad" --tier turbo -q
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/bad" --finish-by yesterday -q
# an unknown model cannot be bounded: refused under --max-cost, unknown without
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/bad" \
    --model gemini-9-ultra --max-cost 1 -q
# nor can a tool whose input the service chooses (search results, pages)
echo '{"name":"search","model":"gemini-2.5-flash","prompt":"Find {{w}}","tools":[{"type":"google_search"}],
 "generation_config":{"max_output_tokens":100}}' >"$T/search.json"
rc=0
"$GEMBATCH" run "$T/search.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/bad" --max-cost 1 -q \
    2>"$T/search.err" || rc=$?
[ "$rc" = 2 ] && grep -q "'google_search' tool brings in input the service chooses" "$T/search.err" ||
    fail "a search tool under --max-cost (exit $rc): $(cat "$T/search.err")"
[ "$(nlines "$T/emu.log")" = "$sent" ] || fail "a refused run sent requests"

# ---- the budget is a ceiling whatever a request carries: audio at its own rate
# (1.00 USD per 1M for gemini-2.5-flash, not the text rate), and a later step's
# conversation (the earlier turns, billed again as input). Each run below went
# past its --max-cost when a request reserved only its first input at the text rate.
# within DIR LIMIT: something was spent, and no more than LIMIT
within() {
    py "
import json, sys
r = json.load(open('$1/run.json'))
t = r['cost']['total_usd']
assert 0 < t <= $2 + 1e-12, ('spent', t, 'of', $2)
assert r['totals']['cost_usd'] <= $2 + 1e-12, r['totals']"
}
cat >"$T/pa.json" <<'P'
{"name":"audio","model":"gemini-2.5-flash","prompt":"Transcribe.","generation_config":{"max_output_tokens":60}}
P
rc=0
"$GEMBATCH" run "$T/pa.json" "$ROOT/samples/recordings.tar.gz" --endpoint "$emu_URL" -o "$T/audio" -j 4 \
    --max-cost 0.001 -q || rc=$?
[ "$rc" = 4 ] || fail "audio under --max-cost 0.001: exit $rc"
within "$T/audio" 0.001
# two steps: the second carries the first's input and answer, and its own long prompt
long=$(py "print('Keep it short. ' * 150)")
cat >"$T/p2.json" <<P
{"name":"two","model":"gemini-2.5-flash","steps":[
 {"prompt":"Tell me about {{w}}","generation_config":{"max_output_tokens":60}},
 {"prompt":"$long {{prev.text}}","generation_config":{"max_output_tokens":10}}]}
P
head -n 1 "$T/m.jsonl" >"$T/m1.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p2.json" "$T/m1.jsonl" --endpoint "$emu_URL" -o "$T/two-free" -q
# a budget a little short of the whole chain: the first step fits, the second must not go
lim=$(py "import json; print(json.load(open('$T/two-free/run.json'))['cost']['total_usd'] - 1e-7)")
rc=0
"$GEMBATCH" run "$T/p2.json" "$T/m1.jsonl" --endpoint "$emu_URL" -o "$T/two" -j 1 --max-cost "$lim" \
    -q || rc=$?
[ "$rc" = 4 ] || fail "two steps under --max-cost $lim: exit $rc"
within "$T/two" "$lim"
# and many chains side by side
rc=0
"$GEMBATCH" run "$T/p2.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/twos" -j 8 --max-cost 0.003 \
    -q || rc=$?
[ "$rc" = 4 ] || fail "two steps under --max-cost 0.003: exit $rc"
within "$T/twos" 0.003

# ---- thinking shares max_output_tokens with the answer (the emulator's cap, as
# the service's): a budget holds with thinking_level high. Each request may
# bill at most 60 output tokens with its thinking, $0.00015 or so
cat >"$T/think.json" <<'P'
{"name":"think","model":"gemini-2.5-flash","prompt":"Say {{w}}",
 "generation_config":{"max_output_tokens":60,"thinking_level":"high"}}
P
rc=0
"$GEMBATCH" run "$T/think.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/think" -j 4 \
    --max-cost 0.001 -q 2>"$T/think.err" || rc=$?
[ "$rc" = 4 ] || fail "thinking under a budget: exit $rc: $(cat "$T/think.err")"
py "
import json
run = json.load(open('$T/think/run.json'))
res = [json.loads(l) for l in open('$T/think/results.jsonl')]
assert res and all(r['usage'].get('total_thought_tokens', 0) > 0 for r in res), res[:1]
assert 0 < run['totals']['cost_usd'] <= 0.001, run['totals']"

# ---- a cost that cannot be known is "unknown", never $0.00, and the reason is
# the right one: no price for the model, a tier it is not offered at, tokens
# of a kind it has no rate for, a model the table does not have
# unpriced NAME CMD...: run CMD (its summary in $T/NAME.err, its folder $T/NAME)
unpriced() {
    _n=$1; shift
    "$@" -o "$T/$_n" --endpoint "$emu_URL" --progress none 2>"$T/$_n.err" ||
        fail "$_n: exit $?: $(cat "$T/$_n.err")"
}
# cost_line NAME RE: the summary's cost line matches RE (grep -E), whole
cost_line() {
    grep -Eq "^gembatch:   cost $2\$" "$T/$1.err" || fail "$1: $(grep 'cost' "$T/$1.err")"
}
# complete NAME PRICED UNKNOWN: run.json's ledger says so
ledger() {
    py "
import json
c = json.load(open('$T/$1/run.json'))['cost']
assert c['complete'] is False and c['priced_requests'] == $2 and c['unknown_requests'] == $3, c
assert sum(c['unpriced'].values()) == $3, c
assert ($2 == 0) == (c['total_usd'] == 0), c"
}
cat >"$T/pu.json" <<'P'
{"name":"unpriced","model":"gemini-flash-latest","prompt":"Say {{w}}","generation_config":{"max_output_tokens":40}}
P
head -n 2 "$T/m.jsonl" >"$T/m2.jsonl"
unpriced alias "$GEMBATCH" run "$T/pu.json" "$T/m2.jsonl"
cost_line alias "unknown \(2 requests not priced: 'gemini-flash-latest' has no price: a moving alias .*\)"
ledger alias 0 2
# one line names a model with a price: what it cost is a floor
{ cat "$T/m2.jsonl"; echo '{"id": "priced", "vars": {"w": "x"}, "model": "gemini-2.5-flash"}'; } >"$T/m3.jsonl"
unpriced part "$GEMBATCH" run "$T/pu.json" "$T/m3.jsonl"
cost_line part "at least \\\$0\.[0-9]+ \(2 requests not priced: 'gemini-flash-latest' has no price: .*\)"
ledger part 1 2
unpriced flexless "$GEMBATCH" run "$T/p.json" "$T/m2.jsonl" --model gemini-2.0-flash --tier flex
cost_line flexless "unknown \(2 requests not priced: 'gemini-2.0-flash' is not offered at flex\)"
ledger flexless 0 2
py "
import json
t = json.load(open('$ROOT/prices/gemini.json'))
t['models']['gemini-2.5-flash']['input_audio'] = None
json.dump(t, open('$T/noaudio.json', 'w'))
del t['models']['gemini-2.5-flash']
json.dump(t, open('$T/no25.json', 'w'))"
unpriced noaudio "$GEMBATCH" run "$T/pa.json" "$ROOT/samples/recordings.tar.gz" --prices "$T/noaudio.json"
cost_line noaudio "unknown \(4 requests not priced: 'gemini-2.5-flash' has no input_audio rate\)"
ledger noaudio 0 4
unpriced notable "$GEMBATCH" run "$T/p.json" "$T/m2.jsonl" --prices "$T/no25.json"
cost_line notable "unknown \(2 requests not priced: 'gemini-2.5-flash' is not in the price table\)"
ledger notable 0 2

# ---- priority past --priority-rpm is served and billed as standard
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/prio" -j 8 \
    --tier priority -q
check_costs "$T/prio"
py "
import json
bt = json.load(open('$T/prio/run.json'))['cost']['by_tier']
assert bt['priority']['requests'] >= 1 and bt['standard']['requests'] >= 1, bt
tiers = [json.loads(l)['service_tier'] for l in open('$T/prio/results.jsonl')]
assert tiers.count('standard') == bt['standard']['requests'], (tiers, bt)"

# ---- flex, shed 30%, --finish-by: ends in time, every job done, split by tier
start_emulator flex --seed 4 --flex-latency 2000:1000 --fault shed=0.3 --log "$T/flex.log"
t0=$(date +%s)
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$flex_URL" -o "$T/flex" -j 5 \
    --tier flex --timeout 4 --finish-by 14s -q
t1=$(date +%s)
check_outputs "$T/flex" --manifest "$T/m.jsonl" --all-ok
check_costs "$T/flex"
py "
import json
r = json.load(open('$T/flex/run.json'))
bt = r['cost']['by_tier']
assert 'flex' in bt and 'standard' in bt, bt
assert r['counts']['shed'] > 0, r['counts']"
# the deadline is 14 s; a generous margin for a loaded machine
[ $((t1 - t0)) -le 24 ] || fail "the flex run took $((t1 - t0)) s with --finish-by 14s"
# the switch near the deadline fired: after flex requests went out, later ones
# went at standard again (the first wave at standard is the cold start's,
# before any answer says how long one takes)
python3 - "$T/flex.log" <<'PY' || fail "no switch back to standard near the deadline"
import json, sys
seq = [json.loads(l).get("tier_asked") for l in open(sys.argv[1])
       if json.loads(l)["method"] == "POST"]
assert "flex" in seq, seq
first_flex = seq.index("flex")
assert "standard" in seq[first_flex:], seq
PY

# ---- sheds are not failures: --max-failures 2 with most flex creates shed
start_emulator shedmost --seed 6 --fault shed=0.7 --log "$T/shedmost.log"
head -n 6 "$T/m.jsonl" >"$T/m6.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m6.jsonl" --endpoint "$shedmost_URL" -o "$T/shedmost" \
    --tier flex --max-failures 2 -j 2 -q
check_outputs "$T/shedmost" --manifest "$T/m6.jsonl" --all-ok
py "
import json
c = json.load(open('$T/shedmost/run.json'))['counts']
assert c['shed'] >= 3, c   # more sheds than --max-failures allows failures, in a row or not
"
stop_emulator shedmost

# ---- a pipeline's timeout_s is for standard attempts: it never shortens flex's
# 10 minutes (every shipped pipeline sets 300 s; this one 1 s, and flex
# answers take 2 s: without the rule every attempt would time out)
start_emulator slowflex --flex-latency 2000
cat >"$T/p1.json" <<'P'
{"name":"cost","model":"gemini-2.5-flash","prompt":"Say {{w}}","limits":{"timeout_s":1}}
P
head -n 3 "$T/m.jsonl" >"$T/m3.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p1.json" "$T/m3.jsonl" --endpoint "$slowflex_URL" -o "$T/slowflex" \
    --tier flex --max-attempts 1 -q
check_outputs "$T/slowflex" --manifest "$T/m3.jsonl" --all-ok
# and --timeout, given on the command line, does apply to flex
expect_rc 1 "$GEMBATCH" run "$T/p1.json" "$T/m3.jsonl" --endpoint "$slowflex_URL" -o "$T/slowflex2" \
    --tier flex --max-attempts 1 --timeout 1 -q
stop_emulator slowflex

# ---- Batch Mode under a budget: a later batch round is priced only once it
# is joined, so re-asks (and lost jobs) go online, each reserved before it
# leaves; one batch is made, and the folder stays under the budget
start_emulator bviol --seed 3 --batch-time 100 --fault schema_violation=0.4 --log "$T/bviol.log"
cat >"$T/bs.json" <<'P'
{"name":"bs","model":"gemini-2.5-flash","prompt":"Label {{w}}.",
 "generation_config":{"max_output_tokens":200},
 "response_format":{"type":"object","properties":{"label":{"type":"string"}},"required":["label"]}}
P
head -n 20 "$T/m.jsonl" >"$T/m20.jsonl"
rc=0
"$GEMBATCH" run "$T/bs.json" "$T/m20.jsonl" --endpoint "$bviol_URL" -o "$T/bbud" --mode batch --wait \
    --poll-interval 0.1 --max-cost 0.05 -q 2>"$T/bbud.err" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "batch under a budget exited $rc: $(cat "$T/bbud.err")"
made=$(grep -c ':batchGenerateContent"' "$T/bviol.log" || true)
assert_eq "$made" 1 "batches made under --max-cost (re-asks go online)"
py "
import json
r = json.load(open('$T/bbud/run.json'))
assert r['counts']['sent_online']['reask'] > 0, r['counts']['sent_online']
assert 0 < r['totals']['cost_usd'] <= 0.05, r['totals']"
for how in "--reask batch" "--batch-lost resubmit"; do
    # shellcheck disable=SC2086
    expect_rc 2 "$GEMBATCH" run "$T/bs.json" "$T/m20.jsonl" --endpoint "$bviol_URL" -o "$T/bbad" \
        --mode batch --max-cost 1 $how -q
done
stop_emulator bviol

# ---- media uploaded through the Files API are bounded by their headers under
# a budget, online and in Batch Mode (once a part said "uri", the reservation
# no longer knew it was the job's own file and failed it UNPRICED)
python3 "$ROOT/tests/tools/mkmedia.py" "$T/big" --big 3 >/dev/null
for i in $(seq 0 2); do printf '{"id":"g%d","files":["big%d.png"],"vars":{"w":"x"}}\n' "$i" "$i"; done >"$T/big/m.jsonl"
start_emulator bigemu --batch-time 100
for mode in online batch; do
    more=""
    [ "$mode" = online ] || more="--wait --poll-interval 0.1"
    # shellcheck disable=SC2086
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/big/m.jsonl" --endpoint "$bigemu_URL" -o "$T/big-$mode" \
        --max-request-bytes 20K --max-cost 1 --mode "$mode" $more -q
    check_outputs "$T/big-$mode" --manifest "$T/big/m.jsonl" --all-ok
done
stop_emulator bigemu
