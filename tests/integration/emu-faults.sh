# emu-faults: each --fault kind as a client sees it (429/503 with Retry-After
# and RetryInfo, 500 and its stream form, reset, slow, bad_json,
# schema_violation), --rpm, and fault draws that repeat for a given seed but
# change from one request to the next.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
body='{"model":"gemini-2.5-flash","input":"Tell me a short joke about programming."}'

start_emulator e429 --fault 429=1
use_emu e429
create "$body"
expect_status 429 "429 fault"
jcheck "j['error']['status'] == 'RESOURCE_EXHAUSTED' and j['error']['details'][0]['@type'] == 'type.googleapis.com/google.rpc.RetryInfo' and j['error']['details'][0]['retryDelay'] == '1s'"
[ "$(header Retry-After)" = 1 ] || fail "429 Retry-After"
get /v1beta/files
expect_status 429 "faults apply to every route"

start_emulator e503 --fault 503=1
use_emu e503
create "$body"
expect_status 503 "503 fault"
jcheck "j['error']['status'] == 'UNAVAILABLE' and j['error']['details'][0]['retryDelay'] == '1s'"
[ "$(header Retry-After)" = 1 ] || fail "503 Retry-After"

start_emulator e500 --fault 500=1
use_emu e500
create "$body"
expect_status 500 "500 fault"
jcheck "j['error']['status'] == 'INTERNAL'"
curl -s -N -H "x-goog-api-key: $KEY" -d '{"model":"gemini-2.5-flash","input":"x","stream":true}' "$URL/v1beta/interactions" >"$T/s.txt"
grep -q '"event_type":"interaction.start"' "$T/s.txt" || fail "500 on a stream: no opening event"
tail -n 2 "$T/s.txt" | grep -q '"event_type":"error"' || fail "500 on a stream: no error event at the end"

start_emulator ereset --fault reset=1
use_emu ereset
rc=0
curl -s -o "$T/body" -H "x-goog-api-key: $KEY" -d "$body" "$URL/v1beta/interactions" || rc=$?
[ $rc = 18 ] || [ $rc = 56 ] || [ $rc = 52 ] || fail "reset: curl exit $rc, expected a cut transfer"

start_emulator ebad --fault bad_json=1
use_emu ebad
create "$body"
expect_status 200 "bad_json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/body" 2>/dev/null && fail "bad_json gave valid JSON"
head -c 10 "$T/body" | grep -q '^{"id"' || fail "bad_json body should be a cut interaction"

start_emulator eschema --fault schema_violation=1
use_emu eschema
schema='{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":9}},"required":["n"],"additionalProperties":false}'
create "{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":$schema}"
expect_status 200 "schema_violation"
python3 - "$T/body" <<'PY' || fail "schema_violation produced a valid instance"
import json, sys
t = json.load(open(sys.argv[1]))["outputs"][-1]["text"]
try:
    v = json.loads(t)
except ValueError:
    sys.exit(0)  # truncated JSON breaks the schema too
ok = isinstance(v, dict) and set(v) == {"n"} and type(v["n"]) is int and 1 <= v["n"] <= 9
sys.exit(1 if ok else 0)
PY
create "$body"
expect_status 200 "schema_violation without a schema: a normal answer"
jcheck "text(j).startswith('Emulated answer')"

# slow: the answer stalls past the client's timeout, without holding others
start_emulator eslow --fault slow=1 --slow-ms 3000
use_emu eslow
rc=0
curl -s -o /dev/null --max-time 0.5 -H "x-goog-api-key: $KEY" -d "$body" "$URL/v1beta/interactions" || rc=$?
[ $rc = 28 ] || fail "slow: curl exit $rc, expected a timeout (28)"

# --rpm: a burst of N, then 429 with RetryInfo; GETs are not counted
start_emulator erpm --rpm 3
use_emu erpm
for i in 1 2 3; do create "$body"; expect_status 200 "rpm $i"; done
id=$(jval "j['id']")
create "$body"
expect_status 429 "over --rpm"
jcheck "j['error']['status'] == 'RESOURCE_EXHAUSTED' and j['error']['details'][0]['retryDelay'].endswith('s')"
[ -n "$(header Retry-After)" ] || fail "rpm Retry-After"
get "/v1beta/interactions/$id"
expect_status 200 "get under rpm"

# the draws: same seed, same sequence; different from request to request
seq_of() {
    _s=""
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
        create "$body"
        _s="$_s $STATUS"
    done
    echo "$_s"
}
start_emulator d1 --fault 503=0.5 --seed 5
start_emulator d2 --fault 503=0.5 --seed 5
use_emu d1; s1=$(seq_of)
use_emu d2; s2=$(seq_of)
[ "$s1" = "$s2" ] || fail "same seed, different fault sequences: '$s1' vs '$s2'"
case "$s1" in *200*503*|*503*200*) ;; *) fail "rate 0.5 gave '$s1'" ;; esac
note "503=0.5 seed 5:$s1"
done_emus e429 e503 e500 ereset ebad eschema eslow erpm d1 d2
