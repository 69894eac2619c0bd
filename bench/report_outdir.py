#!/usr/bin/env python3
"""report_outdir.py OUTDIR N (bench/report.sh, `make bench-report`): an output folder of N classify-images jobs in the exact
shape `gembatch run` writes (copied from a real emulator run of
pipelines/classify-images.json, with and without --fault): results.jsonl
(id, status, interaction_id, model, output{category, confidence,
dominant_colors, contains_text, caption}, text, usage, cost_usd, service_tier,
attempts, latency_ms, synthetic, finished_at), errors.jsonl (2%: 500 INTERNAL,
422 SCHEMA_VIOLATION with errors[] and text, 429 RESOURCE_EXHAUSTED) and a
run.json whose counts/tokens/latency/cost/totals match the lines."""
import json, random, sys, time

out, n = sys.argv[1], int(sys.argv[2])
import os
os.makedirs(out, exist_ok=True)
rnd = random.Random(18)
CATS = ["food", "landscape", "building", "texture", "vehicle", "animal", "person", "document"]
CW = [20, 18, 15, 10, 12, 14, 8, 3]
COLS = ["grey", "purple", "blue", "white", "brown", "red", "green", "pink", "black", "yellow"]
WORDS = ("stone island olive zephyr bridge amber lantern prairie meadow canyon reef timber summit "
         "cedar coral shore raven thistle silver sage maple pebble willow winter hazel copper beacon").split()
t0 = 1764000000.0
span = n / 300.0  # ~300 jobs/s
lat, tok_in, tok_out, cost, comp, fail, att, http = {}, 0, 0, 0.0, 0, 0, 0, {"200": 0}
reqs = 0


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


with open(out + "/results.jsonl", "w") as R, open(out + "/errors.jsonl", "w") as E:
    for i in range(n):
        jid = "img-%07d" % i
        t = t0 + span * i / n + rnd.random()
        o = {"category": rnd.choices(CATS, CW)[0], "confidence": rnd.choice([0, 0.25, 0.5, 0.75, 1]),
             "dominant_colors": rnd.sample(COLS, rnd.randint(1, 3)),
             "contains_text": rnd.random() < 0.3,
             "caption": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 9))).capitalize() + "."}
        txt = json.dumps(o, separators=(",", ":"))
        ti, to = 347, 30 + rnd.randint(0, 12)
        usd = round(ti * 3e-7 + to * 2.5e-6, 10)
        a = 1 if rnd.random() < 0.93 else rnd.choice([2, 2, 3])
        att += a
        reqs += a
        if a > 1:
            http["429"] = http.get("429", 0) + a - 1
        r = rnd.random()
        if r < 0.02:
            k = i % 3
            if k == 0:
                line = {"id": jid, "status": "failed", "error": {"code": 500, "status": "INTERNAL",
                        "message": "HTTP 500 INTERNAL: An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"},
                        "attempts": 6, "requests": 6, "input": "jobs.jsonl", "line": i + 1, "finished_at": iso(t)}
                http["500"] = http.get("500", 0) + 6
            elif k == 1:
                o["contains_text"] = "true"
                line = {"id": jid, "status": "failed", "error": {"code": 422, "status": "SCHEMA_VIOLATION",
                        "message": "the answer does not match the response_format schema after 2 re-asks"},
                        "attempts": a, "requests": a, "cost_usd": usd, "interaction_id": "ix_%020x" % i,
                        "errors": [{"instance_path": "/contains_text", "schema_path": "/properties/contains_text/type",
                                    "message": "expected boolean, got string"}],
                        "text": json.dumps(o, separators=(",", ":")), "input": "jobs.jsonl", "line": i + 1,
                        "finished_at": iso(t)}
                cost += usd
                http["200"] += 1
            else:
                line = {"id": jid, "status": "failed", "error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                        "message": "HTTP 429 RESOURCE_EXHAUSTED: Resource has been exhausted (e.g. check quota)."},
                        "attempts": 6, "requests": 6, "input": "jobs.jsonl", "line": i + 1, "finished_at": iso(t)}
                http["429"] = http.get("429", 0) + 6
            E.write(json.dumps(line, separators=(",", ":")) + "\n")
            fail += 1
            continue
        ms = max(1, int(rnd.lognormvariate(6.5, 0.6)))
        lat[ms] = lat.get(ms, 0) + 1
        line = {"id": jid, "status": "completed", "interaction_id": "ix_%020x" % i, "model": "gemini-2.5-flash",
                "output": o, "text": txt,
                "usage": {"total_input_tokens": ti, "total_output_tokens": to, "total_tokens": ti + to},
                "cost_usd": usd, "service_tier": "standard", "attempts": a, "latency_ms": ms,
                "synthetic": True, "finished_at": iso(t)}
        R.write(json.dumps(line, separators=(",", ":")) + "\n")
        http["200"] += 1
        comp += 1
        tok_in += ti
        tok_out += to
        cost += usd

