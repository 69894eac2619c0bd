# validate-exit-codes: 0 when every line is valid, 1 when any is invalid or not
# JSON, 2 for usage mistakes and schemas that cannot be used.
. "$(dirname "$0")/lib.sh"
D=$ROOT/tests/data/schema
expect_rc 0 "$GEMBATCH" validate "$D/pydantic-person.schema.json" "$D/pydantic-person.valid.jsonl"
expect_rc 1 "$GEMBATCH" validate "$D/pydantic-person.schema.json" "$D/pydantic-person.invalid.jsonl"
printf '{"a":1}\nnot json\n' >"$T/mixed.jsonl"
echo '{"type":"object"}' >"$T/obj.json"
expect_rc 1 "$GEMBATCH" validate "$T/obj.json" "$T/mixed.jsonl"
: >"$T/empty.jsonl"
expect_rc 0 "$GEMBATCH" validate "$T/obj.json" "$T/empty.jsonl"

# The schema file: missing, not JSON, not a schema.
expect_rc 2 "$GEMBATCH" validate "$T/missing.json" "$T/mixed.jsonl"
"$GEMBATCH" validate "$T/missing.json" "$T/mixed.jsonl" 2>"$T/err" || true
grep -q "^gembatch: $T/missing.json: cannot read the schema" "$T/err" || fail "missing schema message: $(cat "$T/err")"
printf '{"type": "object",\n "properties": {' >"$T/broken.json"
expect_rc 2 "$GEMBATCH" validate "$T/broken.json" "$T/mixed.jsonl"
"$GEMBATCH" validate "$T/broken.json" "$T/mixed.jsonl" 2>"$T/err" || true
grep -q "^gembatch: $T/broken.json:2:.*schema is not JSON" "$T/err" || fail "not-JSON schema message: $(cat "$T/err")"
echo '42' >"$T/num.json"
expect_rc 2 "$GEMBATCH" validate "$T/num.json" "$T/mixed.jsonl"

# The input file and the command line.
expect_rc 2 "$GEMBATCH" validate "$T/obj.json" "$T/no-such-input.jsonl"
expect_rc 2 "$GEMBATCH" validate
expect_rc 2 "$GEMBATCH" validate "$T/obj.json" a b
expect_rc 2 "$GEMBATCH" validate --frobnicate "$T/obj.json"
expect_rc 2 "$GEMBATCH" validate --max-errors 0 "$T/obj.json" "$T/mixed.jsonl"
"$GEMBATCH" validate 2>"$T/err" || true
grep -q "try 'gembatch validate --help'" "$T/err" || fail "usage error has no hint"

# --help: stdout, exit 0, options and a worked example.
"$GEMBATCH" validate --help >"$T/help" || fail "--help exited non-zero"
grep -q '^usage: gembatch validate SCHEMA' "$T/help" || fail "--help usage line"
grep -q -- '--max-errors N' "$T/help" || fail "--help lacks --max-errors"
grep -q -- '-q, --quiet' "$T/help" || fail "--help lacks -q"
grep -q 'gembatch validate schemas/' "$T/help" || fail "--help lacks an example"
grep -q 'exit status' "$T/help" || fail "--help lacks exit statuses"
