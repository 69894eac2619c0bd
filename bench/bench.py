#!/usr/bin/env python3
"""bench.py: gembatch against its peers, side by side in one run, all against
the local emulator on loopback (`make bench`).

For each scenario every client sends the same request bodies to the same
emulator at the same concurrency, and we record wall time (against the ideal
jobs x latency / concurrency), CPU seconds per 1,000 requests of the client
process alone (user+sys from wait4), and the client's peak RSS.

Clients:
  gembatch         gembatch run (JSON, validation, result files, journal)
  curl --parallel  curl --parallel --parallel-max N over a config of the bodies
  node-sdk         @google/genai 1.33.0 with a promise pool of N (tests/sdk/g1)
  parallel+curl    GNU Parallel running one curl per request (fewer jobs: it
                   spawns a process a request; per-request figures compare)

Environment: GEMBATCH (binary), JOBS (default 20000), QUICK=1 (2000 jobs, fewer
scenarios), OUT (markdown report path; default bench/results/latest.md).
"""
import json, os, platform, re, resource, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEMBATCH = os.environ.get("GEMBATCH", os.path.join(ROOT, "build", "gembatch"))
QUICK = os.environ.get("QUICK") == "1"
JOBS = int(os.environ.get("JOBS", "2000" if QUICK else "20000"))
OUT = os.environ.get("OUT", os.path.join(ROOT, "bench", "results", "latest.md"))
KEY = "bench-key-not-secret"


def run_measured(cmd, env=None, stdin=None, timeout=1800):
    """Run cmd; return (rc, wall_s, cpu_s, maxrss_kb) of that process tree."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.stderr.write(f"bench: {' '.join(cmd[:3])}... exited {rc}: {err[-500:]}\n")
    return rc, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


class Emulator:
    def __init__(self, *args):
        self.p = subprocess.Popen([GEMBATCH, "emulate", "--listen", "127.0.0.1:0", "-q", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.url = self.p.stdout.readline().decode().strip()
        if not self.url.startswith("http://"):
            raise SystemExit("bench: the emulator did not start")

    def stop(self):
        self.p.terminate()
        self.p.wait()


def bodies(n, image=None):
    out = []
    for i in range(n):
        if image:
            out.append({"model": "gemini-2.5-flash", "input": [
                {"type": "text", "text": f"Describe image {i}."},
                {"type": "image", "mime_type": "image/png", "data": image}]})
        else:
            out.append({"model": "gemini-2.5-flash", "input": f"Classify item number {i} please."})
    return out


def write_inputs(d, n, image_path=None, image_b64=None):
    """The same requests as a gembatch manifest, a curl config, and JSON lines."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "p.json"), "w") as f:
        json.dump({"name": "bench", "model": "gemini-2.5-flash"}, f)
    with open(os.path.join(d, "m.jsonl"), "w") as m, open(os.path.join(d, "bodies.jsonl"), "w") as b:
        for i, body in enumerate(bodies(n, image_b64)):
            line = {"id": f"b{i}"}
            if image_path:
                line["input"] = [{"type": "text", "text": f"Describe image {i}."},
                                 {"type": "image", "path": image_path}]
            else:
                line["input"] = body["input"]
            m.write(json.dumps(line) + "\n")
            b.write(json.dumps(body) + "\n")


def curl_config(d, url, n):
    path = os.path.join(d, "curl.cfg")
    with open(os.path.join(d, "bodies.jsonl")) as b, open(path, "w") as f:
        for i, line in enumerate(b):
            bf = os.path.join(d, "body", f"{i}.json")
            if i == 0:
                os.makedirs(os.path.dirname(bf), exist_ok=True)
            with open(bf, "w") as o:
                o.write(line.strip())
            f.write(("next\n" if i else "") +
                    f'url = "{url}/v1beta/interactions"\n'
                    f'data-binary = "@{bf}"\n'
                    'header = "Content-Type: application/json"\n'
                    f'header = "x-goog-api-key: {KEY}"\n'
                    'output = "/dev/null"\n')
    return path


