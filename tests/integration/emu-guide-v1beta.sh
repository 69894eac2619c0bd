# emu-guide-v1beta: every example of the guide, as its REST (curl) form sends
# it to /v1beta, answered in the guide's shape: text, stateful and stateless
# turns, get, each media type inline (size and digest acknowledged), remote
# uri, image generation (a PNG that decodes), the deep research agent
# (in_progress, then completed), function calling both ways, the built-in
# tools, MCP, structured output, tools + structured output, streaming and
# generation_config.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --background-polls 2
use_emu emu
media

# 1, 2: text
for m in gemini-3-pro-preview gemini-2.5-flash; do
    create "{\"model\":\"$m\",\"input\":\"Tell me a short joke about programming.\"}"
    expect_status 200 "example text $m"
    jcheck "j['object'] == 'interaction' and j['status'] == 'completed' and j['model'] == '$m'"
    jcheck "j['outputs'][-1]['text'].startswith('Emulated answer from $m.\nturns: 1\n')"
    jcheck "j['steps'][-1]['type'] == 'model_output' and j['steps'][-1]['content'][0]['text'] == j['outputs'][-1]['text']"
    jcheck "j['role'] == 'model' and j['created'].endswith('Z') and j['updated'].endswith('Z')"
    jcheck "j['usage']['total_tokens'] == j['usage']['total_input_tokens'] + j['usage']['total_output_tokens']"
    jcheck "j['usage']['total_reasoning_tokens'] == j['usage']['total_thought_tokens']"
    case "$(header Content-Type)" in application/json*) ;; *) fail "content type $(header Content-Type)" ;; esac
done

# 3: stateful conversation, 4: retrieve it
create '{"model":"gemini-2.5-flash","input":"Hi, my name is Phil."}'
expect_status 200
id1=$(jval "j['id']")
create "{\"model\":\"gemini-2.5-flash\",\"input\":\"What is my name?\",\"previous_interaction_id\":\"$id1\"}"
expect_status 200 "second turn"
jcheck "'\nturns: 3\n' in text(j)" "history through previous_interaction_id"
jcheck "j['previous_interaction_id'] == '$id1'"
id2=$(jval "j['id']")
[ "$id1" != "$id2" ] || fail "ids must be unique"
get "/v1beta/interactions/$id1"
expect_status 200 "get"
jcheck "j['id'] == '$id1' and j['status'] == 'completed' and 'Phil' not in str(j.get('input', ''))"

# 5: stateless conversation (content as a string, then as previous outputs)
create '{"model":"gemini-2.5-flash","input":[{"role":"user","content":"What are the three largest cities in Spain?"},{"role":"model","content":"The three largest cities in Spain are Madrid, Barcelona, and Valencia."},{"role":"user","content":"What is the most famous landmark in the second one?"}]}'
expect_status 200 stateless
jcheck "'\nturns: 3\n' in text(j)"
outs=$(jval "j['outputs']")
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"role\":\"user\",\"content\":\"Q1\"},{\"role\":\"model\",\"content\":$outs},{\"role\":\"user\",\"content\":\"Q2\"}]}"
expect_status 200 "stateless with previous outputs"
jcheck "'\nturns: 3\n' in text(j)"

# 6-9: media understanding, inline: every part acknowledged with size and digest
for spec in "image image/png img.png Describe the image." "audio audio/wav speech.wav What does this audio say?" \
    "video video/mp4 clip.mp4 What is happening in this video?" "document application/pdf doc.pdf What is this document about?"; do
    set -- $spec
    type=$1 mime=$2 file=$3
    shift 3
    printf '{"model":"gemini-2.5-flash","input":[{"type":"text","text":"%s"},{"type":"%s","data":"%s","mime_type":"%s"}]}' \
        "$*" "$type" "$(b64_of "$T/$file")" "$mime" >"$T/req.json"
    create "@$T/req.json"
    expect_status 200 "$type understanding"
    want=$(part_line 1 "$type" "$mime" "$T/$file")
    jcheck "'$want' in text(j).split('\n')" "acknowledged $type"
done
# audio 1.5 s = 48 tokens, PDF 2 pages = 516 tokens, by modality
printf '{"model":"gemini-2.5-flash","input":[{"type":"audio","data":"%s","mime_type":"audio/wav"},{"type":"document","data":"%s","mime_type":"application/pdf"}]}' \
    "$(b64_of "$T/speech.wav")" "$(b64_of "$T/doc.pdf")" >"$T/req.json"
