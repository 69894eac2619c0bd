#!/bin/sh
# make-detect.sh: regenerate detect/, the first 512 bytes of archives made by
# real tools (NAME.archive: arc_detect must say 1) and texts that must stay
# manifests (NAME.text: arc_detect must say 0). tests/unit/test_archive.c reads
# them. Needs tar, gzip, bzip2, xz, zstd, lz4, lzip (optional), zip, cpio,
# bsdtar (libarchive-tools) and python3.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/detect
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/m" "$out"
printf '\211PNG\r\n\032\n0123456789' >"$t/m/a.png"
printf '%%PDF-1.4\n%%%%EOF\n' >"$t/m/b.pdf"
head512() { head -c 512 "$1" >"$out/$2"; }
(cd "$t/m" && tar --format=ustar -cf "$t/ustar.tar" . && tar --format=gnu -cf "$t/gnu.tar" . &&
    tar --format=pax -cf "$t/pax.tar" . && tar --format=v7 -cf "$t/v7.tar" a.png b.pdf)
for f in ustar gnu pax v7; do head512 "$t/$f.tar" "tar-$f.archive"; done
gzip -c "$t/ustar.tar" >"$t/x.gz" && head512 "$t/x.gz" tar-gz.archive
bzip2 -c "$t/ustar.tar" >"$t/x.bz2" && head512 "$t/x.bz2" tar-bz2.archive
xz -c "$t/ustar.tar" >"$t/x.xz" && head512 "$t/x.xz" tar-xz.archive
zstd -q -c "$t/ustar.tar" >"$t/x.zst" && head512 "$t/x.zst" tar-zst.archive
lz4 -q -c "$t/ustar.tar" >"$t/x.lz4" && head512 "$t/x.lz4" tar-lz4.archive
(cd "$t/m" && zip -q "$t/x.zip" a.png b.pdf) && head512 "$t/x.zip" zip.archive
bsdtar --format 7zip -cf "$t/x.7z" -C "$t/m" . && head512 "$t/x.7z" 7z.archive
for h in odc newc crc bin; do
    (cd "$t/m" && ls a.png b.pdf | cpio -o -H $h --quiet >"$t/$h.cpio") && head512 "$t/$h.cpio" "cpio-$h.archive"
done
# texts: manifests and JSON, including ones built to look like archives
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def w(name, data):
    open(f"{out}/{name}.text", "wb").write(data[:512])
w("manifest", b"".join(json.dumps({"id": f"img-{i}", "files": [f"photos/{i}.png"]}).encode() + b"\n" for i in range(20)))
w("json", json.dumps({"name": "x", "prompt": "Describe it.", "items": list(range(100))}, indent=2).encode())
w("crlf-bom", b"\xef\xbb\xbf" + b'{"id":"a"}\r\n' * 40)
# "ustar" at offset 257, as a tar header has it, but no valid checksum
line = b'{"id":"x","input":"' + b"a" * (257 - 19) + b'ustar\x0000' + b"b" * 200 + b'"}\n'
w("ustar-at-257", line)
w("magic-words", b'{"id":"PK\\u0003\\u0004","input":"070707 BZh91AY&SY 7z"}\n' * 10)
w("cpio-digits", b"070707" + b"9" * 100 + b"\n")
w("bzh", b"BZh9 is how a bzip2 stream starts\n" * 4)
w("empty", b"")
w("blank", b"\n\n  \n")
PY
echo "make-detect: wrote $(ls "$out" | wc -l) files to $out"
