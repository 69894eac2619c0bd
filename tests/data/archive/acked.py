#!/usr/bin/env python3
"""acked.py: every media file of a list reached the emulator intact, as the
job named after it.

usage: acked.py OUTDIR LIST [--log EMULOG] [--prefix P] [--min N]

LIST holds "name<TAB>sha256" lines (mkmedia.py's output). For each, the
results line whose id is P+name must exist and its text must acknowledge
"sha256:<hex>"; with --log, the emulator's log must show a media part with that
digest. Prints how many were checked; exits 1 on the first miss.
"""
import json, sys


def main():
    a = sys.argv[1:]
    out, lst = a[0], a[1]
    opt = lambda k, d=None: a[a.index(k) + 1] if k in a else d
    prefix, log, need = opt("--prefix", ""), opt("--log"), int(opt("--min", "1"))
    res = {}
    for l in open(out + "/results.jsonl"):
        o = json.loads(l)
        res[o["id"]] = o
    logged = set()
    if log:
        for l in open(log):
            for p in json.loads(l).get("parts", []):
                if p.get("sha256"):
                    logged.add(p["sha256"])
    n = 0
    for l in open(lst):
        name, sha = l.rstrip("\n").split("\t")
        r = res.get(prefix + name)
        if r is None:
            sys.exit(f"acked: no result for '{prefix + name}' (have {sorted(res)[:5]}...)")
        if "sha256:" + sha not in r.get("text", ""):
            sys.exit(f"acked: '{prefix + name}' answered without sha256:{sha}: {r.get('text', '')[:300]}")
        if log and sha not in logged:
            sys.exit(f"acked: the emulator's log has no part with sha256 {sha} ('{name}')")
        n += 1
    if n < need:
        sys.exit(f"acked: only {n} files listed, expected at least {need}")
    print(f"acked: {n} files acknowledged with their digests")


if __name__ == "__main__":
    main()
