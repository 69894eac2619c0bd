# emu-apikey: with --api-key, no key is 401 UNAUTHENTICATED, another key is
# 400 INVALID_ARGUMENT reason API_KEY_INVALID (as the real Gemini API), the
# right key (header or ?key=) passes; the key is never logged or echoed.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --api-key right-key-42 --log "$T/emu.jsonl"
use_emu emu
body='{"model":"gemini-2.5-flash","input":"x"}'
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -d "$body" "$URL/v1beta/interactions")
expect_status 401 "no key"
jcheck "j['error']['code'] == 401 and j['error']['status'] == 'UNAUTHENTICATED'"
KEY=wrong-key create "$body"
expect_status 400 "wrong key"
jcheck "j['error']['status'] == 'INVALID_ARGUMENT' and j['error']['message'] == 'API key not valid. Please pass a valid API key.' and j['error']['details'][0]['reason'] == 'API_KEY_INVALID'"
grep -q wrong-key "$T/body" && fail "the wrong key was echoed"
KEY=wrong-key get /v1beta/files
expect_status 400 "wrong key on the Files API"
KEY=right-key-42 create "$body"
expect_status 200 "right key"
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -d "$body" "$URL/v1beta/interactions?key=right-key-42")
expect_status 200 "key as a query parameter"
done_emus emu
grep -q -e right-key -e wrong-key "$T/emu.jsonl" "$T/emu.err" "$T/emu.out" && fail "a key leaked"
true
