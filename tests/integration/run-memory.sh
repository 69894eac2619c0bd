# run-memory: memory is bounded by concurrency, not by input size. Peak RSS
# stays under 64 MiB for a 1,000,000-line manifest (streamed; 1% sent by
# shard, then all of it skipped on resume from a 1,000,000-line results
# file) and for 64 concurrent jobs each sending a 15 MiB image inline.
# slow
. "$(dirname "$0")/lib.sh"
start_emulator emu
LIMIT_KB=$((64 * 1024))
# ASan's shadow memory and quarantine make RSS meaningless: under `make check`
# the flows still run (for memory errors and leaks); the bound is asserted by
# the plain build in `make test`.
[ -n "${GEMBATCH_SAN:-}" ] && LIMIT_KB=$((4 * 1024 * 1024))
echo '{"name":"mem","model":"gemini-2.5-flash","limits":{"concurrency":64}}' >"$T/p.json"
python3 - "$T/m.jsonl" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.writelines('{"id":"id-%07d","input":"question number %d"}\n' % (i, i) for i in range(1000000))
PY
peak_rss_kb "$T/rss1" "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" \
    -q --shard 1/100 || fail "sharded run failed"
note "1,000,000-line manifest, 1/100 sent: peak RSS $(cat "$T/rss1") KiB"
[ "$(cat "$T/rss1")" -lt $LIMIT_KB ] || fail "peak RSS $(cat "$T/rss1") KiB >= 64 MiB"
n=$(nlines "$T/out/results.jsonl")
[ "$n" -gt 9000 ] && [ "$n" -lt 11000 ] || fail "shard 1/100 ran $n jobs"
# every other id done too, as if the other shards had run into this folder: the
# resume (the same shard: another would be refused) reads 1,000,000 done ids
python3 - "$T/out/results.jsonl" <<'PY'
import json, sys
p = sys.argv[1]
done = {json.loads(l)["id"] for l in open(p)}
with open(p, "a") as f:
    # marked as the emulator's, as the lines they stand beside: a folder that
    # mixes real and synthetic answers is refused
    f.writelines('{"id":"id-%07d","status":"completed","text":"x","synthetic":true,'
                 '"finished_at":"2026-12-06T00:00:00.000Z"}\n' % i
                 for i in range(1000000) if "id-%07d" % i not in done)
PY
peak_rss_kb "$T/rss2" "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q \
    --shard 1/100 || fail "resume over 1,000,000 done ids failed"
note "resume over 1,000,000 done ids: peak RSS $(cat "$T/rss2") KiB"
[ "$(cat "$T/rss2")" -lt $LIMIT_KB ] || fail "peak RSS $(cat "$T/rss2") KiB >= 64 MiB"
python3 -c "
import json; c = json.load(open('$T/out/run.json'))['counts']
assert c['skipped_done'] + c['other_shards'] == 1000000 and c['skipped_done'] > 9000 and c['attempts'] == 0, c"
rm -f "$T/m.jsonl" "$T/out/results.jsonl"

# 64 concurrent jobs, each with a 15 MiB image sent inline (base64 on the fly)
python3 - "$T/big.png" <<'PY'
import sys, zlib, struct
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)))
    f.write(chunk(b"tEXt", bytes(range(256)) * (15 * 4096 - 1)))
PY
python3 -c "
import json
for i in range(64): print(json.dumps({'id': 'big%d' % i, 'input': 'describe', 'files': ['big.png']}))" >"$T/big.jsonl"
peak_rss_kb "$T/rss3" "$GEMBATCH" run "$T/p.json" "$T/big.jsonl" --endpoint "$emu_URL" -o "$T/out3" \
    -q --max-request-bytes 100M --timeout 120 || fail "the 15 MiB run failed"
note "64 concurrent 15 MiB images inline: peak RSS $(cat "$T/rss3") KiB"
[ "$(cat "$T/rss3")" -lt $LIMIT_KB ] || fail "peak RSS $(cat "$T/rss3") KiB >= 64 MiB"
check_outputs "$T/out3" --manifest "$T/big.jsonl" --all-ok
sha=$(sha256sum "$T/big.png" | cut -d' ' -f1)
assert_eq "$(grep -c "sha256:$sha" "$T/out3/results.jsonl")" 64 "acknowledged 15 MiB images"
