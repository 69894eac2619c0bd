# stream-equal: --stream (SSE) gives the same results as plain calls for the
# same seed, in both dialects, with time to first token recorded per job and
# as percentiles; broken streams (connection reset, truncated events) are
# retried like failed requests.
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 9
start_emulator faulty --seed 9 --fault reset=0.2,bad_json=0.1
mkmedia "$T/media"
cat >"$T/p.json" <<'P'
{"name":"stream","model":"gemini-2.5-flash","limits":{"concurrency":16}}
P
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
names = [l.split("\t")[0] for l in open(t + "/media.sha")]
schema = {"type": "object", "properties": {"label": {"enum": ["a", "b", "c"]},
          "n": {"type": "integer", "minimum": 1}}, "required": ["label", "n"]}
with open(t + "/m.jsonl", "w") as f:
    for i in range(150):
        o = {"id": f"s{i}", "input": f"tell me about {i}"}
        if i % 3 == 1:
            o["files"] = ["media/" + names[i % len(names)]]
        if i % 3 == 2:
            o["response_format"] = schema
        f.write(json.dumps(o) + "\n")
PY
for v in v1beta v1; do
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/plain-$v" -q \
        --api-version $v
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/sse-$v" -q \
        --api-version $v --stream
    head -n 60 "$T/m.jsonl" >"$T/m60.jsonl"
    expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m60.jsonl" --endpoint "$faulty_URL" \
        -o "$T/bad-$v" -q --api-version $v --stream --max-attempts 10 -j 60
    for d in plain sse; do check_outputs "$T/$d-$v" --manifest "$T/m.jsonl" --all-ok; done
    check_outputs "$T/bad-$v" --manifest "$T/m60.jsonl" --all-ok
    python3 - "$T" "$v" <<'PY'
import json, sys
t, v = sys.argv[1], sys.argv[2]
def load(d):
    return {json.loads(l)["id"]: json.loads(l) for l in open(f"{t}/{d}-{v}/results.jsonl")}
plain, sse, bad = load("plain"), load("sse"), load("bad")
for k in plain:
    for other in (sse, bad) if k in bad else (sse,):
        assert plain[k]["text"] == other[k]["text"], (k, plain[k]["text"], other[k]["text"])
        assert plain[k].get("output") == other[k].get("output"), k
        assert plain[k]["usage"] == other[k]["usage"], (k, plain[k]["usage"], other[k]["usage"])
    assert "ttft_ms" in sse[k] and "ttft_ms" not in plain[k]
run = json.load(open(f"{t}/sse-{v}/run.json"))
assert run["ttft_ms"]["samples"] == 150, run.get("ttft_ms")
c = json.load(open(f"{t}/bad-{v}/run.json"))["counts"]
assert c["retries"] > 5 and c["bad_responses"] + c["network_errors"] > 5, c
PY
done
# "stream": true in the pipeline (or on a line) streams without the flag;
# "stream": false on a line opts out
cat >"$T/ps.json" <<'P'
{"name":"stream","model":"gemini-2.5-flash","stream":true,"limits":{"concurrency":16}}
P
python3 -c "
import json
for i in range(20):
    o = {'id': 'p%d' % i, 'input': 'tell me about %d' % i}
    if i % 4 == 0: o['stream'] = False
    print(json.dumps(o))" >"$T/m20.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/ps.json" "$T/m20.jsonl" --endpoint "$emu_URL" -o "$T/pipe-stream" -q
check_outputs "$T/pipe-stream" --manifest "$T/m20.jsonl" --all-ok
python3 - "$T/pipe-stream" "$T/plain-v1beta" <<'PY'
import json, sys
res = {json.loads(l)["id"]: json.loads(l) for l in open(sys.argv[1] + "/results.jsonl")}
plain = {json.loads(l)["id"]: json.loads(l) for l in open(sys.argv[2] + "/results.jsonl")}
for k, r in res.items():
    streamed = "ttft_ms" in r
    assert streamed == (int(k[1:]) % 4 != 0), (k, r)
    if int(k[1:]) % 3 == 0:                               # the same body as s<i>: the same answer
        assert r["text"] == plain["s" + k[1:]]["text"], k
PY
