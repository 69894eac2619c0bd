# run-dryrun: --dry-run prints each request as it would be sent (media as
# type, size and digest, never as base64), its token estimate, and the dialect's
# path; nothing is sent and no output folder is touched. Bad lines give exit 2.
. "$(dirname "$0")/lib.sh"
start_emulator emu --log "$T/emu.log"
mkmedia "$T/media"
cat >"$T/p.json" <<'P'
{"name":"dry","model":"gemini-2.5-flash","prompt":"Look at {{what}}.",
 "generation_config":{"temperature":0.1,"top_p":0.95},
 "response_format":{"type":"object","properties":{"label":{"type":"string"}},"required":["label"]}}
P
printf '{"id":"a","files":["media/img0.png"],"vars":{"what":"this"}}\n{"id":"b","input":"plain","response_format":null}\n' >"$T/m.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" --dry-run \
    >"$T/dry.jsonl" 2>"$T/err"
grep -q "nothing was sent" "$T/err" || fail "no dry-run summary"
# reals as written, not their binary neighbours (0.10000000000000001)
grep -q '"temperature":0.1,"top_p":0.95}' "$T/dry.jsonl" ||
    fail "generation_config not printed as given: $(grep -o '"generation_config":{[^}]*}' "$T/dry.jsonl" | head -n 1)"
[ ! -e "$T/out" ] || fail "--dry-run created the output folder"
[ ! -s "$T/emu.log" ] || fail "--dry-run sent requests"
sha=$(grep '^img0.png' "$T/media.sha" | cut -f2)
python3 - "$T/dry.jsonl" "$sha" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["id"] for l in lines] == ["a", "b"], lines
a = lines[0]
assert a["request"]["path"] == "/v1beta/interactions" and a["estimated_input_tokens"] >= 258, a
parts = a["request"]["body"]["input"]
assert parts[0] == {"type": "text", "text": "Look at this."}, parts
assert parts[1]["type"] == "image" and parts[1]["mime_type"] == "image/png", parts
assert parts[1]["data"].startswith("<image/png ") and sys.argv[2] in parts[1]["data"], parts
assert "response_format" in a["request"]["body"] and "response_format" not in lines[1]["request"]["body"]
PY
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --dry-run --api-version v1 --endpoint "$emu_URL" 2>/dev/null \
    | head -n 1 | grep -q '"path":"/v1/interactions"' || fail "v1 dry run path"
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --dry-run --api-version v1 --endpoint "$emu_URL" 2>/dev/null \
    | head -n 1 | grep -q '"response_format":{"type":"text","mime_type":"application/json","schema"' \
    || fail "v1 dry run wraps the schema"
echo '{"id":"bad","files":["media/none.png"],"vars":{"what":"x"}}' >>"$T/m.jsonl"
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --dry-run --endpoint "$emu_URL"

# estimates by duration and pages: a 9 s video, 2.5 s of audio and a 7-page
# PDF are estimated at the published rates (263/s, 32/s, 258/page) from their
# headers, the same counts the emulator bills (it reads the whole media)
D=$ROOT/tests/data/media
echo '{"name":"est","model":"gemini-2.5-flash","prompt":"Summarize."}' >"$T/pe.json"
"$GEMBATCH" run "$T/pe.json" "$ROOT/samples/video/q3-update.mp4" "$D/tone.wav" "$D/pages7.pdf" \
    "$D/clip.webm" --dry-run -q >"$T/est.jsonl" || fail "dry run of media files"
expect_rc 0 "$GEMBATCH" run "$T/pe.json" "$ROOT/samples/video/q3-update.mp4" "$D/tone.wav" \
    "$D/pages7.pdf" -o "$T/est" --endpoint "$emu_URL" -q
python3 - "$T/est.jsonl" "$T/est/results.jsonl" <<'PY'
import json, sys
est = {json.loads(l)["id"].rsplit("/", 1)[1]: json.loads(l)["estimated_input_tokens"] for l in open(sys.argv[1])}
text = 3  # "Summarize." at ~4 characters a token
assert est["q3-update.mp4"] == text + 2370, est   # 9.01 s x 263
assert est["tone.wav"] == text + 80, est          # 2.5 s x 32
assert est["pages7.pdf"] == text + 7 * 258, est
assert est["clip.webm"] == text + 526, est        # 2 s x 263, from the EBML Info
billed = {json.loads(l)["id"].rsplit("/", 1)[1]: json.loads(l)["usage"]["total_input_tokens"]
          for l in open(sys.argv[2])}
for k, v in billed.items():
    assert est[k] == v, (k, est[k], v)
print("run-dryrun: estimates", est, "billed", billed)
PY
