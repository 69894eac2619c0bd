# archive-upload: archive entries over the inline limit go through the Files
# API (forced with a small --max-request-bytes): the same video under three
# names is uploaded once (one "start" in the emulator's log) and all three
# answers acknowledge its digest, while a small image stays inline. With
# --fault reset, a broken chunk is followed by a query and the upload resumes
# from the offset the server reports (a chunk at a non-zero offset that is not
# a multiple of the 8 MiB chunk size). An upload the Files API refuses
# (--max-file-bytes) is a job error naming the entry. A final answer or a
# File cut half way is asked again (a query, another GET), not failed.
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
mkmedia "$T/media" 1
mkdir -p "$T/v/a" "$T/v/b"
python3 - "$T/v" <<'PY'
import os, struct, sys
d = os.urandom(20 << 20)
b = struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2" + struct.pack(">I", 8 + len(d)) + b"mdat" + d
for n in ("a/clip.mp4", "b/clip.mp4", "same.mp4"):
    open(os.path.join(sys.argv[1], n), "wb").write(b)
PY
cp "$T/media/img0.png" "$T/v/small.png"
(cd "$T/v" && for f in a/clip.mp4 b/clip.mp4 same.mp4 small.png; do
    printf '%s\t%s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"; done) >"$T/v.sha"
(cd "$T/v" && tar czf "$T/v.tgz" a b same.mp4 small.png)
vsha=$(head -n 1 "$T/v.sha" | cut -f2)
cat >"$T/p.json" <<'P'
{"name":"arc-upload","model":"gemini-2.5-flash","prompt":"Describe the clip."}
P

# 1. dedup: one upload for three entries
start_emulator emu --log "$T/emu.log" --file-processing-ms 20
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/v.tgz" --endpoint "$emu_URL" -o "$T/o1" -q \
    --max-request-bytes 1M
python3 "$A/acked.py" "$T/o1" "$T/v.sha" --log "$T/emu.log" --min 4 >&2
python3 - "$T/emu.log" "$vsha" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
starts = [o for o in log if (o.get("upload") or {}).get("command") == "start"]
assert len(starts) == 1, f"{len(starts)} uploads started for one video"
creates = [o for o in log if o["path"].endswith("/interactions") and o["method"] == "POST"]
video = [p for o in creates for p in o["parts"] if p["sha256"] == sys.argv[2]]
assert len(video) == 3 and all(p.get("file") for p in video), video
small = [p for o in creates for p in o["parts"] if p["type"] == "image"]
assert len(small) == 1 and not small[0].get("file"), small
print("dedup: 1 upload, 3 jobs by file uri, the image inline")
PY
stop_emulator emu

# 2. resume after a reset chunk, from the offset the server reports: the
# upload has a chunk cut, a query, and the next chunk sent from the offset the
# query reported (non-zero, not a multiple of the chunk size), and the answer
# acknowledges the whole file's digest. (A reset drops the connection with part
# of a chunk delivered; libcurl may re-send the chunk at the old offset on a
# fresh connection, which the server refuses with 400: the client then queries
# instead of failing.)
start_emulator emu2 --log "$T/emu2.log" --file-processing-ms 20 --fault reset=0.6 --seed 1
(cd "$T/v" && tar cf "$T/one.tar" same.mp4)
grep "same.mp4" "$T/v.sha" >"$T/one.sha"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/one.tar" --endpoint "$emu2_URL" -o "$T/o2" -q \
    --max-request-bytes 1M --max-attempts 20
python3 - "$T/emu2.log" <<'PY'
import json, sys
up = [(o["status"], o["upload"]) for o in map(json.loads, open(sys.argv[1])) if o.get("upload")]
resumed = []
for i, (st, u) in enumerate(up):
    if u["command"] == "query" and st == 200 and u["received"] % (8 << 20):
        later = [v for s, v in up[i + 1:] if v["command"].startswith("upload") and s == 200]
        if later and later[0]["offset"] == u["received"] > 0:
            resumed.append(u["received"])
assert resumed, "no upload resumed from a reported offset"
print(f"resumed from offsets {resumed}", file=sys.stderr)
PY
python3 "$A/acked.py" "$T/o2" "$T/one.sha" --log "$T/emu2.log" >&2
stop_emulator emu2

# 3. the Files API refuses the file: a job error naming the entry
start_emulator emu3 --max-file-bytes 4M
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/one.tar" --endpoint "$emu3_URL" -o "$T/o3" -q \
    --max-request-bytes 1M
py '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
assert len(e) == 1 and e[0]["id"] == "same.mp4" and e[0]["error"]["status"] == "UPLOAD_FAILED", e
assert e[0]["entry"] == "same.mp4" and e[0]["input"].endswith("one.tar"), e
' "$T/o3/errors.jsonl"
stop_emulator emu3

# 4. the Files API takes the file but its processing ends FAILED (after
# PROCESSING, polled with backoff): a job error with the service's reason,
# the small image inline unaffected
start_emulator emu4 --log "$T/emu4.log" --file-processing-ms 300 --fault failed=1
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/v.tgz" --endpoint "$emu4_URL" -o "$T/o4" -q \
    --max-request-bytes 1M
python3 - "$T/o4" "$T/emu4.log" <<'PY'
import datetime, json, sys
d = sys.argv[1]
errs = [json.loads(l) for l in open(d + "/errors.jsonl")]
res = [json.loads(l) for l in open(d + "/results.jsonl")]
assert [r["id"] for r in res] == ["small.png"], res
assert sorted(e["id"] for e in errs) == ["a/clip.mp4", "b/clip.mp4", "same.mp4"], errs
for e in errs:
    assert e["error"]["status"] == "UPLOAD_FAILED", e
    assert "could not be processed" in e["error"]["message"], e
log = [json.loads(l) for l in open(sys.argv[2])]
gets = [o for o in log if o["method"] == "GET" and "/files/" in o["path"]]
ts = [datetime.datetime.fromisoformat(o["ts"].replace("Z", "+00:00")).timestamp() for o in gets]
assert len(gets) >= 2, gets                        # polled while PROCESSING, then FAILED
gaps = [b - a for a, b in zip(ts, ts[1:])]
assert all(g >= 0.05 for g in gaps), gaps         # a backoff, not a busy loop
creates = [o for o in log if o["method"] == "POST" and o["path"].endswith("/interactions")]
assert len(creates) == 1, creates                  # only the image was asked about
print(f"failed processing: {len(gets)} polls, gaps {[round(g, 2) for g in gaps]}", file=sys.stderr)
PY
for o in o1 o2 o3 o4; do [ ! -e "$T/$o/.spool" ] || fail "$o/.spool left behind"; done

# cut answers (bad_json: a 200 whose body stops half way) on the upload's
# final answer or on the File's GET are asked again, by a query or another
# GET: every job completes and each file is uploaded once, no second file made
python3 "$ROOT/tests/tools/mkmedia.py" "$T/cut" --big 4 >/dev/null
for i in $(seq 0 3); do printf '{"id":"b%d","files":["big%d.png"]}\n' "$i" "$i"; done >"$T/cut/m.jsonl"
echo '{"name":"cut","model":"gemini-2.5-flash","prompt":"Label."}' >"$T/cut/p.json"
start_emulator cut --fault bad_json=0.4 --seed 2 --log "$T/cut.log"
GEMINI_API_KEY=k GEMBATCH_DEBUG=1 "$GEMBATCH" run "$T/cut/p.json" "$T/cut/m.jsonl" \
    --endpoint "$cut_URL" -o "$T/cut/out" --max-request-bytes 20K --max-attempts 8 \
    --progress none 2>"$T/cut/err" || fail "cut answers: $(grep -v debug "$T/cut/err" | tail -n 3)"
check_outputs "$T/cut/out" --manifest "$T/cut/m.jsonl" --all-ok
python3 - "$T/cut.log" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
up = [o for o in log if o["path"].startswith("/upload/")]
cut = [o for o in up + [o for o in log if o["method"] == "GET" and "/files/" in o["path"]]
       if o.get("fault") == "bad_json"]
starts = {o["file"] for o in up if o["upload"]["command"] == "start"}
assert cut, "no upload answer was cut: the scenario tests nothing"
assert len(starts) == 4, starts        # one file a job, none made twice
print("cut upload answers: %d, files made: %d" % (len(cut), len(starts)), file=sys.stderr)
PY
