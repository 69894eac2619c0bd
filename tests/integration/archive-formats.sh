# archive-formats: a tar.gz and a zip holding images, WAV and MP3 audio, MP4
# and WebM video and PDFs run end to end: one job per media entry (id = the
# entry's path), every digest acknowledged in the answers and in the
# emulator's log; folders and unsupported entries are listed as skipped in
# run.json. tar.bz2, tar.xz, tar.zst, tar.lz4, plain tar, 7z and cpio (newc,
# odc, crc, binary) run a smaller set each. The spool is gone at the end.
. "$(dirname "$0")/lib.sh"
command -v bsdtar >/dev/null || fail "bsdtar (libarchive-tools) is missing: run scripts/install-deps"
A=$ROOT/tests/data/archive
mkmedia "$T/media" 2
mkdir -p "$T/media/deep/er"
cp "$T/media/img1.png" "$T/media/deep/er/nested.png"
printf 'deep/er/nested.png\t%s\n' "$(sha256sum "$T/media/img1.png" | cut -d' ' -f1)" >>"$T/media.sha"
printf '\0\1\2\3 not media' >"$T/media/blob.bin"
start_emulator emu --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"arc","model":"gemini-2.5-flash","prompt":"Describe the attached file.","limits":{"concurrency":8}}
P
(cd "$T/media" && tar czf "$T/all.tar.gz" . && zip -qr "$T/all.zip" .)

# run ARCHIVE OUT LIST: every file of LIST acknowledged, nothing failed
run() {
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$1" --endpoint "$emu_URL" -o "$2" -q
    check_outputs "$2" --all-ok
    python3 "$A/acked.py" "$2" "$3" --log "$T/emu.log" --min "$(nlines "$3")" >&2
    [ ! -e "$2/.spool" ] || fail "$2/.spool is left behind: $(ls -A "$2/.spool" | head -3)"
}
for a in all.tar.gz all.zip; do
    run "$T/$a" "$T/out-$a" "$T/media.sha"
    assert_eq "$(nlines "$T/out-$a/results.jsonl")" 23 "jobs of $a"
    python3 - "$T/out-$a/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sk = {s["entry"]: s["reason"] for s in r.get("skipped_entries", [])}
assert "not media (application/octet-stream)" in sk.get("blob.bin", ""), sk
assert sk.get("deep") == "directory" and sk.get("deep/er") == "directory", sk
assert r["counts"]["completed"] == 23 and r["counts"]["failed"] == 0, r["counts"]
PY
done

# the smaller set, in every other format
mkdir -p "$T/small/docs"
for f in img0.png speech0.wav song0.mp3 clip0.mp4 doc0.pdf; do cp "$T/media/$f" "$T/small/"; done
cp "$T/media/doc1.pdf" "$T/small/docs/"
(cd "$T/small" && find . -type f | sed 's|^\./||' | sort | while read -r f; do
    printf '%s\t%s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done) >"$T/small.sha"
(cd "$T/small" &&
    tar cjf "$T/s.tar.bz2" . && tar cJf "$T/s.tar.xz" . && tar --zstd -cf "$T/s.tar.zst" . &&
    tar cf "$T/s.tar" . && lz4 -q -c "$T/s.tar" >"$T/s.tar.lz4" &&
    bsdtar --format 7zip -cf "$T/s.7z" . &&
    for h in newc odc crc bin; do find . | cpio -o -H $h --quiet >"$T/s-$h.cpio"; done)
for a in s.tar.bz2 s.tar.xz s.tar.zst s.tar.lz4 s.tar s.7z s-newc.cpio s-odc.cpio s-crc.cpio s-bin.cpio; do
    run "$T/$a" "$T/out-$a" "$T/small.sha"
done
note "23 entries x 2 (tar.gz, zip) and 6 x 10 other formats acknowledged"
