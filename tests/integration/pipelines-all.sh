# pipelines-all: every ready pipeline in pipelines/ runs on its sample input
# (samples/index.tsv) against the emulator, in both API dialects, and its
# results are checked independently of gembatch's code: every job completed,
# every output is valid against the pipeline's schema (a checker written here
# in Python, which resolves $ref/$defs itself), every generated image decodes
# as PNG, every sample file reached the emulator intact (SHA-256 in its log),
# steps, tools and agents did what the pipeline says. Then `scripts/demo` runs
# them all on the embedded emulator and prints a row per pipeline.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
INDEX=samples/index.tsv

# ---- the catalogue: names unique, each pipeline has a sample, files exist ----
python3 - "$INDEX" <<'PY'
import glob, json, os, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
listed = [r[0] for r in rows]
files = sorted(os.path.basename(p)[:-5] for p in glob.glob("pipelines/*.json"))
assert sorted(listed) == files, f"samples/index.tsv lists {sorted(listed)}, pipelines/ has {files}"
names = {}
for f in files:
    p = json.load(open(f"pipelines/{f}.json"))
    assert p.get("name") == f, f"pipelines/{f}.json: name {p.get('name')!r} differs from its file name"
    names[p["name"]] = f
assert len(names) == len(files), "pipeline names are not unique"
for name, inp in rows:
    assert os.path.isfile(inp), f"{name}: sample input {inp} missing"
    if not inp.endswith(".jsonl"):
        continue                        # an archive: its entries are the jobs
    base = os.path.dirname(inp)
    for n, line in enumerate(open(inp), 1):
        o = json.loads(line)
        paths = list(o.get("files", []))
        inp_ = o.get("input")
        if isinstance(inp_, list):
            paths += [p["path"] for p in inp_ if isinstance(p, dict) and "path" in p]
        for p in paths:
            assert os.path.isfile(os.path.join(base, p)), f"{inp}:{n}: {p} missing"
# the committed samples stay small (the issue's budget)
total = sum(os.path.getsize(p) for p in glob.glob("samples/**/*", recursive=True) if os.path.isfile(p))
assert total < 1536 * 1024, f"samples/ holds {total} bytes"
print(f"catalogue: {len(files)} pipelines, samples {total // 1024} KiB")
PY

# verified-invoice.json repeats invoice.json's models (as Pydantic writes a
# model that nests another); they must not drift apart
python3 - <<'PY'
import json
inv = json.load(open("pipelines/schemas/invoice.json"))
ver = json.load(open("pipelines/schemas/verified-invoice.json"))
defs = inv.pop("$defs")
for k, v in defs.items():
    assert ver["$defs"][k] == v, f"verified-invoice.json $defs/{k} differs from invoice.json"
assert ver["$defs"]["Invoice"] == inv, "verified-invoice.json $defs/Invoice differs from invoice.json"
PY

# ---- the tool program answers correctly on its own ---------------------------
out=$(echo '{"amount": 100, "from_currency": "USD", "to_currency": "EUR", "date": "2025-05-06"}' |
    pipelines/tools/convert_currency.py)
py 'import json,sys; o=json.loads(sys.argv[1]); assert o["amount"]==88.67 and o["currency"]=="EUR" and o["rate_date"]=="2025-05", o' "$out"

# ---- run every pipeline on its sample, in both dialects ----------------------
start_emulator emu --log "$T/emu.log"
fast="--rpm 100000 --poll-interval 0.2"
grep -v '^#' "$INDEX" | while IFS='	' read -r name input; do
    [ -n "$name" ] || continue
    for v in v1beta v1; do
        # shellcheck disable=SC2086
        expect_rc 0 "$GEMBATCH" run "pipelines/$name.json" "$input" --endpoint "$emu_URL" \
            --api-version "$v" -o "$T/out-$v/$name" -q $fast </dev/null
    done
done

# ---- check the outputs with code independent of gembatch's -------------------
# (one Python process: its start-up is the slow part of this scenario)
python3 - "$T" "$INDEX" <<'PY'
import datetime, hashlib, json, os, re, struct, sys, tarfile, zlib
t, index = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(index) if l.strip() and not l.startswith("#")]

