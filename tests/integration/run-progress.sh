# run-progress: what a run says on stderr. A plain line every few seconds when
# stderr is not a terminal, a live bar on a terminal (a pty from script(1)),
# nothing with -q, and the end summary with counts, tokens and p50/p95/p99
# latency (the same figures as run.json). --emulator says results are synthetic.
. "$(dirname "$0")/lib.sh"
start_emulator emu --latency 150
echo '{"name":"progress","model":"gemini-2.5-flash","limits":{"concurrency":8}}' >"$T/p.json"
py "
import json
for i in range(360): print(json.dumps({'id': 'p%d' % i, 'input': 'question %d' % i}))" >"$T/m.jsonl"

# ---- plain: 360 jobs / 8 in flight / 150 ms take about 7 s: one line or more
"$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/plain" \
    --progress plain 2>"$T/plain.err" || fail "plain run failed: $(tail -n 3 "$T/plain.err")"
grep -Eq '^gembatch: [0-9]+/360 done, [0-9]+ ok, 0 failed, [0-9]+ in flight, [0-9]+ retrying, [0-9]+ req/s, ' \
    "$T/plain.err" || { cat "$T/plain.err" >&2; fail "no plain progress line"; }
python3 - "$T/plain.err" "$T/plain/run.json" <<'PY'
import json, re, sys
err = open(sys.argv[1]).read()
run = json.load(open(sys.argv[2]))
m = re.search(r"^gembatch: completed in [0-9.]+s: 360 jobs, 360 completed, 0 failed", err, re.M)
assert m, err
m = re.search(r"tokens (\S+) in, (\S+) out, (\S+) total; latency p50 (\d+) ms, p95 (\d+) ms, p99 (\d+) ms", err)
assert m, err
lat = run["latency_ms"]
p50, p95, p99 = (int(x) for x in m.groups()[3:])
for said, kept in ((p50, lat["p50"]), (p95, lat["p95"]), (p99, lat["p99"])):
    assert abs(said - kept) <= 1, (said, kept)
assert 150 <= p50 <= p95 <= p99, (p50, p95, p99)
def human(v):
    return "%.1fM" % (v / 1e6) if v >= 1e6 else "%.0fk" % (v / 1e3) if v >= 1e4 else "%d" % v
tok = run["tokens"]
assert m.groups()[:3] == (human(tok["input"]), human(tok["output"]), human(tok["total"])), (m.groups(), tok)
assert "\r" not in err and "\x1b" not in err, "plain progress drew a bar"
lines = [l for l in err.splitlines() if re.match(r"gembatch: \d+/360 done", l)]
done = [int(re.match(r"gembatch: (\d+)/", l).group(1)) for l in lines]
assert done == sorted(done), done          # progress only moves forward
print("plain: %d progress lines, summary p50 %d p95 %d p99 %d ms" % (len(lines), p50, p95, p99), file=sys.stderr)
PY

# ---- bar: on a terminal, redrawn in place with ETA, ended by the summary
command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
COLUMNS=200 script -q -e -c "'$GEMBATCH' run '$T/p.json' '$T/m.jsonl' --endpoint '$emu_URL' -o '$T/bar' --restart" \
    /dev/null >"$T/bar.tty" </dev/null || fail "bar run failed"
python3 - "$T/bar.tty" <<'PY'
import re, sys
tty = open(sys.argv[1], "rb").read().decode()
frames = re.findall(r"\r\[([#.]{20})\] (\d+)/360 done, [^\r\n]*?\x1b\[K", tty)
assert len(frames) >= 5, (len(frames), tty[:500])
assert any("ETA" in f for f in re.findall(r"\r\[[#.]{20}\][^\r\n]*", tty)), "no ETA"
fills = [f[0].count("#") for f in frames]
assert fills == sorted(fills) and fills[-1] == 20, fills
assert "completed in" in tty and "p99" in tty
# the rate is a moving one: never 0 once jobs end, and the last frame says
# the run's average (8 in flight / 150 ms: about 53 jobs a second)
rates = [int(x) for x in re.findall(r"(\d+) req/s", tty)]
assert rates and rates[-1] > 0, rates
print("bar: %d frames, last rate %d req/s" % (len(frames), rates[-1]), file=sys.stderr)
PY

# ---- the bar fits the terminal: fields go in a fixed order as it narrows,
# and a frame never wraps (it would scroll the screen at every redraw)
for cols in 80 60 40; do
    COLUMNS=$cols script -q -e -c "'$GEMBATCH' run '$T/p.json' '$T/m.jsonl' --endpoint '$emu_URL' -o '$T/bar$cols' -j 32" \
        /dev/null >"$T/bar$cols.tty" </dev/null || fail "bar run at $cols columns failed"
    python3 - "$T/bar$cols.tty" "$cols" <<'PY'
import re, sys
tty = open(sys.argv[1], "rb").read().decode()
cols = int(sys.argv[2])
frames = [f for f in re.split(r"[\r\n]", tty) if "/360 done" in f and "completed in" not in f]
assert frames, tty[:300]
for f in frames:
    shown = f.replace("\x1b[K", "")
    assert len(shown) < cols, (cols, len(shown), shown)
if cols >= 60:
    assert any("req/s" in f for f in frames), frames[-1]
print("bar at %d columns: %d frames, widest %d" % (cols, len(frames), max(len(f.replace("\x1b[K", "")) for f in frames)), file=sys.stderr)
PY
done

# ---- -q: not a word unless something is wrong
expect_rc 0 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/quiet" -q \
    --concurrency 64 2>"$T/quiet.err"
[ ! -s "$T/quiet.err" ] || fail "-q printed: $(head -n 3 "$T/quiet.err")"
check_outputs "$T/quiet" --manifest "$T/m.jsonl" --all-ok

# ---- --emulator: no key, no endpoint, and it says the results are synthetic
env -u GEMINI_API_KEY -u GOOGLE_API_KEY "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --emulator \
    -o "$T/emb" --progress none 2>"$T/emb.err" || fail "--emulator run failed"
grep -q 'embedded emulator at http://127\.0\.0\.1:[0-9]*: results are synthetic' "$T/emb.err" \
    || fail "--emulator did not say its results are synthetic: $(cat "$T/emb.err")"
check_outputs "$T/emb" --manifest "$T/m.jsonl" --all-ok
python3 -c "import json,sys; o=json.load(open(sys.argv[1]))['options']; assert o['emulator'] is True and o['endpoint']=='embedded emulator', o" "$T/emb/run.json"

# ---- a small run ends with its real rate, not 0 req/s
head -n 5 "$T/m.jsonl" >"$T/m5.jsonl"
COLUMNS=200 script -q -e -c "'$GEMBATCH' run '$T/p.json' '$T/m5.jsonl' --endpoint '$emu_URL' -o '$T/small'" \
    /dev/null >"$T/small.tty" </dev/null || fail "small bar run failed"
python3 - "$T/small.tty" <<'PY'
import re, sys
rates = [int(x) for x in re.findall(r"(\d+) req/s", open(sys.argv[1], "rb").read().decode())]
assert rates and rates[-1] > 0, rates
PY
