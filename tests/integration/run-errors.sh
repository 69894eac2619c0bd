# run-errors: bad lines become errors with their line numbers (nothing is
# dropped, nothing crashes); usage, key, auth and reachability problems give
# the exit codes DESIGN.md fixes, with messages that say what to do.
. "$(dirname "$0")/lib.sh"
start_emulator emu
start_emulator locked --api-key right-key
mkmedia "$T/media"
echo '{"name":"errs","model":"gemini-2.5-flash","prompt":"Look: {{what}}"}' >"$T/p.json"
{
    echo '{"id":"ok1","vars":{"what":"x"}}'
    echo '{"id":"badjson", "vars": '
    printf '{"id":"utf8","vars":{"what":"\377\376"}}\n'
    echo '{"id":"nofile","files":["media/nope.png"],"vars":{"what":"x"}}'
    echo '{"id":"novar"}'
    echo '[1,2,3]'
    echo '{"id":"wrongtype","files":"media/img0.png","vars":{"what":"x"}}'
    echo '{"id":"both","input":[{"type":"image","path":"media/img0.png","data":"AAAA"}]}'
    echo '{"id":"ok2","files":["media/img0.png"],"vars":{"what":"x"}}'
    echo '{"id":"ok1","vars":{"what":"again"}}'
    printf '{"id":"nul\\u0000x","vars":{"what":"x"}}\n'
    echo '{"id":"unknownmodel","model":"gemini-0-nonexistent","vars":{"what":"x"}}'
} >"$T/m.jsonl"
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" \
    --progress none 2>"$T/err"
check_outputs "$T/out"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
res = {json.loads(l)["id"] for l in open(t + "/out/results.jsonl")}
lines = [json.loads(l) for l in open(t + "/out/errors.jsonl")]
dups = [e for e in lines if e["error"]["status"] == "DUPLICATE_ID"]
errs = {e["id"]: e for e in lines if e["error"]["status"] != "DUPLICATE_ID"}
assert res == {"ok1", "ok2"}, res
assert [(d["id"], d["line"]) for d in dups] == [("ok1", 10)], dups
want = {"line-2": (2, "invalid JSON"), "line-3": (3, "UTF-8"), "nofile": (4, "not found"),
        "novar": (5, "'what'"), "line-6": (6, "JSON object"), "wrongtype": (7, "array of paths"),
        "both": (8, "\"path\" and also"), "line-11": (11, "NUL"),
        "unknownmodel": (12, "not found")}
for id_, (line, text) in want.items():
    assert id_ in errs, f"{id_} missing from errors.jsonl: {sorted(errs)}"
    e = errs[id_]
    assert e["line"] == line and e["status"] == "failed", e
    assert text in e["error"]["message"], (text, e["error"]["message"])
assert errs["unknownmodel"]["error"]["code"] == 404, errs["unknownmodel"]
assert len(errs) == len(want), sorted(errs)
run = json.load(open(t + "/out/run.json"))
assert run["counts"]["duplicates"] == 1 and run["duplicates"][0]["line"] == 10, run["counts"]
PY
grep -q "m.jsonl:4: 'media/nope.png' not found; paths are relative to the manifest's folder" \
    "$T/err" || fail "missing-file message"
grep -q "m.jsonl:10: duplicate id 'ok1'" "$T/err" || fail "duplicate-id message"

# usage errors: exit 2 before anything is sent
expect_rc 2 "$GEMBATCH" run "$T/p.json"
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/missing.jsonl" --endpoint "$emu_URL"
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --frobnicate
expect_rc 2 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" -j 0
echo '{"name":"x","model":"m","response_format":{"type":"object","properties":{"a":{"type":"strng"}}}}' >"$T/bad.json"
"$GEMBATCH" run "$T/bad.json" "$T/m.jsonl" --endpoint "$emu_URL" 2>"$T/err" && fail "bad schema accepted"
grep -q "bad.json" "$T/err" && grep -q "/properties/a" "$T/err" || fail "bad schema message: $(cat "$T/err")"
# no key and no endpoint: refuse, and say how to fix it
(unset GEMINI_API_KEY; "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" -o "$T/o3" 2>"$T/err") && fail "ran without a key"
grep -q "GEMINI_API_KEY" "$T/err" && grep -q -- "--emulator" "$T/err" || fail "no-key message"
# a wrong key: the run aborts with exit 3, and the key is never printed
GEMINI_API_KEY=wrong-key-123 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$locked_URL" \
    -o "$T/o4" --progress plain >"$T/out4" 2>"$T/err" && fail "wrong key accepted"
GEMINI_API_KEY=wrong-key-123 expect_rc 3 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" \
    --endpoint "$locked_URL" -o "$T/o4" -q
grep -q "authentication refused" "$T/err" || fail "auth message: $(cat "$T/err")"
if grep -rq "wrong-key-123" "$T/err" "$T/out4" "$T/o4"; then fail "the API key was printed or written"; fi
check_outputs "$T/o4"
# the right key through --api-key-file
echo right-key >"$T/key"
(unset GEMINI_API_KEY; expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$locked_URL" \
    -o "$T/o5" -q --api-key-file "$T/key")
# an unreachable endpoint: exit 3 quickly, jobs recorded as interrupted
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_rc 3 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "http://127.0.0.1:$port" -o "$T/o6" -q
check_outputs "$T/o6"