create "@$T/req.json"
jcheck "{m['modality']: m['tokens'] for m in j['usage']['input_tokens_by_modality']} == {'audio': 48, 'document': 516}"

# 22: remote file uri
create '{"model":"gemini-2.5-flash","input":[{"type":"image","uri":"https://github.com/x/cats-and-dogs.jpg"},{"type":"text","text":"Describe what you see."}]}'
expect_status 200 "remote uri"
jcheck "'part 1: image image/jpeg remote https://github.com/x/cats-and-dogs.jpg' in text(j)"

# 10: image generation
create '{"model":"gemini-3-pro-image-preview","input":"Generate an image of a futuristic city.","response_modalities":["IMAGE"]}'
expect_status 200 "image generation"
jval "[o for o in j['outputs'] if o['type'] == 'image'][0]['data']" | base64 -d >"$T/gen.png"
python3 - "$T/gen.png" <<'PY' || fail "generated image is not a valid PNG"
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n"
off, idat = 8, b""
while off < len(d):
    n, = struct.unpack(">I", d[off:off + 4]); k = d[off + 4:off + 8]; body = d[off + 8:off + 8 + n]
    assert struct.unpack(">I", d[off + 8 + n:off + 12 + n])[0] == zlib.crc32(k + body) & 0xffffffff, k
    if k == b"IHDR": w, h = struct.unpack(">II", body[:8])
    if k == b"IDAT": idat += body
    off += 12 + n
assert (w, h) == (64, 64) and len(zlib.decompress(idat)) == 64 * (64 * 3 + 1)
PY
jcheck "[o['type'] for o in j['outputs']] == ['text', 'image'] and j['steps'][0]['content'][1]['mime_type'] == 'image/png'"

# 11: deep research agent in the background
create '{"input":"Research the history of the Google TPUs with a focus on 2025 and 2026.","agent":"deep-research-pro-preview-12-2025","background":true}'
expect_status 200 agent
jcheck "j['status'] == 'in_progress' and j['outputs'] == [] and j['agent'] == 'deep-research-pro-preview-12-2025'"
aid=$(jval "j['id']")
get "/v1beta/interactions/$aid"; jcheck "j['status'] == 'in_progress'" "poll 1"
get "/v1beta/interactions/$aid"; jcheck "j['status'] == 'in_progress'" "poll 2"
get "/v1beta/interactions/$aid"; jcheck "j['status'] == 'completed' and text(j).startswith('Emulated answer from deep-research-pro-preview-12-2025.')" "poll 3"
get "/v1beta/interactions/$aid"; jcheck "j['status'] == 'completed'" "stays completed"

# 12: function calling, the result sent back with previous_interaction_id (tools not resent)
create '{"model":"gemini-2.5-flash","input":"What is the weather in Paris?","tools":[{"type":"function","name":"get_weather","description":"Gets the weather for a given location.","parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}}]}'
expect_status 200 "function call"
jcheck "j['status'] == 'requires_action'"
jcheck "[o for o in j['outputs'] if o['type'] == 'function_call'][0]['name'] == 'get_weather'"
jcheck "isinstance([o for o in j['outputs'] if o['type'] == 'function_call'][0]['arguments']['location'], str)"
fid=$(jval "j['id']")
call=$(jval "[o for o in j['outputs'] if o['type'] == 'function_call'][0]['id']")
create "{\"model\":\"gemini-2.5-flash\",\"previous_interaction_id\":\"$fid\",\"input\":[{\"type\":\"function_result\",\"name\":\"get_weather\",\"call_id\":\"$call\",\"result\":\"The weather in Paris is sunny.\"}]}"
expect_status 200 "function result"
jcheck "j['status'] == 'completed' and 'function_result get_weather: The weather in Paris is sunny.' in text(j)"

