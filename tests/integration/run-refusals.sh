# run-refusals: mistakes that would cost money are refused before anything is
# sent, with exit 2, a message naming the culprit, and no output folder: a
# tool program that does not exist or cannot run, --cacert that is missing or
# no PEM file, --emulator with --endpoint, an endpoint that ends in a version
# other than the one spoken. An endpoint that ends in the version spoken is
# used without it (a notice says so), for run, get and delete, from the flag
# and from GEMINI_BASE_URL.
. "$(dirname "$0")/lib.sh"
cd "$T"
start_emulator emu --log "$T/emu.log"
echo '{"id":"q1","input":"hello"}' >m.jsonl
mkdir -p pipes/bin
printf '#!/bin/sh\necho "{\\"ok\\":true}"\n' >pipes/bin/look.sh
chmod +x pipes/bin/look.sh
printf '#!/bin/sh\n' >pipes/bin/plain.sh
tool() { # tool FILE RUN: a pipeline with one function tool answered by RUN
    cat >"$1" <<P
{"name":"tools","model":"gemini-2.5-flash","tools":[{"type":"function","name":"look",
 "description":"look up","parameters":{"type":"object","properties":{}},"run":$2}]}
P
}
# refused: runs (and checks) name the tool and the program; no folder made
refused() { # refused WHAT-IN-MESSAGE ARGS...: exit 2, message, no out/, nothing sent
    _want=$1; shift
    _n0=$(nlines emu.log)
    _rc=0; "$GEMBATCH" run "$@" -o out >out.txt 2>err.txt || _rc=$?
    [ "$_rc" = 2 ] || fail "'$*' exited $_rc, expected 2: $(cat err.txt)"
    grep -qF -- "$_want" err.txt || fail "'$*': no '$_want' in: $(cat err.txt)"
    [ ! -e out ] || fail "'$*' made the output folder"
    assert_eq "$(nlines emu.log)" "$_n0" "requests sent by '$*'"
}
tool pipes/missing.json '["bin/nope.sh"]'
refused "/tools/0/run/0: tool 'look': program 'bin/nope.sh' ('pipes/bin/nope.sh') not found" \
    pipes/missing.json m.jsonl --endpoint "$emu_URL"
tool pipes/plain.json '["bin/plain.sh"]'
refused "program 'bin/plain.sh' ('pipes/bin/plain.sh') is not an executable file" \
    pipes/plain.json m.jsonl --endpoint "$emu_URL"
tool pipes/path.json '["gembatch-no-such-tool"]'
refused "program 'gembatch-no-such-tool' was not found on PATH" pipes/path.json m.jsonl \
    --endpoint "$emu_URL"
refused "program 'gembatch-no-such-tool' was not found on PATH" pipes/path.json m.jsonl --dry-run
# the program is resolved against the pipeline's folder, whatever the cwd: this one runs
tool pipes/good.json '["bin/look.sh"]'
(cd / && expect_rc 0 "$GEMBATCH" run "$T/pipes/good.json" "$T/m.jsonl" --endpoint "$emu_URL" \
    -o "$T/good" -q)

echo '{"name":"plain","model":"gemini-2.5-flash"}' >p.json
refused "--cacert 'nope.pem': No such file or directory" p.json m.jsonl --endpoint "$emu_URL" \
    --cacert nope.pem
refused "--cacert 'p.json' holds no PEM certificate" p.json m.jsonl --endpoint "$emu_URL" \
    --cacert p.json
refused "--emulator runs its own endpoint" p.json m.jsonl --emulator --endpoint "$emu_URL"
refused "ends in /v1, but requests use --api-version v1beta" p.json m.jsonl --endpoint "$emu_URL/v1"
refused "ends in /v1beta, but requests use --api-version v1" p.json m.jsonl \
    --endpoint "$emu_URL/v1beta" --api-version v1
refused "ends in /v1alpha, a version gembatch does not speak" p.json m.jsonl \
    --endpoint "$emu_URL/v1alpha/"
(GEMINI_BASE_URL=$emu_URL/v1 refused "GEMINI_BASE_URL '$emu_URL/v1' ends in /v1, but" p.json m.jsonl)

# the version spoken, already in the URL: used without it, with a notice
"$GEMBATCH" run p.json m.jsonl --endpoint "$emu_URL/v1beta/" -o s1 --progress none 2>err.txt ||
    fail "an endpoint ending in /v1beta: $(cat err.txt)"
grep -qF -- "--endpoint '$emu_URL/v1beta/' ends in /v1beta, which gembatch adds itself: using '$emu_URL'" err.txt ||
    fail "no notice: $(cat err.txt)"
GEMINI_BASE_URL=$emu_URL/v1 "$GEMBATCH" run p.json m.jsonl --api-version v1 -o s2 -q ||
    fail "GEMINI_BASE_URL ending in /v1 with --api-version v1"
iid=$(python3 -c "import json; print(json.loads(open('s1/results.jsonl').readline())['interaction_id'])")
expect_rc 0 "$GEMBATCH" get "$iid" --endpoint "$emu_URL/v1beta"
expect_rc 2 "$GEMBATCH" get "$iid" --endpoint "$emu_URL/v1"
python3 - emu.log <<'PY'
import json, sys
paths = [json.loads(l)["path"] for l in open(sys.argv[1])]
assert not any("/v1beta/v1beta" in p or "/v1/v1" in p for p in paths), paths
assert "/v1/interactions" in paths and "/v1beta/interactions" in paths, paths
PY

# get and delete: an empty id is a usage error; a bad --cacert is caught first
expect_rc 2 "$GEMBATCH" get "" --endpoint "$emu_URL"
expect_rc 2 "$GEMBATCH" delete "" --endpoint "$emu_URL"
"$GEMBATCH" get "$iid" --endpoint "$emu_URL" --cacert nope.pem 2>err.txt && fail "get with a missing --cacert"
grep -qF -- "--cacert 'nope.pem'" err.txt || fail "get --cacert: $(cat err.txt)"
# a key on the command line (where ps and shell history show it) is refused,
# and the refusal does not repeat it
for form in "--api-key AIzaCmdLineKey9" "--api-key=AIzaCmdLineKey9"; do
    rc=0
    # shellcheck disable=SC2086
    "$GEMBATCH" run p.json m.jsonl $form --endpoint "$emu_URL" -o keyout 2>err.txt || rc=$?
    [ "$rc" = 2 ] || fail "run $form: exit $rc"
    grep -q "unknown option '--api-key'" err.txt || fail "$(cat err.txt)"
    grep -q AIzaCmdLineKey9 err.txt && fail "the refusal prints the key"
    [ ! -e keyout ] || fail "run $form made its folder"
done
note "tools, --cacert, --emulator --endpoint, endpoint versions and --api-key refused up front"

# an endpoint's user:password works and is never stored or printed: run.json
# shows it redacted, and no output file holds the password
ep=$(printf '%s' "$emu_URL" | sed 's|^http://|http://scanner:hunter2pw@|')
expect_rc 0 "$GEMBATCH" run p.json m.jsonl --endpoint "$ep" -o upout --progress none 2>up.err
grep -q '"endpoint": *"http://REDACTED@127.0.0.1' upout/run.json ||
    fail "run.json endpoint: $(grep -o '"endpoint":[^,]*' upout/run.json)"
if grep -rq hunter2pw upout up.err; then fail "the endpoint's password was stored or printed"; fi
