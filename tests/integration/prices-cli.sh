# prices-cli: gembatch prices. The table printed is the one in prices/gemini.json
# (built into the binary), with dates, sources and what is unconfirmed; one
# model's rates at every tier; dated changes by --at; an unknown model exits 2
# with the known ones listed; --prices FILE replaces the table and a broken one
# is named with its JSON path; --usage prices a run's results lines, checked
# against a price computation done here in Python from the table's JSON.
. "$(dirname "$0")/lib.sh"

# ---- the built-in table is prices/gemini.json ------------------------------------------
"$GEMBATCH" prices --json >"$T/table.json"
py 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]));
assert a == b, "the built-in table differs from prices/gemini.json"' \
    "$T/table.json" "$ROOT/prices/gemini.json" || fail "built-in table"

"$GEMBATCH" prices >"$T/table.txt"
grep -Eq '^gemini-2\.5-flash +0\.30\* +1\.00\* +0\.03\* +2\.50\* ' "$T/table.txt" \
    || fail "no gemini-2.5-flash row: $(grep 2.5-flash "$T/table.txt")"
grep -q 'from a third-party transcription' "$T/table.txt" || fail "no word on unconfirmed figures"
grep -q '^Sources (read on the row' "$T/table.txt" || fail "no sources"
grep -q 'flex 0.5x, priority 1.8x\*, batch 0.5x (cache hits 1x)' "$T/table.txt" \
    || fail "tier line: $(sed -n 2p "$T/table.txt")"
grep -q '^  gemini-flash-latest: a moving alias' "$T/table.txt" || fail "no unpriced list"
# every row names a date and a source footnote that is listed
py 'import re,sys
rows=[l for l in open(sys.argv[1]) if re.match(r"gemini-\S+ +[0-9-]", l)]
assert len(rows) >= 20, len(rows)
notes=set(re.findall(r"^  \[(\d+)\]", open(sys.argv[1]).read(), re.M))
for r in rows:
    m=re.search(r"(\d{4}-\d\d-\d\d) \[(\d+)\]$", r.rstrip())
    assert m and m.group(2) in notes, r' "$T/table.txt" || fail "rows without a date or source"

# ---- one model, every tier ----------------------------------------------------------------
"$GEMBATCH" prices gemini-2.5-flash --json >"$T/flash.json"
py 'import json,sys; r=json.load(open(sys.argv[1])); t=r["tiers"]
assert r["model"] == "gemini-2.5-flash" and r["rates"]["input"] == 0.30
assert abs(t["flex"]["rates"]["input"] - 0.15) < 1e-12
assert abs(t["priority"]["rates"]["output"] - 4.5) < 1e-12
assert abs(t["batch"]["rates"]["output"] - 1.25) < 1e-12
assert t["batch"]["rates"]["cached_input"] == 0.03, "batch cache hits are priced as standard"
assert r["rates"]["input_audio"] == 1.0 and r["confirmed"] == []' "$T/flash.json" \
    || fail "gemini-2.5-flash rates: $(cat "$T/flash.json")"
"$GEMBATCH" prices gemini-2.5-pro >"$T/pro.txt"
grep -q '^prompt > 200000 tokens' "$T/pro.txt" || fail "no long-prompt rates: $(cat "$T/pro.txt")"
grep -q '^source  *\[3P\]' "$T/pro.txt" || fail "no source line"
"$GEMBATCH" prices models/gemini-2.0-flash-001 --json >"$T/alias.json"
py 'import json,sys; r=json.load(open(sys.argv[1]))
assert r["model"] == "gemini-2.0-flash" and r["asked"] == "models/gemini-2.0-flash-001"
assert r["tiers"]["flex"] is None and r["rates"]["input_audio"] is None' "$T/alias.json" \
    || fail "alias: $(cat "$T/alias.json")"

# ---- dated changes ------------------------------------------------------------------------
"$GEMBATCH" prices gemini-3.8-flash --at 2026-12-31 --json >"$T/d1.json"
"$GEMBATCH" prices gemini-3.8-flash --at 2027-01-01 --json >"$T/d2.json"
py 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert a["rates"]["input"] == 0.75 and a["since"] is None, a
assert b["rates"]["input"] == 1.5 and b["rates"]["output"] == 7.5 and b["since"] == "2027-01-01", b' \
    "$T/d1.json" "$T/d2.json" || fail "dated change"

# ---- unknown models exit 2 ----------------------------------------------------------------
expect_rc 2 "$GEMBATCH" prices gemini-9-ultra 2>"$T/err"
grep -q "'gemini-9-ultra' is not in the price table (built-in); known models:" "$T/err" \
    || fail "unknown model: $(cat "$T/err")"
grep -q '^  gemini-2.5-flash$' "$T/err" || fail "known models not listed"
expect_rc 2 "$GEMBATCH" prices gemini-2.5-flash-001 2>"$T/err" # never guessed from a suffix
expect_rc 2 "$GEMBATCH" prices gemini-flash-latest 2>"$T/err"
grep -q "'gemini-flash-latest' has no price: a moving alias" "$T/err" || fail "$(cat "$T/err")"

