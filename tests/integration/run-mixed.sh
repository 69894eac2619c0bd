# run-mixed: 2,000 mixed jobs (text, images, audio, video, PDF, structured
# output, image generation) complete; the emulator's log holds the SHA-256 of
# every media file sent; generated images decode as PNG; outputs are valid.
. "$(dirname "$0")/lib.sh"
mkmedia "$T/media" 3
start_emulator emu --log "$T/emu.log"
cat >"$T/schema.json" <<'S'
{"type":"object","properties":{"label":{"type":"string","enum":["cat","dog","other"]},
 "score":{"type":"number","minimum":0,"maximum":1}},"required":["label","score"]}
S
cat >"$T/p.json" <<'P'
{"name":"mixed","model":"gemini-2.5-flash","prompt":"Describe {{what}}.","limits":{"concurrency":64}}
P
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
names = [l.split("\t")[0] for l in open(t + "/media.sha")]
schema = json.load(open(t + "/schema.json"))
with open(t + "/m.jsonl", "w") as f:
    for i in range(2000):
        k = i % 5
        if k == 0:
            o = {"id": f"t{i}", "vars": {"what": f"item {i}"}}
        elif k == 1:
            o = {"id": f"m{i}", "files": ["media/" + names[i % len(names)]], "vars": {"what": "it"}}
        elif k == 2:
            o = {"id": f"g{i}", "input": f"draw {i}", "response_modalities": ["IMAGE"]}
        elif k == 3:
            o = {"id": f"s{i}", "input": f"classify {i}", "response_format": schema}
        else:
            o = {"id": f"p{i}", "input": [{"type": "text", "text": "read"},
                                        {"type": "document", "path": "media/" + names[i % len(names)]}]}
        f.write(json.dumps(o) + "\n")
PY
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok --png
# every media file that was sent shows up in the emulator's log with its digest
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
want = {l.split("\t")[1].strip() for l in open(t + "/media.sha")}
seen = set()
for l in open(t + "/emu.log"):
    for p in json.loads(l).get("parts", []):
        seen.add(p["sha256"])
missing = want - seen
assert not missing, f"digests never acknowledged: {sorted(missing)[:3]}"
# and the answers acknowledge the right digest for the right job
res = {json.loads(l)["id"]: json.loads(l) for l in open(t + "/out/results.jsonl")}
names = [l.split("\t") for l in open(t + "/media.sha")]
for i in range(1, 2000, 5):
    name, sha = names[i % len(names)]
    assert "sha256:" + sha.strip() in res[f"m{i}"]["text"], f"m{i} not acknowledged"
structured = [r for r in res.values() if r["id"].startswith("s")]
assert len(structured) == 400 and all("output" in r for r in structured)
print("run-mixed: digests and outputs ok")
PY
# structured outputs, checked against the schema by check_outputs' own checker
grep '"id":"s' "$T/out/results.jsonl" >"$T/s.jsonl"
mkdir -p "$T/sonly" && mv "$T/s.jsonl" "$T/sonly/results.jsonl"
check_outputs "$T/sonly" --schema "$T/schema.json" --min-ok 400
python3 - "$T/out/run.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"]
assert r["status"] == "completed" and c["completed"] == 2000 and c["failed"] == 0, c
assert r["tokens"]["total"] > 0 and r["latency_ms"]["samples"] == 2000
PY
