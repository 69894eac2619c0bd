# agent-poll: 200 deep-research agent jobs are created in the background and
# polled until they complete; the emulator's log shows each job's polls spaced
# by the growing backoff (never a busy loop). A kill while agents are being
# polled, then a resume, polls the same interactions: no new interaction is
# created (paid for) for a job already started. Polls take no rate tokens and
# never wait behind a rate-limited create; creates go before polls when both
# wait for an in-flight slot.
. "$(dirname "$0")/lib.sh"
start_emulator emu --background-polls 3 --log "$T/emu.log"
cat >"$T/p.json" <<'P'
{"name":"research","agent":"deep-research-pro-preview-12-2025","prompt":"Research {{topic}}.",
 "limits":{"concurrency":50}}
P
python3 -c "
import json
for i in range(200): print(json.dumps({'id': 'a%d' % i, 'vars': {'topic': 'topic %d' % i}}))" >"$T/m.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" -q \
    --poll-interval 0.2
check_outputs "$T/out" --manifest "$T/m.jsonl" --all-ok
python3 - "$T" <<'PY'
import json, sys, datetime, collections
t = sys.argv[1]
creates, polls = 0, collections.defaultdict(list)
for l in open(t + "/emu.log"):
    o = json.loads(l)
    ts = datetime.datetime.fromisoformat(o["ts"].replace("Z", "+00:00")).timestamp()
    if o["method"] == "POST" and o["path"].endswith("/interactions"):
        creates += 1
    elif o["method"] == "GET" and "/interactions/" in o["path"]:
        polls[o["path"]].append(ts)
assert creates == 200, creates
assert len(polls) == 200, len(polls)
for path, ts in polls.items():
    assert len(ts) == 4, (path, ts)           # 3 x in_progress, then completed
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    # the first wait is 0.2 s +-20%, then it grows x1.5: never a busy loop
    assert all(g >= 0.15 for g in gaps), (path, gaps)
