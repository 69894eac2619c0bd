#!/bin/sh
# run-auto: the online routes of Batch Mode. --mode auto sends online what a
# batch cannot express (a line's generation_config field it has no name for)
# and the rest in a batch, where a media file too big to go inline goes
# through the Files API once and is referenced by uri; with --finish-by, batches that would not end in time are
# cancelled and their jobs sent online. --reask online re-asks schema
# violations online instead of in a next-round batch; --batch-lost online
# and report say what happens to an expired batch's jobs. A kill -9 in the
# middle of the online pass, then a resume: every id once, no second batch.
. "$(dirname "$0")/lib.sh"
export GEMINI_API_KEY=k
cd "$T"
python3 - <<'PY'
import json, os, struct, zlib
def png(w, h):
    raw = b"".join(b"\x00" + os.urandom(w * 3) for _ in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open("big.png", "wb").write(png(120, 120))  # ~43 KB: over --max-request-bytes 20K
with open("m.jsonl", "w") as m:
    for i in range(200):
        line = {"id": "a%d" % i, "vars": {"w": "thing %d" % i}}
        if i % 40 == 0:
            line["generation_config"] = {"speech_config": {"voice": "Kore"}}
        if i % 40 == 20:
            line["files"] = ["big.png"]
        m.write(json.dumps(line) + "\n")
schema = {"type": "object", "properties": {"label": {"type": "string"}, "score": {"type": "number"}},
          "required": ["label", "score"]}
json.dump({"name": "auto", "model": "gemini-2.5-flash", "prompt": "Label {{w}}.",
           "response_format": schema}, open("p.json", "w"))
json.dump(schema, open("schema.json", "w"))
json.dump({"name": "steps", "model": "gemini-2.5-flash",
           "steps": [{"prompt": "Label {{w}}."}, {"prompt": "Shorter."}]}, open("steps.json", "w"))
PY
batches() { grep -c '"method":"POST","path":"/v1beta/models/[^"]*:batchGenerateContent"' "$1" || true; }
# counts.sent_online of a folder as "inexpressible lost cancelled reask"
sent_online() {
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]["sent_online"]
print(c["inexpressible"], c["lost"], c["cancelled"], c["reask"])' "$1/run.json"
}
tiers() {
    python3 -c 'import json,sys,collections
c=collections.Counter(json.loads(l)["service_tier"] for l in open(sys.argv[1]))
print(" ".join("%s=%d" % kv for kv in sorted(c.items())))' "$1/results.jsonl"
}

# ---- auto: the five jobs a batch cannot express go online; the five whose
# image is too big to go inline go in the batch, the image uploaded once
start_emulator emu --seed 3 --batch-time 200 --log "$T/emu.log"
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o a1 --mode auto --wait \
    --poll-interval 0.1 --max-request-bytes 20K -q
check_outputs a1 --manifest m.jsonl --all-ok --schema schema.json
assert_eq "$(tiers a1)" "batch=195 standard=5" "auto: tiers"
assert_eq "$(sent_online a1)" "5 0 0 0" "auto: sent online"
assert_eq "$(batches emu.log)" 1 "auto: batches made"
# two uploads start: the image (once for its five jobs) and the part
assert_eq "$(grep '"path":"/upload/v1beta/files"' emu.log | grep -c '"command":"start"')" 2 "auto: uploads"
python3 - a1 <<'PY' || fail "the big image's jobs did not go through the batch with its uri"
import json, sys
part = [json.loads(l) for l in open(sys.argv[1] + "/batch/part-0001.jsonl")]
big = [l for l in part if int(l["key"][1:]) % 40 == 20]
assert len(big) == 5, [l["key"] for l in big]
uris = {p["fileData"]["fileUri"] for l in big for c in l["request"]["contents"] for p in c["parts"]
        if "fileData" in p}
