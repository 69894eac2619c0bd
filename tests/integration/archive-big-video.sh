# archive-big-video: a 2 GiB generated video inside a plain tar, streamed
# into stdin (nothing big is held in memory or written by the test), goes
# through the Files API: spooled a block at a time, digested, uploaded in
# 8 MiB chunks; the answer acknowledges the whole file's SHA-256, the client's
# peak RSS stays under 64 MiB and the spool is removed.
# slow
. "$(dirname "$0")/lib.sh"
A=$ROOT/tests/data/archive
size=$((2 << 30))
LIMIT_KB=65536
[ -n "${GEMBATCH_SAN:-}" ] && LIMIT_KB=$((4 * 1024 * 1024)) # ASan's shadow memory
avail=$(df -Pk "$T" | awk 'NR == 2 {print $4}')
[ "$avail" -gt $((3 * 1024 * 1024)) ] || fail "need 3 GiB free under $T for the spool ($avail KiB)"
start_emulator emu --log "$T/emu.log" --file-processing-ms 20
cat >"$T/p.json" <<'P'
{"name":"big-video","model":"gemini-2.5-flash","prompt":"Summarise the video."}
P
t0=$(date +%s)
peak_rss_kb "$T/rss" sh -c 'python3 "$1" bigtar "$2" "$3" | "$4" run "$5" - --endpoint "$6" -o "$7" -q' _ \
    "$A/mkarc.py" "$size" "$T/big.sha" "$GEMBATCH" "$T/p.json" "$emu_URL" "$T/out" || fail "run failed"
secs=$(($(date +%s) - t0))
rss=$(cat "$T/rss")
sha=$(cat "$T/big.sha")
check_outputs "$T/out" --all-ok
grep -q "part 1: video video/mp4 $size bytes sha256:$sha" "$T/out/results.jsonl" ||
    fail "the answer does not acknowledge the 2 GiB video: $(head -c 600 "$T/out/results.jsonl")"
python3 - "$T/emu.log" "$sha" "$size" <<'PY'
import json, sys
log, sha, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
up = [o["upload"] for o in map(json.loads, open(log)) if o.get("upload") and o["status"] == 200]
assert [u["command"] for u in up].count("start") == 1, "one upload"
chunks = [u for u in up if u["command"].startswith("upload")]
assert sum(u["bytes"] for u in chunks) == size and chunks[-1]["received"] == size, chunks[-3:]
assert max(u["bytes"] for u in chunks) == 8 << 20, "8 MiB chunks"
parts = [p for o in map(json.loads, open(log)) for p in o.get("parts", [])]
assert len(parts) == 1 and parts[0]["sha256"] == sha and parts[0].get("file"), parts
PY
[ ! -e "$T/out/.spool" ] || fail "the spool is left behind: $(ls -la "$T/out/.spool")"
[ "$rss" -lt "$LIMIT_KB" ] || fail "peak RSS ${rss} KiB is over $LIMIT_KB KiB"
[ "$secs" -lt 100 ] || [ -n "${GEMBATCH_SAN:-}" ] || fail "took ${secs}s"
note "2 GiB through the Files API in ${secs}s, peak RSS ${rss} KiB (client and generator)"
