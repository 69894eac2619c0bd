#!/bin/sh
# docs-architecture: docs/architecture.md names every source file in src/
# (a new file adds a line there), and the engine and emulator keep their
# layering (scripts/callgraph: no call circle, nothing calls into run.c),
# and so do the files split from one (merge, archive, mediainfo, cache).
. "$(dirname "$0")/lib.sh"
doc=$ROOT/docs/architecture.md
missing=""
for f in "$ROOT"/src/*.c "$ROOT"/src/*.h "$ROOT"/src/util/*.c; do
    n=$(basename "$f")
    grep -q "\b$n\b" "$doc" || missing="$missing $n"
done
[ -z "$missing" ] || fail "docs/architecture.md does not name:$missing"
objdir=$(dirname "$GEMBATCH")/obj
if [ -d "$objdir" ] && ls "$objdir"/run.o >/dev/null 2>&1; then
    python3 "$ROOT/scripts/callgraph" --objdir "$objdir" --top run --top merge --top archive \
        --top mediainfo --top cache_admin run emu_ merge archive mediainfo cache >"$T/graph.txt" ||
        { cat "$T/graph.txt" >&2; fail "the call graph breaks the layering"; }
else
    note "no objects beside $GEMBATCH: call graph not checked"
fi