assert len(uris) == 1 and "/files/" in next(iter(uris)), uris
assert not any("inlineData" in p for l in big for c in l["request"]["contents"] for p in c["parts"])
PY
# the same folder again: nothing is sent
n=$(wc -l <emu.log)
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o a1 --mode auto --wait \
    --poll-interval 0.1 --max-request-bytes 20K -q
[ "$(grep -c '"POST"' emu.log)" = "$(head -n "$n" emu.log | grep -c '"POST"')" ] ||
    fail "a finished auto folder sent requests again"

# ---- auto --finish-by: a batch that cannot end in time is cancelled, its jobs go online
start_emulator slow --seed 3 --batch-time 600000 --log "$T/slow.log"
t0=$(date +%s)
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$slow_URL" -o a2 --mode auto \
    --finish-by 1m --poll-interval 0.1 --max-request-bytes 20K -q
[ $(($(date +%s) - t0)) -lt 60 ] || fail "auto --finish-by 1m ran past its deadline"
check_outputs a2 --manifest m.jsonl --all-ok --schema schema.json
assert_eq "$(tiers a2)" "standard=200" "auto near the deadline: tiers"
assert_eq "$(sent_online a2)" "5 0 195 0" "auto near the deadline: sent online"
grep -q '"method":"POST","path":"/v1beta/batches/[^"]*:cancel"' slow.log ||
    fail "the batch was not cancelled"
grep -q '"ev":"cancel"' a2/batch/state.jsonl || fail "the cancel is not in the state file"

# ---- kill -9 once the online pass has taken 100 jobs, then resume
n0=$(wc -l <slow.log)
rc=0
GEMBATCH_TEST_CRASH=online "$GEMBATCH" run p.json m.jsonl --endpoint "$slow_URL" -o a3 \
    --mode auto --finish-by 1m --poll-interval 0.1 --max-request-bytes 20K -j 8 -q \
    2>/dev/null || rc=$?
[ "$rc" = 137 ] || fail "the crash in the online pass did not happen (exit $rc)"
made=$(batches slow.log)
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$slow_URL" -o a3 --mode auto \
    --finish-by 1m --poll-interval 0.1 --max-request-bytes 20K -q
check_outputs a3 --manifest m.jsonl --all-ok --schema schema.json
assert_eq "$(batches slow.log)" "$made" "the resume made a batch again"
tail -n +"$((n0 + 1))" slow.log >a3.log
python3 - <<'PY'
import collections, json
ids = collections.Counter(json.loads(l)["id"] for l in open("a3/results.jsonl"))
assert len(ids) == 200 and max(ids.values()) == 1, ids.most_common(2)
creates = sum(1 for l in open("a3.log")
              if '"POST"' in l and '/interactions"' in l)
doubt = json.load(open("a3/run.json"))["counts"]["in_doubt_from_previous_run"]
# every job once, and again only what was in flight at the kill (8 at most)
assert 200 <= creates <= 200 + doubt and doubt <= 8, (creates, doubt)
print("resumed auto run: %d ids once each, %d creates (%d in doubt)" % (len(ids), creates, doubt))
PY

# ---- --reask online: schema violations asked again online, no second-round batch
start_emulator viol --seed 3 --batch-time 200 --fault schema_violation=0.3 --log "$T/viol.log"
head -n 100 m.jsonl | grep -v speech_config >m97.jsonl
rc=0
"$GEMBATCH" run p.json m97.jsonl --endpoint "$viol_URL" -o r1 --mode batch --wait \
    --poll-interval 0.1 --reask online -q || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "--reask online exited $rc"
check_outputs r1 --manifest m97.jsonl --min-ok 85 --schema schema.json
assert_eq "$(batches viol.log)" 1 "--reask online: batches made"
python3 - <<'PY'
import json
res = [json.loads(l) for l in open("r1/results.jsonl")]
asked = [r for r in res if r.get("reasks")]
assert asked, "no re-asks"
for r in asked:
    assert r["service_tier"] == "standard" and r["requests"] == 1 + r["reasks"], r
