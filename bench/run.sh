#!/bin/sh
# run.sh: `make bench`: gembatch against curl --parallel, the Node SDK and GNU
# Parallel + curl on the local emulator; prints a table and writes
# bench/results/latest.md. QUICK=1 for a short run; JOBS=N to change the size.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
for c in curl node parallel python3; do
    command -v "$c" >/dev/null 2>&1 || { echo "bench: '$c' is missing (scripts/install-deps)" >&2; exit 2; }
done
exec python3 "$root/bench/bench.py" "$@"
