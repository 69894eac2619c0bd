#!/bin/sh
set -eu
# generated here, never committed
{ cat head.jsonl
  python3 -c 'import sys; sys.stdout.write("{\"id\":\"big\",\"input\":\"" + "x" * (100 << 20) + "\"}\n")'
  cat tail.jsonl; } >input.jsonl
