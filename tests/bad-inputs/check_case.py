#!/usr/bin/env python3
"""check_case.py CASEDIR: checks what one bad-inputs case left in CASEDIR
(stdout, stderr, out/) against its `expect` file, after the exit code has been
checked by tests/integration/bad-inputs.sh. Prints one line per failed check
and exits 1 if any failed. Regexes are Python's (re.search).

expect lines (# comments and blank lines ignored):
  rc N               exit code (checked by the caller)
  cmd ARGS...        gembatch arguments instead of `run pipeline.json input.jsonl`
  args ARGS...       more arguments (run gets -o out --endpoint URL --progress none)
  server MODE        answer with tests/bad-inputs/server.py MODE instead of the emulator
  heavy              skipped under valgrind
  needs-nonroot      skipped when run as root
  stderr RE          some line of stderr matches
  stdout RE          some line of stdout matches
  error ID RE        errors.jsonl has ID, and its error message matches
  errfield ID PATH RE  that line's field PATH (dotted, e.g. partial.text) matches
  results N          results.jsonl has N lines
  errors N           errors.jsonl has N lines
  absent PATH        PATH (relative to CASEDIR) does not exist
  lacks PATH RE      no file at or under PATH (relative to CASEDIR) matches RE
  check ARGS...      more arguments for tests/tools/check_outputs.py
  maxcpu SECS        the command used at most SECS of CPU (not under valgrind)
  maxrss MIB         the command's peak RSS was at most MIB (not under valgrind or
                     the sanitizers, whose shadow memory makes RSS meaningless)
Whatever the case, every errors.jsonl line must carry an error object with a
status and a non-empty message, in valid UTF-8."""
import json
import os
import re
import subprocess
import sys

case = sys.argv[1]
tools = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools")
bad = []


def text(name):
    try:
        return open(os.path.join(case, name), encoding="utf-8", errors="replace").read()
    except FileNotFoundError:
        return ""


def jsonl(name):
    p = os.path.join(case, "out", name)
    if not os.path.exists(p):
        return []
    out = []
    for n, line in enumerate(open(p, "rb"), 1):
        try:
            out.append(json.loads(line.decode("utf-8")))
        except Exception as e:  # torn, not JSON or not UTF-8
            bad.append(f"out/{name}:{n}: {e}")
    return out


errors = jsonl("errors.jsonl")
results = jsonl("results.jsonl")
by_id = {e.get("id"): e for e in errors}
check_args = []
for raw in open(os.path.join(case, "expect"), encoding="utf-8"):
    line = raw.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    key, _, rest = line.partition(" ")
    if key in ("stderr", "stdout"):
        if not re.search(rest, text(key), re.M):
            bad.append(f"{key} lacks /{rest}/; it has: {text(key)[:600]!r}")
    elif key == "error":
        id_, _, rx = rest.partition(" ")
        e = by_id.get(id_)
        msg = ((e or {}).get("error") or {}).get("message", "")
        if e is None:
            bad.append(f"no errors.jsonl line for '{id_}' (ids: {sorted(map(str, by_id))[:20]})")
        elif not re.search(rx, msg):
            bad.append(f"error of '{id_}' is {msg[:300]!r}, expected /{rx}/")
    elif key == "errfield":
        id_, path, rx = (rest.split(" ", 2) + ["", ""])[:3]
        v = by_id.get(id_)
        for k in path.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        if v is None or not re.search(rx, v if isinstance(v, str) else json.dumps(v)):
            bad.append(f"errors.jsonl '{id_}' {path} is {json.dumps(v)[:200]}, expected /{rx}/")
    elif key == "results":
        if len(results) != int(rest):
            bad.append(f"{len(results)} results, expected {rest}")
    elif key == "errors":
        if len(errors) != int(rest):
            bad.append(f"{len(errors)} errors, expected {rest}")
    elif key == "absent":
        if os.path.lexists(os.path.join(case, rest)):
            bad.append(f"'{rest}' exists")
    elif key == "lacks":
        where, _, rx = rest.partition(" ")
        top = os.path.join(case, where)
        files = [top] if os.path.isfile(top) else [
            os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
        for f in files:
            if re.search(rx.encode(), open(f, "rb").read()):
                bad.append(f"'{os.path.relpath(f, case)}' matches /{rx}/")
    elif key == "check":
        check_args += rest.split()
    elif key == "maxcpu":
        cpu = float(text("cpu") or "0")
        if os.environ.get("GEMBATCH_VALGRIND") != "1" and cpu > float(rest):
            bad.append(f"used {cpu:.2f} s of CPU, more than {rest}")
    elif key == "maxrss":
        rss = int(text("rss") or "0") / 1024
        plain = os.environ.get("GEMBATCH_VALGRIND") != "1" and not os.environ.get("GEMBATCH_SAN")
        if plain and rss > float(rest):
            bad.append(f"peak RSS {rss:.0f} MiB, more than {rest} MiB")
    elif key not in ("rc", "cmd", "args", "server", "heavy", "needs-nonroot"):
        bad.append(f"expect: unknown line {line!r}")

for e in errors:
    err = e.get("error")
    if not isinstance(err, dict) or not err.get("message") or not err.get("status"):
        bad.append(f"errors.jsonl line without an error status and message: {json.dumps(e)[:300]}")

if os.path.isdir(os.path.join(case, "out")):
    r = subprocess.run([sys.executable, os.path.join(tools, "check_outputs.py"),
                        os.path.join(case, "out")] + check_args, capture_output=True, text=True)
    if r.returncode:
        bad.append("check_outputs: " + (r.stderr + r.stdout).strip()[-600:])

for b in bad:
    print(b)
sys.exit(1 if bad else 0)
