#!/bin/sh
# emu-batch: the Batch API (reference batch-api.md, issue 16 point 7) on the
# wire in both dialects: create (inline, from an uploaded JSONL, camelCase and
# snake_case), the Operation envelope PENDING to SUCCEEDED, list pages that
# end without a token, cancel, delete, both download paths, the refusals and
# the --log lines (tests/data/emu/batch_check.py judges them); the
# batch_line fault (the same lines fail under the same seed),
# batch_expire and batch_create_lost (made, the answer lost, listed once); a 50 MB input of 50,000 requests answered in order while
# the emulator's peak RSS stays far below the input and results sizes; the
# temp folder removed at exit.
. "$(dirname "$0")/lib.sh"
CHECK="python3 $ROOT/tests/data/emu/batch_check.py"
mkdir "$T/tmp"
export TMPDIR="$T/tmp" # the emulators' temp folders land here

start_emulator wire --batch-time 60 --log "$T/wire.jsonl"
$CHECK wire "$wire_URL" "$T/wire.jsonl" || fail "wire checks"
ls "$T/tmp"/gembatch-emu-* >/dev/null 2>&1 || fail "no temp folder while serving"

start_emulator line --batch-time 20 --seed 3 --fault batch_line=0.3
start_emulator line2 --batch-time 20 --seed 3 --fault batch_line=0.3
$CHECK faults "$line_URL" "$line2_URL" || fail "batch_line checks"
start_emulator expire --batch-time 20 --fault batch_expire=1
$CHECK expire "$expire_URL" || fail "batch_expire checks"
start_emulator lost --batch-time 20 --seed 3 --fault batch_create_lost=1
$CHECK lost "$lost_URL" || fail "batch_create_lost checks"
stop_emulator lost
stop_emulator line
stop_emulator line2
stop_emulator expire

# 50,000 requests in 50 MB: the input and the results (about 30 MB) pass
# through the spool, never through memory
n=50000
LIMIT_KB=$((32 * 1024))
# ASan's shadow memory and quarantine make RSS meaningless: under `make check`
# the flow still runs (for memory errors and leaks); the bound is asserted by
# the plain build in `make test`.
[ -n "${GEMBATCH_SAN:-}" ] && LIMIT_KB=$((4 * 1024 * 1024))
python3 - "$T/big.jsonl" "$n" <<'PY'
import sys
pad = "x" * 925
with open(sys.argv[1], "w") as f:
    f.writelines('{"key": "k%d", "request": {"contents": [{"parts": [{"text": "q%d %s"}]}]}}\n' % (i, i, pad)
                 for i in range(int(sys.argv[2])))
PY
size=$(wc -c <"$T/big.jsonl" | tr -d " ")
[ "$size" -gt 50000000 ] || fail "the big input is only $size bytes"
start_emulator big --batch-time 20
base=$(awk '/VmRSS/ {print $2}' "/proc/$big_PID/status")
$CHECK big "$big_URL" "$T/big.jsonl" "$n" || fail "big input checks"
peak=$(awk '/VmHWM/ {print $2}' "/proc/$big_PID/status")
note "RSS at start ${base} KiB, peak ${peak} KiB for a $size-byte input"
[ "$peak" -lt "$LIMIT_KB" ] || fail "peak RSS ${peak} KiB: the input or the results went through memory"
stop_emulator big
stop_emulator wire
left=$(ls -A "$T/tmp")
[ -z "$left" ] || fail "temp folders left behind: $left"
