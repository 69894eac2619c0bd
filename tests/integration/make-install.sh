# make-install: `make install PREFIX=...` puts the binary, the man page and the
# price table (share/gembatch/prices/gemini.json) where they belong (DESTDIR
# staging too), and the installed binary runs.
# Installs the binary under test ($GEMBATCH) without rebuilding it.
. "$(dirname "$0")/lib.sh"
b=$(cd "$(dirname "$GEMBATCH")" && pwd)
inst() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$ROOT" -o "$b/gembatch" \
    BUILD="$b" install "$@" >"$T/make.out" 2>&1 || { cat "$T/make.out" >&2; fail "make install $*"; }; }
inst PREFIX="$T/prefix"
[ -x "$T/prefix/bin/gembatch" ] || fail "no $T/prefix/bin/gembatch"
cmp -s "$GEMBATCH" "$T/prefix/bin/gembatch" || fail "the installed binary is not the one built"
grep -q '^\.TH GEMBATCH 1' "$T/prefix/share/man/man1/gembatch.1" || fail "no man page installed"
[ "$(stat -c %a "$T/prefix/share/man/man1/gembatch.1")" = 644 ] || fail "man page mode"
cmp -s "$ROOT/prices/gemini.json" "$T/prefix/share/gembatch/prices/gemini.json" \
    || fail "the price table is not installed"
"$T/prefix/bin/gembatch" prices --prices "$T/prefix/share/gembatch/prices/gemini.json" \
    gemini-2.5-flash >/dev/null || fail "the installed price table does not load"
"$T/prefix/bin/gembatch" --version | grep -q '^gembatch [0-9]' || fail "the installed binary does not run"
inst PREFIX=/usr/local DESTDIR="$T/stage"
[ -x "$T/stage/usr/local/bin/gembatch" ] && [ -f "$T/stage/usr/local/share/man/man1/gembatch.1" ] \
    && [ -f "$T/stage/usr/local/share/gembatch/prices/gemini.json" ] || fail "DESTDIR staging"
if command -v man >/dev/null 2>&1; then
    MANPAGER=cat man -l "$T/prefix/share/man/man1/gembatch.1" 2>/dev/null | grep -q 'gembatch run' \
        || fail "the installed man page does not render"
fi
