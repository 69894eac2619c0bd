# cli-basics: top-level help, version, unknown commands and options.
. "$(dirname "$0")/lib.sh"
"$GEMBATCH" --help >"$T/help" || fail "--help exited non-zero"
grep -q '^usage: gembatch COMMAND' "$T/help" || fail "--help has no usage line"
for c in run validate emulate merge get delete; do
    grep -q "^  $c " "$T/help" || fail "--help does not list '$c'"
done
"$GEMBATCH" --version | grep -Eq '^gembatch [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version format"
expect_rc 2 "$GEMBATCH" frobnicate
"$GEMBATCH" frobnicate 2>"$T/err" || true
grep -q "unknown command 'frobnicate'" "$T/err" || fail "unknown command message"
expect_rc 2 "$GEMBATCH"
