# get-delete: `gembatch get ID` prints a stored interaction, `delete ID` removes
# it (printing nothing on stdout, a confirmation on stderr), and a get after
# that says NOT_FOUND with exit 1; usage and key errors exit 2; an unreachable
# endpoint exits 3.
. "$(dirname "$0")/lib.sh"
start_emulator emu
echo '{"name":"gd","model":"gemini-2.5-flash"}' >"$T/p.json"
echo '{"id":"one","input":"hello"}' >"$T/m.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
iid=$(python3 -c "import json; print(json.loads(open('$T/out/results.jsonl').readline())['interaction_id'])")
expect_rc 0 "$GEMBATCH" get "$iid" --endpoint "$emu_URL"
"$GEMBATCH" get "$iid" --endpoint "$emu_URL" >"$T/got"
python3 -c "
import json; o = json.load(open('$T/got'))
assert o['id'] == '$iid' and o['status'] == 'completed' and o['outputs'], o"
v1out=$("$GEMBATCH" get "$iid" --endpoint "$emu_URL" --api-version v1)
echo "$v1out" | grep -q "\"id\":\"$iid\"" || fail "get over /v1"
"$GEMBATCH" delete "$iid" --endpoint "$emu_URL" >"$T/del.out" 2>"$T/del.err" || fail "delete failed"
# nothing on stdout (the service's {} is no data); one line on stderr says it
[ ! -s "$T/del.out" ] || fail "delete printed on stdout: $(cat "$T/del.out")"
grep -qx "gembatch: deleted interaction '$iid'" "$T/del.err" || fail "delete said: $(cat "$T/del.err")"
"$GEMBATCH" get "$iid" --endpoint "$emu_URL" 2>"$T/err" && fail "deleted interaction still found"
expect_rc 1 "$GEMBATCH" get "$iid" --endpoint "$emu_URL"
grep -q "NOT_FOUND" "$T/err" || fail "no NOT_FOUND message: $(cat "$T/err")"
expect_rc 2 "$GEMBATCH" get
expect_rc 2 "$GEMBATCH" get a b --endpoint "$emu_URL"
(unset GEMINI_API_KEY; expect_rc 2 "$GEMBATCH" get x)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_rc 3 "$GEMBATCH" get x --endpoint "http://127.0.0.1:$port"
"$GEMBATCH" get --help | grep -q "usage: gembatch get ID" || fail "get --help"
