# archive-stdin: archives read from stdin ('-'), detected from their first
# bytes, which are replayed to libarchive: a tar.gz, a zip and a cpio run
# end to end with every digest acknowledged, in the same run as a manifest
# input. A 7z from a pipe is refused with a clear message (its index is at the
# end); a compressed manifest says how to feed it.
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
mkmedia "$T/media" 1
start_emulator emu --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"arc-stdin","model":"gemini-2.5-flash","prompt":"What is this?"}
P
(cd "$T/media" && tar czf "$T/m.tgz" . && zip -qr "$T/m.zip" . && find . | cpio -o -H newc --quiet >"$T/m.cpio")
n=$(nlines "$T/media.sha")
i=0
for a in m.tgz m.zip m.cpio; do
    i=$((i + 1))
    expect_rc 0 sh -c '"$1" run "$2" - --endpoint "$3" -o "$4" -q <"$5"' _ "$GEMBATCH" "$T/p.json" \
        "$emu_URL" "$T/out$i" "$T/$a"
    python3 "$A/acked.py" "$T/out$i" "$T/media.sha" --log "$T/emu.log" --min "$n" >&2
    py 'import json,sys; assert json.load(open(sys.argv[1]))["inputs"] == ["-"]' "$T/out$i/run.json" ||
        fail "run.json does not list '-' as the input"
done
# through a real pipe too, then a manifest after it in the same run
printf '{"id":"text-1","input":"hello"}\n' >"$T/m.jsonl"
expect_rc 0 sh -c 'cat "$5" | "$1" run "$2" - "$6" --endpoint "$3" -o "$4" -q' _ "$GEMBATCH" \
    "$T/p.json" "$emu_URL" "$T/out-pipe" "$T/m.tgz" "$T/m.jsonl"
python3 "$A/acked.py" "$T/out-pipe" "$T/media.sha" --min "$n" >&2
grep -q '"id":"text-1"' "$T/out-pipe/results.jsonl" || fail "the manifest after the archive did not run"

# 7z needs to seek: from a pipe it is refused, with the way out
(cd "$T/media" && bsdtar --format 7zip -cf "$T/m.7z" .)
rc=0
cat "$T/m.7z" | "$GEMBATCH" run "$T/p.json" - --endpoint "$emu_URL" -o "$T/out-7z" -q 2>"$T/7z.err" || rc=$?
[ "$rc" != 0 ] || fail "a 7z from a pipe should not succeed"
grep -q "7z archive, which cannot be read from a pipe" "$T/7z.err" || fail "7z message: $(cat "$T/7z.err")"
# ... and from a file it runs
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.7z" --endpoint "$emu_URL" -o "$T/out-7zf" -q
python3 "$A/acked.py" "$T/out-7zf" "$T/media.sha" --min "$n" >&2

# a compressed manifest is read as one, from a file or a pipe, and gives the
# same results as the plain manifest
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out-plain" -q
for z in "gzip -c" "zstd -q -c" "xz -c"; do
    ext=${z%% *}
    $z "$T/m.jsonl" >"$T/m.jsonl.$ext"
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl.$ext" --endpoint "$emu_URL" -o "$T/out-$ext" -q
    "$GEMBATCH" run "$T/p.json" - --endpoint "$emu_URL" -o "$T/out-$ext-pipe" -q <"$T/m.jsonl.$ext" \
        || fail "$ext manifest from a pipe"
    for o in "$T/out-$ext" "$T/out-$ext-pipe"; do
        python3 - "$T/out-plain" "$o" <<'PY' || fail "$o differs from the plain manifest's results"
import json, sys
def load(d):
    return {json.loads(l)["id"]: json.loads(l)["text"] for l in open(d + "/results.jsonl")}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a == b and len(a) > 0, (len(a), len(b))
PY
    done
done
note "tar.gz, zip and cpio from stdin acknowledged; 7z from a pipe explained; compressed manifests read"
