#!/usr/bin/env python3
"""check_outputs.py: checks an OUTDIR independently of gembatch's code.

usage: check_outputs.py OUTDIR [--manifest FILE]... [--all-ok] [--min-ok N]
                        [--schema FILE] [--png]

- every line of results.jsonl and errors.jsonl is whole JSON (no torn lines)
- no id appears twice, and no id is in both files (error lines with status
  DUPLICATE_ID report a repeated manifest line, not the job: they are apart)
- with --manifest: the ids of results + errors equal the manifests' ids
  ("id", else line-N), i.e. every job ended exactly once
- --all-ok: errors.jsonl is empty
- --schema FILE: every "output" in results is valid against FILE (a small
  independent checker: type, properties, required, enum, items, min/max)
- --png: every file listed in results decodes as PNG (CRCs, zlib, size)
"""
import json, os, struct, sys, zlib


def fail(msg):
    print("check_outputs: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def lines(path):
    if not os.path.exists(path):
        return []
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        fail(f"{path} ends with a torn line")
    out = []
    for i, l in enumerate(data.split(b"\n")[:-1], 1):
        try:
            out.append(json.loads(l))
        except Exception as e:
            fail(f"{path}:{i}: not JSON ({e})")
    return out


def manifest_ids(path):
    ids = []
    with open(path, "rb") as f:
        for n, l in enumerate(f, 1):
            if not l.strip():
                continue
            try:
                o = json.loads(l)
                ids.append(str(o["id"]) if isinstance(o, dict) and "id" in o else f"line-{n}")
            except Exception:
                ids.append(f"line-{n}")
    return ids


def check(schema, v, path="$"):
    if schema is True or schema is None:
        return
    t = schema.get("type")
    types = t if isinstance(t, list) else [t] if t else []
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
    if types:
        ok = False
        for ty in types:
            if ty == "null" and v is None: ok = True
            elif ty == "integer" and isinstance(v, int) and not isinstance(v, bool): ok = True
            elif ty == "number" and isinstance(v, (int, float)) and not isinstance(v, bool): ok = True
            elif ty in kinds and isinstance(v, kinds[ty]): ok = True
        if not ok:
            fail(f"{path}: {v!r} is not {types}")
    if "enum" in schema and v not in schema["enum"]:
        fail(f"{path}: {v!r} not in enum")
    if "const" in schema and v != schema["const"]:
        fail(f"{path}: {v!r} != const")
    if isinstance(v, dict):
        for r in schema.get("required", []):
            if r not in v:
                fail(f"{path}: missing {r}")
        for k, sub in schema.get("properties", {}).items():
            if k in v:
                check(sub, v[k], f"{path}.{k}")
        if schema.get("additionalProperties") is False:
            extra = set(v) - set(schema.get("properties", {}))
            if extra:
                fail(f"{path}: unexpected {sorted(extra)}")
    if isinstance(v, list):
        if "items" in schema:
            for i, e in enumerate(v):
                check(schema["items"], e, f"{path}[{i}]")
        if len(v) < schema.get("minItems", 0) or len(v) > schema.get("maxItems", 1 << 60):
            fail(f"{path}: {len(v)} items out of bounds")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in schema and v < schema["minimum"]: fail(f"{path}: {v} < minimum")
        if "maximum" in schema and v > schema["maximum"]: fail(f"{path}: {v} > maximum")
    if isinstance(v, str):
        if len(v) < schema.get("minLength", 0) or len(v) > schema.get("maxLength", 1 << 60):
            fail(f"{path}: length out of bounds")


def check_png(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: no PNG signature")
    p, idat, w = 8, b"", None
    while p < len(d):
        n, t = struct.unpack(">I4s", d[p:p + 8])
        c = d[p + 8:p + 8 + n]
        if zlib.crc32(t + c) & 0xffffffff != struct.unpack(">I", d[p + 8 + n:p + 12 + n])[0]:
            fail(f"{path}: bad CRC in {t}")
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", c[:10])
        if t == b"IDAT":
            idat += c
        p += 12 + n
    raw = zlib.decompress(idat)
    bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype]
    if w is None or len(raw) != h * (1 + w * bpp):
        fail(f"{path}: pixel data does not match IHDR")


def main():
    a = sys.argv[1:]
    out = a[0]
    manifests = [a[i + 1] for i, x in enumerate(a) if x == "--manifest"]
    res = lines(os.path.join(out, "results.jsonl"))
    errs = lines(os.path.join(out, "errors.jsonl"))
    dups = [e for e in errs if e.get("error", {}).get("status") == "DUPLICATE_ID"]
    errs = [e for e in errs if e.get("error", {}).get("status") != "DUPLICATE_ID"]
    for e in dups:
        if not e.get("input") or not (isinstance(e.get("line"), int) or e.get("entry")):
            fail(f"a DUPLICATE_ID line without its input and line or entry: {e}")
    if len({(e["id"], e["input"], e.get("line"), e.get("entry")) for e in dups}) != len(dups):
        fail("a DUPLICATE_ID line is written twice")
    rid = [r["id"] for r in res]
    eid = [e["id"] for e in errs]
    for name, ids in (("results", rid), ("errors", eid)):
        if len(ids) != len(set(ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            fail(f"duplicate ids in {name}.jsonl: {dup}")
    both = set(rid) & set(eid)
    if both:
        fail(f"ids in both results and errors: {sorted(both)[:5]}")
    if manifests:
        want = []
        for m in manifests:
            want += manifest_ids(m)
        got = set(rid) | set(eid)
        if got != set(want):
            missing = sorted(set(want) - got)[:5]
            extra = sorted(got - set(want))[:5]
            fail(f"id sets differ: missing {missing}, unexpected {extra}")
    if "--all-ok" in a and errs:
        fail(f"{len(errs)} errors, first: {json.dumps(errs[0])[:300]}")
    if "--min-ok" in a and len(res) < int(a[a.index("--min-ok") + 1]):
        fail(f"only {len(res)} results")
    if "--schema" in a:
        schema = json.load(open(a[a.index("--schema") + 1]))
        for r in res:
            if "output" not in r:
                fail(f"{r['id']}: no output")
            check(schema, r["output"], r["id"])
    if "--png" in a:
        n = 0
        for r in res:
            for f in r.get("files", []):
                check_png(os.path.join(out, f))
                n += 1
        print(f"check_outputs: {n} PNG files decode")
    print(f"check_outputs: ok: {len(res)} results, {len(errs)} errors"
          + (f", {len(dups)} duplicate-id lines" if dups else ""))


if __name__ == "__main__":
    main()
