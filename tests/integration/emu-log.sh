# emu-log: --log writes one JSON line per request, whole lines even under
# concurrency: method, path, status, dialect, model or agent, interaction id,
# fault, each media part's type, MIME type, size and SHA-256, upload steps
# with the file name; the API key never appears in it.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
KEY=sekrit-key-123
start_emulator emu --log "$T/emu.jsonl"
use_emu emu
media
printf '{"model":"gemini-2.5-flash","input":[{"type":"text","text":"Describe"},{"type":"image","data":"%s","mime_type":"image/png"},{"type":"audio","data":"%s","mime_type":"audio/wav"}]}' \
    "$(b64_of "$T/img.png")" "$(b64_of "$T/speech.wav")" >"$T/req.json"
create "@$T/req.json"
expect_status 200 create
iid=$(jval "j['id']")
V=v1 create '{"agent":"deep-research-pro-preview-12-2025","input":"x","background":true}'
get "/v1beta/interactions/$iid"
create '{"model":"nope","input":"x"}'
post /upload/v1beta/files '{"file":{"mimeType":"image/png"}}' -H 'X-Goog-Upload-Protocol: resumable' \
    -H 'X-Goog-Upload-Command: start' -H "X-Goog-Upload-Header-Content-Length: $(size_of "$T/img.png")"
UP=$(header x-goog-upload-url)
curl -s -o /dev/null -X POST -H 'X-Goog-Upload-Command: upload, finalize' -H 'X-Goog-Upload-Offset: 0' \
    --data-binary "@$T/img.png" "$UP"
# many at once: lines must not interleave
i=0 pids=""
while [ $i -lt 40 ]; do
    curl -s -o /dev/null -H "x-goog-api-key: $KEY" -d "{\"model\":\"gemini-2.5-flash\",\"input\":\"p$i\"}" "$URL/v1beta/interactions" &
    pids="$pids $!"
    i=$((i + 1))
done
wait $pids
python3 - "$T/emu.jsonl" "$iid" "$(sha_of "$T/img.png")" "$(size_of "$T/img.png")" "$(sha_of "$T/speech.wav")" <<'PY' || fail "log content"
import json, sys
path, iid, img_sha, img_size, wav_sha = sys.argv[1:]
lines = open(path).read().splitlines()
recs = [json.loads(l) for l in lines]            # every line whole JSON
assert len(recs) == 6 + 40, len(recs)
for r in recs:
    for k in ("ts", "method", "path", "status", "dialect", "fault", "parts"):
        assert k in r, (k, r)
c = recs[0]
assert c["method"] == "POST" and c["path"] == "/v1beta/interactions" and c["status"] == 200
assert c["dialect"] == "g1" and c["model"] == "gemini-2.5-flash" and c["interaction_id"] == iid
assert c["fault"] is None
assert c["parts"] == [
    {"type": "image", "mime_type": "image/png", "bytes": int(img_size), "sha256": img_sha},
    {"type": "audio", "mime_type": "audio/wav", "bytes": 48044, "sha256": wav_sha}], c["parts"]
a = recs[1]
assert a["agent"] == "deep-research-pro-preview-12-2025" and a["dialect"] == "g3" and "model" not in a
g = recs[2]
assert g["method"] == "GET" and g["interaction_id"] == iid and g["parts"] == []
assert recs[3]["status"] == 404 and recs[3]["model"] == "nope"
s, u = recs[4], recs[5]
assert s["path"] == "/upload/v1beta/files" and s["file"].startswith("files/")
assert u["upload"]["command"] == "upload, finalize" and u["upload"]["offset"] == 0
assert u["upload"]["bytes"] == int(img_size) and u["upload"]["received"] == int(img_size), u
assert u["file"] == s["file"]
assert sum(1 for r in recs[6:] if r["status"] == 200) == 40
PY
done_emus emu
grep -q sekrit "$T/emu.jsonl" "$T/emu.err" "$T/emu.out" && fail "the API key leaked into the log or output"
true