# growth and jitter over all 200: the third wait averages 2.25x the first
# (a loaded machine adds the same delay to both, so 1.3x is a safe floor),
# and the first waits are not all alike
g1 = [b[1] - b[0] for b in polls.values()]
g3 = [b[3] - b[2] for b in polls.values()]
m1, m3 = sum(g1) / len(g1), sum(g3) / len(g3)
assert m3 > 1.3 * m1, (m1, m3)
sd = (sum((g - m1) ** 2 for g in g1) / len(g1)) ** 0.5
assert sd > 0.01, ("no jitter", sd)
print(f"agent-poll: mean waits {m1:.3f} s then {m3:.3f} s, jitter sd {sd:.3f} s", file=sys.stderr)
res = [json.loads(l) for l in open(t + "/out/results.jsonl")]
assert all(r["model"].startswith("deep-research") and r["text"] for r in res)
c = json.load(open(t + "/out/run.json"))["counts"]
assert c["polls"] == 800, c
PY
# kill while agents are being polled, then resume: no new creates for started jobs
start_emulator slow --background-polls 6 --log "$T/slow.log"
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$slow_URL" -o "$T/out2" -q --poll-interval 0.3 &
pid=$!
sleep 1.2
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
started=$(python3 -c "
import json
print(sum(1 for l in open('$T/slow.log') if json.loads(l)['method'] == 'POST'))")
[ "$started" -gt 0 ] || fail "no agent started before the kill"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$slow_URL" -o "$T/out2" -q \
    --poll-interval 0.2
check_outputs "$T/out2" --manifest "$T/m.jsonl" --all-ok
python3 - "$T" "$started" <<'PY'
import json, sys
t, started = sys.argv[1], int(sys.argv[2])
posts = [json.loads(l) for l in open(t + "/slow.log") if json.loads(l)["method"] == "POST"]
first_run = {p["interaction_id"] for p in posts[:started]}
res = {json.loads(l)["id"]: json.loads(l) for l in open(t + "/out2/results.jsonl")}
reused = sum(1 for r in res.values() if r["interaction_id"] in first_run)
# every job was created once over both runs, except those whose create was in
# flight at the kill (answered, never journaled): at most the concurrency
extra = len(posts) - 200
assert 0 <= extra <= 50, f"{extra} agents created twice"
assert reused == started - extra and reused > 0, (reused, started, extra)
assert len({r["interaction_id"] for r in res.values()}) == 200
print(f"agent-poll: {started} started before the kill, {reused} polled again, {extra} re-created")
PY
# a per-job deadline: an agent still running at its deadline is cancelled
# (so it stops spending) and the job fails with DEADLINE_EXCEEDED
start_emulator stuck --background-polls 1000 --log "$T/stuck.log"
head -n 3 "$T/m.jsonl" >"$T/m3.jsonl"
start=$(date +%s)
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m3.jsonl" --endpoint "$stuck_URL" -o "$T/out3" -q \
    --poll-interval 0.2 --deadline 1.5
[ $(($(date +%s) - start)) -lt 10 ] || fail "the deadline did not stop the polling"
check_outputs "$T/out3" --manifest "$T/m3.jsonl"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
errs = [json.loads(l) for l in open(t + "/out3/errors.jsonl")]
assert len(errs) == 3 and all(e["error"]["status"] == "DEADLINE_EXCEEDED" for e in errs), errs
assert all("cancelled" in e["error"]["message"] for e in errs), errs
cancels = [json.loads(l) for l in open(t + "/stuck.log") if json.loads(l)["path"].endswith("/cancel")]
assert len(cancels) == 3 and all(c["status"] == 200 for c in cancels), cancels
PY
# an agent the service reports failed: the job goes to errors.jsonl with the
# service's message, is not created again (each create may be billed), and
# a resume runs it again
start_emulator flaky --background-polls 2 --fault failed=0.3 --seed 3 --log "$T/flaky.log"
head -n 40 "$T/m.jsonl" >"$T/m40.jsonl"
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m40.jsonl" --endpoint "$flaky_URL" -o "$T/out4" -q \
    --poll-interval 0.1
check_outputs "$T/out4" --manifest "$T/m40.jsonl"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
errs = [json.loads(l) for l in open(t + "/out4/errors.jsonl")]
res = [json.loads(l) for l in open(t + "/out4/results.jsonl")]
assert 4 <= len(errs) <= 24 and len(errs) + len(res) == 40, (len(errs), len(res))
for e in errs:
    assert e["error"]["status"] == "FAILED", e
    assert "ended with status 'failed': The agent failed while working" in e["error"]["message"], e
log = [json.loads(l) for l in open(t + "/flaky.log")]
creates = [o for o in log if o["method"] == "POST" and o["path"].endswith("/interactions")]
failed = {o["interaction_id"] for o in creates if o["fault"] == "failed"}
assert len(creates) == 40 and len(failed) == len(errs), (len(creates), len(failed), len(errs))
assert {e["interaction_id"] for e in errs} == failed, "errors name the failed interactions"
PY
# the resume runs the failed ones again (new draws), and only them
rc=0
"$GEMBATCH" run "$T/p.json" "$T/m40.jsonl" --endpoint "$flaky_URL" -o "$T/out4" -q \
    --poll-interval 0.1 || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "resume exited $rc"
python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))['counts']
assert c['skipped_done'] + c['jobs'] == 40 and 4 <= c['jobs'] <= 24 and c['completed'] > 0, c" "$T/out4/run.json"

# polls take no rate tokens and never wait behind a create that does: with
# --rpm 20 the creates leave 3 s apart, and the first agent is polled (every
# 0.5 s or so) long before the second create leaves
start_emulator rpmemu --background-polls 2 --log "$T/rpmemu.log"
head -n 3 "$T/m.jsonl" >"$T/m3.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m3.jsonl" --endpoint "$rpmemu_URL" -o "$T/rpm" -q \
    --poll-interval 0.5 --rpm 20
python3 - "$T/rpmemu.log" <<'PY'
import json, sys
seq = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["method"] == "POST" and o["path"].endswith("/interactions"):
        seq.append("create")
    elif o["method"] == "GET" and "/interactions/" in o["path"]:
        seq.append("poll")
assert seq.count("create") == 3, seq
second = [i for i, s in enumerate(seq) if s == "create"][1]
assert "poll" in seq[:second], f"the first agent was not polled before the second create: {seq}"
print("rpm-limited creates, polls between them:", " ".join(seq), file=sys.stderr)
PY

# and the other way: polls never starve creates of the in-flight slots. With
# one slot (-j 1) and every answer 200 ms late, a poll is due while each later
# create waits; creates go first, so all five agents start before any poll
start_emulator slowemu --latency 200 --background-polls 3 --log "$T/slowemu.log"
head -n 5 "$T/m.jsonl" >"$T/m5.jsonl"
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m5.jsonl" --endpoint "$slowemu_URL" -o "$T/slot" -q \
    -j 1 --poll-interval 0.05
python3 - "$T/slowemu.log" <<'PY'
import json, sys
seq = ["create" if json.loads(l)["method"] == "POST" else "poll" for l in open(sys.argv[1])]
assert seq.count("create") == 5 and seq.count("poll") == 20, seq
assert seq[:5] == ["create"] * 5, f"a poll took the slot before every agent started: {seq}"
PY
