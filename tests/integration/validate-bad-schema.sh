# validate-bad-schema: wrong schemas are refused with exit 2 and a message
# shaped "gembatch: FILE: /json/pointer: what is wrong".
. "$(dirname "$0")/lib.sh"
echo '{}' >"$T/in.jsonl"
check() { # check SCHEMA-TEXT EXPECTED-STDERR-SUBSTRING
    printf '%s\n' "$1" >"$T/s.json"
    expect_rc 2 "$GEMBATCH" validate "$T/s.json" "$T/in.jsonl"
    "$GEMBATCH" validate "$T/s.json" "$T/in.jsonl" 2>"$T/err" || true
    grep -qF "gembatch: $T/s.json: $2" "$T/err" || fail "for $1: stderr was: $(cat "$T/err")"
}
check '{"properties":{"x":{"type":"strng"}}}' "/properties/x/type: unknown type 'strng'"
check '{"properties":{"code":{"pattern":"^[A-Z"}}}' "/properties/code/pattern: bad regex '^[A-Z'"
check '{"patternProperties":{"(x":{}}}' "/patternProperties/(x: bad regex"
check '{"properties":{"x":{"minLength":"3"}}}' "/properties/x/minLength: expected a non-negative integer, got string"
check '{"items":{"$ref":"#/$defs/Nope"}}' "/items/\$ref: reference '#/\$defs/Nope' does not resolve"
check '{"$ref":"#"}' "/\$ref: circular reference"
