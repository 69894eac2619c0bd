# archive-manifest-media: manifests get the archives' treatment. "path" parts
# and "files" over the inline limit go through the Files API, small ones stay
# inline; the same bytes used by a manifest line and by an archive entry in
# one run go up once. Remote "uri" parts (https, gs://, and a Files API uri
# from an earlier upload) reach the service untouched and upload nothing.
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
mkmedia "$T/media" 1
python3 - "$T/media/big.mp4" <<'PY'
import os, struct, sys
d = os.urandom(3 << 20)
open(sys.argv[1], "wb").write(struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2" +
                              struct.pack(">I", 8 + len(d)) + b"mdat" + d)
PY
big=$(sha256sum "$T/media/big.mp4" | cut -d' ' -f1)
img=$(grep '^img0.png' "$T/media.sha" | cut -f2)
pdf=$(grep '^doc0.pdf' "$T/media.sha" | cut -f2)
(cd "$T/media" && tar czf "$T/also.tgz" big.mp4)
start_emulator emu --log "$T/emu.log" --file-processing-ms 20
cat >"$T/p.json" <<'P'
{"name":"manifest-media","model":"gemini-2.5-flash","prompt":"Describe it."}
P
cat >"$T/m.jsonl" <<'M'
{"id":"parts","input":[{"type":"text","text":"see"},{"type":"video","path":"media/big.mp4"},{"type":"image","path":"media/img0.png"}]}
{"id":"files","files":["media/big.mp4","media/doc0.pdf"]}
{"id":"remote","input":[{"type":"image","uri":"https://example.com/cat.png","mime_type":"image/png"},{"type":"document","uri":"gs://bucket/doc.pdf","mime_type":"application/pdf"}]}
M
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" "$T/also.tgz" --endpoint "$emu_URL" -o "$T/o1" -q \
    --max-request-bytes 1M
check_outputs "$T/o1" --all-ok
python3 - "$T/o1" "$T/emu.log" "$big" "$img" "$pdf" <<'PY'
import json, sys
out, log, big, img, pdf = sys.argv[1:6]
res = {o["id"]: o for o in map(json.loads, open(out + "/results.jsonl"))}
t = res["parts"]["text"]
assert f"part 1: video video/mp4 {3 * 2**20 + 32} bytes sha256:{big}" in t, t
assert f"sha256:{img}" in t, t
assert f"sha256:{big}" in res["files"]["text"] and f"sha256:{pdf}" in res["files"]["text"]
assert f"sha256:{big}" in res["big.mp4"]["text"], res["big.mp4"]
r = res["remote"]["text"]
assert "part 1: image image/png remote https://example.com/cat.png" in r, r
assert "part 2: document application/pdf remote gs://bucket/doc.pdf" in r, r
entries = [json.loads(l) for l in open(log)]
starts = [o for o in entries if (o.get("upload") or {}).get("command") == "start"]
assert len(starts) == 1, f"{len(starts)} uploads for one video used three times"
parts = [p for o in entries if o["path"].endswith("/interactions") for p in o["parts"]]
assert all(p.get("file") for p in parts if p.get("sha256") == big), parts
assert not any(p.get("file") for p in parts if p.get("sha256") in (img, pdf)), "small files uploaded"
remote = [p for p in parts if "uri" in p]
assert {p["uri"] for p in remote} == {"https://example.com/cat.png", "gs://bucket/doc.pdf"}, remote
print("manifest media: one upload for three uses, small inline, remote uris untouched")
json.dump({"file": starts[0]["file"]}, open(out + "/../file.json", "w"))
PY
# a Files API uri from that upload, given by a later manifest, is used as is
name=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["file"])' "$T/file.json")
printf '{"id":"by-uri","input":[{"type":"video","uri":"%s/v1beta/%s","mime_type":"video/mp4"}]}\n' \
    "$emu_URL" "$name" >"$T/uri.jsonl"
before=$(grep -c '"command":"start"' "$T/emu.log")
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/uri.jsonl" --endpoint "$emu_URL" -o "$T/o2" -q
grep -q "sha256:$big" "$T/o2/results.jsonl" || fail "the Files API uri was not read as the uploaded video"
assert_eq "$(grep -c '"command":"start"' "$T/emu.log")" "$before" "uploads after a uri-only run"
grep -q "\"uri\":\"$emu_URL/v1beta/$name\"" "$T/emu.log" ||
    grep -q "\"file\":\"$name\"" "$T/emu.log" || fail "the uri did not reach the emulator"
