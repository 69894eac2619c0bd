# validate-stdin-crlf: input from stdin ('-' or no FILE), CRLF line ends,
# blank lines skipped but counted, very long lines, -q.
. "$(dirname "$0")/lib.sh"
echo '{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}' >"$T/s.json"
printf '{"n":1}\r\n\r\n   \n{"n":"x"}\r\n{"n":2}' >"$T/in.jsonl"
"$GEMBATCH" validate "$T/s.json" - <"$T/in.jsonl" >"$T/out" && fail "expected exit 1"
"$GEMBATCH" validate "$T/s.json" <"$T/in.jsonl" >"$T/out2" || true
cmp -s "$T/out" "$T/out2" || fail "'-' and no FILE differ"
assert_eq "$(nlines "$T/out")" 3 "one line per non-blank input line"
assert_eq "$(sed -n 1p "$T/out")" '{"line":1,"valid":true}' "line 1"
assert_eq "$(sed -n 2p "$T/out")" '{"line":4,"valid":false,"errors":[{"instance_path":"/n","schema_path":"/properties/n/type","message":"expected integer, got string"}]}' "line 4"
assert_eq "$(sed -n 3p "$T/out")" '{"line":5,"valid":true}' "last line without newline"
# A 4 MB line streams through.
py '
import json, sys
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"n": 7, "blob": "x" * (4 << 20)}) + "\n")
' "$T/big.jsonl"
"$GEMBATCH" validate "$T/s.json" "$T/big.jsonl" >"$T/out3" || fail "long line rejected"
assert_eq "$(cat "$T/out3")" '{"line":1,"valid":true}' "long line"
# -q: nothing on stdout, the exit status tells.
expect_rc 1 "$GEMBATCH" validate -q "$T/s.json" "$T/in.jsonl"
"$GEMBATCH" validate -q "$T/s.json" "$T/in.jsonl" >"$T/q" || true
[ ! -s "$T/q" ] || fail "-q printed something"
printf '{"n":1}\n' | "$GEMBATCH" validate --quiet "$T/s.json" || fail "-q on valid input should exit 0"
