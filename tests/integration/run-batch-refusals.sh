# run-batch-refusals: what the Batch API cannot express is refused before
# anything is sent (exit 2, the feature named): agents, steps after the
# first, tools answered by local programs, a generation_config field or a
# tool type the Batch API has no form for; the pipeline's own "mode" counts
# as --mode. --mode auto sends such a pipeline online instead. Then `gembatch
# batches` get, cancel and delete, and a run whose batch was deleted.
. "$(dirname "$0")/lib.sh"
export GEMINI_API_KEY=k
start_emulator emu --log "$T/emu.log"
cd "$T"
printf '{"id":"a","vars":{"topic":"tides","w":"x"}}\n' >m.jsonl
refused() { # refused WHAT PIPELINE [ARGS...]
    what=$1 p=$2
    shift 2
    rc=0
    "$GEMBATCH" run "$p" m.jsonl --endpoint "$emu_URL" -o out -q "$@" 2>err || rc=$?
    [ "$rc" = 2 ] || fail "$p was not refused in Batch Mode (exit $rc): $(cat err)"
    grep -q "cannot run in Batch Mode: the Batch API cannot express $what" err ||
        fail "$p: the refusal does not name $what: $(cat err)"
    [ ! -s emu.log ] || fail "$p: requests were sent before the refusal"
    [ ! -e out/results.jsonl ] || fail "$p: results were written"
}
refused "an agent" "$ROOT/pipelines/deep-research.json" --mode batch
refused "steps after the first" "$ROOT/pipelines/extract-then-verify.json" --mode batch
refused "function tools answered by local programs" "$ROOT/pipelines/convert-expenses.json" --mode batch
echo '{"name":"tts","model":"gemini-2.5-flash","prompt":"Say {{w}}",
 "generation_config":{"temperature":0,"speech_config":{"voice":"Kore"}}}' >speech.json
refused "generation_config.speech_config" speech.json --mode batch
echo '{"name":"mcp","model":"gemini-2.5-flash","prompt":"Ask {{w}}",
 "tools":[{"type":"mcp_server","name":"wiki","url":"https://mcp.example/sse"}]}' >mcp.json
refused "a tool of type 'mcp_server'" mcp.json --mode batch
# the pipeline's "mode" is --mode's default
echo '{"name":"agent","agent":"deep-research-pro-preview-12-2025","prompt":"Research {{topic}}.",
 "mode":"batch"}' >agent.json
refused "an agent" agent.json
# --mode auto: all of it goes online, and says so
expect_rc 0 "$GEMBATCH" run speech.json m.jsonl --endpoint "$emu_URL" -o auto --mode auto 2>err
grep -q "every job of 'speech.json' goes online" err || fail "auto did not say it goes online: $(cat err)"
check_outputs auto --manifest m.jsonl --all-ok
grep -q '"path":"/v1beta/interactions"' emu.log || fail "auto sent nothing online"
if grep -q 'batchGenerateContent' emu.log; then fail "auto made a batch of what a batch cannot express"; fi

# ---- gembatch batches get, cancel, delete on a batch a run left running; a
# deleted batch's jobs are reported (BATCH_DELETED), not waited for forever
start_emulator slow --batch-time 600000
echo '{"name":"b","model":"gemini-2.5-flash","prompt":"Say {{w}}"}' >b.json
expect_rc 5 "$GEMBATCH" run b.json m.jsonl --endpoint "$slow_URL" -o bout --mode batch -q
"$GEMBATCH" batches list --json --endpoint "$slow_URL" >list.jsonl || fail "batches list"
name=$(python3 -c "
import json
bs = [json.loads(l) for l in open('list.jsonl')]
assert len(bs) == 1, bs
print(bs[0]['name'])")
"$GEMBATCH" batches get "$name" --endpoint "$slow_URL" >got.json || fail "batches get"
python3 -c "
import json
d = json.load(open('got.json'))
s = d.get('metadata', d).get('state') or d.get('state')
assert s in ('BATCH_STATE_PENDING', 'BATCH_STATE_RUNNING', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING'), d" ||
    fail "a fresh batch is not pending or running: $(cat got.json)"
"$GEMBATCH" batches cancel "$name" --endpoint "$slow_URL" 2>err || fail "batches cancel: $(cat err)"
grep -q "asked to cancel $name" err || fail "cancel said: $(cat err)"
"$GEMBATCH" batches get "$name" --endpoint "$slow_URL" >got.json || fail "batches get after cancel"
grep -q 'CANCELLED' got.json || fail "not cancelled: $(cat got.json)"
"$GEMBATCH" batches delete "$name" --endpoint "$slow_URL" 2>err || fail "batches delete: $(cat err)"
grep -q "deleted $name (a delete may not stop a batch that is still running" err ||
    fail "delete said: $(cat err)"
rc=0
"$GEMBATCH" batches get "$name" --endpoint "$slow_URL" >/dev/null 2>err || rc=$?
[ "$rc" != 0 ] && grep -q "404" err || fail "a deleted batch is still there (exit $rc): $(cat err)"
# the run that made it reports its job, and a resume makes no second batch
rc=0
"$GEMBATCH" run b.json m.jsonl --endpoint "$slow_URL" -o bout --mode batch -q --batch-lost report 2>err || rc=$?
[ "$rc" = 1 ] || fail "the resume after a delete exited $rc: $(cat err)"
assert_eq "$(nlines bout/errors.jsonl)" 1 "error lines for the deleted batch's job"
grep -q '"BATCH_DELETED"' bout/errors.jsonl || fail "$(cat bout/errors.jsonl)"
grep -q "is gone" err || fail "the resume did not say the batch is gone: $(cat err)"

# ---- resumed days later: the part was uploaded, the run stopped before the
# create, and the uploaded file is gone by then (kept 48 hours): the part is
# uploaded again and made once, instead of failing on every resume
start_emulator later --batch-time 100 --log "$T/later.log"
head -n 1 m.jsonl >m1.jsonl
printf '{"id":"b","vars":{"w":"y"}}\n{"id":"c","vars":{"w":"z"}}\n' >>m1.jsonl
rc=0
GEMBATCH_TEST_CRASH=uploaded "$GEMBATCH" run b.json m1.jsonl --endpoint "$later_URL" -o lout \
    --mode batch -q 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "the run did not stop after the upload"
file=$(python3 -c "
import json
ev = [json.loads(l) for l in open('lout/batch/state.jsonl')]
up = [e['file'] for e in ev if e.get('ev') == 'uploaded']
assert len(up) == 1 and not any(e.get('ev') == 'created' for e in ev), ev
print(up[0])")
curl -s -o /dev/null -X DELETE -H 'x-goog-api-key: k' "$later_URL/v1beta/$file" || fail "delete $file"
expect_rc 0 "$GEMBATCH" run b.json m1.jsonl --endpoint "$later_URL" -o lout --mode batch --wait \
    --poll-interval 0.1 --progress none 2>err
grep -q "is gone (the Files API keeps a file 48 hours); uploading the part again" err ||
    fail "the resume did not say it uploads again: $(cat err)"
check_outputs lout --manifest m1.jsonl --all-ok
python3 - "$T/later.log" <<'PY'
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
made = [o for o in log if o["path"].endswith(":batchGenerateContent") and o["status"] == 200]
starts = [o for o in log if o["path"].startswith("/upload/") and o["upload"]["command"] == "start"]
assert len(made) == 1, made
assert len(starts) == 2, starts
PY
