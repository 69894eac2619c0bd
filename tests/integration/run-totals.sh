# run-totals: run.json's "totals" are the folder's figures across every run
# into it (runs, jobs completed and failed, attempts, tokens), not the last
# invocation's: a resume with nothing left keeps them, and a run killed with
# -9 before it could write them is counted from the journal it left, once.
. "$(dirname "$0")/lib.sh"
start_emulator emu --latency 40 --fault 500=0.15 --seed 3
echo '{"name":"totals","model":"gemini-2.5-flash","limits":{"concurrency":8}}' >"$T/p.json"
py "
import json
for i in range(300): print(json.dumps({'id': 't%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"

check_totals() { # check_totals DIR: totals equal what the files and the runs say
    python3 - "$@" <<'PY'
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/run.json"))
t = r["totals"]
res = [json.loads(l) for l in open(d + "/results.jsonl")]
errs = [json.loads(l) for l in open(d + "/errors.jsonl")]
assert t["completed"] == len(res), (t, len(res))
assert t["failed"] == len([e for e in errs if e["error"]["status"] != "DUPLICATE_ID"]), (t, len(errs))
want = json.loads(sys.argv[2])
for k, v in want.items():
    got = t["tokens"][k[4:]] if k.startswith("tok_") else t[k]
    assert got == v, (k, got, v, t)
PY
}
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q --max-attempts 8
a1=$(py "import json; r=json.load(open('$T/out/run.json')); print(json.dumps({'runs':1,'attempts':r['counts']['attempts'],'tok_total':r['tokens']['total'],'tok_input':r['tokens']['input']}))")
check_totals "$T/out" "$a1"
# nothing left: this run's counts are 0, the folder's totals stay
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q
a2=$(py "import json; a=json.loads('$a1'); a['runs']=2; print(json.dumps(a))")
check_totals "$T/out" "$a2"
py "import json; c=json.load(open('$T/out/run.json'))['counts']; assert c['jobs']==0 and c['attempts']==0, c"

# ---- killed twice, then finished: every request of every run counted once
for round in 1 2; do
    "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/k" -q --max-attempts 8 &
    pid=$!
    sleep 0.$((5 + round * 2))
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    cp "$T/k/journal.jsonl" "$T/journal$round.jsonl"
done
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/k" -q --max-attempts 8
want=$(python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
sends = tok = tin = 0
for j in ("journal1.jsonl", "journal2.jsonl"):
    for l in open(f"{t}/{j}", "rb"):
        try:
            o = json.loads(l)
        except ValueError:
            continue  # a torn last line
        if o.get("ev") == "send":
            sends += 1
        elif o.get("ev") == "use":
            tin += o["tok"][0]
            tok += o["tok"][2]
r = json.load(open(f"{t}/k/run.json"))
print(json.dumps({"runs": 3, "attempts": sends + r["counts"]["attempts"],
                  "tok_total": tok + r["tokens"]["total"], "tok_input": tin + r["tokens"]["input"]}))
PY
)
check_totals "$T/k" "$want"

# ---- a journal whose run id run.json does not name (a crash between
# writing run.json and emptying the journal) is not counted twice
cp "$T/k/run.json" "$T/run.json.saved"
py "
import json
p = '$T/k/run.json'
r = json.load(open(p)); r['status'] = 'running'; r['run_id'] = 'someone-else'
json.dump(r, open(p, 'w'))"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/k" -q
want2=$(py "import json; a=json.loads('$want'); a['runs']=4; print(json.dumps(a))")
check_totals "$T/k" "$want2"
