# report-cli: gembatch report and run --report. Usage errors and folders that
# are not output folders exit 2; a run with failures gets a page whose errors
# section names the codes and the manifest lines; a torn line is left out,
# said on stderr and on the page, and exits 1; -o elsewhere links images back
# into OUTDIR; the page's mode is 0666 less the umask; no scratch file is
# left; memory does not grow with the run.
. "$(dirname "$0")/lib.sh"

# ---- usage -----------------------------------------------------------------------
expect_rc 2 "$GEMBATCH" report 2>"$T/err"
grep -q "no OUTDIR given" "$T/err" || fail "no OUTDIR: $(cat "$T/err")"
expect_rc 2 "$GEMBATCH" report "$T/nope" 2>"$T/err"
grep -q "give the output folder of a run" "$T/err" || fail "missing folder: $(cat "$T/err")"
mkdir "$T/empty"
expect_rc 2 "$GEMBATCH" report "$T/empty" 2>"$T/err"
grep -q "holds no results.jsonl, errors.jsonl or run.json" "$T/err" || fail "$(cat "$T/err")"
[ ! -e "$T/empty/report.html" ] || fail "a page for an empty folder"
"$GEMBATCH" report --help | grep -q -- "--max-rows N" || fail "--help lacks --max-rows"
"$GEMBATCH" run --help | grep -q -- "--report" || fail "run --help lacks --report"

# ---- a run with failures, --report -------------------------------------------------
start_emulator emu --fault 500=0.5 --seed 7
mkmedia "$T/media"
echo '{"name":"rep","model":"gemini-2.5-flash","prompt":"Look: {{what}}"}' >"$T/p.json"
i=0
while [ $i -lt 30 ]; do
    echo "{\"id\":\"job-$i\",\"vars\":{\"what\":\"thing $i\"}}"
    i=$((i + 1))
done >"$T/m.jsonl"
expect_rc 1 "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$T/out" \
    --max-attempts 1 --progress none --report 2>"$T/run.err"
grep -q "report in $T/out/report.html" "$T/run.err" || fail "run --report: $(cat "$T/run.err")"
python3 - "$T/out" <<'PY'
import html, json, re, sys
d = sys.argv[1]
page = open(d + "/report.html", encoding="utf-8").read()
run = json.load(open(d + "/run.json"))
errs = [json.loads(l) for l in open(d + "/errors.jsonl")]
assert errs, "the faults made no failure"
for k in ("counts.jobs", "counts.completed", "counts.failed", "tokens.total"):
    v = run
    for p in k.split("."):
        v = v[p]
    m = re.search(r'data-key="%s" data-value="([^"]+)"' % re.escape(k), page)
    assert m and float(m.group(1)) == v, (k, m and m.group(1), v)
assert '<section id="errors">' in page
assert ">500 INTERNAL<" in page, "no error group for the faults"
first = errs[0]
assert "m.jsonl:%d" % first["line"] in page, "the first failure's manifest line is not shown"
# every row of the table: results and failures
rows = re.search(r'"rows":\[\n(.*)\]\}</script>', page, re.S).group(1)
assert rows.count("\n") + 1 == len(errs) + run["counts"]["completed"], rows.count("\n")
PY
ls -a "$T/out" | grep -q -e '\.tmp-' -e 'spool' && fail "scratch files left in OUTDIR: $(ls -a "$T/out")"

# ---- a torn line; a page elsewhere ----------------------------------------------------
printf '{"id":"torn","status":"comp' >>"$T/out/results.jsonl"
mkdir "$T/pages"
expect_rc 1 "$GEMBATCH" report "$T/out" -o "$T/pages/r.html" 2>"$T/rep.err"
n=$(($(wc -l <"$T/out/results.jsonl") + 1))
grep -q "results.jsonl:$n: not JSON (a torn line?); left out of the report" "$T/rep.err" ||
    fail "torn line not reported: $(cat "$T/rep.err")"
grep -q "not JSON (a torn line?); left out." "$T/pages/r.html" || fail "torn line not on the page"

# images are linked from the page's folder back into OUTDIR
mkdir -p "$T/img/images/a"
cp "$T/media/img0.png" "$T/img/images/a/0.png"
echo '{"id":"a","status":"completed","files":["images/a/0.png"],"latency_ms":3}' >"$T/img/results.jsonl"
"$GEMBATCH" report "$T/img" -o "$T/pages/i.html" -q
grep -q 'src="../img/images/a/0.png"' "$T/pages/i.html" || fail "image link from elsewhere"
"$GEMBATCH" report "$T/img" -q
grep -q 'src="images/a/0.png"' "$T/img/report.html" || fail "image link beside OUTDIR"

