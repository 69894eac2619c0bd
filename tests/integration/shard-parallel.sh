# shard-parallel: 4 shards run through GNU Parallel against one emulator
# (fixed --seed), then gembatch merge: the merged folder has exactly the id
# set of a single run and the same output, text and image bytes per id.
# Part A runs docs/scale-out.md's --sshloginfile recipe on local slots (':');
# part B, when rsync is installed, runs it on two "hosts" reached through a
# stand-in for ssh, so --basefile and --return really copy files.
. "$(dirname "$0")/lib.sh"
KEY=shard-key-not-secret
export GEMINI_API_KEY=$KEY
start_emulator emu --seed 7 --api-key "$KEY"
cat >"$T/p.json" <<'P'
{"name":"sharded","model":"gemini-2.5-flash","prompt":"Answer about {{what}}."}
P
python3 - "$T/m.jsonl" <<'PY'
import json, sys
schema = {"type": "object", "properties": {"label": {"type": "string", "enum": ["a", "b"]},
          "n": {"type": "integer", "minimum": 0, "maximum": 9}}, "required": ["label", "n"]}
with open(sys.argv[1], "w") as f:
    for i in range(240):
        if i % 8 == 0:
            o = {"id": f"img-{i}", "input": f"draw {i}", "response_modalities": ["IMAGE"]}
        elif i % 3 == 0:
            o = {"id": f"s/{i}", "input": f"classify {i}", "response_format": schema}
        else:
            o = {"id": f"t{i}", "vars": {"what": f"item {i}"}}
        f.write(json.dumps(o) + "\n")
PY
# compare OUT: same ids, outputs, texts and image bytes as $T/single
compare() {
    python3 - "$T/single" "$1" <<'PY'
import hashlib, json, os, sys
def load(d):
    out = {}
    for l in open(os.path.join(d, "results.jsonl")):
        r = json.loads(l)
        imgs = [hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
                for f in r.get("files", [])]
        out[r["id"]] = (json.dumps(r.get("output"), sort_keys=True), r.get("text"), r.get("files"), imgs)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert set(a) == set(b), (sorted(set(a) ^ set(b)))[:5]
diff = [k for k in a if a[k] != b[k]]
assert not diff, (diff[:3], a[diff[0]], b[diff[0]])
assert sum(1 for v in b.values() if v[3]) == 30, "image results"
print("compare: %d ids agree" % len(a), file=sys.stderr)
PY
}
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/single" -q
check_outputs "$T/single" --manifest "$T/m.jsonl" --all-ok --png

# ---- part A: the recipe on local job slots -----------------------------------
cd "$T"
printf ':\n' >"$T/hosts"
seq 1 4 | parallel --sshloginfile "$T/hosts" --jobs 4 --halt now,fail=1 \
    --basefile p.json --basefile m.jsonl --return out/shard-{} --cleanup \
    "'$GEMBATCH' run p.json m.jsonl --shard {}/4 -o out/shard-{} --endpoint '$emu_URL' -q" \
    2>"$T/parallel.err" || { cat "$T/parallel.err" >&2; fail "a shard failed"; }
for k in 1 2 3 4; do
    n=$(nlines "$T/out/shard-$k/results.jsonl")
    [ "$n" -gt 20 ] && [ "$n" -lt 100 ] || fail "shard $k has $n results: not a quarter"
done
expect_rc 0 "$GEMBATCH" merge out/shard-1 out/shard-2 out/shard-3 out/shard-4 -o out/all \
    --manifest m.jsonl
check_outputs "$T/out/all" --manifest "$T/m.jsonl" --all-ok --png
compare "$T/out/all"
# totals: counts and tokens add up to the single run's, every shard is listed
python3 - "$T/single/run.json" "$T/out/all/run.json" <<'PY'
import json, sys
s, m = (json.load(open(p)) for p in sys.argv[1:])
for k in ("jobs", "completed", "failed", "lines"):
    assert s["counts"][k] == m["counts"][k], (k, s["counts"][k], m["counts"][k])
