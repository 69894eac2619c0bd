# tools-run: function tools answered by local programs: 500 jobs whose tool
# calls are answered by a script (no shell), stateful and stateless; a tool
# program that crashes, one that hangs, and one that cannot start (its
# interpreter is missing: a program that is missing altogether is refused
# before anything is sent, see run-refusals) fail their jobs while the run
# goes on; a tool without "run" is recorded as it is; the API key never
# reaches the tool's environment.
. "$(dirname "$0")/lib.sh"
start_emulator emu --seed 2
mkdir -p "$T/scripts"
cat >"$T/scripts/lookup.sh" <<'S'
#!/bin/sh
# the call's arguments arrive as JSON on stdin; the answer goes to stdout
args=$(cat)
env | grep -q API_KEY && { echo "saw an API key" >&2; exit 9; }
printf '{"forecast":"sunny","args":%s}\n' "$args"
S
printf '#!/bin/sh\necho "lookup failed: backend down" >&2\nexit 3\n' >"$T/scripts/crash.sh"
printf '#!/bin/sh\nsleep 30\n' >"$T/scripts/hang.sh"
printf '#!/nonexistent/interpreter\n' >"$T/scripts/nope.sh"
chmod +x "$T/scripts/"*.sh
tool() { # NAME PROGRAM
    printf '{"type":"function","name":"%s","description":"Gets the weather",
      "parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},
      "run":["scripts/%s"],"timeout_s":1}' "$1" "$2"
}
cat >"$T/p.json" <<P
{"name":"tools","model":"gemini-2.5-flash","prompt":"Weather in {{city}}?","limits":{"concurrency":32},
 "tools":[$(tool get_weather lookup.sh)]}
P
python3 -c "
import json
for i in range(500):
    o = {'id': 'w%d' % i, 'vars': {'city': 'city %d' % i}}
    if i % 5 == 0: o['store'] = False
    print(json.dumps(o))" >"$T/m.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
python3 - "$T/out" <<'PY'
import json, sys
d = sys.argv[1]
for l in open(d + "/results.jsonl"):
    r = json.loads(l)
    assert r["tool_turns"] == 1, r
    # every call is kept for audit: its arguments and what the program answered
    (call,) = r["tool_calls"]
    assert call["name"] == "get_weather" and call["result"]["forecast"] == "sunny", call
    assert call["result"]["args"] == call["arguments"], call
    # the emulator echoes the function result it was sent
    assert 'function_result get_weather: {"forecast":"sunny","args":{"location":' in r["text"], r
c = json.load(open(d + "/run.json"))["counts"]
assert c["tool_calls"] == 500 and c["tool_failures"] == 0, c
PY
# crash, hang, missing program: job errors; the other jobs complete. Programs
# are declared in the pipeline; a line picks its tool by name (without "run").
cat >"$T/p2.json" <<P
{"name":"badtools","model":"gemini-2.5-flash","limits":{"concurrency":8},
 "tools":[$(tool get_weather lookup.sh), $(tool crash_tool crash.sh), $(tool hang_tool hang.sh),
          $(tool missing_tool nope.sh)]}
