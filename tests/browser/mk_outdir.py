#!/usr/bin/env python3
"""mk_outdir.py: a synthetic gembatch output folder (results.jsonl,
errors.jsonl, run.json, images/) for the report's tests, without sending a
request. Deterministic for a seed. The lines have the shape `gembatch run`
writes, plus the fields other work adds: "finished_at" (the engine hook for
throughput), "cost_usd" and "cached" on lines, and run.json's "cost" object
and counts.cache_hits.

  mk_outdir.py OUTDIR --jobs N [--fail-every K] [--images M] [--hostile]
               [--no-extras] [--seed S]

  --fail-every K  every K-th job fails (429, 500, 400 SCHEMA_VIOLATION in turn)
  --images M      the first M results carry a generated PNG under images/<id>/
  --hostile       ids, answers, errors and file paths that try to break out of
                  the page (script end tags, event handlers, javascript: links)
  --no-extras     no finished_at / cost_usd / cached / cost / cache_hits
"""
import argparse
import json
import os
import random
import struct
import zlib

LABELS = ["cat", "dog", "bird", "other", "fish"]
WEIGHTS = [50, 30, 10, 7, 3]
HOSTILE = [
    "</script><script>window.__pwned=1</script>",
    "<img src=x onerror=\"window.__pwned=2\">",
    "\"><svg onload=window.__pwned=3>",
    "<!-- <script>window.__pwned=4</script>",
    "line\u2028sep\u2029end & 'quotes'",
]


