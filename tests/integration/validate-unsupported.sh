# validate-unsupported: keywords the validator does not implement stop it with
# exit 2 and the JSON pointer of the keyword, never a silent pass.
. "$(dirname "$0")/lib.sh"
echo '{}' >"$T/in.jsonl"
for kw in unevaluatedProperties unevaluatedItems '$dynamicRef' '$recursiveRef' '$dynamicAnchor'; do
    printf '{"type":"object","properties":{"a":{"%s":false}}}\n' "$kw" >"$T/s.json"
    expect_rc 2 "$GEMBATCH" validate "$T/s.json" "$T/in.jsonl"
    "$GEMBATCH" validate "$T/s.json" "$T/in.jsonl" >"$T/out" 2>"$T/err" || true
    grep -qF "gembatch: $T/s.json: /properties/a/$kw: unsupported keyword '$kw'" "$T/err" \
        || fail "$kw: message was: $(cat "$T/err")"
    [ ! -s "$T/out" ] || fail "$kw: printed verdicts for an unusable schema"
done
printf '{"$ref":"https://example.com/schemas/person.json"}\n' >"$T/remote.json"
expect_rc 2 "$GEMBATCH" validate "$T/remote.json" "$T/in.jsonl"
"$GEMBATCH" validate "$T/remote.json" "$T/in.jsonl" 2>"$T/err" || true
grep -qF "/\$ref: unsupported keyword '\$ref'" "$T/err" || fail "remote ref: $(cat "$T/err")"
