# readme-examples: README.md's examples cannot rot (nor docs/pipelines.md's
# JSON). Every ```sh block of the README runs, in order, in a scratch folder
# holding copies of pipelines/ and samples/, with `gembatch` on the PATH and,
# for the commands meant for the real API, a local emulator as the endpoint
# (GEMINI_BASE_URL, the environment form of --endpoint) and a throwaway key. A
# block whose first line is a comment saying "not run by
# tests/integration/readme-examples.sh" is skipped (the README shows the
# marker). In the quick start, `make demo` runs scripts/demo into the scratch
# folder and `make test` is skipped (this test is part of it). Every ```json
# block must parse (as one value, or as JSONL), and a pipeline among them must
# load. Every "gembatch: ..." line quoted in a ```text block must be a message
# the binary can print: it has to match one of the binary's own format
# strings. The man page renders without warnings and names every run option.
. "$(dirname "$0")/lib.sh"
README="$ROOT/README.md"
W="$T/work"
mkdir -p "$W" "$T/bin" "$T/blocks"
cp -R "$ROOT/pipelines" "$ROOT/samples" "$W/"
ln -s "$GEMBATCH" "$T/bin/gembatch"
start_emulator emu

# ---- extract the blocks --------------------------------------------------------
python3 - "$T/blocks" "$README" "$ROOT/docs/pipelines.md" <<'PY'
import json, os, re, sys
out, docs = sys.argv[1], sys.argv[2:]
MARK = "not run by tests/integration/readme-examples.sh"
n_sh = n_skip = n_json = n_text = 0
for d, doc in enumerate(docs):
    where = os.path.relpath(doc, os.path.dirname(docs[0]))
    lines = open(doc).read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if m:
            lang, start, body = m.group(1), i + 1, []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append((lang, start + 1, body))   # the line number of the first body line
        i += 1
    for k, (lang, at, body) in enumerate(blocks):
        name = f"{out}/{d}{k:03d}-L{at}"
        if lang == "sh" and d == 0:
            if body and body[0].startswith("#") and MARK in body[0]:
                n_skip += 1
                continue
            script = []
            for l in body:
                if re.fullmatch(r"make demo\s*(#.*)?", l):
                    l = 'DEMO_OUT="$PWD/out/demo" "$ROOT/scripts/demo"'
                elif re.fullmatch(r"make test\s*(#.*)?", l):
                    l = ": make test: this test is part of it"
                elif re.match(r"\s*(sudo |make |apt-get )", l):
                    sys.exit(f"{where}:{at}: a block that runs '{l.strip()}' needs the '{MARK}' marker")
                script.append(l)
            open(name + ".sh", "w").write("\n".join(script) + "\n")
            n_sh += 1
        elif lang == "json":
            text = "\n".join(body)
            try:
                values = [json.loads(text)]
            except ValueError:
                try:
                    values = [json.loads(l) for l in body if l.strip()]
                except ValueError as e:
                    sys.exit(f"{where}:{at}: a json block that is neither JSON nor JSONL: {e}")
            for v in values:
                if isinstance(v, dict) and "name" in v and ({"model", "agent", "steps"} & set(v)):
                    json.dump(v, open(name + ".pipeline.json", "w"))
            n_json += 1
        elif lang == "text":
            msgs = [l for l in body if l.startswith("gembatch: ")]
            if msgs:
                open(name + ".messages", "w").write("\n".join(msgs) + "\n")
                n_text += 1
        elif d == 0 and lang != "console":
            sys.exit(f"{where}:{at}: a code block needs a language: sh (run), json (parsed), text or console")
print(f"readme-examples: {n_sh} sh blocks to run, {n_skip} marked not run, "
      f"{n_json} json blocks, {n_text} text blocks with messages", file=sys.stderr)
assert n_sh >= 10, "the README lost its examples"
PY

