# emu-errors: requests the service refuses, each with its HTTP status and the
# google.rpc envelope {"error":{"code","message","status"}} as application/json.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --max-request-bytes 4K
use_emu emu

# refuse BODY HTTP STATUS MESSAGE-PART
refuse() {
    create "$1"
    expect_status "$2" "$1"
    jcheck "j['error']['code'] == $2 and j['error']['status'] == '$3' and '$4' in j['error']['message']" "$1"
    case "$(header Content-Type)" in application/json*) ;; *) fail "error content type: $(header Content-Type)" ;; esac
}
refuse '{"model":' 400 INVALID_ARGUMENT "Invalid JSON payload"
refuse '{"input":"x"}' 400 INVALID_ARGUMENT "model"
refuse '{"model":"gemini-2.5-flash","agent":"deep-research-pro-preview-12-2025","input":"x","background":true}' 400 INVALID_ARGUMENT "Only one"
refuse '{"model":"gemini-9-ultra","input":"x"}' 404 NOT_FOUND "models/gemini-9-ultra is not found"
refuse '{"agent":"deep-research-pro-preview-12-2025","input":"x"}' 400 INVALID_ARGUMENT "background"
refuse '{"model":"gemini-2.5-flash","input":"x","agent_config":{"type":"deep-research"}}' 400 INVALID_ARGUMENT "agent_config"
refuse '{"agent":"deep-research-pro-preview-12-2025","input":"x","background":true,"generation_config":{"temperature":1}}' 400 INVALID_ARGUMENT "generation_config"
refuse '{"model":"gemini-2.5-flash","input":"x","store":false,"background":true}' 400 INVALID_ARGUMENT "store"
refuse '{"model":"gemini-2.5-flash","input":"x","previous_interaction_id":"ix_unknown"}' 404 NOT_FOUND "ix_unknown"
refuse '{"model":"gemini-2.5-flash","input":[{"type":"image","data":"not base64!","mime_type":"image/png"}]}' 400 INVALID_ARGUMENT "Base64 decoding failed"
refuse '{"model":"gemini-2.5-flash","input":"x","response_format":{"type":"object","$dynamicRef":"#x"}}' 400 INVALID_ARGUMENT "dynamicRef"
refuse '{"model":"gemini-2.5-flash","input":"x","id":"line-1"}' 400 INVALID_ARGUMENT 'Unknown name'
# over --max-request-bytes (4 KiB here): the service's payload-size message
python3 -c 'import json; print(json.dumps({"model": "gemini-2.5-flash", "input": "y" * 5000}))' >"$T/big.json"
refuse "@$T/big.json" 400 INVALID_ARGUMENT "Request payload size exceeds the limit: 4096 bytes"
# the limit holds for a chunked body (no Content-Length) too
create "@$T/big.json" -H 'Transfer-Encoding: chunked'
expect_status 400 "chunked body over the limit"

# store=false: answered, not kept
create '{"model":"gemini-2.5-flash","input":"x","store":false}'
expect_status 200 "store false"
nid=$(jval "j['id']")
get "/v1beta/interactions/$nid"
expect_status 404 "unstored interaction"
jcheck "j['error']['status'] == 'NOT_FOUND'"
create "{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"previous_interaction_id\":\"$nid\"}"
expect_status 404 "continuing an unstored interaction"

# unknown ids, paths and methods
get /v1beta/interactions/ix_missing; expect_status 404 "unknown id"
api DELETE /v1beta/interactions/ix_missing; expect_status 404 "delete unknown"
api POST /v1beta/interactions/ix_missing/cancel; expect_status 404 "cancel unknown"
get /v2/interactions; expect_status 404 "unknown version"
jcheck "j['error']['status'] == 'NOT_FOUND'"
api PUT /v1beta/interactions; expect_status 404 "wrong method"

# no key: 401 UNAUTHENTICATED (any key is fine without --api-key)
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -d '{"model":"gemini-2.5-flash","input":"x"}' "$URL/v1beta/interactions")
expect_status 401 "no key"
jcheck "j['error']['status'] == 'UNAUTHENTICATED'"
KEY=anything create '{"model":"gemini-2.5-flash","input":"x"}'
expect_status 200 "any key"
done_emus emu
