# shard-keys: shard K takes GEMINI_API_KEY_<K> and GEMINI_BASE_URL_<K> over
# GEMINI_API_KEY and GEMINI_BASE_URL (flags still win); keys never show in
# outputs or messages. --rpm/--tpm (or the pipeline's limits) are split N
# ways when sharded, unless the shard has its own key.
. "$(dirname "$0")/lib.sh"
start_emulator a --api-key key-of-shard-two --seed 1 --log "$T/a.log"
start_emulator b --api-key shared-key --seed 1 --log "$T/b.log"
echo '{"name":"keys","model":"gemini-2.5-flash"}' >"$T/p.json"
python3 -c "
import json
for i in range(40): print(json.dumps({'id': 'k%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
export GEMINI_API_KEY=shared-key GEMINI_BASE_URL="$b_URL"
run() { "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --max-failures 3 "$@" 2>>"$T/stderr"; }
endpoint() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['options']['endpoint'])" "$1/run.json"; }

# shard 1 uses the shared key and endpoint; shard 2 its own (only emulator a takes its key)
expect_rc 0 run --shard 1/2 -o "$T/s1" -q
GEMINI_API_KEY_2=key-of-shard-two GEMINI_BASE_URL_2="$a_URL" expect_rc 0 run --shard 2/2 -o "$T/s2" -q
assert_eq "$(endpoint "$T/s1")" "$b_URL" "shard 1's endpoint"
assert_eq "$(endpoint "$T/s2")" "$a_URL" "shard 2's endpoint"
n1=$(nlines "$T/s1/results.jsonl"); n2=$(nlines "$T/s2/results.jsonl")
assert_eq "$(grep -c interactions "$T/b.log")" "$n1" "requests at b (shard 1 only)"
assert_eq "$(grep -c interactions "$T/a.log")" "$n2" "requests at a (shard 2 only)"
expect_rc 0 "$GEMBATCH" merge "$T/s1" "$T/s2" -o "$T/all" --manifest "$T/m.jsonl" -q
# the same through --shard auto (Kubernetes index 1 is shard 2)
JOB_COMPLETION_INDEX=1 GEMBATCH_SHARDS=2 GEMINI_API_KEY_2=key-of-shard-two \
    GEMINI_BASE_URL_2="$a_URL" expect_rc 0 run --shard auto -o "$T/k2" -q
assert_eq "$(endpoint "$T/k2")" "$a_URL" "auto shard 2's endpoint"
# another shard's variables are not used; without its own key, shard 2 sends the
# shared key to a, which refuses it (exit 3)
GEMINI_API_KEY_1=key-of-shard-two GEMINI_BASE_URL_2="$a_URL" expect_rc 3 run --shard 2/2 -o "$T/x1" -q
# --endpoint beats GEMINI_BASE_URL_<K>; --api-key-file beats GEMINI_API_KEY_<K>
GEMINI_API_KEY_2=key-of-shard-two GEMINI_BASE_URL_2="$a_URL" \
    expect_rc 3 run --shard 2/2 --endpoint "$b_URL" -o "$T/x2" -q
echo shared-key >"$T/key.txt"
GEMINI_API_KEY_2=key-of-shard-two GEMINI_BASE_URL_2="$a_URL" \
    expect_rc 3 run --shard 2/2 --api-key-file "$T/key.txt" -o "$T/x3" -q
# without sharding the suffixed variables mean nothing
GEMINI_API_KEY_1=key-of-shard-two GEMINI_BASE_URL_1="$a_URL" expect_rc 0 run -o "$T/plain" -q
assert_eq "$(endpoint "$T/plain")" "$b_URL" "unsharded endpoint"
# keys never show up in outputs or messages
grep -rq -e key-of-shard-two -e shared-key "$T"/s1 "$T"/s2 "$T"/all "$T"/k2 "$T"/x1 "$T"/x2 \
    "$T"/x3 "$T"/plain "$T/stderr" "$T/a.log" "$T/b.log" && fail "a key leaked"

# rate limits: one key's quota split across the shards (an empty manifest: the
# options are recorded in run.json without sending anything)
: >"$T/none.jsonl"
rates() {
    d=$1; shift
    "$GEMBATCH" run "$T/p.json" "$T/none.jsonl" -o "$T/$d" -q "$@" || fail "run $d failed"
    python3 -c "import json,sys; o=json.load(open(sys.argv[1]))['options']; print(o['rpm'], o['tpm'])" "$T/$d/run.json"
}
assert_eq "$(rates r1 --rpm 1000 --tpm 400000)" "1000 400000" "unsharded"
assert_eq "$(rates r2 --rpm 1000 --tpm 400000 --shard 1/4)" "250 100000" "--rpm/--tpm over 4 shards"
echo '{"name":"keys","model":"gemini-2.5-flash","limits":{"rpm":600,"tpm":90000}}' >"$T/pl.json"
"$GEMBATCH" run "$T/pl.json" "$T/none.jsonl" -o "$T/r3" -q --shard 2/3
assert_eq "$(python3 -c "import json,sys; o=json.load(open(sys.argv[1]))['options']; print(o['rpm'], o['tpm'])" "$T/r3/run.json")" \
    "200 30000" "the pipeline's limits over 3 shards"
assert_eq "$(JOB_COMPLETION_INDEX=0 GEMBATCH_SHARDS=4 rates r4 --rpm 3 --shard auto)" "1 0" \
    "at least 1 request a minute"
assert_eq "$(GEMINI_API_KEY_1=own-key rates r5 --rpm 1000 --tpm 400000 --shard 1/4)" \
    "1000 400000" "a shard with its own key keeps the whole quota"