# ---- run the sh blocks, in order, in one folder --------------------------------
for b in "$T"/blocks/*.sh; do
    at=$(basename "$b" .sh | sed 's/.*-L//')
    note "README.md:$at"
    rc=0
    (cd "$W" && PATH="$T/bin:$PATH" GEMINI_BASE_URL="$emu_URL" GEMINI_API_KEY=readme-test-key \
        ROOT="$ROOT" GEMBATCH="$GEMBATCH" timeout 120 sh -eu "$b" </dev/null >"$b.out" 2>&1) || rc=$?
    if [ "$rc" != 0 ]; then
        sed 's/^/    | /' "$b" >&2
        tail -n 30 "$b.out" >&2
        fail "the example at README.md:$at exited with status $rc"
    fi
done
# what the examples say they produce
[ -s "$W/out/photos/results.jsonl" ] || fail "README example: no out/photos/results.jsonl"
[ -s "$W/out/demo/generate-images/results.jsonl" ] || fail "README quick start: no demo results"
check_outputs "$W/out/merged" --manifest "$W/samples/images.jsonl" --all-ok
check_outputs "$W/out/faults" --manifest "$W/samples/images.jsonl" --all-ok
grep -q '"valid":true' "$T"/blocks/*.out || fail "the validate example printed no verdict"

# ---- json blocks: a pipeline shown in the docs loads ------------------------------
# (copied into pipelines/, so its {"$file": "schemas/..."} resolve as they would there)
: >"$T/empty.jsonl"
for p in "$T"/blocks/*.pipeline.json; do
    [ -e "$p" ] || continue
    cp "$p" "$W/pipelines/doc-example.json"
    "$GEMBATCH" run "$W/pipelines/doc-example.json" "$T/empty.jsonl" --dry-run -o "$T/dry" \
        >/dev/null 2>"$T/dry.err" || fail "the pipeline at $(basename "$p") does not load: $(cat "$T/dry.err")"
done

# ---- quoted messages are ones the binary prints ------------------------------------
strings -n 6 "$GEMBATCH" >"$T/strings.txt"
cat "$T"/blocks/*.messages >"$T/messages.txt"
python3 - "$T/strings.txt" "$T/messages.txt" <<'PY'
import re, sys
SPEC = re.compile(r"%[-+ #0]*(\*|\d+)?(\.(\*|\d+))?(hh|h|ll|l|z|j|t|L)?([diouxXeEfgGcsp%])")
def to_regex(fmt):
    out, pos, literal = [], 0, 0
    for m in SPEC.finditer(fmt):
        out.append(re.escape(fmt[pos:m.start()]))
        literal += m.start() - pos
        c = m.group(5)
        out.append({"%": "%", "s": ".*", "c": "."}.get(c, r"[-+0-9.eE]+" if c in "eEfgG" else r"-?[0-9a-fA-F]+"))
        pos = m.end()
    out.append(re.escape(fmt[pos:]))
    literal += len(fmt) - pos
    return "".join(out), literal
formats = []
for s in open(sys.argv[1], errors="replace").read().split("\n"):
    rx, literal = to_regex(s)
    if literal >= 20:                   # "%s: %s" and the like would match anything
        formats.append(re.compile(rx + r"$"))
bad = []
for msg in open(sys.argv[2]).read().splitlines():
    text = re.sub(r"^gembatch: (warning: )?", "", msg)
    # the summary's lines carry their own "gembatch:   " in the format
    if not any(f.search(text) or f.search(msg) for f in formats):
        bad.append(msg)
assert not bad, "README quotes messages gembatch does not print:\n  " + "\n  ".join(bad)
print(f"readme-examples: {len(open(sys.argv[2]).read().splitlines())} quoted messages found in the binary",
      file=sys.stderr)
PY

# ---- the man page renders cleanly and knows every run option ----------------------
MAN="$ROOT/docs/gembatch.1"
if command -v groff >/dev/null 2>&1; then
    groff -man -ww -z "$MAN" 2>"$T/groff.err"
    [ ! -s "$T/groff.err" ] || fail "docs/gembatch.1: $(cat "$T/groff.err")"
fi
"$GEMBATCH" run --help | grep -o -- '--[a-z][a-z-]*' | sort -u | while read -r opt; do
    [ "$opt" = --help ] && continue
    grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$MAN" || fail "docs/gembatch.1 lacks run's $opt"
done
for c in run validate emulate merge get delete; do
    grep -q "^\.B gembatch $c\$" "$MAN" || fail "docs/gembatch.1 lacks 'gembatch $c'"
    grep -q "gembatch $c" "$ROOT/README.md" || fail "README.md never shows 'gembatch $c'"
done
# the README's table of ready pipelines lists every one of them
for p in "$ROOT"/pipelines/*.json; do
    grep -q "](pipelines/$(basename "$p"))" "$ROOT/README.md" || fail "README.md does not list $(basename "$p")"
done
