# lib-emu.sh: helpers for the emu-*.sh scenarios, sourced after lib.sh.
# One emulator at a time is "current" (use_emu NAME); api/post/get talk to it
# with curl and leave the status in $STATUS, the body in $T/body and the
# headers in $T/hdr; jcheck/jval judge the body with python3 (independent of
# our own JSON code). media writes small but real media files into $T.

KEY=${KEY:-integration-key}
V=${V:-v1beta}

use_emu() { eval "URL=\$${1}_URL"; }

# api METHOD PATH [curl args...]
api() {
    _m=$1; _p=$2; shift 2
    STATUS=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$_m" \
        -H "x-goog-api-key: $KEY" -H 'Content-Type: application/json' "$@" "$URL$_p") || STATUS=curl-failed
}
post() { _p=$1; shift; api POST "$_p" --data-binary "$@"; }
create() { post "/$V/interactions" "$1"; }
get() { api GET "$1"; }

expect_status() {
    [ "$STATUS" = "$1" ] || fail "${2:-request}: HTTP $STATUS, expected $1; body: $(head -c 800 "$T/body")"
}

# jcheck EXPR [what]: the last body parsed as JSON (j) must make EXPR true
jcheck() {
    python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
def text(j): return [o for o in j.get("outputs", []) if o.get("type") == "text"][-1]["text"]
def steps_text(j): return "".join(c.get("text", "") for s in j.get("steps", []) if s.get("type") == "model_output" for c in s.get("content", []) if c.get("type") == "text")
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/body" "$1" ||
        fail "${2:-check}: $1; body: $(head -c 1200 "$T/body")"
}

# jval EXPR: print EXPR over the last body
jval() {
    python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
def text(j): return [o for o in j.get("outputs", []) if o.get("type") == "text"][-1]["text"]
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$T/body" "$1"
}

# header NAME: a response header of the last request ("" if absent)
header() { tr -d '\r' <"$T/hdr" | awk -v n="$1" 'BEGIN{n=tolower(n)} {k=tolower($0); sub(/:.*/, "", k); if (k == n) {sub(/^[^:]*: */, ""); print; exit}}'; }

# sha256 / size of a file
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { wc -c <"$1" | tr -d ' '; }
b64_of() { base64 -w0 "$1"; }

# media: writes $T/img.png (a real PNG), $T/speech.wav (1.5 s), $T/doc.pdf (2
# pages), $T/clip.mp4 (ftyp header + padding), $T/big.bin (N bytes, arg 1)
media() {
    python3 - "$T" "${1:-0}" <<'PY'
import os, struct, sys, zlib
t, big = sys.argv[1], int(sys.argv[2])
def chunk(k, d): return struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d) & 0xffffffff)
raw = b"".join(b"\0" + bytes((x * 7 + y) & 255 for x in range(8 * 3)) for y in range(8))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(os.path.join(t, "img.png"), "wb").write(png)
rate, secs = 16000, 1.5
data = bytes(int(secs * rate) * 2)
wav = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data)) + data
open(os.path.join(t, "speech.wav"), "wb").write(wav)
pdf = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R 4 0 R] /Count 2>> endobj\n3 0 obj <</Type /Page /Parent 2 0 R>> endobj\n4 0 obj <</Type /Page /Parent 2 0 R>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
open(os.path.join(t, "doc.pdf"), "wb").write(pdf)
mp4 = struct.pack(">I", 24) + b"ftypisom" + b"\0\0\2\0isomiso2" + os.urandom(4000)
open(os.path.join(t, "clip.mp4"), "wb").write(mp4)
if big:
    with open(os.path.join(t, "big.bin"), "wb") as f:
        f.write(os.urandom(big))
PY
}

# the text line the emulator writes for a media part
part_line() { echo "part $1: $2 $3 $(size_of "$4") bytes sha256:$(sha_of "$4")"; }

# done_emus NAME...: stop each emulator (exit 0 after SIGTERM, so a leak
# report under ASan fails), then look for sanitizer reports in all stderr
done_emus() {
    for _e in "$@"; do stop_emulator "$_e"; done
    if grep -l -E 'runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer' "$T"/*.err >/dev/null 2>&1; then
        grep -h -A5 -E 'runtime error|ERROR: AddressSanitizer|ERROR: LeakSanitizer|WARNING: ThreadSanitizer' "$T"/*.err | head -40 >&2
        fail "sanitizer report"
    fi
}
