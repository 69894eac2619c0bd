# emu-upload-reset: the reset fault on an upload chunk keeps the bytes that
# arrived before the drop; `X-Goog-Upload-Command: query` reports them and the
# client resumes from there: the final digest is that of the whole file.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --fault reset=0.5 --seed 11 --file-processing-ms 0
use_emu emu
media 1000000
f=$T/big.bin

# retry CMD...: the fault may drop any request; run CMD until HTTP answers
retry() {
    _n=0
    while :; do
        "$@"
        [ "$STATUS" != 000 ] && [ "$STATUS" != curl-failed ] && return 0
        _n=$((_n + 1)); [ $_n -lt 30 ] || fail "no answer after 30 tries: $*"
    done
}
start() {
    api POST /upload/v1beta/files --data-binary '{"file":{"mimeType":"application/octet-stream"}}' \
        -H 'X-Goog-Upload-Protocol: resumable' -H 'X-Goog-Upload-Command: start' \
        -H "X-Goog-Upload-Header-Content-Length: 1000000"
}
query() {
    STATUS=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST -H "X-Goog-Upload-Command: query" "$UP") || STATUS=curl-failed
}
retry start
expect_status 200 start
UP=$(header x-goog-upload-url)
off=0 resets=0 size=250000
while [ $off -lt 1000000 ]; do
    len=$size; cmd=upload
    [ $((off + len)) -lt 1000000 ] || { len=$((1000000 - off)); cmd="upload, finalize"; }
    python3 -c 'import sys; f=open(sys.argv[1],"rb"); f.seek(int(sys.argv[2])); sys.stdout.buffer.write(f.read(int(sys.argv[3])))' "$f" $off $len >"$T/chunk"
    rc=0
    STATUS=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST -H "X-Goog-Upload-Command: $cmd" \
        -H "X-Goog-Upload-Offset: $off" --data-binary "@$T/chunk" "$UP") || rc=$?
    if [ $rc = 0 ] && [ "$STATUS" = 200 ]; then
        off=$((off + len))
        continue
    fi
    [ $rc != 0 ] || fail "chunk at $off: HTTP $STATUS"
    resets=$((resets + 1))
    retry query
    expect_status 200 "query after a reset"
    got=$(header x-goog-upload-size-received)
    [ "$got" -gt "$off" ] || fail "the cut chunk kept nothing (received $got, offset $off)"
    [ "$got" -lt $((off + len)) ] || fail "the cut chunk was kept whole"
    off=$got
done
[ $resets -ge 1 ] || fail "no chunk was reset (pick another seed)"
want=$(python3 -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$f")
jcheck "j['file']['sha256Hash'] == '$want' and j['file']['sizeBytes'] == '1000000'" "digest after $resets resets"
note "resumed after $resets resets"
done_emus emu
