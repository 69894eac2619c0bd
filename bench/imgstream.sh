#!/bin/sh
# imgstream.sh: peak RSS for one answer carrying a large image (BIG_IMAGE_MIB,
# default 150) from tests/bad-inputs/server.py big_image: `gembatch run`
# (which now streams the image to the spool as it arrives; before issue 14
# it held, parsed and decoded the body whole) beside the bare streaming path
# of bench/imgstream_rss.c (xfer budget + imgstream + the sink's writer).
# `make bench-imgstream` builds the harness and runs this.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
G=${GEMBATCH:-$ROOT/build/gembatch}
H=${HARNESS:-$ROOT/build/bench/imgstream_rss}
T=$(mktemp -d "${TMPDIR:-/tmp}/gb-imgstream.XXXXXX")
trap 'kill $spid 2>/dev/null; rm -rf "$T"' EXIT
python3 "$ROOT/tests/bad-inputs/server.py" big_image >"$T/url" 2>"$T/server.err" &
spid=$!
while [ ! -s "$T/url" ]; do sleep 0.05; done
url=$(head -n 1 "$T/url")
echo '{"name":"big","model":"gemini-2.5-flash-image","response_modalities":["IMAGE"]}' >"$T/p.json"
echo '{"id":"big/1","input":"a big picture"}' >"$T/in.jsonl"
python3 - "$T/rss" "$G" run "$T/p.json" "$T/in.jsonl" -o "$T/out" --endpoint "$url" -q \
    --timeout 600 <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
PY
echo "gembatch run (whole body): peak RSS $(($(cat "$T/rss") / 1024)) MiB"
GEMINI_API_KEY=x "$H" "$url/v1beta/interactions" "$T/out2"
