#!/usr/bin/env python3
"""cache_fill.py DB N [--days D] [--prefix P]: put N answers into an answer cache that
gembatch created (run --cache DB), written the way the format says (results
and images tables, the row checksum, blobs by content hash in DB.blobs/), so
`gembatch cache` is tested against an independent writer. Row i is made
(N-1-i)*D/N days ago; every 4th row has an image, and the images repeat every
7 (dedup). Blobs get an mtime two hours old (past prune's grace period).
Prints one JSON line per row: key, created_at, text, image sha256 or null."""
import hashlib
import json
import os
import sqlite3
import sys
import time


def main():
    db, n = sys.argv[1], int(sys.argv[2])
    days = float(sys.argv[sys.argv.index("--days") + 1]) if "--days" in sys.argv else 20
    prefix = sys.argv[sys.argv.index("--prefix") + 1] if "--prefix" in sys.argv else "fill"
    con = sqlite3.connect(db)
    app = con.execute("PRAGMA application_id").fetchone()[0]
    if app != 0x47424348:
        sys.exit("cache_fill: %s is not a gembatch cache (application_id %x)" % (db, app))
    now = time.time()
    old = now - 7200
    blobs = db + ".blobs"
    for i in range(n):
        key = hashlib.sha256(("%s %d" % (prefix, i)).encode()).digest()
        created = now - (n - 1 - i) * days * 86400 / n
        text = "answer %d " % i + "x" * 300
        result = json.dumps({"status": "completed", "model": "gemini-2.5-flash",
                             "output": {"label": "cat", "n": i}, "text": text,
                             "usage": {"total_input_tokens": 300, "total_output_tokens": 12,
                                       "total_tokens": 312}}, separators=(",", ":"))
        images = []
        if i % 4 == 0:
            data = ("\x89PNG image %d " % (i % 7)).encode() * 50
            sha = hashlib.sha256(data).hexdigest()
            path = os.path.join(blobs, sha[:2], sha + ".png")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            os.utime(path, (old, old))
            images.append((sha, "png", len(data)))
        h = hashlib.sha256(result.encode())
        for (sha, ext, size) in images:
            h.update(("\n%s.%s:%d" % (sha, ext, size)).encode())
        cur = con.execute("INSERT INTO results (key, created_at, model, synthetic, cost_usd, "
                          "result, checksum, nimages) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
                          (key, created, "gemini-2.5-flash", 0.0001 * (i % 3) if i % 5 else None,
                           result, h.digest(), len(images)))
        for k, (sha, ext, size) in enumerate(images):
            con.execute("INSERT INTO images (rid, k, sha, ext, size) VALUES (?, ?, ?, ?, ?)",
                        (cur.lastrowid, k, bytes.fromhex(sha), ext, size))
        print(json.dumps({"key": key.hex(), "created_at": created, "text": text,
                          "image": images[0][0] if images else None}))
    con.commit()
    con.close()


main()