# ---- the umask decides the page's mode, as it does every other output's ----------------
# (it was 0644 whatever the umask: a 077 run had private results and a public page)
o=$T/umask
rc=0
(umask 077 && "$GEMBATCH" run "$T/p.json" "$T/m.jsonl" --endpoint "$emu_URL" -o "$o" \
    --max-attempts 1 --progress none -q --report) || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "run --report under umask 077 exited $rc"
for f in results.jsonl run.json report.html; do
    m=$(stat -c %a "$o/$f")
    [ "$m" = 600 ] || fail "$f is $m after run --report under umask 077, expected 600"
done
(umask 077 && "$GEMBATCH" report "$o" -o "$T/pages/u.html" -q) || [ $? = 1 ] ||
    fail "report -o under umask 077"
m=$(stat -c %a "$T/pages/u.html")
[ "$m" = 600 ] || fail "report -o FILE under umask 077 made it $m, expected 600"
(umask 002 && "$GEMBATCH" report "$o" -q) || [ $? = 1 ] || fail "report under umask 002"
m=$(stat -c %a "$o/report.html")
[ "$m" = 664 ] || fail "report.html rewritten under umask 002 is $m, expected 664"
ls -a "$o" "$T/pages" | grep -q '\.tmp-' && fail "scratch files left: $(ls -a "$o" "$T/pages")"

# ---- answer fields: a score with a few values is a bar each; a boolean its counts ----
mkdir -p "$T/fields/out"
python3 - "$T/fields/out" <<'PY'
import json, sys
with open(sys.argv[1] + "/results.jsonl", "w") as f:
    for i in range(50):
        out = {"confidence": [0, 0.25, 0.5, 0.75, 1][i % 5], "ok": i % 3 == 0, "price": i * 1.5}
        f.write(json.dumps({"id": "j%d" % i, "status": "completed", "output": out,
                            "latency_ms": 10 + i, "attempts": 1}) + "\n")
PY
"$GEMBATCH" report "$T/fields/out" -q || fail "report of the fields run"
python3 - "$T/fields/out/report.html" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
def card(name):
    m = re.search(r'<figure class="card"><figcaption><code>%s</code>(.*?)</figure>' % name, page, re.S)
    assert m, name + ": no card"
    return m.group(1)
c = card("confidence")
bars = re.findall(r"<g><title>([^<]*)</title>", c)
assert bars == ["0: 10", "0.25: 10", "0.5: 10", "0.75: 10", "1: 10"], bars
b = card("ok")
assert re.findall(r"<g><title>([^<]*)</title>", b)[:2] == ["true: 17", "false: 33"], b[:400]
p = card("price")  # 50 distinct values: a histogram, every answer in a bin
assert "hbars" not in p, "50 distinct prices drawn as bars"
PY
[ $? -eq 0 ] || fail "answer field charts"

# ---- memory does not grow with the run ---------------------------------------------------
mkrun() {
    python3 - "$1" "$2" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
labels = ["cat", "dog", "bird", "fish"]
with open(d + "/results.jsonl", "w") as f:
    for i in range(n):
        f.write('{"id":"job-%07d","status":"completed","output":{"label":"%s","score":%d,'
                '"note":"free text number %d"},"usage":{"total_tokens":%d},"attempts":1,'
                '"latency_ms":%d,"finished_at":%d.%03d}\n'
                % (i, labels[i % 4], i % 97, i, 300 + i % 50, 100 + i % 900, 1764000000 + i // 500, i % 1000))
PY
}
mkrun "$T/small" 20000
mkrun "$T/large" 100000
peak_rss_kb "$T/rss.small" "$GEMBATCH" report "$T/small" -q
peak_rss_kb "$T/rss.large" "$GEMBATCH" report "$T/large" -q --max-rows 20000
small=$(cat "$T/rss.small")
large=$(cat "$T/rss.large")
note "peak RSS: 20,000 jobs $small KiB, 100,000 jobs $large KiB"
if [ -z "${GEMBATCH_SAN:-}" ]; then # ASan's quarantine holds freed memory: no figure to check
    [ "$large" -lt 65536 ] || fail "100,000 jobs took $large KiB"
    [ $((large - small)) -lt 8192 ] || fail "memory grew with the run: $small KiB -> $large KiB"
fi
grep -q "an even sample of 20,000 of the 100,000 jobs" "$T/large/report.html" || fail "no sample note"
stop_emulator emu
