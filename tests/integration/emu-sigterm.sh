# emu-sigterm: SIGTERM and SIGINT stop the emulator at once with status 0,
# even with requests waiting in a latency timer; the log is complete; the URL
# is the first stdout line and the emulator is silent on stdout otherwise.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --latency 5000 --log "$T/emu.jsonl"
use_emu emu
case "$URL" in http://127.0.0.1:[0-9]*) ;; *) fail "first line '$URL'" ;; esac
case "$URL" in */) fail "trailing slash in '$URL'" ;; esac
pids=""
for i in 1 2 3 4; do
    curl -s -o /dev/null -H "x-goog-api-key: $KEY" -d '{"model":"gemini-2.5-flash","input":"x"}' "$URL/v1beta/interactions" &
    pids="$pids $!"
done
sleep 0.5
t0=$(date +%s%N)
stop_emulator emu
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 2000 ] || fail "SIGTERM took $ms ms with suspended requests"
wait $pids || true
[ "$(nlines "$T/emu.jsonl")" = 4 ] || fail "log has $(nlines "$T/emu.jsonl") lines"
[ "$(wc -l <"$T/emu.out" | tr -d ' ')" = 1 ] || fail "stdout has more than the URL"

"$GEMBATCH" emulate --listen 127.0.0.1:0 -q >"$T/e2.out" 2>"$T/e2.err" &
pid=$!
i=0
while [ ! -s "$T/e2.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
rc=0; wait $pid || rc=$?
[ $rc = 0 ] || fail "SIGINT exit $rc"
[ ! -s "$T/e2.err" ] || fail "-q still wrote: $(cat "$T/e2.err")"

# a taken port: a clear error, not a hang
start_emulator e3
port=${e3_URL##*:}
rc=0
"$GEMBATCH" emulate --listen "127.0.0.1:$port" >"$T/e4.out" 2>"$T/e4.err" || rc=$?
[ $rc != 0 ] || fail "a second emulator on a taken port started"
grep -q "cannot listen" "$T/e4.err" || fail "message: $(cat "$T/e4.err")"
rc=0
"$GEMBATCH" emulate --fault bogus=1 2>"$T/e5.err" || rc=$?
[ $rc = 2 ] || fail "bad --fault: exit $rc"
"$GEMBATCH" emulate --help | grep -q -- '--background-polls' || fail "--help lists the options"
done_emus e3
