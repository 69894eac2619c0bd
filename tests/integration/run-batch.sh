# run-batch: --mode batch through the Batch API on the emulator. 5,000 jobs
# with images, a PDF and a schema come back valid and as many as an online
# run gives; a run whose batches still run exits 5 and the next one picks
# them up. kill -9 at every step (a part uploaded, a create sent, a create
# answered, while polling, a batch ended, mid-download, mid-join), then a
# resume: exactly one batch per part in the emulator's log and every id
# once. A part that expires is asked again once, then reported. Schema
# violations are re-asked in a batch of the next round.
. "$(dirname "$0")/lib.sh"
export GEMINI_API_KEY=k
start_emulator emu --seed 3 --batch-time 300 --log "$T/emu.log"
cd "$T"
python3 - "$ROOT" <<'PY'
import json, os, shutil, sys
root = sys.argv[1]
os.makedirs("media", exist_ok=True)
imgs = sorted(f for f in os.listdir(root + "/samples/images") if not f.startswith("."))[:4]
for f in imgs:
    shutil.copy(root + "/samples/images/" + f, "media/" + f)
pdf = sorted(f for f in os.listdir(root + "/samples/invoices") if f.endswith(".pdf"))[0]
shutil.copy(root + "/samples/invoices/" + pdf, "media/doc.pdf")
with open("m.jsonl", "w") as m:
    for i in range(5000):
        line = {"id": "b%d" % i, "vars": {"w": "thing %d" % i}}
        if i % 50 == 0:
            line["files"] = ["media/" + imgs[i // 50 % len(imgs)]]
        if i == 7:
            line["files"] = ["media/doc.pdf"]
        m.write(json.dumps(line) + "\n")
json.dump({"name": "bm", "model": "gemini-2.5-flash", "prompt": "Label {{w}}.",
           "response_format": {"type": "object", "properties": {"label": {"type": "string"},
                               "score": {"type": "number"}}, "required": ["label", "score"]}},
          open("p.json", "w"))
json.dump({"type": "object", "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
           "required": ["label", "score"]}, open("schema.json", "w"))
PY
batches() { grep -c '"method":"POST","path":"/v1beta/models/[^"]*:batchGenerateContent"' emu.log || true; }

# ---- a first look: the batch runs (exit 5); a later run joins it
rc=0
"$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out --mode batch --batch-size 2000 \
    --progress none 2>run1.err || rc=$?
[ "$rc" = 5 ] || fail "expected exit 5 while the batches run, got $rc: $(cat run1.err)"
grep -q "still running" run1.err || fail "$(cat run1.err)"
# each part says the state its batch was found in, as the service named it
grep -Eq 'part [0-9]+ \([0-9]+ requests, batches/[^)]*\) is (pending|running)$' run1.err ||
    fail "the parts' states were not said: $(cat run1.err)"
[ "$(batches)" = 3 ] || fail "5,000 jobs in parts of 2,000 should make 3 batches, made $(batches)"
sleep 1
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out --mode batch -q
[ "$(batches)" = 3 ] || fail "the second run made batches again"
check_outputs out --manifest m.jsonl --all-ok --schema schema.json
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o online -q -j 64
python3 - <<'PY'
import json
b = {json.loads(l)["id"]: json.loads(l) for l in open("out/results.jsonl")}
o = {json.loads(l)["id"]: json.loads(l) for l in open("online/results.jsonl")}
assert set(b) == set(o) and len(b) == 5000, (len(b), len(o))
assert all(r["service_tier"] == "batch" for r in b.values())
# the batch price is half the standard one, for the same usage
pb = sum(r["cost_usd"] for r in b.values()); po = sum(r["cost_usd"] for r in o.values())
ub = sum(r["usage"]["total_input_tokens"] for r in b.values())
uo = sum(r["usage"]["total_input_tokens"] for r in o.values())
assert abs(ub - uo) <= 0.01 * uo, (ub, uo)
assert 0.4 < pb / po < 0.6, (pb, po)
print("batch vs online: %d results each, $%.5f vs $%.5f" % (len(b), pb, po))
PY

# ---- kill -9 at each step, then resume: one batch per part, every id once
head -n 300 m.jsonl >m300.jsonl
for point in uploaded create create-answered polling ended download join; do
    n0=$(batches)
    rc=0
    GEMBATCH_TEST_CRASH=$point "$GEMBATCH" run p.json m300.jsonl --endpoint "$emu_URL" \
        -o "k-$point" --mode batch --batch-size 100 --wait --poll-interval 0.1 -q 2>/dev/null || rc=$?
    [ "$rc" = 137 ] || fail "the crash at '$point' did not happen (exit $rc)"
    expect_rc 0 "$GEMBATCH" run p.json m300.jsonl --endpoint "$emu_URL" -o "k-$point" --mode batch \
        --wait --poll-interval 0.1 -q
    check_outputs "k-$point" --manifest m300.jsonl --all-ok --schema schema.json
    made=$(($(batches) - n0))
    [ "$made" = 3 ] || fail "kill -9 at '$point': $made batches for 3 parts"
done

# ---- a part that expires is asked again once, then reported
start_emulator exp --seed 3 --batch-time 200 --fault batch_expire=1 --log "$T/exp.log"
head -n 20 m.jsonl >m20.jsonl
expect_rc 1 "$GEMBATCH" run p.json m20.jsonl --endpoint "$exp_URL" -o exp --mode batch --wait \
    --poll-interval 0.1 --progress none 2>exp.err
grep -q "asked again in a new part" exp.err || fail "$(cat exp.err)"
python3 - <<'PY'
import json
errs = [json.loads(l) for l in open("exp/errors.jsonl")]
assert len(errs) == 20 and all(e["error"]["status"] == "BATCH_EXPIRED" for e in errs), errs[:2]
made = sum(1 for l in open("exp.log") if ":batchGenerateContent" in l and '"POST"' in l)
assert made == 2, made
PY

# ---- schema violations are re-asked in a batch of the next round: a job
# keeps one line with its rounds' requests and cost; one still wrong after
# the last re-ask is an error line, and nothing is lost
start_emulator viol --seed 3 --batch-time 200 --fault schema_violation=0.3 --log "$T/viol.log"
rc=0
"$GEMBATCH" run p.json m300.jsonl --endpoint "$viol_URL" -o viol --mode batch --wait \
    --poll-interval 0.1 -q 2>viol.err || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "the re-ask run exited $rc"
check_outputs viol --manifest m300.jsonl --min-ok 250 --schema schema.json
python3 - "$rc" <<'PY'
import json, sys
rc = int(sys.argv[1])
res = [json.loads(l) for l in open("viol/results.jsonl")]
errs = [json.loads(l) for l in open("viol/errors.jsonl")]
assert (rc == 1) == bool(errs), (rc, len(errs))
asked = [r for r in res if r.get("reasks")]
assert asked, "no re-asks"
media = {m["id"] for m in map(json.loads, open("m300.jsonl")) if m.get("files")}
once = max(r["usage"]["total_input_tokens"] for r in res
           if not r.get("reasks") and r["id"] not in media)
for r in asked:  # the line carries every round's tokens
    assert r["requests"] == 1 + r["reasks"], r
    assert r["usage"]["total_input_tokens"] > once, (r, once)
for e in errs:
    assert e["error"]["status"] == "SCHEMA_VIOLATION" and e["requests"] == 3, e
made = sum(1 for l in open("viol.log") if ":batchGenerateContent" in l and '"POST"' in l)
assert made >= 2, made
c = json.load(open("viol/run.json"))["counts"]
assert c["jobs"] == 300 and c["completed"] + c["failed"] == 300, c
assert all(r.get("synthetic") is True for r in res), "emulator answers not marked synthetic"
print("re-asked %d of %d in %d batches, %d still wrong" % (len(asked), len(res), made, len(errs)))
PY

# ---- a line the batch answered with a retryable error (INTERNAL) is asked
# once more, in a part of the next round (or online with --reask online); a
# second error is the job's error line. Each job keeps one line.
start_emulator line --seed 3 --batch-time 200 --fault batch_line=0.2 --log "$T/line.log"
rc=0
"$GEMBATCH" run p.json m300.jsonl --endpoint "$line_URL" -o line --mode batch --wait \
    --poll-interval 0.1 -q 2>line.err || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "the line-error run exited $rc: $(cat line.err)"
rc=0
"$GEMBATCH" run p.json m300.jsonl --endpoint "$line_URL" -o line-online --mode batch --wait \
    --reask online --poll-interval 0.1 -q 2>line-online.err || rc=$?
[ "$rc" = 0 ] || fail "the line-error run with --reask online exited $rc: $(cat line-online.err)"
python3 - <<'PY'
import json
res = [json.loads(l) for l in open("line/results.jsonl")]
errs = [json.loads(l) for l in open("line/errors.jsonl")]
ids = [r["id"] for r in res] + [e["id"] for e in errs]
assert sorted(ids) == sorted(json.loads(l)["id"] for l in open("m300.jsonl")), "ids lost or doubled"
again = [r for r in res if r.get("requests", 1) == 2]
assert again, "no job was asked again after a line error"
for e in errs:
    assert e["requests"] == 2 and "batch_line" in e["error"]["message"], e
c = json.load(open("line/run.json"))["counts"]
assert c["retries"] == len(again) + len(errs), (c["retries"], len(again), len(errs))
made = sum(1 for l in open("line.log") if ":batchGenerateContent" in l and '"POST"' in l)
assert made == 3, made  # the first run: a part and its round 2; the online run: one part
on = [json.loads(l) for l in open("line-online/results.jsonl")]
assert len(on) == 300, len(on)
co = json.load(open("line-online/run.json"))["counts"]
sent = co["sent_online"]["line_error"]
assert sent > 0 and sent == sum(1 for r in on if r.get("requests", 1) == 2), (sent, co)
assert sum(1 for r in on if r.get("service_tier") == "batch") == 300 - sent
print("line errors: %d asked again in a batch (%d failed twice), %d online" %
      (len(again) + len(errs), len(errs), sent))
PY
