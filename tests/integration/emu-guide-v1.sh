# emu-guide-v1: the guide's examples in the current (G3) dialect under /v1:
# steps[] next to outputs[], the wrapped response_format (object and array
# forms, text/plain, image), input as G3 steps, get with stream=false and
# include_input, step.* streaming, cancel of a background interaction.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --background-polls 1
use_emu emu
V=v1
media

create '{"model":"gemini-2.5-flash","input":"Tell me a short joke about programming."}'
expect_status 200 text
jcheck "j['steps'][-1]['type'] == 'model_output' and steps_text(j).startswith('Emulated answer from gemini-2.5-flash.')"
jcheck "j['outputs'][-1]['text'] == steps_text(j)" "outputs and steps agree"
id=$(jval "j['id']")

# get as the G3 SDK sends it, and with the input echoed
get "/v1/interactions/$id?stream=false"
expect_status 200 "get stream=false"
jcheck "j['id'] == '$id' and 'input' not in j"
get "/v1/interactions/$id?stream=false&include_input=true"
jcheck "j['input'] == 'Tell me a short joke about programming.'" "include_input"

# input as G3 steps, media included
printf '{"model":"gemini-2.5-flash","input":[{"type":"user_input","content":[{"type":"text","text":"Describe"},{"type":"image","data":"%s","mime_type":"image/png"}]},{"type":"model_output","content":[{"type":"text","text":"A picture."}]},{"type":"user_input","content":[{"type":"text","text":"More detail?"}]}]}' \
    "$(b64_of "$T/img.png")" >"$T/req.json"
create "@$T/req.json"
expect_status 200 "steps input"
want=$(part_line 1 image image/png "$T/img.png")
jcheck "'$want' in steps_text(j) and '\nturns: 3\n' in steps_text(j)"

# structured output, wrapped; as an array; text/plain
create '{"model":"gemini-2.5-flash","input":"Moderate this.","response_format":{"type":"text","mime_type":"application/json","schema":{"type":"object","properties":{"label":{"type":"string","enum":["cat","dog","other"]}},"required":["label"]}}}'
expect_status 200 "wrapped schema"
jcheck "json.loads(steps_text(j))['label'] in ('cat', 'dog', 'other')"
jcheck "j['response_format']['type'] == 'text'" "request fields echoed"
create '{"model":"gemini-2.5-flash","input":"Numbers.","response_format":[{"type":"text","mime_type":"application/json","schema":{"type":"array","items":{"type":"integer","minimum":3,"maximum":9},"minItems":2,"maxItems":4}}]}'
expect_status 200 "array response_format"
jcheck "2 <= len(json.loads(steps_text(j))) <= 4 and all(3 <= x <= 9 for x in json.loads(steps_text(j)))"
create '{"model":"gemini-2.5-flash","input":"Plain please.","response_format":{"type":"text","mime_type":"text/plain"}}'
jcheck "steps_text(j).startswith('Emulated answer from')"

# image generation with the G3 wrapper
create '{"model":"gemini-3-pro-image-preview","input":"Generate an image of a futuristic city.","response_format":{"type":"image"}}'
expect_status 200 "image wrapper"
jcheck "[c['type'] for c in j['steps'][0]['content']] == ['text', 'image'] and j['steps'][0]['content'][1]['data'][:8] == 'iVBORw0K'"

# function calling: the call is a step of its own
create '{"model":"gemini-2.5-flash","input":"What is the weather in Paris?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}]}'
expect_status 200 "function call"
jcheck "j['status'] == 'requires_action' and j['steps'][-1]['type'] == 'function_call' and j['steps'][-1]['name'] == 'get_weather'"
call=$(jval "j['steps'][-1]['id']")
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"user_input\",\"content\":[{\"type\":\"text\",\"text\":\"What is the weather in Paris?\"}]},{\"type\":\"function_call\",\"id\":\"$call\",\"name\":\"get_weather\",\"arguments\":{\"location\":\"Paris\"}},{\"type\":\"function_result\",\"call_id\":\"$call\",\"name\":\"get_weather\",\"result\":\"sunny\"}]}"
expect_status 200 "function result as steps"
jcheck "j['status'] == 'completed' and 'function_result get_weather: sunny' in steps_text(j)"

# step.* streaming, as the G3 SDK asks for it
curl -s -N -H "x-goog-api-key: $KEY" -H 'Accept: text/event-stream' -H 'Content-Type: application/json' \
    -d '{"model":"gemini-2.5-flash","input":"Explain quantum entanglement.","stream":true,"tools":[{"type":"code_execution"}]}' \
    "$URL/v1/interactions" >"$T/stream.txt" || fail stream
python3 - "$T/stream.txt" <<'PY' || fail "G3 stream"
import json, sys
ev = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("data: ")]
types = [e["event_type"] for e in ev]
assert types[0] == "interaction.created" and types[-1] == "interaction.completed", types
assert not any(t.startswith("content.") for t in types), types
starts = [e["step"]["type"] for e in ev if e["event_type"] == "step.start"]
assert starts == ["code_execution_call", "code_execution_result", "model_output"], starts
text = "".join(e["delta"]["text"] for e in ev if e["event_type"] == "step.delta" and e["delta"]["type"] == "text")
final = ev[-1]["interaction"]
assert text == final["steps"][-1]["content"][0]["text"] and final["status"] == "completed"
PY

# background: in_progress, cancel, then cancelled for good; a finished one refuses
create '{"model":"gemini-2.5-flash","input":"Long job","background":true}'
jcheck "j['status'] == 'in_progress' and j['steps'] == []"
bid=$(jval "j['id']")
api POST "/v1/interactions/$bid/cancel" -H 'Content-Length: 0'
expect_status 200 cancel
jcheck "j['status'] == 'cancelled'"
get "/v1/interactions/$bid?stream=false"
jcheck "j['status'] == 'cancelled'" "stays cancelled"
api POST "/v1/interactions/$id/cancel"
expect_status 400 "cancel of a finished interaction"
jcheck "j['error']['status'] == 'FAILED_PRECONDITION'"
done_emus emu
