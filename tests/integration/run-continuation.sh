# run-continuation: answers the service cuts at its per-request output limit
# (G3 status requires_continuation) are asked for the rest with their
# continuation_token, chained to the hop that issued it when stored, with
# the input again when not, streamed or not. The joined answers equal an
# uncut run's (same seed), JSON is validated only whole, a re-ask after a
# cut answer starts from the original request, every hop's tokens are
# counted, and a hop that cannot go on keeps the text already paid for.
. "$(dirname "$0")/lib.sh"
start_emulator whole --seed 9
start_emulator cut --seed 9 --fault continuation=1 --log "$T/cut.log"
cat >"$T/p.json" <<'P'
{"name":"cont","model":"gemini-2.5-flash","prompt":"Write about {{what}}.",
 "validate":{"reask":1},"limits":{"concurrency":8}}
P
python3 - "$T/m.jsonl" <<'PY'
import json, sys
schema = {"type": "object", "properties": {"label": {"type": "string"}, "n": {"type": "integer"}},
          "required": ["label", "n"], "additionalProperties": False}
with open(sys.argv[1], "w") as f:
    for i in range(60):
        o = {"id": f"c{i}", "vars": {"what": f"topic {i}"}}
        if i % 3 == 1:
            o["response_format"] = schema
        if i % 4 == 2:
            o["store"] = False
        f.write(json.dumps(o) + "\n")
PY
cd "$T"
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --api-version v1 --endpoint "$whole_URL" -o base -q
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --api-version v1 --endpoint "$cut_URL" -o cont -q
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --api-version v1 --stream --endpoint "$cut_URL" -o sse -q
check_outputs "$T/cont" --manifest "$T/m.jsonl" --all-ok
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
def load(d):
    return {json.loads(l)["id"]: json.loads(l) for l in open(f"{t}/{d}/results.jsonl")}
base, cont, sse = load("base"), load("cont"), load("sse")
assert set(base) == set(cont) == set(sse)
for k, b in base.items():
    for name, r in (("cont", cont[k]), ("sse", sse[k])):
        assert r["text"] == b["text"], (name, k, r["text"][:60], b["text"][:60])
        assert r.get("output") == b.get("output"), (name, k)
        n = r.get("continuations", 0)
        assert 1 <= n <= 2, (name, k, n)          # 2 or 3 hops each
        # every hop re-reads the prompt: input billed once per hop
        assert r["usage"]["total_input_tokens"] == b["usage"]["total_input_tokens"] * (n + 1), (k, r["usage"])
        assert r["usage"]["total_output_tokens"] >= b["usage"]["total_output_tokens"], (k, r["usage"])
    assert "continuations" not in b
log = [json.loads(l) for l in open(f"{t}/cut.log")]
posts = [o for o in log if o["method"] == "POST"]
hops = [o for o in posts if o.get("continued")]
run = json.load(open(f"{t}/cont/run.json"))["counts"]
runs = json.load(open(f"{t}/sse/run.json"))["counts"]
total = sum(r.get("continuations", 0) for r in cont.values())
assert run["continuations"] == total, (run["continuations"], total)
assert run["continuations"] + runs["continuations"] == len(hops), (run, runs, len(hops))
assert run["attempts"] == 60 + total, run
# stored jobs chain each hop to the one before; store:false resends the input
ids = {o["interaction_id"]: o for o in posts if "interaction_id" in o}
chained = [o for o in hops if o.get("previous_interaction_id")]
resent = [o for o in hops if not o.get("previous_interaction_id")]
assert chained and resent, (len(chained), len(resent))
for o in chained:
    assert o["previous_interaction_id"] in ids, o
for o in resent:
    assert o["turns"] == 1, o
print(f"run-continuation: {total} + {runs['continuations']} continuation requests; "
      f"{len(chained)} chained, {len(resent)} with the input again", file=sys.stderr)
PY

# a re-ask after a cut answer: the schema_violation fault breaks whole
# answers, the continuation fault cuts them; the re-ask is built from the
# original request (not from a continuation hop) and fixed answers validate.
# 100 structured jobs, and every request draws one of the two faults: a run
# with no job both re-asked and cut has odds of 0.76^100
stop_emulator cut
start_emulator mix --seed 9 --fault continuation=0.6,schema_violation=0.4 --log "$T/mix.log"
python3 - m.jsonl >mix.jsonl <<'PY'
import json, sys
rf = next(json.loads(l)["response_format"] for l in open(sys.argv[1]) if "response_format" in l)
for i in range(100):
    print(json.dumps({"id": f"x{i}", "vars": {"what": f"topic {i}"}, "response_format": rf,
                      **({"store": False} if i % 2 else {})}))
