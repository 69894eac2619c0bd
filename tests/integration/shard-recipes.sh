# shard-recipes: the shipped recipes run here as their schedulers would run
# them: examples/slurm/gembatch-array.sbatch once per array task (with the
# variables Slurm sets), the container command of
# examples/k8s/gembatch-indexed-job.yaml once per completion index (with
# GEMBATCH_SHARDS from the manifest), then the merge line each recipe gives;
# the merged folders equal a single run, id by id.
. "$(dirname "$0")/lib.sh"
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_COUNT \
    SLURM_ARRAY_TASK_STEP JOB_COMPLETION_INDEX GEMBATCH_SHARDS 2>/dev/null || true
start_emulator emu --seed 11
export GEMINI_BASE_URL="$emu_URL"
mkdir "$T/bin" && ln -s "$GEMBATCH" "$T/bin/gembatch"
PATH="$T/bin:$PATH"
echo '{"name":"recipes","model":"gemini-2.5-flash"}' >"$T/pipeline.json"
python3 -c "
import json
for i in range(64): print(json.dumps({'id': 'r%d' % i, 'input': 'q %d' % i}))" >"$T/jobs.jsonl"
cd "$T"
expect_rc 0 gembatch run pipeline.json jobs.jsonl -o single -q
same_as_single() {
    python3 - single "$1" <<'PY'
import json, sys
def load(d):
    return {r["id"]: (r.get("output"), r.get("text")) for r in map(json.loads, open(d + "/results.jsonl"))}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a == b, sorted(set(a) ^ set(b))[:5] or [k for k in a if a[k] != b[k]][:3]
PY
}

# Slurm: sbatch --array=0-3 examples/slurm/gembatch-array.sbatch
SBATCH="$ROOT/examples/slurm/gembatch-array.sbatch"
grep -q '^#SBATCH --array=' "$SBATCH" || fail "the script sets no array"
for t in 0 1 2 3; do
    SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_COUNT=4 \
        SLURM_ARRAY_TASK_STEP=1 OUT=slurm sh "$SBATCH" 2>"$T/slurm-$t.log" \
        || { cat "$T/slurm-$t.log" >&2; fail "array task $t failed"; }
done
merge_line=$(sed -n "s/.*--wrap '\(gembatch merge [^']*\)'.*/\1/p" "$SBATCH")
[ -n "$merge_line" ] || fail "no merge line in the script"
merge_line=$(printf '%s' "$merge_line" | sed 's/out\//slurm\//g; s/--manifest/-q --manifest/')
sh -c "$merge_line" || fail "'$merge_line' failed"
check_outputs slurm/all --manifest jobs.jsonl --all-ok
same_as_single slurm/all
python3 -c "import json; assert json.load(open('slurm/all/run.json'))['options']['split'] == {'n': 4, 'k': [1, 2, 3, 4]}"

# Kubernetes: one pod per completion index, running the container's command
python3 -c "import yaml" 2>/dev/null || fail "python3-yaml is missing (scripts/install-deps installs it)"
YAML="$ROOT/examples/k8s/gembatch-indexed-job.yaml"
python3 - "$YAML" >"$T/k8s.env" <<'PY'
import shlex, sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
spec = job["spec"]
assert spec["completionMode"] == "Indexed"
c = spec["template"]["spec"]["containers"][0]
env = {e["name"]: e["value"] for e in c["env"]}
assert int(env["GEMBATCH_SHARDS"]) == spec["completions"], "GEMBATCH_SHARDS != completions"
assert c["command"][:2] == ["sh", "-c"]
merge = [l.split("#", 1)[1].strip() for l in open(sys.argv[1]) if "gembatch merge" in l][0]
print("COMPLETIONS=%d" % spec["completions"])
print("COMMAND=%s" % shlex.quote(c["command"][2]))
print("MERGE=%s" % shlex.quote(merge))
PY
. "$T/k8s.env"
mkdir -p data && cp pipeline.json jobs.jsonl data/
COMMAND=$(printf '%s' "$COMMAND" | sed "s|/data/|$T/data/|g")
MERGE=$(printf '%s' "$MERGE" | sed "s|/data/|$T/data/|g")
i=0
while [ "$i" -lt "$COMPLETIONS" ]; do
    JOB_COMPLETION_INDEX=$i GEMBATCH_SHARDS=$COMPLETIONS sh -c "$COMMAND -q" \
        || fail "pod $i failed"
    i=$((i + 1))
done
sh -c "$MERGE -q" || fail "'$MERGE' failed"
check_outputs data/out/all --manifest jobs.jsonl --all-ok
same_as_single data/out/all
