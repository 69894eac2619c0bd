# run-resume-answered: a job killed after some of its requests were answered
# (here: the model's function call came back, the tool was still running)
# starts over on resume, so those requests are paid again; the resumed run
# says so, on stderr and in run.json, and does not count jobs that finished
# or failed, or requests that were never answered (those are "in doubt").
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 6 --log "$T/emu.log"
mkdir -p "$T/scripts"
# the tool hangs the first time it runs for a city, then answers at once
cat >"$T/scripts/slow.sh" <<'S'
#!/bin/sh
args=$(cat)
mark="$TOOL_MARKS/$(printf '%s' "$args" | cksum | cut -d' ' -f1)"
if [ ! -e "$mark" ]; then
    : >"$mark"
    sleep 30
fi
echo '{"forecast":"fog"}'
S
chmod +x "$T/scripts/slow.sh"
mkdir "$T/marks"
export TOOL_MARKS="$T/marks"
cat >"$T/p.json" <<'P'
{"name":"answered","model":"gemini-2.5-flash","prompt":"Weather in {{city}}?",
 "tools":[{"type":"function","name":"get_weather","description":"Gets the weather",
   "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},
   "run":["scripts/slow.sh"],"timeout_s":60}]}
P
python3 -c "
import json
print(json.dumps({'id': 'tool-a', 'vars': {'city': 'Oslo'}}))
print(json.dumps({'id': 'tool-b', 'vars': {'city': 'Lima'}}))
print(json.dumps({'id': 'plain', 'input': 'hello', 'tools': None}))
print(json.dumps({'id': 'bad', 'input': 'hi', 'tools': None, 'model': 'no-such-model'}))" >"$T/m.jsonl"
cd "$T"
"$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out -q 2>run1.err &
pid=$!
# wait until both tools hang: both jobs' first requests were answered
i=0
while [ "$(ls marks | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(ls marks | wc -l)" -eq 2 ] || fail "the tools never started"
# the plain job and the bad one finish meanwhile (each line is written whole)
i=0
while { [ "$(nlines out/results.jsonl)" -lt 1 ] || [ "$(nlines out/errors.jsonl)" -lt 1 ]; } &&
    [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pkill -f "$T/scripts/slow.sh" 2>/dev/null || true
[ "$(nlines out/results.jsonl)" = 1 ] || fail "expected only 'plain' done before the kill: $(cat out/results.jsonl)"
[ "$(nlines out/errors.jsonl)" = 1 ] || fail "expected only 'bad' failed before the kill"
expect_rc 1 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out 2>run2.err
grep -q "2 jobs of the last run had 2 answered requests but no result line" run2.err ||
    fail "no warning about the requests paid again: $(cat run2.err)"
python3 - <<'PY'
import json
r = json.load(open("out/run.json"))
c = r["counts"]
assert c["restarted_from_previous_run"] == {"jobs": 2, "answered_requests": 2}, c
assert c["in_doubt_from_previous_run"] == 0, c
res = {json.loads(l)["id"]: json.loads(l) for l in open("out/results.jsonl")}
assert set(res) == {"plain", "tool-a", "tool-b"}, set(res)
assert res["tool-a"]["tool_turns"] == 1
PY
# the next run has nothing new to say
expect_rc 1 "$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL" -o out 2>run3.err
grep -q "answered request" run3.err && fail "warned again: $(cat run3.err)"
py "import json; c=json.load(open('out/run.json'))['counts']; assert c['restarted_from_previous_run']['jobs']==0, c"
true
