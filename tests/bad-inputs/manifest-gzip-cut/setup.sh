#!/bin/sh
set -eu
# a 3,000-line gzip manifest cut at 60 % of its compressed bytes
python3 - <<'PY'
import gzip, json
raw = "".join(json.dumps({"id": "g%d" % i, "input": "question %d %s" % (i, "abcdefghij" * (i % 7))}) + "\n"
              for i in range(3000)).encode()
z = gzip.compress(raw, mtime=0)
open("input.jsonl.gz", "wb").write(z[: len(z) * 6 // 10])
PY