PY
rc=0
"$GEMBATCH" run p.json mix.jsonl --api-version v1 --endpoint "$mix_URL" -o mix -q || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "mixed run exited $rc"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
c = json.load(open(f"{t}/mix/run.json"))["counts"]
assert c["reasks"] > 0 and c["continuations"] > 0, c
res = [json.loads(l) for l in open(f"{t}/mix/results.jsonl")]
both = [r for r in res if r.get("reasks") and r.get("continuations")]
assert both, "no job was both cut and re-asked"
for r in res:
    if r.get("output") is not None:
        assert set(r["output"]) == {"label", "n"}, r["output"]
# a re-ask built from a continuation hop would carry its token and be served
# as one more hop: every request is accounted for as exactly one kind
posts = [json.loads(l) for l in open(f"{t}/mix.log")]
posts = [o for o in posts if o["method"] == "POST"]
hops = sum(1 for o in posts if o.get("continued"))
assert hops == c["continuations"], (hops, c)
assert len(posts) == c["attempts"] == 100 + c["continuations"] + c["reasks"], (len(posts), c)
print(f"run-continuation: mixed faults: {c['reasks']} re-asks, {c['continuations']} continuations, "
      f"{len(both)} jobs both", file=sys.stderr)
PY

# a re-ask after a cut answer: --hop-tokens cuts every answer into hops and
# schema_violation breaks every one, so each re-ask follows a continuation.
# It must start from the original request: one built from the last hop would
# carry its token, and be refused or served as one more hop.
start_emulator lim --seed 9 --hop-tokens 2 --fault schema_violation=1 --log "$T/lim.log"
python3 - m.jsonl >s.jsonl <<'PY'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if "response_format" in o:
        print(json.dumps(o))
PY
expect_rc 1 "$GEMBATCH" run p.json s.jsonl --api-version v1 --endpoint "$lim_URL" -o lim -q
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
n = sum(1 for _ in open(f"{t}/s.jsonl"))
c = json.load(open(f"{t}/lim/run.json"))["counts"]
errs = [json.loads(l) for l in open(f"{t}/lim/errors.jsonl")]
assert len(errs) == n and all(e["error"]["status"] == "SCHEMA_VIOLATION" for e in errs), errs[:2]
assert c["reasks"] == n and c["continuations"] >= 2 * n, c
posts = [json.loads(l) for l in open(f"{t}/lim.log")]
posts = [o for o in posts if o["method"] == "POST"]
assert all(o["status"] == 200 for o in posts), [o for o in posts if o["status"] != 200][:2]
assert sum(1 for o in posts if o.get("continued")) == c["continuations"], c
assert len(posts) == c["attempts"] == n + c["reasks"] + c["continuations"], (len(posts), c)
print(f"run-continuation: --hop-tokens 2: {n} jobs, {c['continuations']} continuations, "
      f"{c['reasks']} re-asks after them", file=sys.stderr)
PY

# the guide's dialect has no requires_continuation: nothing is cut
rc=0
"$GEMBATCH" run p.json m.jsonl --endpoint "$mix_URL" -o g1 -q || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "v1beta run exited $rc"
py "import json,sys; c=json.load(open(sys.argv[1]))['counts']; assert c['continuations']==0, c" "$T/g1/run.json"

# a token the service forgot (--max-stored 1 evicts it): the job fails with
# the service's error and keeps the text of the hop already paid for
start_emulator small --seed 9 --fault continuation=1 --max-stored 1
head -n 1 m.jsonl >one.jsonl
expect_rc 1 "$GEMBATCH" run p.json one.jsonl --api-version v1 --endpoint "$small_URL" -o lost -q
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
e = [json.loads(l) for l in open(f"{t}/lost/errors.jsonl")]
assert len(e) == 1, e
e = e[0]
assert e["error"]["status"] == "INVALID_ARGUMENT" and "expired" in e["error"]["message"], e
p = e["partial"]
assert p["continuations"] == 1 and p["continuation_token"].startswith("ct_"), p
# the same job's whole answer (result lines come in the order jobs end)
jid = json.loads(open(f"{t}/one.jsonl").readline())["id"]
whole = next(r["text"] for r in map(json.loads, open(f"{t}/base/results.jsonl")) if r["id"] == jid)
assert p["text"] and whole.startswith(p["text"]) and p["text"] != whole, (p["text"], whole[:80])
PY
true
