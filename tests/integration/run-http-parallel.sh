# run-http-parallel: on a cleartext http:// endpoint, requests go out in
# parallel from the start. libcurl's PIPEWAIT (wait to learn whether a
# connection can multiplex) held requests 2..10 back until the first answer
# came, and that wait counted against --timeout. With a 2 s latency, -j 10
# and a 3.5 s limit per attempt, only parallel sending passes: held back,
# the other nine are answered 4 s after they were queued (and time out),
# and the emulator's answers spread over 2 s instead of arriving together.
. "$(dirname "$0")/lib.sh"
cd "$T"
start_emulator emu --latency 2000 --log "$T/emu.log"
echo '{"name":"par","model":"gemini-2.5-flash"}' >p.json
python3 -c "
for i in range(10): print('{\"id\":\"p%d\",\"input\":\"question %d\"}' % (i, i))" >m.jsonl
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -j 10 --timeout 3.5 \
    --max-attempts 1 -o out -q
check_outputs out --manifest m.jsonl --all-ok
python3 - emu.log <<'PY'
import json, sys
from datetime import datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
creates = [r for r in rows if r["method"] == "POST"]
assert len(creates) == 10, len(creates)
# "ts" is when each answer left, 2 s after its request came in: answers to
# requests sent together leave together; held back, they leave 2 s apart
ts = sorted(datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp() for r in creates)
spread = ts[-1] - ts[0]
assert spread < 1.0, f"answers spread over {spread:.2f} s: requests were held back"
print(f"run-http-parallel: 10 answers within {spread * 1000:.0f} ms of each other")
PY
