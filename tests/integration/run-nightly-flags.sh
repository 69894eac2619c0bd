#!/bin/sh
# run-nightly-flags: what a scheduled run needs from run's flags: -o with a
# strftime pattern filled in local time, --link-latest moved atomically to
# the newest folder, exit 75 and the holder's pid when the folder is still
# held by the last run, and --cache problems refused before anything is sent
# (exit 2) or, with --cache-optional, a warning.
. "$(dirname "$0")/lib.sh"
cd "$T"
P="$ROOT/pipelines/classify-images.json"
M="$ROOT/samples/images.jsonl"
start_emulator emu --log "$T/emu.log"
run() { "$GEMBATCH" run "$P" "$M" --endpoint "$emu_URL" -q "$@"; }
# requests that could be billed (the emulator's log; GETs such as the probe are free)
posts() { grep -c '"method":"POST"' emu.log || true; }

# two time zones 26 hours apart: two different local dates, same instant
east=$(TZ=UTC-14 date +%Y-%m-%d)
west=$(TZ=UTC+12 date +%Y-%m-%d)
[ "$east" != "$west" ] || fail "the two zones gave one date"
TZ=UTC+12 run -o 'nightly/%Y-%m-%d' --link-latest
[ -f "nightly/$west/results.jsonl" ] || fail "no dated folder nightly/$west"
assert_eq "$(readlink nightly/latest)" "$west" "latest after the first run"
TZ=UTC-14 run -o 'nightly/%Y-%m-%d' --link-latest
assert_eq "$(readlink nightly/latest)" "$east" "latest after the second run"
assert_eq "$(nlines nightly/latest/results.jsonl)" "$(nlines "nightly/$west/results.jsonl")" \
    "latest reads the newest folder"
ls -a nightly | grep -q tmp && fail "a temporary link was left: $(ls -a nightly)"
# nested patterns: the link sits where the dates begin, pointing down
run -o 'deep/%Y/%m-%d' --link-latest
assert_eq "$(readlink deep/latest)" "$(date +%Y/%m-%d)" "nested latest"
# a folder named latest is never replaced, and is refused before anything runs
mkdir -p busy/latest
_rc=0; run -o 'busy/%Y-%m-%d' --link-latest 2>err || _rc=$?
assert_eq "$_rc" 2 "--link-latest over a folder"
grep -q "'busy/latest' exists and is not a symlink" err || fail "message: $(cat err)"
[ "$(ls busy)" = latest ] || fail "the refused run made a folder"

# a second run while the first still holds the folder: 75, nothing done
mkdir -p held
sent=$(posts)
python3 -c '
import fcntl, os, sys, time
fd = os.open("held/.gembatch.lock", os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0); os.write(fd, b"%d\n" % os.getpid())
open("held.ready", "w").write(str(os.getpid()))
time.sleep(30)' &
holder=$!
_pids="$_pids $holder"
while [ ! -s held.ready ]; do kill -0 "$holder" || fail "lock holder died"; sleep 0.05; done
_rc=0; run -o held --link-latest 2>err || _rc=$?
assert_eq "$_rc" 75 "a run into a held folder"
grep -q "another gembatch run (pid $(cat held.ready)) is writing to 'held'; nothing was done" err ||
    fail "message: $(cat err)"
assert_eq "$(posts)" "$sent" "requests sent by the refused run"
[ ! -e held/results.jsonl ] || fail "the refused run wrote results"
[ ! -e latest ] || fail "the refused run moved a link"
kill "$holder"; wait "$holder" 2>/dev/null || true

# the cache: refused before anything is sent, or a warning with --cache-optional
head -c 5000 /dev/urandom >garbage.db
_rc=0; run -o c1 --cache garbage.db 2>err || _rc=$?
assert_eq "$_rc" 2 "a garbage cache"
grep -q "'garbage.db' is not an SQLite database" err || fail "message: $(cat err)"
assert_eq "$(posts)" "$sent" "requests sent with a garbage cache"
_rc=0; run -o c2 --cache garbage.db --cache-optional 2>err || _rc=$?
assert_eq "$_rc" 0 "--cache-optional"
grep -q "warning: 'garbage.db' is not an SQLite database.*going on without the cache" err ||
    fail "message: $(cat err)"
[ -s c2/results.jsonl ] || fail "--cache-optional ran nothing"
_rc=0; GEMBATCH_CACHE=garbage.db run -o c3 2>err || _rc=$?
assert_eq "$_rc" 2 "GEMBATCH_CACHE names the cache"
usage() {
    _want=$1; shift
    _rc=0; run "$@" 2>err || _rc=$?
    assert_eq "$_rc" 2 "run $*"
    grep -q -- "$_want" err || fail "run $*: expected '$_want', got: $(cat err)"
}
usage "need --cache PATH" -o u --cache-mode read
usage "--cache-mode takes readwrite, read, write or refresh" -o u --cache c.db --cache-mode rw
usage "--cache-max-age takes a duration" -o u --cache c.db --cache-max-age soon
usage "no cache at 'absent.db'" -o u --cache absent.db --cache-mode read
exit 0