def client_gembatch(d, url, conc, n):
    out = os.path.join(d, "out-gembatch")
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, GEMINI_API_KEY=KEY)
    rc, wall, cpu, rss = run_measured(
        [GEMBATCH, "run", os.path.join(d, "p.json"), os.path.join(d, "m.jsonl"),
         "--endpoint", url, "-o", out, "-q", "-j", str(conc), "--max-request-bytes", "100M"],
        env=env)
    done = sum(1 for _ in open(os.path.join(out, "results.jsonl"))) if rc == 0 else 0
    return rc == 0 and done == n, wall, cpu, rss


def client_curl(d, url, conc, n):
    cfg = curl_config(d, url, n)
    rc, wall, cpu, rss = run_measured(["curl", "-s", "--fail", "--parallel", "--parallel-max",
                                       str(conc), "--parallel-immediate", "-K", cfg])
    return rc == 0, wall, cpu, rss


NODE_POOL = r"""
const { GoogleGenAI } = require(process.env.SDK_DIR + '/node_modules/@google/genai');
const fs = require('fs');
// the image run's bodies are built here from one image: a file of 1,000 such
// bodies is larger than the longest string Node can hold
const image = process.env.IMAGE ? fs.readFileSync(process.env.IMAGE).toString('base64') : null;
const lines = image ? Array.from({ length: parseInt(process.env.N, 10) }, (_, i) => i)
                    : fs.readFileSync(process.env.BODIES, 'utf8').split('\n').filter(Boolean);
const bodyOf = (x) => image
    ? { model: 'gemini-2.5-flash', input: [{ type: 'text', text: `Describe image ${x}.` },
                                           { type: 'image', mime_type: 'image/png', data: image }] }
    : JSON.parse(x);
const client = new GoogleGenAI({ apiKey: process.env.KEY, httpOptions: { baseUrl: process.env.URL } });
const conc = parseInt(process.env.CONC, 10);
let next = 0, ok = 0, failed = 0;
process.emitWarning = () => {};
async function worker() {
  while (next < lines.length) {
    const body = bodyOf(lines[next++]);
    try { const r = await client.interactions.create(body); if (r.id) ok++; else failed++; }
    catch (e) { failed++; }
  }
}
Promise.all(Array.from({ length: conc }, worker)).then(() => {
  if (failed) { console.error(`${failed} failed`); process.exit(1); }
});
"""


def client_node(d, url, conc, n):
    sdk = os.path.join(ROOT, "tests", "sdk", "g1")
    if not os.path.isdir(os.path.join(sdk, "node_modules", "@google", "genai")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=sdk, check=True)
    script = os.path.join(d, "pool.cjs")
    with open(script, "w") as f:
        f.write(NODE_POOL)
    env = dict(os.environ, SDK_DIR=sdk, BODIES=os.path.join(d, "bodies.jsonl"), KEY=KEY, URL=url,
               CONC=str(conc), N=str(n))
    img = os.path.join(d, "img.png")
    if os.path.exists(img):
        env["IMAGE"] = img
    rc, wall, cpu, rss = run_measured(["node", script], env=env)
    return rc == 0, wall, cpu, rss


def client_parallel(d, url, conc, n):
    m = min(n, 2000)
    lst = os.path.join(d, "par.list")
    with open(lst, "w") as f:
        for i in range(m):
            f.write(os.path.join(d, "body", f"{i}.json") + "\n")
    if not os.path.exists(os.path.join(d, "body", "0.json")):
        curl_config(d, url, n)
    cmd = ["parallel", "-q", "-j", str(conc), "--will-cite", "curl", "-s", "--fail", "-o", "/dev/null",
           "-H", "Content-Type: application/json", "-H", f"x-goog-api-key: {KEY}",
           "--data-binary", "@{}", f"{url}/v1beta/interactions", "::::", lst]
    rc, wall, cpu, rss = run_measured(cmd)
    return rc == 0, wall, cpu, rss, m


def machine():
    cpu = "unknown"
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    ver = lambda c: subprocess.run(c, capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM, Linux {platform.release()}; "
            f"{ver([GEMBATCH, '--version'])}, {ver(['curl', '--version']).split(' (')[0]}, "
            f"node {ver(['node', '--version'])}, GNU parallel {ver(['parallel', '--version']).split()[-1]}")


