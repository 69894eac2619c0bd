# shard-auto: --shard auto reads the shard from Slurm array variables (MIN/MAX,
# COUNT, 0-based and 1-based ranges, steps, GEMBATCH_SHARDS) and from a
# Kubernetes Indexed Job's JOB_COMPLETION_INDEX with GEMBATCH_SHARDS: the Nth
# task runs exactly the jobs of --shard N/4, and the 4 tasks are disjoint and
# cover every id (merge finds no duplicate and no missing id).
. "$(dirname "$0")/lib.sh"
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX SLURM_ARRAY_TASK_COUNT \
    SLURM_ARRAY_TASK_STEP JOB_COMPLETION_INDEX GEMBATCH_SHARDS 2>/dev/null || true
start_emulator emu --seed 3
echo '{"name":"auto","model":"gemini-2.5-flash"}' >"$T/p.json"
python3 -c "
import json
for i in range(80): print(json.dumps({'id': 'a%d' % i, 'input': 'q %d' % i}))" >"$T/m.jsonl"
run() { "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -q "$@"; }
for k in 1 2 3 4; do
    expect_rc 0 run --shard "$k/4" -o "$T/ref/s$k"
done

# form NAME TASK... -- ENV...: task j (1st, 2nd, ...) gets the ENV with {} replaced by
# its task id; each task must be shard j/4, with the ids of --shard j/4
form() {
    name=$1; shift
    tasks=""
    while [ "$1" != "--" ]; do tasks="$tasks $1"; shift; done
    shift
    j=0
    for t in $tasks; do
        j=$((j + 1))
        envs=""
        for e in "$@"; do envs="$envs $(printf '%s' "$e" | sed "s/{}/$t/g")"; done
        # shellcheck disable=SC2086
        env $envs "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -q \
            --shard auto -o "$T/$name/s$j" || fail "$name: task $t exited $?"
    done
    python3 - "$T" "$name" <<'PY' || fail "$name: the tasks are not shards 1..4 of 4"
import json, sys
t, name = sys.argv[1:]
ids = lambda d: sorted(json.loads(l)["id"] for l in open(d + "/results.jsonl"))
for j in (1, 2, 3, 4):
    d = "%s/%s/s%d" % (t, name, j)
    s = json.load(open(d + "/run.json"))["options"]["shard"]
    assert s == {"k": j, "n": 4}, (j, s)
    assert ids(d) == ids("%s/ref/s%d" % (t, j)), j
PY
    expect_rc 0 "$GEMBATCH" merge "$T/$name"/s1 "$T/$name"/s2 "$T/$name"/s3 "$T/$name"/s4 \
        -o "$T/$name/all" --manifest "$T/m.jsonl" -q
    check_outputs "$T/$name/all" --manifest "$T/m.jsonl" --all-ok
}
# sbatch --array=0-3
form slurm-0-3 0 1 2 3 -- SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3
# sbatch --array=1-4
form slurm-1-4 1 2 3 4 -- SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4
# COUNT alone (0-based), and COUNT with a 1-based range
form slurm-count 0 1 2 3 -- SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_COUNT=4
form slurm-count-1 1 2 3 4 -- SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_COUNT=4 \
    SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=4
# sbatch --array=1-7:2 (ids 1 3 5 7)
form slurm-step 1 3 5 7 -- SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=7 \
    SLURM_ARRAY_TASK_STEP=2
# GEMBATCH_SHARDS gives the count when the array says nothing of it
form slurm-shards 10 11 12 13 -- SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_MIN=10 GEMBATCH_SHARDS=4
# Kubernetes Indexed Job: JOB_COMPLETION_INDEX is 0-based
form k8s 0 1 2 3 -- JOB_COMPLETION_INDEX={} GEMBATCH_SHARDS=4

# mistakes stop before anything is sent (exit 2) and say what to set
auto_err() {
    want=$1; shift
    _rc=0
    env "$@" "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -q --shard auto \
        -o "$T/bad" 2>"$T/err" || _rc=$?
    assert_eq "$_rc" 2 "exit status for $*"
    grep -q -- "$want" "$T/err" || { cat "$T/err" >&2; fail "no '$want' for $*"; }
    [ ! -e "$T/bad/results.jsonl" ] || fail "something ran for $*"
}
auto_err "SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX" GEMBATCH_SHARDS=4
auto_err "GEMBATCH_SHARDS" JOB_COMPLETION_INDEX=0
auto_err "not one of 4 shards" JOB_COMPLETION_INDEX=4 GEMBATCH_SHARDS=4
auto_err "not one of 4 shards" SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 \
    SLURM_ARRAY_TASK_MAX=7 SLURM_ARRAY_TASK_STEP=2
expect_rc 2 run --shard 5/4 -o "$T/bad"
expect_rc 2 run --shard 0/4 -o "$T/bad"
