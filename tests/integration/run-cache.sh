# run-cache: the answer cache in runs (issue 17). A second night over 1,000
# jobs with 50 changed media files and 20 changed manifest lines sends
# exactly 70 requests, and its results equal a fresh run's. Two runs at once
# share one cache. A truncated or garbage database stops the run before
# anything is sent (exit 2), or with --cache-optional is a warning. The
# metrics file parses with a real parser and agrees with run.json.
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 9 --log "$T/emu.log"
cd "$T"
creates() { grep -c '"method":"POST","path":"/v1beta/interactions"' emu.log || true; }
echo '{"name":"night","model":"gemini-2.5-flash","prompt":"Describe {{w}}.","generation_config":{"temperature":0}}' >p.json
python3 - <<'PY'
import json, os, struct, zlib
def png(path, seed):
    w = h = 4
    raw = b"".join(b"\0" + bytes((seed * 7 + x * 13 + y * 29) & 255 for x in range(w * 3)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
os.makedirs("scans", exist_ok=True)
with open("m.jsonl", "w") as m:
    for i in range(1000):
        line = {"id": "n%d" % i, "vars": {"w": "item %d" % i}}
        if i < 300:
            png("scans/s%d.png" % i, i)
            line["files"] = ["scans/s%d.png" % i]
        m.write(json.dumps(line) + "\n")
PY
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o night1 --cache cache.db -q -j 32 \
    --metrics night1.prom
[ "$(creates)" = 1000 ] || fail "night 1 sent $(creates) requests"
python3 "$TOOLS/check_metrics.py" night1.prom --run-json night1/run.json >/dev/null ||
    fail "night 1's metrics do not parse or disagree with run.json"
# night 2: 50 scans changed (other bytes, same names), 20 lines changed, the
# rest as it was: only those 70 are asked again
python3 - <<'PY'
import json, struct, zlib
for i in range(0, 100, 2):
    p = "scans/s%d.png" % i
    b = bytearray(open(p, "rb").read())
    b[-20] ^= 0x55  # inside IDAT's data: another image (its CRC need not hold for the emulator)
    open(p, "wb").write(bytes(b))
lines = [json.loads(l) for l in open("m.jsonl")]
for i in range(500, 520):
    lines[i]["vars"]["w"] = "changed item %d" % i
open("m.jsonl", "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o night2 --cache cache.db -q -j 32 \
    --metrics night2.prom
[ "$(creates)" = 1070 ] || fail "night 2 sent $(($(creates) - 1000)) requests, expected 70"
python3 "$TOOLS/check_metrics.py" night2.prom --run-json night2/run.json >/dev/null ||
    fail "night 2's metrics do not parse or disagree with run.json"
# a fresh run of night 2's inputs gives the same answers
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o fresh -q -j 32
python3 - <<'PY'
import json
def load(d):
    return {r["id"]: r for r in map(json.loads, open(d + "/results.jsonl"))}
a, b = load("night2"), load("fresh")
assert set(a) == set(b) and len(a) == 1000
cached = sum(1 for r in a.values() if r.get("cached"))
assert cached == 930, cached
for k in a:
    assert a[k]["text"] == b[k]["text"], (k, a[k]["text"][:80], b[k]["text"][:80])
    assert a[k]["usage"] == b[k]["usage"], k
    if a[k].get("cached"):
        assert a[k]["cost_usd"] == 0 and a[k]["attempts"] == 0, a[k]
r = json.load(open("night2/run.json"))
assert r["cache"]["served"] == 930 and r["cache"]["saved_usd"] > 0, r["cache"]
assert r["counts"]["attempts"] == 70, r["counts"]
PY
# two runs at once on one cache: both complete, nothing is asked twice
before=$(creates)
expect_rc 0 sh -c "'$GEMBATCH' run p.json m.jsonl --endpoint '$emu_URL' -o twin1 --cache cache.db -q -j 16 &
    '$GEMBATCH' run p.json m.jsonl --endpoint '$emu_URL' -o twin2 --cache cache.db -q -j 16; s=\$?; wait \$! && exit \$s"
check_outputs twin1 --manifest m.jsonl --all-ok
check_outputs twin2 --manifest m.jsonl --all-ok
[ "$(creates)" = "$before" ] || fail "the twins asked again what the cache holds: $(($(creates) - before)) requests"
# a damaged database: refused before anything is sent (exit 2), or a warning
head -c 20000 cache.db >trunc.db
printf 'not a database at all, just text\n%.0s' $(seq 200) >garbage.db
for db in trunc.db garbage.db; do
    rc=0
    "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o "bad-$db" --cache "$db" -q 2>err || rc=$?
    [ "$rc" = 2 ] || fail "--cache $db: exit $rc, expected 2: $(cat err)"
    grep -q "$db" err || fail "the error does not name $db: $(cat err)"
    [ ! -e "bad-$db" ] || fail "--cache $db made the output folder"
done
[ "$(creates)" = "$before" ] || fail "a refused run sent requests"
head -n 5 m.jsonl >m5.jsonl
expect_rc 0 "$GEMBATCH" run p.json m5.jsonl --endpoint "$emu_URL" -o optional --cache garbage.db \
    --cache-optional --progress none 2>err
grep -q "going on without the cache" err || fail "no warning with --cache-optional: $(cat err)"
# a server that echoes the key in an answer: the key is blanked in
# results.jsonl and in the cache alike (both are files the user keeps)
python3 "$ROOT/tests/bad-inputs/server.py" echo_key >echo.url 2>/dev/null &
_pids="$_pids $!"
i=0; while [ ! -s echo.url ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "server.py did not start"; sleep 0.05; done
GEMINI_API_KEY=AIzaEchoedSecret123 "$GEMBATCH" run p.json m5.jsonl --endpoint "$(head -n 1 echo.url)" \
    -o echoed --cache echo.db -q || fail "the run against the echoing server failed"
grep -q 'your key is \[redacted\]' echoed/results.jsonl || fail "$(head -c 300 echoed/results.jsonl)"
python3 - <<'PY'
import sqlite3
db = sqlite3.connect("echo.db")
rows = 0
for t, in db.execute("select name from sqlite_master where type='table'"):
    for row in db.execute('select * from "%s"' % t):
        rows += 1
        for v in row:
            s = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            assert "AIzaEchoedSecret123" not in s, (t, s[:200])
assert rows >= 5, rows
PY
grep -rq AIzaEchoedSecret123 echo.db* echoed && fail "the key is stored in a file"

# generated images come back from the cache's blob folder: the second run
# sends nothing and writes the same PNGs, byte for byte
cat >img.json <<'P'
{"name":"img","model":"gemini-3-pro-image-preview","prompt":"Draw {{w}}.",
 "response_modalities":["IMAGE"],"generation_config":{"temperature":0}}
P
printf '{"id":"i1","vars":{"w":"a boat"}}\n{"id":"i2","vars":{"w":"a kite"}}\n' >img.jsonl
expect_rc 0 "$GEMBATCH" run img.json img.jsonl --endpoint "$emu_URL" -o img1 --cache img.db -q
n0=$(grep -c '"method":"POST"' "$T/emu.log")
expect_rc 0 "$GEMBATCH" run img.json img.jsonl --endpoint "$emu_URL" -o img2 --cache img.db -q
assert_eq "$(grep -c '"method":"POST"' "$T/emu.log")" "$n0" "requests of the cached image run"
python3 - <<'PY'
import hashlib, json, os
def pngs(d):
    out = {}
    for root, _, fs in os.walk(d + "/images"):
        for f in fs:
            p = os.path.join(root, f)
            out[os.path.relpath(p, d)] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out
a, b = pngs("img1"), pngs("img2")
assert len(a) == 2 and a == b, (a, b)
res = [json.loads(l) for l in open("img2/results.jsonl")]
assert all(r.get("cached") and r["files"] for r in res), res
PY
true
