# emu-latency: --latency delays every answer without holding a thread: 256
# concurrent requests, each delayed 200 ms, all finish in well under 2 s.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"
start_emulator emu --latency 200 --threads 2
use_emu emu
: >"$T/curl.cfg"
i=0
while [ $i -lt 256 ]; do
    printf 'url = "%s/v1beta/interactions"\nrequest = "POST"\nheader = "x-goog-api-key: %s"\ndata = "{\\"model\\":\\"gemini-2.5-flash\\",\\"input\\":\\"q%s\\"}"\noutput = "%s/out.%s"\nwrite-out = "%%{http_code}\\n"\n' \
        "$URL" "$KEY" $i "$T" $i >>"$T/curl.cfg"
    [ $i = 255 ] || echo next >>"$T/curl.cfg"
    i=$((i + 1))
done
t0=$(date +%s%N)
curl -s --parallel --parallel-max 256 --parallel-immediate -K "$T/curl.cfg" >"$T/codes" 2>"$T/curl.err" || fail "curl: $(cat "$T/curl.err")"
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$(grep -c '^200$' "$T/codes")" = 256 ] || fail "not all 200: $(sort "$T/codes" | uniq -c)"
[ $ms -ge 200 ] || fail "answers came back in $ms ms, before the 200 ms latency"
[ $ms -lt 1500 ] || fail "256 delayed requests took $ms ms: latency blocks"
note "256 requests with 200 ms latency in $ms ms"

# jitter stays within latency + jitter
start_emulator jit --latency 50 --jitter 100
use_emu jit
t0=$(date +%s%N)
create '{"model":"gemini-2.5-flash","input":"x"}'
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
expect_status 200 jitter
[ $ms -ge 50 ] && [ $ms -lt 1000 ] || fail "latency 50 + jitter 100 took $ms ms"
done_emus emu jit
