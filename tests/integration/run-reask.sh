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
PY