def main():
    scenarios = [("latency 50 ms, jitter 10 ms", ["--latency", "50", "--jitter", "10"], 64, 55.0, None),
                 ("latency 50 ms, jitter 10 ms", ["--latency", "50", "--jitter", "10"], 256, 55.0, None),
                 ("latency 50 ms", ["--latency", "50"], 256, 50.0, None),
                 ("zero latency (the client's own cost)", [], 64, 0.0, None),
                 ("1 MiB images inline, latency 50 ms", ["--latency", "50"], 64, 50.0, "image")]
    if QUICK:
        scenarios = [scenarios[1], scenarios[3]]
    clients = [("gembatch", client_gembatch), ("curl --parallel", client_curl),
               ("node-sdk (@google/genai)", client_node), ("parallel+curl", client_parallel)]
    rows = []
    tmp = tempfile.mkdtemp(prefix="gb-bench-")
    try:
        for name, emu_args, conc, lat, kind in scenarios:
            n = JOBS if kind != "image" else min(JOBS, 1000)
            d = os.path.join(tmp, f"s{len(rows)}")
            img = None
            if kind == "image":
                import base64
                os.makedirs(d, exist_ok=True)
                img = os.path.join(d, "img.png")
                with open(img, "wb") as f:
                    f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(1 << 20))
                write_inputs(d, n, img, base64.b64encode(open(img, "rb").read()).decode())
            else:
                write_inputs(d, n)
            emu = Emulator(*emu_args, "--max-request-bytes", "200M")
            try:
                for cname, fn in clients:
                    if kind == "image" and cname == "parallel+curl":
                        continue
                    r = fn(d, emu.url, conc, n)
                    ok, wall, cpu, rss = r[:4]
                    m = r[4] if len(r) > 4 else n
                    ideal = m * lat / 1000.0 / conc
                    rows.append({"scenario": name, "concurrency": conc, "client": cname, "jobs": m,
                                 "ok": ok, "wall_s": wall, "ideal_s": ideal,
                                 "cpu_per_1000": cpu * 1000.0 / m, "rss_mib": rss / 1024.0,
                                 "rps": m / wall})
                    print(f"{name:40s} -j{conc:<4d} {cname:26s} {m:6d} jobs {wall:7.2f}s "
                          f"(ideal {ideal:6.2f}s) cpu/1k {cpu * 1000.0 / m:6.3f}s "
                          f"rss {rss / 1024.0:7.1f} MiB {'ok' if ok else 'FAILED'}", flush=True)
            finally:
                emu.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(rows)


def report(rows):
    lines = ["# gembatch benchmark: latest run", "",
             f"Machine: {machine()}.", "",
             f"Command: `make bench` (bench/run.sh → bench/bench.py), {time.strftime('%Y-%m-%d')}. "
             "Every client sends the same request bodies to the same local emulator "
             "(`gembatch emulate`) on loopback, one client at a time. CPU is user+sys of the "
             "client process tree alone; RSS is its peak. Efficiency = ideal wall time "
             "(jobs × latency / concurrency) / measured wall time. Ratios are against "
             "`curl --parallel`.", "",
             "| scenario | -j | client | jobs | wall s | efficiency | req/s | CPU s / 1k req | "
             "CPU vs curl | peak RSS MiB |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        base = next((x for x in rows if x["scenario"] == r["scenario"] and
                     x["concurrency"] == r["concurrency"] and x["client"] == "curl --parallel"), None)
        ratio = r["cpu_per_1000"] / base["cpu_per_1000"] if base and base["cpu_per_1000"] else 0
        eff = f"{r['ideal_s'] / r['wall_s']:.3f}" if r["ideal_s"] else "—"
        lines.append(f"| {r['scenario']} | {r['concurrency']} | {r['client']} | {r['jobs']} | "
                     f"{r['wall_s']:.2f} | {eff} | {r['rps']:.0f} | {r['cpu_per_1000']:.3f} | "
                     f"{ratio:.2f}× | {r['rss_mib']:.1f} |" + ("" if r["ok"] else " FAILED"))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"bench: report written to {OUT}")


if __name__ == "__main__":
    main()
