# run-duplicates: a repeated id is an errors.jsonl line of its own
# (DUPLICATE_ID, with its input and line) while the first line with that id
# runs as usual. Resume never retries the repeat and never writes its line
# twice, and keeps saying so (exit 1) until the manifest is fixed. Two
# inputs with the same layout collide on every id unless --id-prefix sets
# them apart.
. "$(dirname "$0")/lib.sh"
start_emulator emu --log "$T/emu.log"
echo '{"name":"dups","model":"gemini-2.5-flash"}' >"$T/p.json"
cat >"$T/m.jsonl" <<'M'
{"id": "a", "input": "first a"}
{"id": "b", "input": "b"}
{"id": "a", "input": "second a"}
{"id": "c", "input": "c"}
M
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl"
python3 - "$T/out" <<'PY'
import json, sys
out = sys.argv[1]
res = {json.loads(l)["id"]: json.loads(l) for l in open(out + "/results.jsonl")}
errs = [json.loads(l) for l in open(out + "/errors.jsonl")]
assert sorted(res) == ["a", "b", "c"], res
assert "first a" in res["a"]["text"] or res["a"]["text"], res["a"]
assert len(errs) == 1, errs
e = errs[0]
assert e["id"] == "a" and e["error"]["status"] == "DUPLICATE_ID" and e["line"] == 3, e
assert e["input"].endswith("m.jsonl"), e
PY
n1=$(ncreates "$T/emu.log")
[ "$n1" = 3 ] || fail "the repeated line was sent ($n1 requests for 3 ids)"
# resume: nothing is sent again, the duplicate is reported again but its
# line is not doubled, and the exit status still says something is wrong
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
[ "$(ncreates "$T/emu.log")" = 3 ] || fail "the resume sent requests"
[ "$(nlines "$T/out/errors.jsonl")" = 1 ] || fail "the DUPLICATE_ID line was doubled: $(cat "$T/out/errors.jsonl")"
check_outputs "$T/out" --manifest "$T/m.jsonl"
# the duplicate removed from the manifest: all is well
grep -v 'second a' "$T/m.jsonl" >"$T/m2.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m2.jsonl" --endpoint "$emu_URL" -o "$T/out2" -q
# two archives with the same layout: every entry of the second collides...
cp "$ROOT/samples/recordings.tar.gz" "$T/night1.tar.gz"
cp "$ROOT/samples/recordings.tar.gz" "$T/night2.tar.gz"
n=$(tar tzf "$T/night1.tar.gz" | grep -vc '/$')
expect_rc 1 "$GEMBATCH" run "$ROOT/pipelines/transcribe-audio.json" "$T/night1.tar.gz" \
    "$T/night2.tar.gz" --endpoint "$emu_URL" -o "$T/arc" -q
[ "$(nlines "$T/arc/errors.jsonl")" = "$n" ] || fail "expected $n DUPLICATE_ID lines: $(cat "$T/arc/errors.jsonl")"
grep -c DUPLICATE_ID "$T/arc/errors.jsonl" | grep -qx "$n" || fail "not all are DUPLICATE_ID"
# ...unless --id-prefix auto sets them apart by the archives' names
expect_rc 0 "$GEMBATCH" run "$ROOT/pipelines/transcribe-audio.json" "$T/night1.tar.gz" \
    "$T/night2.tar.gz" --endpoint "$emu_URL" -o "$T/arc2" -q --id-prefix auto
python3 - "$T/arc2" "$n" <<'PY'
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1] + "/results.jsonl")]
n = int(sys.argv[2])
assert len(ids) == 2 * n, ids
assert sum(i.startswith("night1/") for i in ids) == n and sum(i.startswith("night2/") for i in ids) == n, ids
PY
# resume with the prefix: nothing runs again
expect_rc 0 "$GEMBATCH" run "$ROOT/pipelines/transcribe-audio.json" "$T/night1.tar.gz" \
    "$T/night2.tar.gz" --endpoint "$emu_URL" -o "$T/arc2" --id-prefix auto --progress none 2>"$T/arc2.err"
grep -q "already done" "$T/arc2.err" || fail "$(cat "$T/arc2.err")"
python3 -c "import json,sys; c=json.load(open('$T/arc2/run.json'))['counts']; assert c['skipped_done']==2*$n and c['jobs']==0, c"
# media files given as INPUT are named by their paths already: auto adds no
# prefix to them (it made 'a.png/real/sub/a.png'), while an archive beside
# them still gets its own
mkdir -p "$T/files/real/sub" "$T/files/other"
cp "$ROOT/samples/images/chart.png" "$T/files/real/sub/a.png"
cp "$ROOT/samples/images/receipt.png" "$T/files/other/a.png"
(cd "$T/files" && expect_rc 0 "$GEMBATCH" run "$ROOT/pipelines/classify-images.json" real/sub/a.png \
    other/a.png "$T/night1.tar.gz" --endpoint "$emu_URL" -o out -q --id-prefix auto)
python3 - "$T/files/out" "$n" <<'PY'
import json, sys
ids = sorted(json.loads(l)["id"] for l in open(sys.argv[1] + "/results.jsonl"))
n = int(sys.argv[2])
assert "real/sub/a.png" in ids and "other/a.png" in ids, ids
assert sum(i.startswith("night1/") for i in ids) == n, ids
assert len(ids) == n + 2, ids
PY
