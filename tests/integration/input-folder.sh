# input-folder: a folder as INPUT and media files as INPUT, end to end.
# The folder is walked sorted and recursively: every media file reaches the
# emulator intact under its relative path as id; a text file, an empty file,
# a FIFO and links (out of the folder, to /etc/passwd, to a folder) are
# skipped, listed in run.json with their reasons, and never read. A second
# run resumes (nothing sent). Media files given one by one (`photos/*.png`)
# are one job each under the path given; "accept" lets text through.
. "$(dirname "$0")/lib.sh"
cd "$T"
mkmedia scans 1
mkdir -p scans/2024/q1 other
cp scans/img0.png scans/2024/q1/page.png
printf '2024/q1/page.png\t%s\n' "$(sha256sum scans/img0.png | cut -d' ' -f1)" >>scans.sha
echo "id,total" >scans/index.csv
: >scans/empty.jpg
mkfifo scans/pipe
ln -s /etc/passwd scans/passwd.png
ln -s ../other scans/elsewhere
cp scans/img0.png other/secret.png
start_emulator emu --log "$T/emu.log"
cat >p.json <<'P'
{"name":"scans","model":"gemini-2.5-flash","prompt":"Describe the attached file.","limits":{"concurrency":4}}
P
expect_rc 0 "$GEMBATCH" run p.json scans --endpoint "$emu_URL" -o out --progress none 2>run1.err
grep -q "5 entries skipped: 1 not an accepted type, 1 empty, 2 links, 1 device or FIFO (listed in run.json)" run1.err ||
    fail "the summary does not say what was skipped: $(cat run1.err)"
check_outputs out --all-ok
python3 "$ROOT/tests/data/archive/acked.py" out scans.sha --log emu.log --min 12 >&2
python3 - out/run.json emu.log <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sk = {s["entry"]: (s["code"], s["reason"]) for s in r["skipped_entries"]}
want = {"index.csv": "media_type", "empty.jpg": "empty", "pipe": "special",
        "passwd.png": "link", "elsewhere": "link"}
assert {k: v[0] for k, v in sk.items()} == want, sk
assert "not media (text/plain)" in sk["index.csv"][1], sk
assert all(s["input"] == "scans" for s in r["skipped_entries"]), r["skipped_entries"]
c = r["counts"]
assert c["completed"] == 12 and c["failed"] == 0, c
assert c["skipped"] == {"total": 5, "by_reason": {"media_type": 1, "empty": 1, "special": 1,
                                                   "link": 2}}, c["skipped"]
# nothing outside the folder was read: no part of /etc/passwd's size, and the
# file behind the folder link never reached the emulator under any id
ids = [json.loads(l)["id"] for l in open("out/results.jsonl")]
assert not any(i.startswith("elsewhere") or "passwd" in i for i in ids), ids
assert "2024/q1/page.png" in ids, ids
PY
# sorted: the order the jobs were made in (run.json has no order; the dry run does)
"$GEMBATCH" run p.json scans --dry-run -q | python3 -c "
import json, sys
ids = [json.loads(l)['id'] for l in sys.stdin]
assert ids == sorted(ids, key=lambda s: s.encode()), ids
assert ids[0] == '2024/q1/page.png', ids"
# a second run into the same folder: everything is done, nothing is sent
n0=$(ncreates emu.log)
expect_rc 0 "$GEMBATCH" run p.json scans --endpoint "$emu_URL" -o out -q
assert_eq "$(ncreates emu.log)" "$n0" "requests sent on resume"

# media files as INPUT: one job each, the path as given as id
mkdir photos
cp scans/img0.png photos/a.png
cp scans/photo0.jpg photos/b.jpg
cp scans/doc0.pdf photos/c.pdf
expect_rc 0 "$GEMBATCH" run p.json photos/*.png ./photos/b.jpg photos/c.pdf --endpoint "$emu_URL" \
    -o out2 -q
check_outputs out2 --all-ok
python3 -c "
import json
ids = sorted(json.loads(l)['id'] for l in open('out2/results.jsonl'))
assert ids == ['photos/a.png', 'photos/b.jpg', 'photos/c.pdf'], ids"
"$GEMBATCH" run p.json photos/a.png --dry-run -q | grep -q '"mime_type":"image/png"' ||
    fail "a PNG given as INPUT is not sent as an image"

# accept: text runs as a document, media outside the list is skipped
cat >pt.json <<'P'
{"name":"text","model":"gemini-2.5-flash","prompt":"Summarize.","accept":["text/*"]}
P
expect_rc 0 "$GEMBATCH" run pt.json scans --endpoint "$emu_URL" -o out3 -q
python3 - <<'PY'
import json
res = [json.loads(l) for l in open("out3/results.jsonl")]
assert [r["id"] for r in res] == ["index.csv"], [r["id"] for r in res]
r = json.load(open("out3/run.json"))
media = [s for s in r["skipped_entries"] if s["code"] == "media_type"]
assert len(media) == 12 and all("is not in the pipeline's \"accept\" list" in s["reason"] for s in media), media
PY
grep -q "text/plain" emu.log || fail "the CSV was not sent as text"
# a dry run says which media would go through the Files API, and counts them
"$GEMBATCH" run p.json photos/a.png photos/c.pdf --dry-run --max-request-bytes 600 >dry.out 2>dry.err ||
    fail "dry run failed: $(cat dry.err)"
# the 553-byte PNG with its request passes 600 bytes and goes by uri; the 271-byte PDF stays inline
grep '"id":"photos/a.png"' dry.out | grep -q '"uri":"<image/png [0-9]* bytes sha256:[0-9a-f]*, uploaded through the Files API>"' ||
    fail "$(cat dry.out)"
grep '"id":"photos/c.pdf"' dry.out | grep -q '"data":"<application/pdf' || fail "$(cat dry.out)"
grep -q "(1 media through the Files API)" dry.err || fail "$(cat dry.err)"
# a media file on standard input: said, and the dry run does not pass (exit 2)
rc=0
"$GEMBATCH" run p.json - --dry-run <photos/a.png >/dev/null 2>stdin.err || rc=$?
[ "$rc" = 2 ] || fail "a dry run over media on stdin exited $rc"
grep -q "standard input holds media (image/png), not a manifest" stdin.err || fail "$(cat stdin.err)"
grep -q "1 input could not be read" stdin.err || fail "$(cat stdin.err)"
note "a folder of 12 media files, 5 entries skipped; 3 media files as INPUT; accept; media on stdin"
