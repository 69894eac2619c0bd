# archive-limits: --max-entry-bytes refuses an entry whose header declares too
# much before reading it, and stops one that declares nothing (a zip streamed
# from a pipe) as soon as it passes the limit; an entry exactly at the limit
# runs. xz and bzip2 bombs are stopped by the 1000:1 ratio after about 1 MiB.
# The entries around them run; the emulator never sees the big ones.
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
mkmedia "$T/media" 1
start_emulator emu --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"arc-limits","model":"gemini-2.5-flash","prompt":"What is this?"}
P
mkdir -p "$T/s"
cp "$T/media/img0.png" "$T/s/a.png"
cp "$T/media/doc0.pdf" "$T/s/z.pdf"
python3 - "$T/s" <<'PY'
import os, sys
d = sys.argv[1]
open(d + "/big.png", "wb").write(b"\x89PNG\r\n\x1a\n" + os.urandom(3 << 20))      # 3 MiB + 8
open(d + "/exact.png", "wb").write(b"\x89PNG\r\n\x1a\n" + os.urandom((1 << 20) - 8))  # 1 MiB
PY
(cd "$T/s" && tar cf "$T/s.tar" a.png big.png exact.png z.pdf)
# a zip written as a stream: sizes come after the data, so nothing is declared
python3 - "$T/s" "$T/s.zip" <<'PY'
import io, sys, zipfile
class Stream(io.RawIOBase):
    def __init__(self, f): self.f, self.n = f, 0
    def writable(self): return True
    def write(self, b): self.n += len(b); return self.f.write(b)
    def tell(self): return self.n
with open(sys.argv[2], "wb") as raw, zipfile.ZipFile(Stream(raw), "w", zipfile.ZIP_DEFLATED) as z:
    for n in ("a.png", "big.png", "exact.png", "z.pdf"):
        with open(sys.argv[1] + "/" + n, "rb") as f, z.open(n, "w") as e:
            e.write(f.read())
raw = open(sys.argv[2], "rb").read()
assert raw[6] & 8 and raw[18:26] == bytes(8), "the local headers should declare no sizes"
PY

# check OUT SRC: a.png, exact.png and z.pdf ran; big.png is refused by size
check() {
    python3 - "$1" "$2" <<'PY'
import json, sys
out, src = sys.argv[1], sys.argv[2]
ok = {json.loads(l)["id"] for l in open(out + "/results.jsonl")}
err = {o["id"]: o for o in map(json.loads, open(out + "/errors.jsonl"))}
assert ok == {"a.png", "exact.png", "z.pdf"}, ok
assert set(err) == {"big.png"}, err
m = err["big.png"]["error"]["message"]
assert src in m and "big.png" in m and "--max-entry-bytes" in m, m
print(f"{src}: {m}")
PY
}
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/s.tar" --endpoint "$emu_URL" -o "$T/o1" -q --max-entry-bytes 1M
check "$T/o1" s.tar
grep -q "3145736 bytes: over --max-entry-bytes (1048576 bytes); not extracted" "$T/o1/errors.jsonl" ||
    fail "the declared size was not used: $(cat "$T/o1/errors.jsonl")"
expect_rc 1 sh -c 'cat "$4" | "$1" run "$2" - --endpoint "$3" -o "$5" -q --max-entry-bytes 1M' _ \
    "$GEMBATCH" "$T/p.json" "$emu_URL" "$T/s.zip" "$T/o2"
check "$T/o2" "<stdin>"
grep -q "more than 1048576 bytes: over --max-entry-bytes; extraction stopped" "$T/o2/errors.jsonl" ||
    fail "the streamed entry was not stopped at the limit: $(cat "$T/o2/errors.jsonl")"

# xz and bzip2 bombs: 64 MiB of zeros that start like a PDF, between two good
# entries, streamed through the compressors (nothing big on disk)
cat >"$T/bomb.py" <<'PY'
import sys, tarfile
a, z = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
out = sys.stdout.buffer
def ent(name, data, size=None):
    ti = tarfile.TarInfo(name)
    ti.size = len(data) if size is None else size
    return ti.tobuf(format=tarfile.USTAR_FORMAT) + data + (b"\0" * ((-len(data)) % 512) if size is None else b"")
size = 64 << 20
out.write(ent("a.png", a) + ent("bomb.pdf", b"%PDF-1.4\n", size))
zero, left = bytes(1 << 20), size - 9
while left:
    k = min(left, len(zero)); out.write(zero[:k]); left -= k
out.write(bytes((-size) % 512) + ent("z.pdf", z) + bytes(1024))
PY
python3 "$T/bomb.py" "$T/s/a.png" "$T/s/z.pdf" | xz -0 -T1 -c >"$T/bomb.tar.xz"
python3 "$T/bomb.py" "$T/s/a.png" "$T/s/z.pdf" | bzip2 -1 -c >"$T/bomb.tar.bz2"
for b in bomb.tar.xz bomb.tar.bz2; do
    expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/$b" --endpoint "$emu_URL" -o "$T/o-$b" -q
    python3 - "$T/o-$b" "$b" <<'PY'
import json, re, sys
out, src = sys.argv[1], sys.argv[2]
ok = {json.loads(l)["id"] for l in open(out + "/results.jsonl")}
err = [json.loads(l) for l in open(out + "/errors.jsonl")]
assert ok == {"a.png"} and [e["id"] for e in err] == ["bomb.pdf"], (ok, err)
m = err[0]["error"]["message"]
assert src in m and "decompression bomb" in m and "rest of the archive was not read" in m, m
assert int(re.search(r"(\d+) bytes out of", m).group(1)) < 8 << 20, m
print(f"{src}: {m}")
PY
done
py '
import json, sys
for l in open(sys.argv[1]):
    for p in json.loads(l).get("parts", []):
        assert p.get("bytes", 0) <= 1 << 20, p
' "$T/emu.log"
