#!/bin/sh
# upload.sh: Files API upload throughput and the client's peak RSS for one
# large file, against `gembatch emulate` on loopback. Two ways in: a media
# file named by a manifest ("files"), and the same bytes as a plain tar on
# stdin (spooled, digested, uploaded). MiB/s counts the upload only: from the
# first chunk's start to the last chunk's end in the emulator's log (8 MiB
# chunks, one at a time); wall time and peak RSS cover the whole run.
#   GEMBATCH=path  SIZE_MIB=1024  TMPDIR=dir (needs about 2 x SIZE free)
set -eu
SIZE_MIB=${SIZE_MIB:-1024}
. "$(dirname "$0")/lib.sh"
emu_start --log "$tmp/emu.log" --file-processing-ms 0
export GEMINI_API_KEY=bench-key-not-secret
cat >"$tmp/p.json" <<'P'
{"name":"bench-upload","model":"gemini-2.5-flash","prompt":"Summarise the video."}
P
size=$((SIZE_MIB << 20))
mkarc=$root/tests/data/archive/mkarc.py

# measure NAME CMD...: runs CMD, prints one line from the log lines it added
measure() {
    _name=$1; shift
    _from=$(($(wc -l <"$tmp/emu.log" 2>/dev/null || echo 0) + 1))
    _t0=$(date +%s.%N)
    python3 - "$tmp/rss" "$@" <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
PY
    _t1=$(date +%s.%N)
    tail -n +"$_from" "$tmp/emu.log" | python3 -c '
import datetime, json, sys
name, size, rss = sys.argv[1], int(sys.argv[2]), sys.argv[5]
wall = float(sys.argv[4]) - float(sys.argv[3])
ts = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
up = [o for o in map(json.loads, sys.stdin) if o.get("upload") and o["status"] == 200]
chunks = [o for o in up if o["upload"]["command"].startswith("upload")]
start = [o for o in up if o["upload"]["command"] == "start"][0]
sent = sum(o["upload"]["bytes"] for o in chunks)
assert sent == size, (sent, size)
secs = ts(chunks[-1]["ts"]) - ts(start["ts"])
print(f"{name}: {size / 2**20:.0f} MiB uploaded in {secs:.2f} s = {size / 2**20 / secs:.0f} MiB/s "
      f"({len(chunks)} chunks); whole run {wall:.2f} s; peak RSS {rss} KiB")
' "$_name" "$size" "$_t0" "$_t1" "$(cat "$tmp/rss")"
}

# 1. a file named by a manifest
python3 -c '
import os, struct, sys
size, block = int(sys.argv[2]), os.urandom(1 << 20)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2" + struct.pack(">I", min(size - 24, 2**32 - 1)) + b"mdat")
    left = size - 32
    while left:
        k = min(left, len(block)); f.write(block[:k]); left -= k
' "$tmp/big.mp4" "$size"
echo '{"id":"big","files":["big.mp4"]}' >"$tmp/m.jsonl"
measure "manifest file " "$GEMBATCH" run "$tmp/p.json" "$tmp/m.jsonl" --endpoint "$url" \
    -o "$tmp/o1" -q --max-request-bytes 1M
rm -f "$tmp/big.mp4"
# 2. the same size inside a plain tar on stdin (spool + digest + upload)
measure "tar on stdin  " sh -c 'python3 "$1" bigtar "$2" "$3/sha" | "$4" run "$5" - --endpoint "$6" -o "$3/o2" -q' \
    _ "$mkarc" "$size" "$tmp" "$GEMBATCH" "$tmp/p.json" "$url"
echo "bench: $(nproc) CPUs, $(uname -r), gembatch $("$GEMBATCH" --version 2>/dev/null | head -n 1)"