# ---- --prices FILE ------------------------------------------------------------------------
TEST_TABLE="$ROOT/tests/data/prices/test.json"
"$GEMBATCH" prices --prices "$TEST_TABLE" m-text --json >"$T/m.json" || fail "--prices"
py 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rates"]["output_image"] == 100' \
    "$T/m.json" || fail "--prices row"
expect_rc 2 "$GEMBATCH" prices --prices "$TEST_TABLE" gemini-2.5-flash 2>"$T/err"
grep -q "is not in the price table ($TEST_TABLE)" "$T/err" || fail "$(cat "$T/err")"
BAD="$ROOT/tests/data/prices/bad/unknown-field.json"
expect_rc 2 "$GEMBATCH" prices --prices "$BAD" 2>"$T/err"
grep -qF "gembatch: $BAD: /models/m: unknown field \"ouput\"" "$T/err" || fail "$(cat "$T/err")"
expect_rc 2 "$GEMBATCH" prices --prices "$ROOT/tests/data/prices/bad/not-json.json" 2>"$T/err"
grep -q "not-json.json:3: " "$T/err" || fail "no line for a JSON error: $(cat "$T/err")"
expect_rc 2 "$GEMBATCH" prices --prices "$T/none.json" 2>"$T/err"
grep -q "none.json" "$T/err" || fail "missing file: $(cat "$T/err")"

# ---- usage errors -------------------------------------------------------------------------
expect_rc 2 "$GEMBATCH" prices a b 2>/dev/null
expect_rc 2 "$GEMBATCH" prices --at 2027-13-01 2>"$T/err"
grep -q "'--at' takes a date YYYY-MM-DD" "$T/err" || fail "$(cat "$T/err")"
expect_rc 2 "$GEMBATCH" prices gemini-2.5-flash --usage - </dev/null 2>/dev/null
"$GEMBATCH" prices --help | grep -q -- '--prices FILE' || fail "--help lacks --prices"
"$GEMBATCH" --help | grep -q '^  prices ' || fail "gembatch --help lacks prices"

# ---- --usage: a run's results priced, checked independently ------------------------------
cd "$T"
"$GEMBATCH" run "$ROOT/pipelines/classify-images.json" "$ROOT/samples/images.jsonl" --emulator \
    -o "$T/out" -q --progress none 2>"$T/run.err" || fail "run: $(cat "$T/run.err")"
"$GEMBATCH" prices --usage "$T/out/results.jsonl" --json >"$T/cost.json" || fail "--usage"
py 'import json,sys
table=json.load(open(sys.argv[1]))
cost=json.load(open(sys.argv[2]))
lines=[json.loads(l) for l in open(sys.argv[3])]
m=table["models"]["gemini-2.5-flash"]
want={}
for tier,tt in table["tiers"].items():
    x=0.0
    for l in lines:
        u=l["usage"]
        inp=u.get("total_input_tokens",0); cached=u.get("total_cached_tokens",0)
        out=u.get("total_output_tokens",0)+u.get("total_thought_tokens",0)
        x+=((inp-cached)*m["input"]+out*m["output"])*tt["multiplier"]/1e6
        x+=cached*m["cached_input"]*tt.get("cached_multiplier",tt["multiplier"])/1e6
    want[tier]=x
got=cost["total_cost_usd"]
assert cost["lines"] == len(lines) and cost["unpriced"] == 0, cost
for tier in want:
    assert abs(got[tier]-want[tier]) < 1e-12, (tier, got[tier], want[tier])
assert want["standard"] > 0
print("standard %.6f USD for %d results" % (want["standard"], len(lines)))' \
    "$ROOT/prices/gemini.json" "$T/cost.json" "$T/out/results.jsonl" >&2 || fail "--usage totals"

# a line for a model without a price: its cost is unknown, never guessed; exit 1
printf '%s\n' '{"model":"gemini-9-ultra","usage":{"total_input_tokens":10}}' \
    '{"model":"gemini-2.5-flash","usage":{"total_input_tokens":1000000}}' \
    '{"id":"e1","status":"failed","error":{"code":500}}' >"$T/mixed.jsonl"
expect_rc 1 "$GEMBATCH" prices --usage "$T/mixed.jsonl" --json >"$T/mixed.json" 2>"$T/err"
py 'import json,sys; c=json.load(open(sys.argv[1]))
assert c["unpriced"] == 1 and c["total_cost_usd"]["standard"] is None, c
assert c["lines"] == 3 and c["skipped"] == 1, c
m={x["model"]: x for x in c["models"]}
assert m["gemini-2.5-flash"]["cost_usd"]["standard"] == 0.3, m
assert m["gemini-9-ultra"]["cost_usd"]["standard"] is None' "$T/mixed.json" || fail "unpriced line"
grep -q "1 lines could not be priced" "$T/err" || fail "$(cat "$T/err")"
printf 'not json\n' >"$T/bad.jsonl"
expect_rc 2 "$GEMBATCH" prices --usage "$T/bad.jsonl" 2>"$T/err"
grep -q "bad.jsonl:1: not JSON" "$T/err" || fail "$(cat "$T/err")"
