# validate-output: the exact verdict lines (error text included) for a file of
# valid, invalid, blank and non-JSON lines, as tests/data/schema records them.
. "$(dirname "$0")/lib.sh"
D=$ROOT/tests/data/schema
rc=0
"$GEMBATCH" validate "$D/pydantic-person.schema.json" "$D/pydantic-person.cli.jsonl" >"$T/out" || rc=$?
assert_eq "$rc" 1 "exit status"
diff -u "$D/pydantic-person.expected.jsonl" "$T/out" || fail "output differs from pydantic-person.expected.jsonl"
# Every output line is a JSON object with the documented keys.
py '
import json, sys
for raw in open(sys.argv[1]):
    o = json.loads(raw)
    assert list(o)[:2] == ["line", "valid"], o
    if o["valid"]:
        assert "errors" not in o, o
    else:
        assert o["errors"], o
        for e in o["errors"]:
            assert sorted(e) == ["instance_path", "message", "schema_path"], e
' "$T/out" || fail "output lines are not shaped as documented"
# --max-errors caps each line's list.
"$GEMBATCH" validate --max-errors 2 "$D/pydantic-person.schema.json" "$D/pydantic-person.cli.jsonl" >"$T/out2" || true
py '
import json, sys
n = [len(json.loads(l).get("errors", [])) for l in open(sys.argv[1])]
assert max(n) == 2, n
' "$T/out2" || fail "--max-errors 2 not honoured"
