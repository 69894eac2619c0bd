#!/bin/sh
# nightly-recipe: examples/nightly/ is consistent (the unit's ExecStart writes
# % as %%, the cron line as \%, the timer fires daily, the alert rules are YAML
# naming metrics gembatch writes), then ci-two-nights.sh runs the service's
# command line on two nights against the emulator: the second night sends
# only what changed.
. "$(dirname "$0")/lib.sh"
N="$ROOT/examples/nightly"
exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$N/gembatch-nightly.service")
printf '%s\n' "$exec_start" | grep -q -- "-o \${OUT_ROOT}/%%Y-%%m-%%d --link-latest" ||
    fail "ExecStart has no dated -o with %% escapes: $exec_start"
printf '%s\n' "$exec_start" | sed 's/%%//g' | grep -q '%' && fail "a bare % in ExecStart (systemd eats it)"
for f in --cache --metrics --api-key-file; do
    printf '%s\n' "$exec_start" | grep -q -- "$f" || fail "ExecStart lacks $f"
done
grep -q '^OnCalendar=\*-\*-\* 02:00:00$' "$N/gembatch-nightly.timer" || fail "timer schedule"
grep -q '^Persistent=true$' "$N/gembatch-nightly.timer" || fail "timer not persistent"
cron=$(grep '^0 2 ' "$N/gembatch-nightly.cron")
printf '%s\n' "$cron" | grep -q -- '-o /var/lib/gembatch/out/\\%Y-\\%m-\\%d' || fail "cron -o: $cron"
printf '%s\n' "$cron" | sed 's/\\%//g' | grep -q '%' && fail "a bare % in the cron line (cron eats it)"
python3 - "$N/gembatch-alerts.yml" "$ROOT/src/metrics.c" <<'PY'
import re, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))["groups"][0]["rules"]
names = {r["alert"] for r in rules}
want = {"GembatchJobsFailed", "GembatchRunDidNotFinish", "GembatchCostHigh",
        "GembatchNoSuccessfulNight", "GembatchRunEndedBadly"}
assert want <= names, names
written = set(re.findall(r'"(gembatch_[a-z_]+)"', open(sys.argv[2]).read()))
for r in rules:
    for m in re.findall(r"gembatch_[a-z_]+", r["expr"]):
        assert m in written, "%s uses %s, which gembatch does not write" % (r["alert"], m)
PY
_rc=0
GEMBATCH="$GEMBATCH" sh "$N/ci-two-nights.sh" >"$T/ci.log" 2>&1 || _rc=$?
cat "$T/ci.log" >&2
case $_rc in
0) ;;
77) fail "two nights skipped: $(tail -n 1 "$T/ci.log")" ;;
*) fail "ci-two-nights.sh exited $_rc" ;;
esac
exit 0
