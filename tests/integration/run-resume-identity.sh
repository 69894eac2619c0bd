# run-resume-identity: resume refuses (exit 2, nothing sent) a folder whose
# answers another run made: a changed pipeline field, --model, --shard,
# --api-version or --id-prefix, naming what changed; it accepts changed
# limits. Synthetic (emulator) and real answers never share a folder, either
# way round; result lines of the emulator say "synthetic": true.
. "$(dirname "$0")/lib.sh"
start_emulator emu --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"ident","model":"gemini-2.5-flash","prompt":"Say {{w}}","limits":{"concurrency":4}}
P
py "
import json
for i in range(20): print(json.dumps({'id': 'i%d' % i, 'vars': {'w': 'word %d' % i}}))" >"$T/m.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
sent=$(nlines "$T/emu.log")

refused() { # refused WHAT ARGS...: exit 2, the message names WHAT, nothing sent
    what=$1; shift
    rc=0
    "$GEMBATCH" run "$@" --endpoint "$emu_URL" -o "$T/out" --progress none 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "not refused (exit $rc) when $what changed: $(cat "$T/err")"
    grep -qF -- "$what" "$T/err" || fail "the refusal does not name $what: $(cat "$T/err")"
    grep -q "different run" "$T/err" || fail "unexpected message: $(cat "$T/err")"
    [ "$(nlines "$T/emu.log")" = "$sent" ] || fail "requests were sent when $what changed"
}
refused "--model (not given then, 'gemini-2.5-pro' now)" "$T/p.json" "$T/m.jsonl" --model gemini-2.5-pro
refused "--shard (not given then, '1/2' now)" "$T/p.json" "$T/m.jsonl" --shard 1/2
refused "--api-version ('v1beta' then, 'v1' now)" "$T/p.json" "$T/m.jsonl" --api-version v1
refused "--id-prefix ('none' then, 'x/' now)" "$T/p.json" "$T/m.jsonl" --id-prefix x/
sed 's/Say /Write /' "$T/p.json" >"$T/p2.json"
refused "pipeline field 'prompt'" "$T/p2.json" "$T/m.jsonl"
# two fields at once: both named
sed 's/Say /Write /; s/"gemini-2.5-flash"/"gemini-2.5-pro"/' "$T/p.json" >"$T/p3.json"
refused "pipeline field 'model', pipeline field 'prompt'" "$T/p3.json" "$T/m.jsonl"
# limits only: accepted, and nothing left to do
sed 's/"concurrency":4/"concurrency":9,"rpm":600/' "$T/p.json" >"$T/p4.json"
expect_rc 0 "$GEMBATCH" run "$T/p4.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q -j 3
[ "$(ncreates "$T/emu.log")" = "$sent" ] || fail "a limits-only change sent requests"
# --shard 1/1 is every job, as no --shard is: accepted, nothing left to do
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q --shard 1/1
[ "$(ncreates "$T/emu.log")" = "$sent" ] || fail "--shard 1/1 sent requests"

# ---- synthetic and real answers apart
python3 "$ROOT/tests/bad-inputs/server.py" good >"$T/real.url" 2>/dev/null &
_pids="$_pids $!"
i=0; while [ ! -s "$T/real.url" ]; do i=$((i + 1)); [ $i -lt 100 ] || fail "server.py did not start"; sleep 0.05; done
real=$(head -n 1 "$T/real.url")
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --emulator -o "$T/syn" -q
python3 - "$T/syn" <<'PY'
import json, sys
d = sys.argv[1]
assert json.load(open(d + "/run.json")).get("synthetic") is True
assert all(json.loads(l).get("synthetic") is True for l in open(d + "/results.jsonl"))
PY
rc=0
GEMINI_API_KEY=k "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$real" -o "$T/syn" \
    --progress none 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "a real endpoint resumed a synthetic folder (exit $rc): $(cat "$T/err")"
grep -q "holds synthetic answers made by the emulator" "$T/err" || fail "$(cat "$T/err")"
# a real folder is not resumed with --emulator
GEMINI_API_KEY=k "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$real" -o "$T/realout" -q ||
    fail "run against the stand-in failed"
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --emulator -o "$T/realout" --progress none 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || fail "--emulator resumed a real folder (exit $rc): $(cat "$T/err")"
grep -q "holds answers of a real endpoint" "$T/err" || fail "$(cat "$T/err")"
grep -q '"synthetic"' "$T/realout/results.jsonl" && fail "real answers marked synthetic"
# an endpoint given by URL that turns out to be the emulator is refused before
# anything is sent (exit 2: one free GET says so), and stays refused when the
# same command is run again: the refusal must not leave the real folder
# marked synthetic
head -n 6 "$T/m.jsonl" >"$T/m6.jsonl"
GEMINI_API_KEY=k "$GEMBATCH" run "$T/p.json" "$T/m6.jsonl" --endpoint "$real" -o "$T/real3" -q ||
    fail "run against the stand-in failed"
head -n 8 "$T/m.jsonl" >"$T/m8.jsonl"
posts() { grep -c '"method":"POST"' "$T/emu.log" || true; }
before=$(posts)
for try in 1 2; do
    rc=0
    "$GEMBATCH" run "$T/p.json" "$T/m8.jsonl" --endpoint "$emu_URL" -o "$T/real3" --progress none \
        2>"$T/err" || rc=$?
    assert_eq "$(posts)" "$before" "try $try: creates sent before the refusal"
    [ "$rc" = 2 ] || fail "try $try: the emulator's answers joined a real folder (exit $rc): $(cat "$T/err")"
    grep -q "holds answers of a real endpoint, and .* is the gembatch emulator" "$T/err" ||
        fail "try $try: $(cat "$T/err")"
    python3 - "$T/real3" <<'PY' || fail "try $try: the real folder was marked or mixed"
import json, sys
d = sys.argv[1]
assert json.load(open(d + "/run.json")).get("synthetic") is not True, "run.json says synthetic"
lines = [json.loads(l) for l in open(d + "/results.jsonl")]
assert len(lines) == 6 and not any(l.get("synthetic") for l in lines), lines
PY
done
# a folder an older gembatch let mix both is refused either way, naming the counts
cp -r "$T/real3" "$T/mixed"
sed -n 1p "$T/syn/results.jsonl" | sed 's/"id":"i0"/"id":"extra"/' >>"$T/mixed/results.jsonl"
for how in "--emulator" "--endpoint $real"; do
    rc=0
    # shellcheck disable=SC2086
    GEMINI_API_KEY=k "$GEMBATCH" run "$T/p.json" "$T/m8.jsonl" $how -o "$T/mixed" --progress none \
        2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "a mixed folder was resumed with $how (exit $rc): $(cat "$T/err")"
    grep -q "mixes answers of a real endpoint (6 lines) with synthetic ones of the emulator (1 line)" \
        "$T/err" || fail "$(cat "$T/err")"
done
true