assert m["counts"]["other_shards"] == 0, m["counts"]
assert s["tokens"] == m["tokens"], (s["tokens"], m["tokens"])
assert m["latency_ms"]["samples"] == 240, m["latency_ms"]
assert sorted(x["shard"]["k"] for x in m["merge"]["shards"]) == [1, 2, 3, 4]
assert m["pipeline"]["digest"] == s["pipeline"]["digest"]
assert m["merge"]["results"] == 240 and m["merge"]["duplicates"] == 0 and m["merge"]["missing"] == 0
PY
# the merged folder resumes like any output folder: nothing left to run
expect_rc 0 "$GEMBATCH" run p.json m.jsonl -o out/all --endpoint "$emu_URL" -q
python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['counts']; assert c['skipped_done']==240 and c['jobs']==0, c" "$T/out/all/run.json"

# ---- part B: two hosts behind a stand-in for ssh -----------------------------
command -v rsync >/dev/null 2>&1 || fail "rsync is missing (scripts/install-deps installs it)"
cat >"$T/fakessh" <<'EOF'
#!/bin/sh
# stands in for ssh: each host is a folder under $FAKESSH_ROOT, used as $HOME
while [ $# -gt 0 ]; do
    case "$1" in
    -[bcDeEFIiJLlmOopQRSWw]) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
    esac
done
host=${1#*@}; shift
[ "${1:-}" = "--" ] && shift
mkdir -p "$FAKESSH_ROOT/$host"
printf "%s %s\n" "$host" "$*" >>"$FAKESSH_ROOT/log"
# like sshd, give the remote side a HOME and a SHELL: GNU Parallel's remote
# worker runs the job with $SHELL, so without one the job never runs
cd "$FAKESSH_ROOT/$host" && HOME="$FAKESSH_ROOT/$host" SHELL=/bin/sh exec sh -c "$*"
EOF
chmod +x "$T/fakessh"
export FAKESSH_ROOT="$T/hosts.d"
printf '2/node-a\n2/node-b\n' >"$T/nodes"
printf '%s\n' "$KEY" >"$T/gemini.key"
mkdir "$T/b" && cp p.json m.jsonl gemini.key "$T/b/" && cd "$T/b"
# no key in the environment: the key file travels with --basefile
seq 1 4 | env -u GEMINI_API_KEY parallel --ssh "$T/fakessh" --sshloginfile "$T/nodes" \
    --halt now,fail=1 --basefile p.json --basefile m.jsonl --basefile gemini.key \
    --return out/shard-{} --cleanup \
    "'$GEMBATCH' run p.json m.jsonl --shard {}/4 -o out/shard-{} --api-key-file gemini.key --endpoint '$emu_URL' -q" \
    2>"$T/parallel-b.err" || { cat "$T/parallel-b.err" >&2; fail "a remote shard failed"; }
# every shard ran through the stand-in for ssh and came back with --return;
# which host took which is GNU Parallel's choice (2 slots each, so normally
# both), printed for the log
log="$FAKESSH_ROOT/log"
[ "$(grep -c ' GNU_Parallel_worker' "$log")" -eq 4 ] || fail "not 4 remote jobs: $(cut -c1-80 "$log")"
[ "$(grep -c -e '--sender .* \./shard-[1-4]$' "$log")" -eq 4 ] || fail "not 4 shards returned"
echo "remote jobs per host: $(grep ' GNU_Parallel_worker' "$log" | cut -d' ' -f1 | sort | uniq -c | tr -s ' \n' ' ')" >&2
[ ! -e "$FAKESSH_ROOT/node-a/gemini.key" ] || fail "--cleanup left the key file on a host"
for k in 1 2 3 4; do
    [ -s "out/shard-$k/results.jsonl" ] || { cat "$T/parallel-b.err" >&2; fail "shard $k did not come back"; }
done
expect_rc 0 "$GEMBATCH" merge out/shard-* -o out/all --manifest m.jsonl -q
check_outputs "$T/b/out/all" --manifest "$T/m.jsonl" --all-ok --png
compare "$T/b/out/all"
grep -rq "$KEY" "$T/out" "$T/b/out" "$T"/parallel*.err && fail "the key leaked into the outputs"
true