c = json.load(open("r1/run.json"))["counts"]
assert c["sent_online"]["reask"] >= len(asked), c["sent_online"]
assert c["jobs"] == 97, c
print("--reask online: %d re-asked online" % len(asked))
PY

# ---- an expired batch: --batch-lost online sends its jobs online; report reports them
start_emulator exp --seed 3 --batch-time 200 --fault batch_expire=1 --log "$T/exp.log"
head -n 20 m97.jsonl >m20.jsonl
expect_rc 0 "$GEMBATCH" run p.json m20.jsonl --endpoint "$exp_URL" -o l1 --mode batch --wait \
    --poll-interval 0.1 --batch-lost online -q
check_outputs l1 --manifest m20.jsonl --all-ok --schema schema.json
assert_eq "$(sent_online l1)" "0 20 0 0" "--batch-lost online: sent online"
assert_eq "$(batches exp.log)" 1 "--batch-lost online: batches made"
expect_rc 1 "$GEMBATCH" run p.json m20.jsonl --endpoint "$exp_URL" -o l2 --mode batch --wait \
    --poll-interval 0.1 --batch-lost report -q
assert_eq "$(batches exp.log)" 2 "--batch-lost report: batches made"
python3 - <<'PY'
import json
errs = [json.loads(l) for l in open("l2/errors.jsonl")]
assert len(errs) == 20 and all(e["error"]["status"] == "BATCH_EXPIRED" for e in errs), errs[:1]
PY

# ---- a succeeded batch whose results file lacks lines: those jobs are lost,
# not waited for: asked again in a new batch (then reported), or online
start_emulator drop --seed 5 --batch-time 200 --fault batch_drop=0.2 --log "$T/drop.log"
rc=0
"$GEMBATCH" run p.json m97.jsonl --endpoint "$drop_URL" -o d1 --mode batch --wait \
    --poll-interval 0.1 -q || rc=$?
check_outputs d1 --manifest m97.jsonl --min-ok 80
assert_eq "$(batches drop.log)" 2 "dropped lines: batches made (the part, then its resubmit)"
python3 - "$rc" <<'PY'
import json, sys
errs = [json.loads(l) for l in open("d1/errors.jsonl")]
assert (int(sys.argv[1]) == 1) == bool(errs), (sys.argv[1], len(errs))
assert all(e["error"]["status"] == "BATCH_NO_ANSWER" for e in errs), errs[:1]
print("dropped lines: %d reported after the resubmit" % len(errs))
PY
expect_rc 0 "$GEMBATCH" run p.json m97.jsonl --endpoint "$drop_URL" -o d2 --mode batch --wait \
    --poll-interval 0.1 --batch-lost online -q
check_outputs d2 --manifest m97.jsonl --all-ok --schema schema.json
set -- $(sent_online d2)
[ "$2" -gt 5 ] || fail "--batch-lost online: only $2 dropped jobs went online"

# ---- refusals, and a pipeline no batch can run
expect_rc 2 "$GEMBATCH" run p.json - --endpoint "$emu_URL" -o x1 --mode auto <m20.jsonl
expect_rc 2 "$GEMBATCH" run p.json m20.jsonl --endpoint "$emu_URL" -o x2 --reask online
expect_rc 2 "$GEMBATCH" run p.json m20.jsonl --endpoint "$emu_URL" -o x3 --mode batch --tier flex
expect_rc 2 "$GEMBATCH" run p.json m20.jsonl --endpoint "$emu_URL" -o x4 --batch-lost later \
    --mode batch
n0=$(batches emu.log)
expect_rc 0 "$GEMBATCH" run steps.json m20.jsonl --endpoint "$emu_URL" -o x5 --mode auto \
    --progress none 2>x5.err
grep -q "every job of" x5.err || fail "auto with steps did not say it runs online: $(cat x5.err)"
assert_eq "$(batches emu.log)" "$n0" "auto with steps made a batch"
check_outputs x5 --manifest m20.jsonl --all-ok
echo "run-auto: ok"