# -- a JSON Schema checker for the keywords our schemas use; anything else stops it
ANNOTATIONS = {"title", "description", "default", "examples", "$schema", "$id", "$comment"}
KNOWN = ANNOTATIONS | {"type", "enum", "const", "properties", "required", "additionalProperties",
    "items", "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "format", "anyOf", "oneOf", "allOf", "$ref", "$defs"}

def load(path):
    """a pipeline with {"$file": ...} replaced, as DESIGN.md says"""
    def walk(v, d):
        if isinstance(v, dict):
            if set(v) == {"$file"}:
                q = os.path.join(d, v["$file"])
                return walk(json.load(open(q)), os.path.dirname(q))
            return {k: walk(x, d) for k, x in v.items()}
        return [walk(x, d) for x in v] if isinstance(v, list) else v
    return walk(json.load(open(path)), os.path.dirname(path))

def resolve(root, ref):
    assert ref.startswith("#/"), f"non-local $ref {ref}"
    node = root
    for tok in ref[2:].split("/"):
        node = node[tok.replace("~1", "/").replace("~0", "~")]
    return node

def errors(root, s, v, at):
    if s is True:
        return []
    unknown = set(s) - KNOWN
    assert not unknown, f"checker does not know {sorted(unknown)}"
    errs = []
    if "$ref" in s:
        errs += errors(root, resolve(root, s["$ref"]), v, at)
    t_ = s.get("type")
    if t_ is not None:
        ok = False
        for ty in (t_ if isinstance(t_, list) else [t_]):
            ok |= {"null": v is None, "boolean": isinstance(v, bool),
                   "integer": (isinstance(v, int) and not isinstance(v, bool)) or
                              (isinstance(v, float) and v.is_integer()),
                   "number": isinstance(v, (int, float)) and not isinstance(v, bool),
                   "string": isinstance(v, str), "array": isinstance(v, list),
                   "object": isinstance(v, dict)}[ty]
        if not ok:
            return errs + [f"{at}: {v!r} is not of type {t_}"]
    if "enum" in s and v not in s["enum"]:
        errs.append(f"{at}: {v!r} not in {s['enum']}")
    if "const" in s and v != s["const"]:
        errs.append(f"{at}: {v!r} is not {s['const']!r}")
    for k in ("anyOf", "oneOf"):
        if k in s:
            n = sum(1 for sub in s[k] if not errors(root, sub, v, at))
            if n == 0 or (k == "oneOf" and n > 1):
                errs.append(f"{at}: {n} of {k} match")
    for sub in s.get("allOf", []):
        errs += errors(root, sub, v, at)
    if isinstance(v, dict):
        props = s.get("properties", {})
        errs += [f"{at}: missing {r}" for r in s.get("required", []) if r not in v]
        for k, x in v.items():
            if k in props:
                errs += errors(root, props[k], x, f"{at}.{k}")
            elif "additionalProperties" in s:
                ap = s["additionalProperties"]
                errs += [f"{at}: unexpected {k}"] if ap is False else errors(root, ap, x, f"{at}.{k}")
    if isinstance(v, list):
        if not s.get("minItems", 0) <= len(v) <= s.get("maxItems", float("inf")):
            errs.append(f"{at}: {len(v)} items")
        if "items" in s:
            for i, x in enumerate(v):
                errs += errors(root, s["items"], x, f"{at}[{i}]")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]: errs.append(f"{at}: {v} < minimum")
        if "maximum" in s and v > s["maximum"]: errs.append(f"{at}: {v} > maximum")
        if "exclusiveMinimum" in s and v <= s["exclusiveMinimum"]: errs.append(f"{at}: {v} <= exclusiveMinimum")
        if "exclusiveMaximum" in s and v >= s["exclusiveMaximum"]: errs.append(f"{at}: {v} >= exclusiveMaximum")
    if isinstance(v, str):
        if not s.get("minLength", 0) <= len(v) <= s.get("maxLength", float("inf")):
            errs.append(f"{at}: length {len(v)}")
        if "pattern" in s and not re.search(s["pattern"], v):
            errs.append(f"{at}: {v!r} does not match {s['pattern']}")
        if s.get("format") == "date":
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
                errs.append(f"{at}: {v!r} is not a date")
            else:
                try:
                    datetime.date.fromisoformat(v)
                except ValueError:
                    errs.append(f"{at}: {v!r} is not a date")
        elif "format" in s:
            raise AssertionError(f"checker does not know format {s['format']}")
    return errs