rows = sorted(lat.items())
ns = sum(v for _, v in rows)


def q(p):
    acc = 0
    for ms, v in rows:
        acc += v
        if acc >= p * ns:
            return float(ms)
    return 0.0


led = {"requests": reqs, "unknown": 0, "usd": round(cost, 7)}
run = {
    "cost": {"by_kind": {"first": led}, "by_model": {"gemini-2.5-flash": led}, "by_tier": {"standard": led},
             "in_doubt_worst_usd": 0.0, "priced_requests": reqs, "prices": "built-in",
             "total_usd": round(cost, 7), "unknown_requests": 0},
    "counts": {"attempts": att, "bad_responses": 0, "completed": comp, "continuations": 0,
               "damaged_lines": {"errors": 0, "journal": 0, "results": 0}, "duplicates": 0, "failed": fail,
               "http": http, "in_doubt": 0, "in_doubt_from_previous_run": 0, "interrupted": 0, "jobs": n,
               "lines": n, "network_errors": 0, "not_written": 0, "other_shards": 0, "polls": 0, "reasks": 0,
               "reasks_fixed": 0, "restarted_from_previous_run": {"answered_requests": 0, "jobs": 0},
               "retries": att - n, "schema_violations": 0, "shed": 0, "skipped": {"by_reason": {}, "total": 0},
               "skipped_done": 0, "timeouts": 0, "tool_calls": 0, "tool_failures": 0, "torn_lines_dropped": 0,
               "unreadable_inputs": 0},
    "ended": iso(t0 + span + 1)[:19] + "Z", "inputs": ["jobs.jsonl"],
    "latency_ms": {"histogram_us": [[ms * 1000, v] for ms, v in rows], "max": float(rows[-1][0]),
                   "p50": q(.5), "p95": q(.95), "p99": q(.99), "samples": ns},
    "options": {"api_version": "v1beta", "concurrency": 32, "emulator": True, "endpoint": "embedded emulator",
                "max_attempts": 6, "reask": 2, "rpm": 0, "stream": False, "timeout_s": 60.0, "tpm": 0},
    "pipeline": {"digest": "0226f28fb67899f60a0d71cf9e8b0dcadbc4714864c0d25faa83943e5c300955",
                 "name": "classify-images", "path": "pipelines/classify-images.json"},
    "run_id": "r18measure%06d" % (n % 1000000), "started": iso(t0)[:19] + "Z",
    "status": "some_failed" if fail else "completed", "synthetic": True,
    "tokens": {"input": tok_in, "output": tok_out, "thought": 0, "total": tok_in + tok_out},
    "totals": {"attempts": att, "completed": comp, "cost_usd": round(cost, 7), "failed": fail, "runs": 1,
               "tokens": {"input": tok_in, "output": tok_out, "thought": 0, "total": tok_in + tok_out},
               "unpriced_requests": 0},
    "version": "0.1.0", "wall_s": span + 1}
with open(out + "/run.json", "w") as f:
    json.dump(run, f, indent=2, sort_keys=True)
