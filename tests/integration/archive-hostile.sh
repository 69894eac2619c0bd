# archive-hostile: entry names that climb out ("../x.png", "a/../../b.png",
# twelve "../"), an absolute path, symlinks (one pointing outside, with an
# entry "through" it), hard links, devices, FIFOs, a zip bomb (from a file and
# streamed from stdin) and a gzip bomb: each is refused with a clear error or
# skipped with its reason (a name with control characters runs under an
# escaped id), bombs are stopped after a few MiB, the good entries
# around them still run (a streamed zip read from stdin, whose sizes come after
# the data, ends at its bomb), and nothing is written outside OUTDIR.
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
mkmedia "$T/media" 1
start_emulator emu --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"arc-hostile","model":"gemini-2.5-flash","prompt":"What is this?"}
P
mkdir -p "$T/sandbox/work" "$T/outside"
python3 "$A/mkarc.py" hostile "$T/hostile.tar" "$T/media" "$T/outside"
python3 "$A/mkarc.py" zipbomb "$T/zbomb.zip" "$T/media" 64
python3 "$A/mkarc.py" zipbomb "$T/zsbomb.zip" "$T/media" 64 --stream
python3 "$A/mkarc.py" gzbomb "$T/gzbomb.tar.gz" "$T/media" $((1536 << 20))
for f in /etc/x.png /etc/b.png /tmp/gb-escape.png "$T/x.png" "$T/sandbox/x.png" "$T/sandbox/b.png"; do
    [ ! -e "$f" ] || fail "$f exists before the run"
done
find "$T/sandbox" "$T/outside" | sort >"$T/before"

cd "$T/sandbox/work"
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/hostile.tar" "$T/zbomb.zip" "$T/gzbomb.tar.gz" \
    --endpoint "$emu_URL" -o out -q 2>"$T/run.err"
grep -q "hostile.tar': 1 entry name was escaped (%XX) to serve as an id, e.g. 'ctl%1B\[2J.png' (the name holds a control character)" \
    "$T/run.err" || fail "no warning about the escaped name: $(cat "$T/run.err")"
! grep -q "$(printf '\033')" "$T/run.err" || fail "a raw escape sequence from an entry name reached stderr"
expect_rc 1 sh -c 'cat "$4" | "$1" run "$2" - --endpoint "$3" -o out-stream -q' _ "$GEMBATCH" \
    "$T/p.json" "$emu_URL" "$T/zsbomb.zip"
cd "$T"

# nothing new outside the two OUTDIRs; the link target is untouched
find "$T/sandbox" "$T/outside" | sort >"$T/after"
new=$(comm -13 "$T/before" "$T/after" | grep -v -e "^$T/sandbox/work/out\$" -e "^$T/sandbox/work/out/" \
    -e "^$T/sandbox/work/out-stream\$" -e "^$T/sandbox/work/out-stream/" || true)
[ -z "$new" ] || fail "written outside OUTDIR: $new"
[ -z "$(ls -A "$T/outside")" ] || fail "something landed in the symlink's target"
for f in /etc/x.png /etc/b.png /tmp/gb-escape.png "$T/x.png" "$T/sandbox/x.png" "$T/sandbox/b.png"; do
    [ ! -e "$f" ] || fail "$f was written"
done
for o in out out-stream; do
    [ ! -e "$T/sandbox/work/$o/.spool" ] || fail "$o/.spool left behind"
    check_outputs "$T/sandbox/work/$o"
done

python3 - "$T/sandbox/work/out" "$T/sandbox/work/out-stream" "$T/emu.log" <<'PY'
import json, re, sys
out, stream, log = sys.argv[1:4]
def load(d, f):
    return {o["id"]: o for o in map(json.loads, open(f"{d}/{f}"))
            if o.get("error", {}).get("status") != "DUPLICATE_ID"}
ok, err = load(out, "results.jsonl"), load(out, "errors.jsonl")
dups = [o for o in map(json.loads, open(f"{out}/errors.jsonl")) if o["error"]["status"] == "DUPLICATE_ID"]
# good entries around the bad ones still ran; "/etc/x.png" runs as etc/x.png
for i in ("ok.png", "etc/x.png", "ln/evil.png", "last.png", "first.png", "after.png", "a.png", "b.png",
          "ctl%1B[2J.png"):
    assert i in ok, f"{i} did not complete: {sorted(ok)}"
def msg(i):
    assert i in err, f"no error for {i}: {sorted(err)}"
    return err[i]["error"]["message"]
for i, src in (("%2E%2E/x.png", "hostile.tar"), ("a/%2E%2E/%2E%2E/b.png", "hostile.tar"),
               ("%2E%2E/" * 12 + "tmp/gb-escape.png", "hostile.tar")):
    m = msg(i)
    assert src in m and "entry name refused" in m and '".."' in m, m
    assert err[i]["entry"] == i and err[i]["error"]["status"] == "INVALID_INPUT", err[i]
# bombs: named with their archive, stopped after a few MiB
for i, src in (("bomb.png", "zbomb.zip"),):
    m = msg(i)
    assert src in m and "bomb.png" in m and "decompression bomb" in m, m
    n = int(re.search(r"(\d+) bytes out of", m).group(1))
    assert n < 16 << 20, f"extracted {n} bytes of the bomb before stopping"
# the gzip bomb: same id as the zip's, so it is a duplicate in this run (a
# line of its own, naming its archive); read its own run below. The zip bomb
# from a file is skipped cheaply: after.png ran.
assert [(d["id"], d["entry"]) for d in dups] == [("bomb.png", "bomb.png")], dups
assert "gzbomb.tar.gz" in dups[0]["input"], dups
r = json.load(open(f"{out}/run.json"))
sk = {s["entry"]: s["reason"] for s in r.get("skipped_entries", [])}
for i, why in (("sym.png", "symbolic link"), ("ln", "symbolic link"), ("hard.png", "hard link"),
               ("dev", "device"), ("fifo", "FIFO"), ("dir", "directory")):
    assert why in sk.get(i, ""), f"{i}: {sk.get(i)}"
# a streamed zip from stdin: the bomb ends the archive (skipping it means inflating it)
sok, serr = load(stream, "results.jsonl"), load(stream, "errors.jsonl")
assert "first.png" in sok and "after.png" not in sok, sorted(sok)
m = serr["bomb.png"]["error"]["message"]
assert "<stdin>" in m and "decompression bomb" in m and "rest of the archive was not read" in m, m
# the emulator never got anything the size of a bomb, nor /etc/passwd
for l in open(log):
    for p in json.loads(l).get("parts", []):
        assert p.get("bytes", 0) < 1 << 20, p
print("hostile: names refused, links skipped, bombs stopped")
PY

# the gzip bomb on its own: refused after ~1 MiB, the entries before it ran
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/gzbomb.tar.gz" --endpoint "$emu_URL" -o "$T/out-gz" -q
py '
import json, re, sys
e = [json.loads(l) for l in open(sys.argv[1] + "/errors.jsonl")]
ok = {json.loads(l)["id"] for l in open(sys.argv[1] + "/results.jsonl")}
assert ok == {"a.png", "b.png"} and len(e) == 1 and e[0]["id"] == "bomb.png", (ok, e)
m = e[0]["error"]["message"]
assert "gzbomb.tar.gz" in m and "decompression bomb" in m and "1000:1" in m, m
assert int(re.search(r"(\d+) bytes out of", m).group(1)) < 16 << 20, m
' "$T/out-gz"
[ ! -e "$T/out-gz/.spool" ] || fail "out-gz/.spool left behind"
note "traversal, links, devices, zip and gzip bombs handled; nothing outside OUTDIR"
