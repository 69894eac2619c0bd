# emu-tiers: service_tier in both dialects (issue 15 point 5). The three
# lowercase names are accepted, anything else is 400; every answered create
# names the tier that served it in x-gemini-service-tier (and in the
# Interaction's service_tier when asked); flex waits --flex-latency more and
# only flex is shed (--fault shed: 503 UNAVAILABLE or 429 RESOURCE_EXHAUSTED,
# the same ones for a seed); priority past --priority-rpm is served as
# standard; answers and usage do not depend on the tier; the log records the
# tier asked and served. One python3 client makes every request (a process
# per check would cost more than the scenario).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/data/emu/lib-emu.sh"

start_emulator et --seed 5 --flex-latency 200:0 --fault shed=0.5 --priority-rpm 2 --log "$T/et.log"
start_emulator et2 --seed 5 --flex-latency 200:0 --fault shed=0.5 --priority-rpm 2
start_emulator es --fault shed=1
python3 - "$et_URL" "$et2_URL" "$es_URL" >"$T/py.out" 2>&1 <<'PY' || { cat "$T/py.out" >&2; fail "see above"; }
import http.client, json, sys, time
from urllib.parse import urlparse

def create(base, path, tier, g1=False, **extra):
    body = {"model": "gemini-2.5-flash", "input": "Tell me a short joke."}
    if tier is not None:
        body["service_tier"] = tier
    body.update(extra)
    u = urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    h = {"x-goog-api-key": "k", "Content-Type": "application/json"}
    if g1:
        h["x-stainless-lang"] = "js"   # the G1 SDK's headers: the G1 dialect
    t0 = time.monotonic()
    c.request("POST", path, json.dumps(body), h)
    r = c.getresponse()
    raw = r.read()
    secs = time.monotonic() - t0
    c.close()
    if extra.get("stream"):
        last = [l for l in raw.decode().split("\n") if l.startswith("data: ")][-1]
        j = json.loads(last[6:])["interaction"]
    else:
        j = json.loads(raw)
    return r.status, {k.lower(): v for k, v in r.getheaders()}, j, secs

V1B, V1 = "/v1beta/interactions", "/v1/interactions"
et, et2, es = sys.argv[1:4]

def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)

def sequence(base):
    """Every request of parts 1 to 3 in order: the fault draws follow it."""
    out = []
    for p in (V1B, V1):
        for bad in ("FLEX", "deferred", "economy", 7):
            out.append((p, bad) + create(base, p, bad, g1=p == V1B))
    for p in (V1B, V1):
        out.append((p, None) + create(base, p, None, g1=p == V1B))
        out.append((p, "standard") + create(base, p, "standard", g1=p == V1B))
    for _ in range(12):
        out.append((V1, "flex") + create(base, V1, "flex"))
    return out

seq = sequence(et)
# 1. only the documented lowercase names
for p, tier, st, h, j, _ in seq[:8]:
    check(st == 400 and j["error"]["status"] == "INVALID_ARGUMENT" and "service_tier" in j["error"]["message"],
          f"{tier!r} on {p}: {st} {j}")
# 2. standard: the header always, the field when asked
plain = {}
for p, tier, st, h, j, _ in seq[8:12]:
    check(st == 200 and h.get("x-gemini-service-tier") == "standard", f"{tier} on {p}: {st} {h}")
    check(("service_tier" in j) == (tier is not None) and j.get("service_tier", "standard") == "standard", f"field {j.get('service_tier')}")
    plain = j
# 3. flex: shed (503 or 429, nothing served, no Retry-After) or served as flex after the flex latency
served = 0
for p, tier, st, h, j, secs in seq[12:]:
    if st == 200:
        served += 1
        check(h.get("x-gemini-service-tier") == "flex" and j["service_tier"] == "flex", f"served flex: {h} {j.get('service_tier')}")
        check(secs >= 0.19, f"flex answered in {secs:.3f} s, before --flex-latency 200")
        check(j["usage"] == plain["usage"] and j["outputs"] == plain["outputs"], "flex changes neither the answer nor usage")
    else:
        want = {503: "UNAVAILABLE", 429: "RESOURCE_EXHAUSTED"}.get(st)
        check(want and j["error"]["status"] == want, f"shed: {st} {j}")
        check("retry-after" not in h and "x-gemini-service-tier" not in h and "details" not in j["error"], f"shed headers {h} {j}")
statuses = [s[2] for s in seq[12:]]
check(503 in statuses and 429 in statuses and served >= 1, f"flex statuses {statuses}")
print("flex:", statuses)
# the same seed sheds the same requests
check([s[2] for s in sequence(et2)] == [s[2] for s in seq], "shed draws differ for one seed")

# 4. priority: two a minute, then served (and billed) as standard; both dialects
st, h, j, _ = create(et, V1B, "priority", g1=True)
check(st == 200 and h["x-gemini-service-tier"] == "priority" and j["service_tier"] == "priority", f"1st priority {h} {j.get('service_tier')}")
st, h, j, _ = create(et, V1, "priority")
check(h["x-gemini-service-tier"] == "priority", "2nd priority")
st, h, j, _ = create(et, V1, "priority", stream=True)
check(st == 200 and h["x-gemini-service-tier"] == "standard" and j["service_tier"] == "standard", f"3rd priority (streamed) {h} {j.get('service_tier')}")
st, h, j, _ = create(et, V1B, "priority", g1=True)
check(h["x-gemini-service-tier"] == "standard" and j["service_tier"] == "standard", "4th priority (G1)")
check(j["usage"] == plain["usage"] and j["outputs"] == plain["outputs"], "a downgrade changes neither the answer nor usage")

# 5. only flex is ever shed
for tier in (None, "standard", "priority"):
    st, h, j, _ = create(es, V1, tier)
    check(st == 200, f"{tier} under shed=1: {st}")
st, h, j, _ = create(es, V1, "flex")
check(st in (503, 429), f"flex under shed=1: {st}")
PY
note "$(cat "$T/py.out")"
done_emus et et2 es
# 6. the log: tier asked and served on every create line
py '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
creates = [l for l in lines if l["method"] == "POST"]
assert all("tier_asked" in l and "tier_served" in l for l in creates), "tier fields on every create"
shed = [l for l in creates if l["status"] in (503, 429)]
assert shed and all(l["fault"] == "shed" and l["tier_asked"] == "flex" and l["tier_served"] is None for l in shed), shed[:2]
flex = [l for l in creates if l["tier_served"] == "flex"]
assert flex and all(l["latency_ms"] == 200 for l in flex), flex[:2]
down = [l for l in creates if l["tier_asked"] == "priority" and l["tier_served"] == "standard"]
up = [l for l in creates if l["tier_asked"] == "priority" and l["tier_served"] == "priority"]
assert len(up) == 2 and len(down) == 2, (up, down)
assert {l["dialect"] for l in down} == {"g1", "g3"}, down
none = [l for l in creates if l["status"] == 200 and l["tier_asked"] is None]
assert none and all(l["tier_served"] == "standard" for l in none), none[:2]
bad = [l for l in creates if l["status"] == 400]
assert len(bad) == 8 and all(l["tier_served"] is None for l in bad), bad[:2]
' "$T/et.log" || fail "log: $(head -c 600 "$T/et.log")"
