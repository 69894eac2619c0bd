# run-batch-refusals: what the Batch API cannot express is refused before
# anything is sent (exit 2, the feature named): agents, steps after the
# first, tools answered by local programs, a generation_config field or a
# tool type the Batch API has no form for; the pipeline's own "mode" counts
# as --mode. --mode auto sends such a pipeline online instead.
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
