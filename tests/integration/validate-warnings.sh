# validate-warnings: a schema that accepts anything by mistake is said so on
# stderr: a pipeline file given instead of its schema (no schema keyword at
# all: '{}' was "valid"), and misspelt keywords ('requird', 'propertys'),
# which are ignored like annotations. --max-errors says when more errors were
# left out ("more_errors":true), and the help names no file gembatch never
# writes. Exit statuses are unchanged: these are warnings.
. "$(dirname "$0")/lib.sh"
cd "$T"
cp "$ROOT/pipelines/classify-images.json" pipe.json
echo '{}' >in.jsonl
expect_rc 0 "$GEMBATCH" validate pipe.json in.jsonl
"$GEMBATCH" validate pipe.json in.jsonl 2>err.txt >/dev/null
grep -qF "gembatch: warning: pipe.json: /: no JSON Schema keyword at all, so every value is valid: this looks like a pipeline file" err.txt ||
    fail "no warning for a pipeline file: $(cat err.txt)"
cat >typo.json <<'S'
{"type":"object","propertys":{"label":{"type":"string","minLenght":2}},"requird":["label"]}
S
"$GEMBATCH" validate typo.json in.jsonl 2>err.txt >out.txt || fail "a misspelt keyword made validate fail"
grep -qF "typo.json: /: 'propertys' is not a JSON Schema keyword (it is ignored); did you mean 'properties'?" err.txt &&
    grep -qF "typo.json: /: 'requird' is not a JSON Schema keyword (it is ignored); did you mean 'required'?" err.txt &&
    grep -qF "typo.json: /propertys/label: 'minLenght' is not a JSON Schema keyword (it is ignored); did you mean 'minLength'?" err.txt ||
    fail "typo warnings: $(cat err.txt)"
# -q: nothing at all, the exit status tells
"$GEMBATCH" validate -q typo.json in.jsonl 2>err.txt
[ ! -s err.txt ] || fail "-q printed: $(cat err.txt)"
# a real schema gets no warning
"$GEMBATCH" validate "$ROOT/pipelines/schemas/invoice.json" in.jsonl 2>err.txt >/dev/null || true
[ ! -s err.txt ] || fail "a sound schema got warnings: $(cat err.txt)"
# --max-errors: "more_errors" when errors were left out, not when all fit
echo '{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}}}' >three.json
printf '{"a":"x","b":"y","c":"z"}\n{"a":"x","b":"y"}\n{"a":1}\n' >bad.jsonl
expect_rc 1 "$GEMBATCH" validate three.json bad.jsonl --max-errors 2
"$GEMBATCH" validate three.json bad.jsonl --max-errors 2 >out.txt || true
python3 - out.txt <<'PY'
import json, sys
v = [json.loads(l) for l in open(sys.argv[1])]
assert len(v[0]["errors"]) == 2 and v[0].get("more_errors") is True, v[0]
assert len(v[1]["errors"]) == 2 and "more_errors" not in v[1], v[1]
assert v[2] == {"line": 3, "valid": True}, v[2]
PY
"$GEMBATCH" validate --help >help.txt
! grep -q "outputs.jsonl" help.txt || fail "the help names outputs.jsonl, which gembatch never writes"
grep -q "results.jsonl" help.txt || fail "the help's example lost results.jsonl"
grep -q "more_errors" help.txt || fail "the help does not say how a cut list is marked"
note "pipeline-file and typo warnings, more_errors, help"
