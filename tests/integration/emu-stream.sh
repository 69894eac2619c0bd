# emu-stream: SSE in both families, each ending the response after its
# terminal event; replay with GET ?stream=true&last_event_id= (both query
# orders the SDKs use); an unknown event id; a stream of a background
# interaction; the same outputs streamed or not.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --background-polls 5
use_emu emu

# sse OUT PATH [curl args]: a streamed request; fails unless the body ended
sse() {
    _o=$1; _p=$2; shift 2
    curl -s -N --max-time 5 -D "$T/hdr" -H "x-goog-api-key: $KEY" -H 'Content-Type: application/json' "$@" "$URL$_p" >"$_o" ||
        fail "stream $_p did not end cleanly (curl $?)"
    case "$(header Content-Type)" in text/event-stream*) ;; *) fail "content type $(header Content-Type)" ;; esac
}
body='{"model":"gemini-2.5-flash","input":"Explain streaming.","stream":true}'
sse "$T/g1.txt" /v1beta/interactions -d "$body"
sse "$T/g3.txt" /v1/interactions -H 'Accept: text/event-stream' -d "$body"
python3 - "$T/g1.txt" "$T/g3.txt" <<'PY' || fail "stream families"
import json, sys
def events(p): return [json.loads(l[6:]) for l in open(p) if l.startswith("data: ")]
g1, g3 = events(sys.argv[1]), events(sys.argv[2])
t1, t3 = [e["event_type"] for e in g1], [e["event_type"] for e in g3]
assert t1[0] == "interaction.start" and t1[-1] == "interaction.complete" and "content.delta" in t1, t1
assert t3[0] == "interaction.created" and t3[-1] == "interaction.completed" and "step.delta" in t3, t3
for ev in (g1, g3):
    assert len({e["event_id"] for e in ev}) == len(ev), "unique event ids"
    final = ev[-1]["interaction"]
    assert "outputs" in final and "steps" in final and final["status"] == "completed"
# the same request, the same answer in both families
assert g1[-1]["interaction"]["outputs"] == g3[-1]["interaction"]["outputs"]
PY
# the event: lines name the event_type; frames end with a blank line
head -n 3 "$T/g1.txt" | grep -q '^event: interaction.start$' || fail "event: line"
[ "$(tail -c 2 "$T/g1.txt" | od -An -c | tr -d ' ')" = '\n\n' ] || fail "last frame not terminated"

# streamed and plain requests give the same outputs
id=$(python3 -c 'import json,sys; print([json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("data: ")][-1]["interaction"]["id"])' "$T/g1.txt")
create '{"model":"gemini-2.5-flash","input":"Explain streaming."}'
python3 - "$T/g1.txt" "$T/body" <<'PY' || fail "stream and plain differ"
import json, sys
ev = [json.loads(l[6:]) for l in open(sys.argv[1]) if l.startswith("data: ")]
assert ev[-1]["interaction"]["outputs"] == json.load(open(sys.argv[2]))["outputs"]
PY

# replay: everything after event 3, in G1 and in G3 query order
sse "$T/all.txt" "/v1beta/interactions/$id?stream=true"
cmp -s "$T/all.txt" "$T/g1.txt" || fail "a full replay differs from the original stream"
e3=${id}_e3
sse "$T/tail1.txt" "/v1beta/interactions/$id?stream=true&last_event_id=$e3"
sse "$T/tail3.txt" "/v1/interactions/$id?last_event_id=$e3&stream=true" -H 'Accept: text/event-stream'
python3 - "$T/g1.txt" "$T/tail1.txt" "$T/tail3.txt" "$e3" <<'PY' || fail "replay"
import json, sys
def events(p): return [json.loads(l[6:]) for l in open(p) if l.startswith("data: ")]
full, t1, t3 = events(sys.argv[1]), events(sys.argv[2]), events(sys.argv[3])
k = [e["event_id"] for e in full].index(sys.argv[4])
assert t1 == full[k + 1:], "G1 replay resumes after the given event"
assert t3[0]["event_type"].startswith("step.") and t3[-1]["event_type"] == "interaction.completed"
PY
STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -H "x-goog-api-key: $KEY" "$URL/v1beta/interactions/$id?stream=true&last_event_id=nope")
expect_status 400 "unknown last_event_id"
jcheck "j['error']['status'] == 'INVALID_ARGUMENT'"

# a background interaction streamed: the stream waits for its end
create '{"model":"gemini-2.5-flash","input":"Slow work","background":true}'
bid=$(jval "j['id']")
sse "$T/bg.txt" "/v1beta/interactions/$bid?stream=true"
tail -n 2 "$T/bg.txt" | grep -q '"status":"completed"' || fail "background stream did not complete"
get "/v1beta/interactions/$bid"
jcheck "j['status'] == 'completed'" "finished by the stream"
done_emus emu
