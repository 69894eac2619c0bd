# run-thoughts: with generation_config.thinking_summaries "auto" the model's
# thought (summary and signature) comes before its answer. Results carry the
# summaries as "thoughts", the same whether streamed or not, in both
# dialects; the answer's text does not include them; and a stateless tool
# turn sends the thought back with its signature, as a thinking model needs
# to continue its reasoning (the emulator's log counts the signatures).
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 4 --log "$T/emu.log"
mkdir -p "$T/scripts"
printf '#!/bin/sh\ncat >/dev/null\necho '"'"'{"forecast":"rain"}'"'"'\n' >"$T/scripts/w.sh"
chmod +x "$T/scripts/w.sh"
cat >"$T/p.json" <<'P'
{"name":"thoughts","model":"gemini-3-pro-preview","prompt":"Weather in {{city}}?",
 "generation_config":{"thinking_level":"low","thinking_summaries":"auto"},
 "tools":[{"type":"function","name":"get_weather","description":"Gets the weather",
   "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},
   "run":["scripts/w.sh"]}],
 "limits":{"concurrency":8}}
P
python3 -c "
import json
for i in range(24):
    o = {'id': 't%d' % i, 'vars': {'city': 'city %d' % i}}
    if i % 2: o['store'] = False
    if i % 3 == 0: o['tools'] = None      # a plain answer, no tool turn
    print(json.dumps(o))" >"$T/m.jsonl"
cd "$T"
for v in v1beta v1; do
    expect_rc 0 "$GEMBATCH" run p.json m.jsonl --api-version $v --endpoint "$emu_URL" -o "plain-$v" -q
    expect_rc 0 "$GEMBATCH" run p.json m.jsonl --api-version $v --stream --endpoint "$emu_URL" -o "sse-$v" -q
done
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
def load(d):
    return {json.loads(l)["id"]: json.loads(l) for l in open(f"{t}/{d}/results.jsonl")}
runs = {d: load(d) for d in ("plain-v1beta", "sse-v1beta", "plain-v1", "sse-v1")}
for name, res in runs.items():
    assert len(res) == 24, (name, len(res))
    for k, r in res.items():
        th = r.get("thoughts")
        assert th and th.startswith("Thinking (low)"), (name, k, th)
        assert "Thinking" not in r["text"], (name, k, r["text"][:80])
        assert not any(o.get("type") == "thought" for o in r.get("outputs", [])), (name, k)
        if int(k[1:]) % 3:
            assert r.get("tool_turns") == 1, (name, k, r.get("tool_turns"))
# streamed or not, the same answers (a stored tool job's second turn names
# its run's own previous interaction, so its answer differs: left out)
for v in ("v1beta", "v1"):
    a, b = runs["plain-" + v], runs["sse-" + v]
    same = [k for k in a if int(k[1:]) % 2 or int(k[1:]) % 3 == 0]
    assert len(same) == 16
    for k in same:
        assert a[k]["text"] == b[k]["text"] and a[k]["thoughts"] == b[k]["thoughts"], (v, k)
# the second turn of a stateless tool job sends its thought back, signed;
# a stored one continues by previous_interaction_id and sends none
log = [json.loads(l) for l in open(f"{t}/emu.log")]
posts = [o for o in log if o["method"] == "POST" and o["status"] == 200]
stateless = [o for o in posts if o.get("turns", 0) > 1 and not o.get("previous_interaction_id")]
chained = [o for o in posts if o.get("previous_interaction_id")]
assert len(stateless) == 4 * 8 and len(chained) == 4 * 8, (len(stateless), len(chained))
assert all(o.get("signatures") == 1 for o in stateless), [o for o in stateless if o.get("signatures") != 1][:2]
assert not any(o.get("signatures") for o in chained)
print(f"run-thoughts: {len(stateless)} stateless tool turns sent their signed thought back", file=sys.stderr)
PY

# answers cut into continuation hops (/v1/): the thought comes with the first
# hop, the text is joined, and the result is the same as uncut
start_emulator cut --seed 4 --fault continuation=1
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --api-version v1 --endpoint "$cut_URL" -o cut-v1 -q
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
def load(d):
    return {json.loads(l)["id"]: json.loads(l) for l in open(f"{t}/{d}/results.jsonl")}
a, b = load("plain-v1"), load("cut-v1")
same = [k for k in a if int(k[1:]) % 2 or int(k[1:]) % 3 == 0]
for k in same:
    assert b[k].get("continuations", 0) >= 1, (k, b[k].get("continuations"))
    assert a[k]["text"] == b[k]["text"] and a[k]["thoughts"] == b[k]["thoughts"], k
print(f"run-thoughts: {len(same)} cut answers kept their thoughts", file=sys.stderr)
PY
