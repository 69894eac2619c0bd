# emu-files: the Files API as reference 7 describes it: resumable start with
# an absolute x-goog-upload-url, chunks with offsets (a wrong one is 400),
# query, finalize with {"file":...}; camelCase File JSON with sizeBytes as a
# string and sha256Hash in base64; PROCESSING then ACTIVE (video longer);
# list with pages, delete; an interaction using the uri sees the file's size
# and digest; a 128 MiB upload does not grow the emulator's memory.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --file-processing-ms 300 --max-file-bytes 1G
use_emu emu
media 600000

# start FILE MIME [VERSION]: sets UP (the upload URL)
start() {
    _sz=$(size_of "$1")
    post "/upload/${3:-v1beta}/files" "{\"file\":{\"mimeType\":\"$2\",\"displayName\":\"$(basename "$1")\",\"sizeBytes\":\"$_sz\"}}" \
        -H 'X-Goog-Upload-Protocol: resumable' -H 'X-Goog-Upload-Command: start' \
        -H "X-Goog-Upload-Header-Content-Length: $_sz" -H "X-Goog-Upload-Header-Content-Type: $2"
    expect_status 200 "upload start"
    UP=$(header x-goog-upload-url)
    case "$UP" in "$URL"/upload/*upload_id=*) ;; *) fail "upload url '$UP'" ;; esac
    [ "$(header x-goog-upload-status)" = active ] || fail "start status"
}
# chunk FILE OFFSET LEN COMMAND
chunk() {
    python3 -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); sys.stdout.buffer.write(f.read(int(sys.argv[3])))' "$1" "$2" "$3" >"$T/chunk"
    STATUS=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST -H "x-goog-api-key: $KEY" \
        -H "X-Goog-Upload-Command: $4" -H "X-Goog-Upload-Offset: $2" --data-binary "@$T/chunk" "$UP")
}
query() {
    STATUS=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST -H "X-Goog-Upload-Command: query" "$UP")
}

f=$T/big.bin
start "$f" application/octet-stream
chunk "$f" 0 262144 upload
expect_status 200 "chunk 1"
[ "$(header x-goog-upload-status)" = active ] || fail "chunk 1 status"
[ "$(header x-goog-upload-size-received)" = 262144 ] || fail "chunk 1 received"
chunk "$f" 100 1000 upload
expect_status 400 "wrong offset"
jcheck "j['error']['status'] == 'INVALID_ARGUMENT' and 'Offset' in j['error']['message']"
query
expect_status 200 query
[ "$(header x-goog-upload-size-received)" = 262144 ] || fail "query after the bad chunk"
chunk "$f" 262144 $((600000 - 262144)) "upload, finalize"
expect_status 200 finalize
[ "$(header x-goog-upload-status)" = final ] || fail "final status"
cp "$T/body" "$T/final.json"
# at once, before the file is ACTIVE (300 ms): FAILED_PRECONDITION
furi=$(grep -o '"uri":"[^"]*"' "$T/final.json" | cut -d'"' -f4)
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"document\",\"uri\":\"$furi\"}]}"
expect_status 400 "file not active"
jcheck "j['error']['status'] == 'FAILED_PRECONDITION'"
cp "$T/final.json" "$T/body"
want_b64=$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$f")
jcheck "j['file']['sizeBytes'] == '600000' and j['file']['sha256Hash'] == '$want_b64' and j['file']['mimeType'] == 'application/octet-stream'"
jcheck "j['file']['name'].startswith('files/') and j['file']['displayName'] == 'big.bin' and j['file']['state'] == 'PROCESSING' and j['file']['source'] == 'UPLOADED'"
name=$(jval "j['file']['name']")
furi=$(jval "j['file']['uri']")
case "$furi" in "$URL/v1beta/files/"*) ;; *) fail "file uri $furi" ;; esac
chunk "$f" 600000 1 upload
expect_status 400 "upload after finalize"

sleep 0.4
get "/v1beta/$name"
expect_status 200 "files.get"
jcheck "j['state'] == 'ACTIVE' and j['sizeBytes'] == '600000'"
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"document\",\"uri\":\"$furi\",\"mime_type\":\"application/octet-stream\"},{\"type\":\"text\",\"text\":\"What is it?\"}]}"
expect_status 200 "interaction with a file"
want=$(part_line 1 document application/octet-stream "$f")
jcheck "'$want' in text(j).split('\n')" "the file's size and digest"

# one chunk: "upload, finalize" at once, a PNG under /v1; the uri works in both versions
start "$T/img.png" image/png v1
chunk "$T/img.png" 0 "$(size_of "$T/img.png")" "upload, finalize"
expect_status 200 "single chunk"
iuri=$(jval "j['file']['uri']")
case "$iuri" in */v1/files/*) ;; *) fail "v1 file uri $iuri" ;; esac
# a video stays PROCESSING longer (5 x 300 ms)
start "$T/clip.mp4" video/mp4
chunk "$T/clip.mp4" 0 "$(size_of "$T/clip.mp4")" "upload, finalize"
vname=$(grep -o '"name":"[^"]*"' "$T/body" | cut -d'"' -f4)
sleep 0.5
get "/v1beta/$vname"
jcheck "j['state'] == 'PROCESSING'" "video still processing after 500 ms"
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\",\"uri\":\"$iuri\"}]}"
expect_status 200 "v1 file uri used"
jcheck "'$(part_line 1 image image/png "$T/img.png")' in text(j)"

# list: pages of one, following nextPageToken
seen=""
tok=""
for i in 1 2 3 4; do
    get "/v1beta/files?pageSize=1${tok:+&pageToken=$tok}"
    expect_status 200 "list page $i"
    seen="$seen $(jval "j['files'][0]['name'] if j['files'] else ''")"
    tok=$(jval "j.get('nextPageToken', '')")
    [ -n "$tok" ] || break
done
[ "$(echo $seen | wc -w)" = 3 ] || fail "listed '$seen'"

# delete; then get, use and delete again are 404
api DELETE "/v1beta/$name" --data-binary '{}'
expect_status 200 "files.delete"
jcheck "j == {}"
get "/v1beta/$name"; expect_status 404 "deleted file"
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"document\",\"uri\":\"$furi\"}]}"
expect_status 404 "deleted file used"
api DELETE "/v1beta/$name"; expect_status 404 "deleted twice"

# over --max-file-bytes
post /upload/v1beta/files '{"file":{"mimeType":"video/mp4"}}' -H 'X-Goog-Upload-Protocol: resumable' \
    -H 'X-Goog-Upload-Command: start' -H 'X-Goog-Upload-Header-Content-Length: 2147483648'
expect_status 400 "file too large"

# 128 MiB streamed (chunked, no length): only a digest is kept, memory stays flat
post /upload/v1beta/files '{"file":{"mimeType":"application/octet-stream"}}' -H 'X-Goog-Upload-Protocol: resumable' \
    -H 'X-Goog-Upload-Command: start'
UP=$(header x-goog-upload-url)
rss0=$(awk '/VmRSS/ {print $2}' /proc/$emu_PID/status)
head -c 134217728 /dev/zero | curl -s -o "$T/body" -D "$T/hdr" -X POST -H 'X-Goog-Upload-Command: upload, finalize' \
    -H 'X-Goog-Upload-Offset: 0' -T - "$UP" || fail "big upload"
rss1=$(awk '/VmRSS/ {print $2}' /proc/$emu_PID/status)
want_b64=$(head -c 134217728 /dev/zero | sha256sum | cut -c1-64 | python3 -c 'import base64,sys; print(base64.b64encode(bytes.fromhex(sys.stdin.read().strip())).decode())')
jcheck "j['file']['sizeBytes'] == '134217728' and j['file']['sha256Hash'] == '$want_b64'"
[ $((rss1 - rss0)) -lt 32768 ] || fail "memory grew by $((rss1 - rss0)) KiB for a 128 MiB upload"
done_emus emu
