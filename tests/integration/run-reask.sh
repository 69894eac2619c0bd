# run-reask: against `emulate --fault schema_violation=0.3`, answers that do
# not match the schema are re-asked (chained by previous_interaction_id when
# stored, else with the whole history), every output in results.jsonl is valid
# (checked here independently), the rest are SCHEMA_VIOLATION errors, and
# run.json counts the re-asks and how many they fixed.
. "$(dirname "$0")/lib.sh"
start_emulator emu --fault schema_violation=0.3 --seed 5 --log "$T/emu.log"
mkdir -p "$T/schemas"
cat >"$T/schemas/invoice.json" <<'S'
{"type":"object","additionalProperties":false,
 "properties":{"invoice_no":{"type":"string","minLength":1},
   "total":{"type":"number","minimum":0},
   "currency":{"type":"string","enum":["EUR","USD","GBP"]},
   "lines":{"type":"array","minItems":1,"items":{"type":"object",
      "properties":{"sku":{"type":"string"},"qty":{"type":"integer","minimum":1}},
      "required":["sku","qty"]}}},
 "required":["invoice_no","total","currency","lines"]}
S
cat >"$T/p.json" <<'P'
{"name":"reask","model":"gemini-2.5-flash","prompt":"Extract invoice {{n}}.",
 "response_format":{"$file":"schemas/invoice.json"},"validate":{"reask":2},
 "limits":{"concurrency":16}}
P
python3 -c "
import json
for i in range(300): print(json.dumps({'id': 'inv%d' % i, 'vars': {'n': i}, **({'store': False} if i % 2 else {})}))" >"$T/m.jsonl"
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "exit $rc"
check_outputs "$T/out" --manifest "$T/m.jsonl" --schema "$T/schemas/invoice.json" --min-ok 250
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
run = json.load(open(t + "/out/run.json"))
c = run["counts"]
assert c["reasks"] > 30, c                    # 30% of first answers are invalid
assert 0 < c["reasks_fixed"] <= c["reasks"], c
for l in open(t + "/out/errors.jsonl"):
    e = json.loads(l)
    assert e["error"]["status"] == "SCHEMA_VIOLATION", e
    assert e["errors"] and "text" in e, e
res = [json.loads(l) for l in open(t + "/out/results.jsonl")]
assert any(r.get("reasks") for r in res)
# re-asks were sent both ways: chained for stored jobs, with history for store:false
chained = history = 0
for l in open(t + "/emu.log"):
    o = json.loads(l)
    if o.get("path", "").endswith("/interactions") and o.get("method") == "POST":
        turns = o.get("turns", 0)
        if o.get("previous_interaction_id"):
            chained += 1
        elif turns and turns > 1:
            history += 1
print(f"run-reask: {c['reasks']} re-asks, {c['reasks_fixed']} fixed; chained {chained}, history {history}")
assert chained > 0 and history > 0, (chained, history)
assert chained + history == c["reasks"], (chained, history, c["reasks"])
PY

# answers that are not JSON at all (the emulator cuts the text short when the
# schema accepts everything): re-asked with the parse error, and a job whose
# re-asks fail too ends as SCHEMA_VIOLATION naming it
cat >"$T/p2.json" <<'P'
{"name":"reask-any","model":"gemini-2.5-flash","prompt":"Describe {{n}} as JSON.",
 "response_format":{},"validate":{"reask":1},"limits":{"concurrency":16}}
P
python3 -c "
import json
for i in range(100): print(json.dumps({'id': 'any%d' % i, 'vars': {'n': i}}))" >"$T/m2.jsonl"
: >"$T/emu.log"
rc=0
"$GEMBATCH" run "$T/p2.json" "$T/m2.jsonl" --endpoint "$emu_URL" -o "$T/out2" -q || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "exit $rc"
check_outputs "$T/out2" --manifest "$T/m2.jsonl" --min-ok 80
python3 - "$T/out2" <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/run.json"))["counts"]
assert c["reasks"] >= 15 and c["reasks_fixed"] >= 10, c    # 30% of 100 cut short
assert c["completed"] + c["failed"] == 100, c
for l in open(d + "/results.jsonl"):
    r = json.loads(l)
    assert json.loads(r["text"]) == r["output"], r          # what came back parsed, whole
fails = [json.loads(l) for l in open(d + "/errors.jsonl")]
for e in fails:
    assert e["error"]["status"] == "SCHEMA_VIOLATION", e
    assert e["errors"][0]["message"].startswith("not JSON: "), e["errors"]
print(f"run-reask (not JSON): {c['reasks']} re-asks, {c['reasks_fixed']} fixed, {len(fails)} failed for good")
PY