def png(w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def iso(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--jobs", type=int, required=True)
    ap.add_argument("--fail-every", type=int, default=0)
    ap.add_argument("--images", type=int, default=0)
    ap.add_argument("--hostile", action="store_true")
    ap.add_argument("--no-extras", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    extras = not a.no_extras
    os.makedirs(a.outdir, exist_ok=True)
    t0 = 1764000000.0
    span = max(60.0, a.jobs / 400.0)
    c = dict(jobs=a.jobs, completed=0, failed=0, attempts=0, retries=0, reasks=0, reasks_fixed=0,
             in_doubt=0, cache_hits=0)
    http = {}
    tok = dict(input=0, output=0, thought=0, total=0)
    lat = {}
    cost = dict(total=0.0, tier={"standard": 0.0, "flex": 0.0}, model={}, kind={"create": 0.0})
    res = open(os.path.join(a.outdir, "results.jsonl"), "w")
    err = open(os.path.join(a.outdir, "errors.jsonl"), "w")
    for i in range(a.jobs):
        jid = "job-%07d" % i
        if a.hostile and i < len(HOSTILE):
            jid = HOSTILE[i] + "-%d" % i
        t = t0 + span * i / max(1, a.jobs) + rnd.random() * 0.5
        attempts = 1 if rnd.random() < 0.9 else rnd.choice([2, 2, 3, 4])
        c["attempts"] += attempts
        c["retries"] += attempts - 1
        http["200"] = http.get("200", 0) + 1
        if attempts > 1:
            http["429"] = http.get("429", 0) + attempts - 1
        ms = int(rnd.lognormvariate(6.0, 0.5))
        lat[ms] = lat.get(ms, 0) + 1
        usd = round(0.00002 * (300 + rnd.randint(0, 60)), 8)
        tier = "flex" if i % 3 == 0 else "standard"
        if a.fail_every and i % a.fail_every == a.fail_every - 1:
            k = (i // a.fail_every) % 3
            code, status = [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (400, "SCHEMA_VIOLATION")][k]
            msg = "synthetic failure %d of job %s" % (k, jid)
            if a.hostile:
                msg += " " + HOSTILE[i % len(HOSTILE)]
            line = {"id": jid, "status": "failed",
                    "error": {"code": code, "status": status, "message": msg},
                    "attempts": attempts, "requests": attempts, "input": "jobs.jsonl", "line": i + 1}
            if extras:
                line["finished_at"] = iso(t)
            err.write(json.dumps(line, ensure_ascii=False) + "\n")
            c["failed"] += 1
            continue
        label = rnd.choices(LABELS, WEIGHTS)[0]
        out = {"label": label, "score": round(rnd.random(), 3), "flagged": rnd.random() < 0.2,
               "note": "synthetic note %d" % rnd.randint(0, 10**9)}
        if a.hostile and i < len(HOSTILE):
            out["note"] = HOSTILE[i]
            out["label"] = HOSTILE[(i + 1) % len(HOSTILE)]
        ti, to = rnd.randint(250, 400), rnd.randint(5, 40)
        line = {"id": jid, "status": "completed", "interaction_id": "ix_%016x" % i,
                "model": "gemini-2.5-flash", "output": out, "text": json.dumps(out),
                "usage": {"total_input_tokens": ti, "total_output_tokens": to, "total_tokens": ti + to},
                "attempts": attempts, "latency_ms": ms}
        reasks = 1 if rnd.random() < 0.03 else 0
        if reasks:
            line["reasks"] = 1
            c["reasks"] += 1
            c["reasks_fixed"] += 1
        if i < a.images:
            rel = "images/%s/0.png" % jid
            if a.hostile and i < len(HOSTILE):
                rel = "javascript:window.__pwned=9" if i == 0 else "../../etc/passwd"
            else:
                os.makedirs(os.path.join(a.outdir, "images", jid), exist_ok=True)
                with open(os.path.join(a.outdir, rel), "wb") as f:
                    f.write(png(48, 32, [(i * 53) % 256, (i * 97) % 256, 160]))
            line["files"] = [rel]
        if extras:
            line["finished_at"] = iso(t)
            cached = rnd.random() < 0.1
            if cached:
                line["cached"] = True
                c["cache_hits"] += 1
            else:
                line["cost_usd"] = usd
                cost["total"] += usd
                cost["tier"][tier] += usd
                cost["model"]["gemini-2.5-flash"] = cost["model"].get("gemini-2.5-flash", 0) + usd
                cost["kind"]["create"] += usd
        res.write(json.dumps(line, ensure_ascii=False) + "\n")
        c["completed"] += 1
        tok["input"] += ti
        tok["output"] += to
        tok["total"] += ti + to
    res.close()
    err.close()
    rows = sorted(lat.items())
    n = sum(v for _, v in rows)

    def q(p):
        k, acc = p * n, 0
        for ms, v in rows:
            acc += v
            if acc >= k:
                return float(ms)
        return float(rows[-1][0]) if rows else 0.0

    counts = {"lines": a.jobs, "jobs": c["jobs"], "completed": c["completed"], "failed": c["failed"],
              "skipped_done": 0, "duplicates": 0, "attempts": c["attempts"], "retries": c["retries"],
              "in_doubt": c["in_doubt"], "reasks": c["reasks"], "reasks_fixed": c["reasks_fixed"],
              "schema_violations": 0, "timeouts": 0, "network_errors": 0, "bad_responses": 0,
              "http": http}
    run = {"pipeline": {"name": "synthetic-classify", "path": "synthetic.json", "digest": "0" * 64},
           "inputs": ["jobs.jsonl"], "options": {"concurrency": 64},
           "started": iso(t0)[:19] + "Z", "ended": iso(t0 + span + 1)[:19] + "Z", "wall_s": span + 1,
           "status": "completed" if not c["failed"] else "some_failed", "counts": counts,
           "tokens": tok,
           "latency_ms": {"p50": q(0.5), "p95": q(0.95), "p99": q(0.99),
                          "max": float(rows[-1][0]) if rows else 0.0, "samples": n,
                          "histogram_us": [[ms * 1000, v] for ms, v in rows]},
           "version": "synthetic", "synthetic": True}
    if extras:
        counts["cache_hits"] = c["cache_hits"]
        run["cost"] = {"total_usd": round(cost["total"], 6),
                       "by_tier": {k: round(v, 6) for k, v in cost["tier"].items()},
                       "by_model": {k: round(v, 6) for k, v in cost["model"].items()},
                       "by_kind": {k: round(v, 6) for k, v in cost["kind"].items()},
                       "unknown_requests": 0, "complete": True}
    with open(os.path.join(a.outdir, "run.json"), "w") as f:
        json.dump(run, f, indent=1)


if __name__ == "__main__":
    main()