P
only() { # NAME: a tools list with just that function (its program comes from the pipeline)
    printf '[{"type":"function","name":"%s","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}]' "$1"
}
cat >"$T/m2.jsonl" <<M
{"id":"ok","input":"Weather?","tools":$(only get_weather)}
{"id":"crash","input":"Weather?","tools":$(only crash_tool)}
{"id":"hang","input":"Weather?","tools":$(only hang_tool)}
{"id":"missing","input":"Weather?","tools":$(only missing_tool)}
{"id":"norun","input":"Weather?","tools":$(only ask_human)}
{"id":"ok2","input":"Weather again?","tools":$(only get_weather)}
M
start=$(date +%s)
expect_rc 1 "$GEMBATCH" run "$T/p2.json" "$T/m2.jsonl" --endpoint "$emu_URL" -o "$T/out2" -q
[ $(($(date +%s) - start)) -lt 15 ] || fail "a hanging tool held the run up"
check_outputs "$T/out2" --manifest "$T/m2.jsonl"
python3 - "$T/out2" <<'PY'
import json, sys
d = sys.argv[1]
res = {json.loads(l)["id"]: json.loads(l) for l in open(d + "/results.jsonl")}
errs = {json.loads(l)["id"]: json.loads(l) for l in open(d + "/errors.jsonl")}
assert set(res) == {"ok", "ok2", "norun"}, sorted(res)
assert set(errs) == {"crash", "hang", "missing"}, sorted(errs)
assert all(e["error"]["status"] == "TOOL_FAILED" for e in errs.values())
m = {k: e["error"]["message"] for k, e in errs.items()}
assert "exited with status 3: lookup failed: backend down" in m["crash"], m["crash"]
assert "timed out after 1.0 s" in m["hang"], m["hang"]
assert "cannot run" in m["missing"] and "No such file" in m["missing"], m["missing"]
# without a program, the function call is recorded as it is
n = res["norun"]
assert n["status"] == "requires_action", n
calls = [o for o in n["outputs"] if o["type"] == "function_call"]
assert calls and calls[0]["name"] == "ask_human" and "arguments" in calls[0], n
PY
# a model that keeps asking (tool_choice "any" forces a call every turn): the
# job stops at max_tool_turns with TOOL_TURNS_EXCEEDED, each turn's call
# answered by the program once; the other jobs are unaffected
cat >"$T/p3.json" <<P
{"name":"looping","model":"gemini-2.5-flash","prompt":"Weather in {{city}}?","limits":{"concurrency":8},
 "generation_config":{"tool_choice":"any"},"max_tool_turns":3,
 "tools":[$(tool get_weather lookup.sh)]}
P
head -n 10 "$T/m.jsonl" >"$T/m3.jsonl"
expect_rc 1 "$GEMBATCH" run "$T/p3.json" "$T/m3.jsonl" --endpoint "$emu_URL" -o "$T/out3" -q
check_outputs "$T/out3" --manifest "$T/m3.jsonl"
python3 - "$T/out3" <<'PY'
import json, sys
d = sys.argv[1]
errs = [json.loads(l) for l in open(d + "/errors.jsonl")]
assert len(errs) == 10 and not open(d + "/results.jsonl").read(), errs
for e in errs:
    assert e["error"]["status"] == "TOOL_TURNS_EXCEEDED", e
    assert "after 3 tool turns (max_tool_turns)" in e["error"]["message"], e
c = json.load(open(d + "/run.json"))["counts"]
# per job: 4 requests, 3 tool turns answered by the program; the 4th answer asked again
assert c["tool_calls"] == 30 and c["attempts"] == 40, c
PY
# --tool-concurrency bounds the programs running at once (the rest wait their
# turn, the requests go on); each run of slow.sh notes when it ran
mkdir -p "$T/spans"
cat >"$T/scripts/slow.sh" <<S
#!/bin/sh
cat >/dev/null
a=\$(date +%s.%N); sleep 0.3; b=\$(date +%s.%N)
echo "\$a \$b" >"$T/spans/\$\$"
echo '{"forecast":"slow but sunny"}'
S
chmod +x "$T/scripts/slow.sh"
cat >"$T/p4.json" <<P
{"name":"slowtools","model":"gemini-2.5-flash","prompt":"Weather in {{city}}?","limits":{"concurrency":16},
 "tools":[$(tool get_weather slow.sh)]}
P
head -n 24 "$T/m.jsonl" >"$T/m4.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p4.json" "$T/m4.jsonl" --endpoint "$emu_URL" -o "$T/out4" -q \
    --tool-concurrency 3
check_outputs "$T/out4" --manifest "$T/m4.jsonl" --all-ok
python3 - "$T/spans" <<'PY'
import os, sys
spans = [tuple(map(float, open(os.path.join(sys.argv[1], f)).read().split())) for f in os.listdir(sys.argv[1])]
assert len(spans) == 24, len(spans)
most = max(sum(1 for a, b in spans if a <= t < b) for t, _ in spans)
assert 2 <= most <= 3, f"{most} tool programs ran at once with --tool-concurrency 3"
print(f"tools-run: at most {most} tool programs at once", file=sys.stderr)
PY