def png_ok(path):
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", path
    p, idat = 8, b""
    while p < len(d):
        n, ty = struct.unpack(">I4s", d[p:p + 8])
        c = d[p + 8:p + 8 + n]
        assert zlib.crc32(ty + c) & 0xffffffff == struct.unpack(">I", d[p + 8 + n:p + 12 + n])[0], path
        if ty == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", c[:10])
        idat += c if ty == b"IDAT" else b""
        p += 12 + n
    bpp = max(1, {0: 1, 2: 3, 4: 2, 6: 4}[ctype] * depth // 8)
    assert len(zlib.decompress(idat)) == h * (1 + w * bpp), f"{path}: pixel data does not match IHDR"

def jsonl(path):
    if not os.path.exists(path):
        return []
    data = open(path, "rb").read()
    assert not data or data.endswith(b"\n"), f"{path}: torn last line"
    return [json.loads(l) for l in data.splitlines()]

def manifest_ids(path):
    if tarfile.is_tarfile(path):        # an archive: one job per entry, id = its path
        return [m.name for m in tarfile.open(path) if m.isfile()]
    return [json.loads(l).get("id", f"line-{n}") for n, l in enumerate(open(path), 1) if l.strip()]

res = {}
for v in ("v1beta", "v1"):
    for name, inp in rows:
        out = f"{t}/out-{v}/{name}"
        errs = jsonl(out + "/errors.jsonl")
        assert not errs, f"{v} {name}: {json.dumps(errs[0])[:400]}"
        rs = jsonl(out + "/results.jsonl")
        ids = [r["id"] for r in rs]
        assert sorted(ids) == sorted(manifest_ids(inp)), f"{v} {name}: ids {ids}"
        assert all(r["status"] == "completed" for r in rs), f"{v} {name}: status"
        p = load(f"pipelines/{name}.json")
        schema = p["steps"][-1].get("response_format") if "steps" in p else p.get("response_format")
        with open(f"{t}/{name}.{v}.outputs", "w") as f:
            for r in rs:
                if schema is None:
                    assert "output" not in r and r["text"], r
                    continue
                e = errors(schema, schema, r["output"], f"{name}/{r['id']}")
                assert not e, f"{v}: {e[:5]}"
                f.write(json.dumps(r["output"]) + "\n")
        if schema is not None:
            json.dump(schema, open(f"{t}/{name}.schema.json", "w"))
        res[v, name] = {r["id"]: r for r in rs}

def run(v, name):
    return json.load(open(f"{t}/out-{v}/{name}/run.json"))
for v in ("v1beta", "v1"):
    # generate-images: one PNG per prompt, under images/<id>/
    g = res[v, "generate-images"]
    for r in g.values():
        assert r["files"] and all(f.startswith(f"images/{r['id']}/") for f in r["files"]), r
        for f in r["files"]:
            png_ok(f"{t}/out-{v}/generate-images/{f}")
    assert g["banner-wide"]["model"] == "gemini-3-pro-image-preview"   # a line's own model wins
    # deep-research: an agent, created in the background and polled to completion
    assert all(r["model"].startswith("deep-research-") and r["text"]
               for r in res[v, "deep-research"].values())
    assert run(v, "deep-research")["counts"]["polls"] >= 3
    # extract-then-verify: two steps, two models
    for r in res[v, "extract-then-verify"].values():
        assert [s["name"] for s in r["steps"]] == ["extract", "verify"], r
        assert [s["model"] for s in r["steps"]] == ["gemini-2.5-flash", "gemini-2.5-pro"], r
        assert "turns: " not in r["text"]
    # convert-expenses: every job had its function call answered by the program
    assert all(r.get("tool_turns", 0) >= 1 for r in res[v, "convert-expenses"].values())
    c = run(v, "convert-expenses")["counts"]
    assert c["tool_calls"] >= 5 and c["tool_failures"] == 0, c

# every sample media file reached the emulator byte for byte
want = {}
for root, _, files in os.walk("samples"):
    for f in files:
        p = os.path.join(root, f)
        if root != "samples":
            want[hashlib.sha256(open(p, "rb").read()).hexdigest()] = p
        elif tarfile.is_tarfile(p):
            for m in tarfile.open(p):
                if m.isfile():
                    data = tarfile.open(p).extractfile(m).read()
                    want[hashlib.sha256(data).hexdigest()] = f"{p}:{m.name}"
seen = {p.get("sha256") for l in open(t + "/emu.log") for p in json.loads(l).get("parts") or []}
missing = sorted(want[h] for h in want if h not in seen)
assert not missing, f"never reached the emulator: {missing}"
print(f"pipelines-all: {len(rows)} pipelines x 2 dialects checked; "
      f"{len(want)} sample files acknowledged by digest", file=sys.stderr)
PY

# gembatch's own validator agrees with the checker on every structured output
for s in "$T"/*.schema.json; do
    name=$(basename "$s" .schema.json)
    for v in v1beta v1; do
        expect_rc 0 "$GEMBATCH" validate -q "$s" "$T/$name.$v.outputs"
    done
done

# ---- the demo: every pipeline on the embedded emulator, one row each ---------
GEMBATCH="$GEMBATCH" DEMO_OUT="$T/demo" scripts/demo >"$T/demo.txt" 2>"$T/demo.err" ||
    { cat "$T/demo.txt" "$T/demo.err" >&2; fail "scripts/demo failed"; }
cat "$T/demo.txt" >&2
grep -v '^#' "$INDEX" | while IFS='	' read -r name input; do
    [ -n "$name" ] || continue
    # a row: pipeline, input, jobs, ok, failed, tokens, time; every job ok
    awk -v n="$name" '$1 == n && $3 > 0 && $4 == $3 && $5 == 0 && $6 > 0 { ok = 1 } END { exit !ok }' \
        "$T/demo.txt" || fail "demo row for $name is missing or shows failures"
    [ -s "$T/demo/$name/report.html" ] || fail "demo: no report.html for $name"
done
grep -q "PNG files under $T/demo/generate-images/images/" "$T/demo.txt" || fail "demo: no image note"
grep -q "^Reports: $T/demo/<pipeline>/report.html" "$T/demo.txt" || fail "demo: no line saying where the reports are"