# 13: client-side state
create '{"model":"gemini-2.5-flash","input":[{"role":"user","content":[{"type":"text","text":"Schedule a meeting for 2025-11-01 at 10 am with Peter and Amir about the Next Gen API."}]}],"tools":[{"type":"function","name":"schedule_meeting","description":"Schedules a meeting.","parameters":{"type":"object","properties":{"attendees":{"type":"array","items":{"type":"string"}},"date":{"type":"string"},"time":{"type":"string"},"topic":{"type":"string"}},"required":["attendees","date","time","topic"]}}]}'
expect_status 200 "client-side function call"
jcheck "set(j['outputs'][-1]['arguments']) >= {'attendees', 'date', 'time', 'topic'} and isinstance(j['outputs'][-1]['arguments']['attendees'], list)"
outs=$(jval "j['outputs']")
call=$(jval "j['outputs'][-1]['id']")
create "{\"model\":\"gemini-2.5-flash\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Schedule it\"}]},{\"role\":\"model\",\"content\":$outs},{\"role\":\"user\",\"content\":[{\"type\":\"function_result\",\"name\":\"schedule_meeting\",\"call_id\":\"$call\",\"result\":\"Meeting scheduled successfully.\"}]}]}"
expect_status 200 "client-side follow-up"
jcheck "j['status'] == 'completed' and 'function_result schedule_meeting: Meeting scheduled successfully.' in text(j)"

# 14-17: built-in tools and MCP: call and result items, text last
for t in google_search code_execution url_context; do
    create "{\"model\":\"gemini-2.5-flash\",\"input\":\"Summarize https://www.wikipedia.org/\",\"tools\":[{\"type\":\"$t\"}]}"
    expect_status 200 "$t"
    jcheck "[o['type'] for o in j['outputs']] == ['${t}_call', '${t}_result', 'text']"
    jcheck "j['outputs'][1]['call_id'] == j['outputs'][0]['id']"
done
create '{"model":"gemini-2.5-flash","input":"What is the weather like in New York today?","tools":[{"type":"mcp_server","name":"weather_service","url":"https://gemini-api-demos.uc.r.appspot.com/mcp"}]}'
expect_status 200 mcp
jcheck "[o['type'] for o in j['outputs']] == ['mcp_server_tool_call', 'mcp_server_tool_result', 'text'] and j['outputs'][0]['server_name'] == 'weather_service'"

# 18: structured output (the REST schema), 19: with a tool
create '{"model":"gemini-2.5-flash","input":"Moderate the following content: ...","response_format":{"type":"object","properties":{"decision":{"type":"object","properties":{"reason":{"type":"string","description":"The reason."},"spam_type":{"type":"string","description":"The type of spam."}},"required":["reason","spam_type"]}},"required":["decision"]}}'
expect_status 200 "structured output"
jcheck "isinstance(json.loads(text(j))['decision']['reason'], str) and isinstance(json.loads(text(j))['decision']['spam_type'], str)"
create '{"model":"gemini-3-pro-preview","input":"Who won the last euro?","tools":[{"type":"google_search"}],"response_format":{"type":"object","properties":{"winning_team":{"type":"string"},"score":{"type":"string"}}}}'
expect_status 200 "tools and structured output"
jcheck "j['outputs'][-1]['type'] == 'text' and isinstance(json.loads(text(j)), dict) and j['outputs'][0]['type'] == 'google_search_call'"

# 20: streaming with ?alt=sse
curl -s -N -H "x-goog-api-key: $KEY" -H 'Content-Type: application/json' -D "$T/hdr" \
    -d '{"model":"gemini-2.5-flash","input":"Explain quantum entanglement in simple terms.","stream":true}' \
    "$URL/v1beta/interactions?alt=sse" >"$T/stream.txt" || fail "stream"
case "$(header Content-Type)" in text/event-stream*) ;; *) fail "stream content type" ;; esac
python3 - "$T/stream.txt" <<'PY' || fail "stream content"
import json, sys
ev = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("data: ")]
types = [e["event_type"] for e in ev]
assert types[0] == "interaction.start" and types[-1] == "interaction.complete", types
assert set(types) == {"interaction.start", "content.start", "content.delta", "content.stop", "interaction.complete"}, types
text = "".join(e["delta"]["text"] for e in ev if e["event_type"] == "content.delta")
assert text == ev[-1]["interaction"]["outputs"][-1]["text"]
assert ev[-1]["interaction"]["usage"]["total_tokens"] > 0
assert len({e["event_id"] for e in ev}) == len(ev)
PY

# 21: generation_config
create '{"model":"gemini-2.5-flash","input":"Tell me a story about a brave knight.","generation_config":{"temperature":0.7,"max_output_tokens":500,"thinking_level":"low"}}'
expect_status 200 "generation_config"
jcheck "j['usage']['total_output_tokens'] <= 500 and j['usage']['total_thought_tokens'] > 0"

# delete: 200 {} and gone afterwards
api DELETE "/v1beta/interactions/$id1"
expect_status 200 delete
jcheck "j == {}"
get "/v1beta/interactions/$id1"
expect_status 404 "deleted interaction"
done_emus emu
