#!/bin/sh
# cache-cli: `gembatch cache stats|prune|export` on a cache that run --cache
# created and an independent writer filled (tests/tools/cache_fill.py):
# the figures, every row exported, prune by age and by size (oldest first,
# unnamed images removed), and clear refusals (exit 2) of a garbage, truncated,
# foreign, newer or missing database and of bad usage.
. "$(dirname "$0")/lib.sh"
cd "$T"
DB="$T/answers.db"
# run --cache creates the database before anything is sent
expect_rc 0 "$GEMBATCH" run "$ROOT/pipelines/classify-images.json" "$ROOT/samples/images.jsonl" \
    --emulator -q -o out --cache "$DB"
[ -f "$DB" ] || fail "run --cache did not create the database"
python3 "$TOOLS/cache_fill.py" "$DB" 200 --days 20 >fill.jsonl

"$GEMBATCH" cache stats --cache "$DB" --json >stats.json
GEMBATCH_CACHE="$DB" "$GEMBATCH" cache stats | grep -q "^answers    200$" || fail "stats text"
# export: every row, oldest first, as written
GEMBATCH_CACHE="$DB" "$GEMBATCH" cache export >export.jsonl
py '
import json, os
s = json.load(open("stats.json"))
want = {"results": 200, "image_refs": 50, "blobs": 7, "schema_version": 1}
for k, v in want.items():
    assert s[k] == v, (k, s[k], v)
assert s["db_bytes"] > 0 and s["blob_bytes"] > 0
fill = [json.loads(l) for l in open("fill.jsonl")]
exp = [json.loads(l) for l in open("export.jsonl")]
assert [e["key"] for e in exp] == [f["key"] for f in fill], "keys or order differ"
for f, e in zip(fill, exp):
    assert e["result"]["text"] == f["text"]
    imgs = [i["sha256"] for i in e["images"]]
    assert imgs == ([f["image"]] if f["image"] else []), (imgs, f["image"])
    for i in e["images"]:
        assert os.path.isfile(i["path"]) and i["path"].endswith(i["sha256"] + ".png"), i
'

# prune by age: exactly the rows older than 10 days go
"$GEMBATCH" cache prune --cache "$DB" --older-than 10d >prune1.txt
grep -q "^pruned 100 answers" prune1.txt || fail "prune --older-than: $(cat prune1.txt)"
# by size: the oldest go until database + images fit; images no row names go too
"$GEMBATCH" cache prune --cache "$DB" --max-size 60K >prune2.txt
"$GEMBATCH" cache export --cache "$DB" >after.jsonl
"$GEMBATCH" cache stats --cache "$DB" --json >after.json
py '
import json, os
fill = [json.loads(l) for l in open("fill.jsonl")]
left = [json.loads(l) for l in open("after.jsonl")]
s = json.load(open("after.json"))
assert 0 < len(left) < 100, len(left)
assert s["db_bytes"] + s["blob_bytes"] <= 60 * 1024, s
assert [e["key"] for e in left] == [f["key"] for f in fill[-len(left):]], "not the newest kept"
named = {i["path"] for e in left for i in e["images"]}
on_disk = {os.path.join(d, f) for d, _, fs in os.walk("answers.db.blobs") for f in fs}
on_disk = {os.path.join(os.getcwd(), p) for p in on_disk}
assert on_disk == named, (sorted(on_disk), sorted(named))
'

# refusals: exit 2 and a message naming the file
refused() {
    _want=$1; shift
    _rc=0; "$GEMBATCH" cache "$@" >/dev/null 2>err || _rc=$?
    [ "$_rc" = 2 ] || fail "'cache $*' exited $_rc, expected 2"
    grep -q "$_want" err || fail "'cache $*': expected '$_want', got: $(cat err)"
}
head -c 20000 /dev/urandom >garbage.db
refused "'garbage.db' is not an SQLite database" stats --cache garbage.db
cp "$DB" whole.db
python3 "$TOOLS/cache_fill.py" whole.db 300 --prefix more >/dev/null
size=$(wc -c <whole.db)
head -c $((size / 2)) whole.db >truncated.db
refused "cache 'truncated.db' is damaged" stats --cache truncated.db
cp "$DB" newer.db
py '
import sqlite3
c = sqlite3.connect("foreign.db"); c.execute("CREATE TABLE t (x)"); c.commit()
c = sqlite3.connect("newer.db")
c.execute("UPDATE gembatch_cache_meta SET value = 9 WHERE name = ?", ("schema_version",))
c.commit()
'
refused "another application's SQLite database" export --cache foreign.db
refused "newer gembatch (cache schema 9" stats --cache newer.db
refused "no cache at 'missing.db'" prune --cache missing.db --older-than 1d
[ ! -e missing.db ] || fail "a missing cache was created"
refused "no action given" --cache "$DB"
refused "unknown action 'frob'" frob --cache "$DB"
refused "prune needs --older-than" prune --cache "$DB"
refused "takes a duration" prune --cache "$DB" --older-than 3x
refused "are for prune" stats --cache "$DB" --older-than 1d
(unset GEMBATCH_CACHE; refused "give --cache PATH or set GEMBATCH_CACHE" stats)
exit 0
