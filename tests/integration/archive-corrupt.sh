# archive-corrupt: damaged archives end with one clear error naming the archive
# and the entry, and every entry read before the damage still runs: a tar.gz
# cut in half, a plain tar with a mangled header, a zip cut short, and a zip
# whose entry fails its CRC.
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
start_emulator emu
cat >"$T/p.json" <<'P'
{"name":"arc-corrupt","model":"gemini-2.5-flash","prompt":"What is this?"}
P
python3 "$A/mkarc.py" many "$T/many.tar.gz" 60 >"$T/many.sha"
python3 "$A/mkarc.py" cut "$T/many.tar.gz" "$T/cut.tar.gz" 0.5
mkdir -p "$T/x"
gzip -dc "$T/many.tar.gz" >"$T/x/many.tar"
(cd "$T/x" && tar xf many.tar && zip -q "$T/many.zip" scan/*.png)
python3 "$A/mkarc.py" cut "$T/many.zip" "$T/cut.zip" 0.5
# the header of the 31st entry (each is 512 + ~20 KB padded to 512) gets noise
python3 - "$T/x/many.tar" "$T/bad.tar" "$T/many.zip" "$T/crc.zip" <<'PY'
import sys, tarfile, zipfile
src, dst, zsrc, zdst = sys.argv[1:5]
with tarfile.open(src) as t:
    off = [m.offset for m in t.getmembers()][30]
b = bytearray(open(src, "rb").read())
b[off:off + 100] = b"\x01" * 100
open(dst, "wb").write(bytes(b))
# flip a byte inside the 21st zip entry's data: its CRC no longer matches
with zipfile.ZipFile(zsrc) as z:
    i = z.infolist()[20]
    data_at = i.header_offset + 30 + len(i.filename.encode()) + len(i.extra) + 100
b = bytearray(open(zsrc, "rb").read())
b[data_at] ^= 0xff
open(zdst, "wb").write(bytes(b))
PY

# check OUT ARCHIVE MIN: results are the first K entries (K >= MIN), then one
# error naming ARCHIVE and the entry where it broke
check() {
    check_outputs "$1"
    python3 - "$1" "$T/many.sha" "$2" "$3" <<'PY'
import json, sys
out, lst, arc, least = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
names = [l.split("\t")[0] for l in open(lst)]
sha = dict(l.rstrip("\n").split("\t") for l in open(lst))
ok = {json.loads(l)["id"]: json.loads(l) for l in open(out + "/results.jsonl")}
err = [json.loads(l) for l in open(out + "/errors.jsonl")]
k = len(ok)
assert k >= least, f"{arc}: only {k} entries ran before the damage"
assert set(ok) == set(names[:k]), f"{arc}: not a prefix: {sorted(set(ok) ^ set(names[:k]))[:5]}"
for i, r in ok.items():
    assert "sha256:" + sha[i] in r["text"], f"{i} not acknowledged"
assert len(err) == 1, f"{arc}: {len(err)} errors: {err}"
m, e = err[0]["error"]["message"], err[0]
assert arc in m and "damaged archive" in m and "entries after it were not read" in m, m
assert e["entry"] == e["id"] and e["id"] not in ok, e
# the entry named is the one that broke: the next one, or "#N (after 'the last good one')"
last = names[k - 1]
assert e["id"] == names[k] or (e["id"] == f"#{k + 1}" and f"after '{last}'" in m), (e["id"], m)
print(f"{arc}: {k} entries ran, then: {m}")
PY
}
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/cut.tar.gz" --endpoint "$emu_URL" -o "$T/o1" -q
check "$T/o1" cut.tar.gz 20
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/bad.tar" --endpoint "$emu_URL" -o "$T/o2" -q
check "$T/o2" bad.tar 30
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/cut.zip" --endpoint "$emu_URL" -o "$T/o3" -q
check "$T/o3" cut.zip 20
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/crc.zip" --endpoint "$emu_URL" -o "$T/o4" -q
check "$T/o4" crc.zip 20
grep -q "scan/020.png" "$T/o4/errors.jsonl" || fail "the CRC error does not name scan/020.png"
# the cut tar.gz from stdin behaves the same
expect_rc 1 sh -c 'cat "$4" | "$1" run "$2" - --endpoint "$3" -o "$5" -q' _ "$GEMBATCH" "$T/p.json" \
    "$emu_URL" "$T/cut.tar.gz" "$T/o5"
check "$T/o5" "<stdin>" 20
for o in o1 o2 o3 o4 o5; do [ ! -e "$T/$o/.spool" ] || fail "$o/.spool left behind"; done
