#!/bin/sh
# a manifest whose first bytes are an MP3 frame sync (libmagic calls it
# audio/mpeg): written here, as binary junk is not committed
set -eu
printf '\377\373\220\144garbage\n{"id":"a","input":"x"}\n{"id":"b","input":"y"}\n' >input.jsonl
