#!/usr/bin/env python3
"""check_metrics.py FILE [--run-json RUN_JSON]: check a gembatch --metrics file
with a real Prometheus parser (python3-prometheus-client), independently of
gembatch's own code: every family has HELP and TYPE, every name has the
gembatch_ prefix, histogram buckets are cumulative and end at _count; with
--run-json, the figures equal run.json's counts and tokens.
Prints the parsed samples as JSON lines on stdout; exit 1 on a failed check,
3 when the parser is not installed."""
import json
import os
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # Debian's package lives in the system Python; another python3 first on
    # PATH (pyenv, a venv) does not see it
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
        os.execv(system, [system] + sys.argv)
    print("check_metrics: python3-prometheus-client is missing "
          "(scripts/install-deps installs it)", file=sys.stderr)
    sys.exit(3)


def fail(msg):
    print("check_metrics: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    args = sys.argv[1:]
    if not args:
        fail("usage: check_metrics.py FILE [--run-json RUN_JSON]")
    text = open(args[0], encoding="utf-8").read()
    helps, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            if name in helps:
                fail("HELP of %s given twice" % name)
            helps[name] = True
        elif line.startswith("# TYPE "):
            name = line.split(" ", 3)[2]
            if name in types:
                fail("TYPE of %s given twice" % name)
            types[name] = line.split(" ", 3)[3]
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser's own complaint is the point
        fail("the parser refused the file: %s" % e)
    values = {}
    for fam in families:
        if not fam.name.startswith("gembatch_"):
            fail("%s has no gembatch_ prefix" % fam.name)
        if fam.name not in types and fam.name + "_total" not in types:
            fail("%s has no TYPE line" % fam.name)
        if not fam.documentation:
            fail("%s has no HELP text" % fam.name)
        buckets = []
        for s in fam.samples:
            print(json.dumps({"name": s.name, "labels": s.labels, "value": s.value}))
            values.setdefault(s.name, []).append((s.labels, s.value))
            if s.name.endswith("_bucket"):
                buckets.append((float(s.labels["le"]), s.value))
        if fam.type == "histogram":
            if [b[0] for b in buckets] != sorted(b[0] for b in buckets):
                fail("%s: buckets out of order" % fam.name)
            counts = [b[1] for b in buckets]
            if counts != sorted(counts):
                fail("%s: buckets are not cumulative: %s" % (fam.name, counts))
            total = [v for (_, v) in values.get(fam.name + "_count", [])]
            if not buckets or buckets[-1][0] != float("inf") or total != [counts[-1]]:
                fail("%s: the +Inf bucket is not _count" % fam.name)
    if "--run-json" in args:
        run = json.load(open(args[args.index("--run-json") + 1]))
        compare(run, values)


def one(values, name, **labels):
    for (l, v) in values.get(name, []):
        if all(l.get(k) == want for k, want in labels.items()):
            return v
    fail("no sample %s%s" % (name, labels))


def compare(run, values):
    counts = run.get("counts", {})
    checks = [("completed", one(values, "gembatch_jobs", state="completed")
               + one(values, "gembatch_jobs", state="cached")),
              ("failed", one(values, "gembatch_jobs", state="failed"))]
    for key, got in checks:
        want = counts.get(key)
        if want is not None and want != got:
            fail("jobs %s: run.json says %s, the metrics %s" % (key, want, got))
    tokens = run.get("tokens", {})
    for kind in ("input", "output"):
        want = tokens.get(kind)
        got = sum(v for (l, v) in values.get("gembatch_tokens_total", [])
                  if l.get("kind") == kind)
        if want is not None and want != got:
            fail("%s tokens: run.json says %s, the metrics %s" % (kind, want, got))
    # requests by HTTP status, retries, re-asks, sheds: the same counts
    http = counts.get("http")
    if http is not None:
        got = {l["code"]: v for (l, v) in values.get("gembatch_requests_total", [])
               if l.get("code") != "none"}
        want = {str(k): v for k, v in http.items() if v}
        if {k: v for k, v in got.items() if v} != want:
            fail("requests by status: run.json says %s, the metrics %s" % (want, got))
    for key, name in (("retries", "gembatch_retries_total"), ("reasks", "gembatch_reasks_total"),
                      ("shed", "gembatch_shed_requests_total")):
        want = counts.get(key)
        if want is not None and want != one(values, name):
            fail("%s: run.json says %s, the metrics %s" % (key, want, one(values, name)))
    # cost: the metrics' models and tiers add up to run.json's ledger
    cost = run.get("cost", {})
    want = cost.get("total_usd")
    got = sum(v for (_, v) in values.get("gembatch_cost_usd_total", []))
    if want is not None and abs(want - got) > 1e-9:
        fail("cost: run.json says %s, the metrics %s" % (want, got))
    cache = run.get("cache")
    if cache:
        for key, name in (("served", "gembatch_cache_hits_total"),
                          ("misses", "gembatch_cache_misses_total")):
            if cache.get(key) is not None and cache[key] != one(values, name):
                fail("cache %s: run.json says %s, the metrics %s" % (key, cache[key], one(values, name)))
        saved = cache.get("saved_usd")
        if saved is not None and abs(saved - one(values, "gembatch_cache_saved_usd_total")) > 1e-9:
            fail("cache saved: run.json says %s, the metrics %s"
                 % (saved, one(values, "gembatch_cache_saved_usd_total")))


main()
