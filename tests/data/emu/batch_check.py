#!/usr/bin/env python3
"""batch_check.py: the Batch API's wire, judged with the standard library only
(independent of gembatch's JSON code), for tests/integration/emu-batch.sh.

  batch_check.py wire URL LOG        shapes in both dialects, paging, downloads,
                                     snake_case, cancel, delete, errors, the log
  batch_check.py faults URL URL2     batch_line (deterministic per seed: URL and
                                     URL2 run with the same options)
  batch_check.py expire URL          batch_expire
  batch_check.py lost URL            batch_create_lost=1: every create makes its
                                     batch and loses the answer three ways
  batch_check.py big URL FILE N      a large JSONL input: N results, in order

Exits 1 with a message on the first failed check.
"""
import base64
import hashlib
import http.client
import json
import sys
import time
import urllib.error
import urllib.request

KEY = {"x-goog-api-key": "integration-key"}
MODEL = "gemini-2.5-flash"
TYPE_BATCH = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
TYPE_OUT = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"


def fail(msg):
    print("batch_check: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Api:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None, headers=None, raw=False):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        h = dict(KEY, **{"content-type": "application/json"}, **(headers or {}))
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req) as r:
                b = r.read()
                return r.status, dict(r.headers), (b if raw else json.loads(b or b"null"))
        except urllib.error.HTTPError as e:
            b = e.read()
            check("application/json" in e.headers.get("Content-Type", ""), f"{method} {path}: error body not JSON")
            return e.code, dict(e.headers), json.loads(b)

    def ok(self, method, path, body=None, **kw):
        st, h, j = self.call(method, path, body, **kw)
        check(st == 200, f"{method} {path}: HTTP {st}: {str(j)[:500]}")
        if not kw.get("raw"):
            check(h.get("Content-Type", "").startswith("application/json"), f"{method} {path}: content-type {h.get('Content-Type')}")
        return j

    def err(self, method, path, body, want, status):
        st, _, j = self.call(method, path, body)
        check(st == want, f"{method} {path}: HTTP {st}, expected {want}: {str(j)[:300]}")
        e = j.get("error", {})
        check(e.get("code") == want and e.get("status") == status and isinstance(e.get("message"), str),
              f"{method} {path}: error envelope {j}")
        return e

    def create(self, ver, batch, model=MODEL):
        return self.ok("POST", f"/{ver}/models/{model}:batchGenerateContent", batch)

    def wait(self, ver, name, tries=400):
        for _ in range(tries):
            op = self.ok("GET", f"/{ver}/{name}")
            st = op["metadata"]["state"]
            check(st.startswith("BATCH_STATE_"), f"state {st}")
            if op.get("done"):
                return op
            check(st in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"), f"{name}: {st} without done")
            check("output" not in op["metadata"] and "endTime" not in op["metadata"], f"{name}: output before the end")
            time.sleep(0.02)
        fail(f"{name} never finished")

    def upload(self, ver, data, mime="jsonl", chunks=2):
        _, h, _ = self.call("POST", f"/upload/{ver}/files", {"file": {"mimeType": mime, "displayName": "in"}},
                            {"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
                             "X-Goog-Upload-Header-Content-Length": str(len(data)),
                             "X-Goog-Upload-Header-Content-Type": mime})
        up = {k.lower(): v for k, v in h.items()}["x-goog-upload-url"]
        step = max(1, -(-len(data) // chunks))
        off = 0
        while True:
            piece = data[off:off + step]
            last = off + len(piece) >= len(data)
            req = urllib.request.Request(up, data=piece, method="POST", headers={
                "X-Goog-Upload-Command": "upload, finalize" if last else "upload",
                "X-Goog-Upload-Offset": str(off)})
            with urllib.request.urlopen(req) as r:
                body = r.read()
            off += len(piece)
            if last:
                return json.loads(body)["file"]


def req(text):
    return {"contents": [{"parts": [{"text": text}], "role": "user"}]}


def stats(op):
    return op["metadata"]["batchStats"]


def check_pending(op, n, display=None, file_name=None):
    check(set(op) == {"name", "metadata"}, f"create answer keys {sorted(op)}")
    m = op["metadata"]
    want = {"@type", "model", "createTime", "updateTime", "batchStats", "state", "name"}
    if display:
        want.add("displayName")
    if file_name:
        want.add("inputConfig")
    check(set(m) == want, f"PENDING metadata keys {sorted(m)}, expected {sorted(want)}")
    check(m["@type"] == TYPE_BATCH and m["model"] == "models/" + MODEL, f"metadata {m}")
    check(m["state"] == "BATCH_STATE_PENDING", m["state"])
    check(m["name"] == op["name"] and op["name"].startswith("batches/"), op["name"])
    check(op["name"][8:].isalnum() and op["name"][8:].islower(), f"id {op['name']}")
    check(stats(op) == {"requestCount": str(n), "pendingRequestCount": str(n)}, f"stats {stats(op)}")
    for k in ("createTime", "updateTime"):
        t = m[k]
        check(len(t) == 30 and t[19] == "." and t.endswith("Z"), f"{k} {t}: RFC 3339 with nine digits")
    if display:
        check(m["displayName"] == display, m["displayName"])
    if file_name:
        check(m["inputConfig"] == {"fileName": file_name}, f"inputConfig {m['inputConfig']}")


def check_succeeded(op, n, ok, file_out):
    check(set(op) == {"name", "metadata", "done", "response"}, f"finished keys {sorted(op)}")
    check(op["done"] is True, "done")
    m = op["metadata"]
    check(m["state"] == "BATCH_STATE_SUCCEEDED", m["state"])
    check("endTime" in m and m["endTime"] == m["updateTime"], "endTime")
    want = {"requestCount": str(n)}
    if ok:
        want["successfulRequestCount"] = str(ok)
    if n - ok:
        want["failedRequestCount"] = str(n - ok)
    check(stats(op) == want, f"stats {stats(op)}, expected {want}")
    out = m["output"]
    check(op["response"]["@type"] == TYPE_OUT, op["response"].get("@type"))
    check({k: v for k, v in op["response"].items() if k != "@type"} == out, "response repeats metadata.output")
    if file_out:
        check(out == {"responsesFile": "files/batch-" + op["name"][8:]}, f"output {out}")
    else:
        items = out["inlinedResponses"]["inlinedResponses"]
        check(len(items) == n, f"{len(items)} items for {n} requests")
        return items
    return None


def answer_text(resp):
    return "".join(p.get("text", "") for p in resp["candidates"][0]["content"]["parts"] if not p.get("thought"))


def cmd_wire(url, log):
    api = Api(url)
    made = []
    # inline, camelCase, /v1beta/
    body = {"batch": {"displayName": "wire-inline", "inputConfig": {"requests": {"requests": [
        {"request": req("first"), "metadata": {"key": "r1"}},
        {"request": dict(req("second"), generationConfig={"responseMimeType": "application/json",
                                                          "responseJsonSchema": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}),
         "metadata": {"key": "r2", "extra": [1, 2]}}]}}}}
    op = api.create("v1beta", body)
    check_pending(op, 2, display="wire-inline")
    made.append(op["name"])
    items = check_succeeded(api.wait("v1beta", op["name"]), 2, 2, False)
    check([it["metadata"] for it in items] == [{"key": "r1"}, {"key": "r2", "extra": [1, 2]}], "metadata echoed in order")
    check("turns: 1" in answer_text(items[0]["response"]), "the first answer")
    check(isinstance(json.loads(answer_text(items[1]["response"]))["a"], int), "the JSON answer")
    for it in items:
        r = it["response"]
        check(set(r) == {"candidates", "usageMetadata", "modelVersion", "responseId"}, f"response keys {sorted(r)}")
        u = r["usageMetadata"]
        check(isinstance(u["promptTokenCount"], int) and u["totalTokenCount"] == u["promptTokenCount"] + u["candidatesTokenCount"], f"usage {u}")
    # inline, snake_case batch and request fields, /v1/, the bare form
    snake = {"display_name": "wire-snake", "input_config": {"requests": {"requests": [
        {"request": {"contents": [{"parts": [{"text": "s"}], "role": "user"}],
                     "generation_config": {"max_output_tokens": 4, "response_modalities": ["TEXT"]},
                     "system_instruction": {"parts": [{"text": "be brief"}]}}}]}}}
    op = api.create("v1", {"batch": snake})
    check_pending(op, 1, display="wire-snake")
    made.append(op["name"])
    items = check_succeeded(api.wait("v1", op["name"]), 1, 1, False)
    check(items[0]["response"]["candidates"][0]["finishReason"] == "MAX_TOKENS", "max_output_tokens read from snake_case")
    op = api.create("v1beta", snake)
    made.append(op["name"])
    check_succeeded(api.wait("v1beta", op["name"]), 1, 1, False)
    # a file batch: JSONL upload in two chunks, snake_case file_name, /v1/
    lines = [{"key": f"line-{i}", "request": req(f"question {i}")} for i in range(7)]
    data = ("\n".join(json.dumps(x) for x in lines) + "\n").encode()
    f = api.upload("v1", data)
    check(f["mimeType"] == "jsonl" and f["state"] == "ACTIVE", f"a JSONL file is ACTIVE at once: {f}")
    op = api.create("v1", {"batch": {"input_config": {"file_name": f["name"]}}})
    check_pending(op, 7, file_name=f["name"])
    made.append(op["name"])
    done = api.wait("v1", op["name"])
    check_succeeded(done, 7, 7, True)
    rf = done["metadata"]["output"]["responsesFile"]
    a = api.ok("GET", f"/v1/{rf}:download?alt=media", raw=True)
    b = api.ok("GET", f"/download/v1beta/{rf}:download?alt=media", raw=True)
    check(a == b, "both download paths give the same bytes")
    got = [json.loads(x) for x in a.decode().splitlines()]
    check([g["key"] for g in got] == [x["key"] for x in lines], "result lines in input order")
    check(all(set(g) == {"key", "response"} for g in got), "success lines are {key, response}")
    meta = api.ok("GET", f"/v1beta/{rf}")
    check(meta["source"] == "GENERATED" and meta["state"] == "ACTIVE", f"generated file {meta}")
    check(meta["sizeBytes"] == str(len(a)), "sizeBytes of the results")
    check(meta["sha256Hash"] == base64.b64encode(hashlib.sha256(a).digest()).decode(), "sha256Hash of the results")
    check(api.ok("GET", f"/v1beta/{rf}:download") == meta, "without alt=media: the File")
    api.err("GET", f"/v1beta/{f['name']}:download?alt=media", None, 400, "INVALID_ARGUMENT")
    # list pages
    for i in range(3):
        op = api.create("v1beta", {"batch": {"inputConfig": {"requests": {"requests": [{"request": req(f"p{i}")}]}}}})
        made.append(op["name"])
    names, tok, pages = [], None, 0
    while True:
        q = "?pageSize=2" + (f"&pageToken={tok}" if tok else "")
        page = api.ok("GET", "/v1beta/batches" + q)
        pages += 1
        check(len(page.get("operations", [])) <= 2, "pageSize")
        names += [o["name"] for o in page.get("operations", [])]
        if "nextPageToken" not in page:
            break
        tok = page["nextPageToken"]
        check(isinstance(tok, str) and tok, f"nextPageToken {tok!r}")
        check(pages < 50, "paging ends")
    check(sorted(names) == sorted(made) and len(set(names)) == len(names), f"list gave {len(names)} of {len(made)}")
    check(pages == -(-len(made) // 2), f"{pages} pages")
    check(names == list(reversed(made)), "newest first")
    snake_page = api.ok("GET", "/v1/batches?page_size=100")
    check(len(snake_page["operations"]) == len(made) and "nextPageToken" not in snake_page, "page_size, last page")
    api.err("GET", "/v1beta/batches?pageToken=bogus", None, 400, "INVALID_ARGUMENT")
    # cancel (a finished batch stays as it is), delete both ways, then 404
    check(api.ok("POST", f"/v1beta/{made[0]}:cancel", {}) == {}, "cancel answers {}")
    check(api.ok("GET", f"/v1beta/{made[0]}")["metadata"]["state"] == "BATCH_STATE_SUCCEEDED", "cancel after the end changes nothing")
    check(api.ok("DELETE", f"/v1beta/{made[0]}", {}) == {}, "delete answers {}")
    api.err("GET", f"/v1beta/{made[0]}", None, 404, "NOT_FOUND")
    api.err("DELETE", f"/v1beta/{made[0]}", {}, 404, "NOT_FOUND")
    check(api.ok("POST", f"/v1/{made[1]}:delete", {}) == {}, "POST :delete (the guide's form)")
    api.err("GET", f"/v1/{made[1]}", None, 404, "NOT_FOUND")
    # refusals
    ok_batch = {"batch": {"inputConfig": {"requests": {"requests": [{"request": req("x")}]}}}}
    api.err("POST", "/v1beta/models/gemini-0:batchGenerateContent", ok_batch, 404, "NOT_FOUND")
    api.err("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", b"{", 400, "INVALID_ARGUMENT")
    api.err("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", {"batch": {}}, 400, "INVALID_ARGUMENT")
    api.err("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", {"batch": {"inputConfig": {"fileName": "files/none"}}}, 404, "NOT_FOUND")
    api.err("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", {"batch": {"inputConfig": {"requests": {"requests": [{"request": req("x")}]}}, "dest": 1}}, 400, "INVALID_ARGUMENT")
    api.err("GET", "/v1beta/batches/nosuchbatch", None, 404, "NOT_FOUND")
    api.err("POST", "/v1beta/batches/nosuchbatch:cancel", {}, 404, "NOT_FOUND")
    st, _, _ = api.call("GET", "/v1beta/batches/x:frobnicate")
    check(st == 404, "an unknown verb is not a batch")
    # the log: every batch call names its batch; creates count their requests
    entries = [json.loads(x) for x in open(log)]
    creates = [e for e in entries if e["path"].endswith(":batchGenerateContent") and e["status"] == 200]
    check(len(creates) == len(made), f"{len(creates)} creates logged")
    check([e["batch"] for e in creates] == made, "the log names each created batch")
    check(creates[0]["requests"] == 2 and creates[0]["display_name"] == "wire-inline", f"create line {creates[0]}")
    check(creates[3]["requests"] == 7, "a file batch's request count")
    gets = [e for e in entries if e["method"] == "GET" and e["path"].startswith(("/v1beta/batches/", "/v1/batches/")) and ":" not in e["path"]]
    check(gets and all("batch" in e for e in gets), "gets name their batch")
    check(any(e.get("state") == "BATCH_STATE_SUCCEEDED" for e in gets), "gets log the state")


def line_batches(api):
    """One inline and one file batch of 30; returns their error patterns."""
    src = [{"request": req(f"l{i}"), "metadata": {"key": f"i{i}"}} for i in range(30)]
    op = api.create("v1beta", {"batch": {"inputConfig": {"requests": {"requests": src}}}})
    done = api.wait("v1beta", op["name"])
    items = done["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]
    nerr = sum(1 for it in items if "error" in it)
    check_succeeded(done, 30, 30 - nerr, False)
    check(0 < nerr < 30, f"{nerr} of 30 inline requests failed")
    for it in items:
        if "error" in it:
            check(set(it) == {"error", "metadata"} and it["error"]["code"] == 13 and it["error"]["message"], f"error item {it}")
    pat1 = "".join("E" if "error" in it else "." for it in items)
    lines = [{"key": f"f{i}", "request": req(f"l{i}")} for i in range(30)]
    f = api.upload("v1beta", ("\n".join(json.dumps(x) for x in lines) + "\n").encode())
    op = api.create("v1beta", {"batch": {"inputConfig": {"fileName": f["name"]}}})
    done = api.wait("v1beta", op["name"])
    out = api.ok("GET", f"/v1beta/{done['metadata']['output']['responsesFile']}:download?alt=media", raw=True)
    got = [json.loads(x) for x in out.decode().splitlines()]
    check([g["key"] for g in got] == [x["key"] for x in lines], "keys in order")
    for g in got:
        if "error" in g:
            check(set(g) == {"key", "error"} and set(g["error"]) == {"code", "message"} and g["error"]["code"] == 13, f"error line {g}")
    pat2 = "".join("E" if "error" in g else "." for g in got)
    nerr = pat2.count("E")
    check(0 < nerr < 30, f"{nerr} of 30 lines failed")
    check_succeeded(done, 30, 30 - nerr, True)
    check(pat1 != pat2, "each batch draws afresh")
    return pat1 + "|" + pat2


def cmd_faults(url, url2):
    a, b = line_batches(Api(url)), line_batches(Api(url2))
    check(a == b, f"the same seed fails the same lines: {a} vs {b}")


def cmd_expire(url):
    api = Api(url)
    op = api.create("v1beta", {"batch": {"inputConfig": {"requests": {"requests": [{"request": req("x")}] * 3}}}})
    done = api.wait("v1beta", op["name"])
    check(set(done) == {"name", "metadata", "done", "error"}, f"expired keys {sorted(done)}")
    m = done["metadata"]
    check(m["state"] == "BATCH_STATE_EXPIRED" and "output" not in m and "endTime" in m, f"expired {m}")
    check(done["error"]["code"] == 4 and done["error"]["message"], f"error {done['error']}")
    check(stats(done) == {"requestCount": "3", "pendingRequestCount": "3"}, f"stats {stats(done)}")


def cmd_lost(url):
    api = Api(url)
    kinds = set()
    for i in range(9):
        body = {"batch": {"displayName": f"lost-{i}",
                          "inputConfig": {"requests": {"requests": [{"request": req("x")}]}}}}
        try:
            st, _, j = api.call("POST", f"/v1beta/models/{MODEL}:batchGenerateContent", body, raw=True)
        except (OSError, http.client.HTTPException):  # half the body, then the connection dropped
            kinds.add("dropped")
            continue
        if st == 500:
            check(j["error"]["status"] == "INTERNAL", f"create {i}: {j}")
            kinds.add("500")
            continue
        check(st == 200, f"create {i}: HTTP {st}")
        try:
            json.loads(j)
            fail(f"create {i}: its answer was not lost: {j[:200]}")
        except ValueError:  # a 200 whose body stops halfway
            kinds.add("cut")
    check(len(kinds) >= 2, f"the answers were lost only one way: {kinds}")
    ops = api.ok("GET", "/v1beta/batches?pageSize=100")["operations"]
    names = sorted(o["metadata"].get("displayName", "") for o in ops)
    check(names == [f"lost-{i}" for i in range(9)], f"each lost create made one batch: {names}")
    for o in ops:
        check_succeeded(api.wait("v1beta", o["name"]), 1, 1, False)


def cmd_big(url, path, n):
    api = Api(url)
    with open(path, "rb") as fh:
        data = fh.read()
    f = api.upload("v1beta", data, chunks=7)
    del data
    op = api.create("v1beta", {"batch": {"inputConfig": {"fileName": f["name"]}}})
    check(stats(op)["requestCount"] == str(n), f"requestCount {stats(op)}")
    done = api.wait("v1beta", op["name"], tries=3000)
    check_succeeded(done, n, n, True)
    req_ = urllib.request.Request(f"{url}/download/v1beta/{done['metadata']['output']['responsesFile']}:download?alt=media", headers=KEY)
    i = 0
    with urllib.request.urlopen(req_) as r:
        for line in r:
            k = json.loads(line)["key"]
            check(k == f"k{i}", f"line {i} has key {k}")
            i += 1
    check(i == n, f"{i} result lines for {n} requests")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "wire":
        cmd_wire(*args)
    elif cmd == "faults":
        cmd_faults(*args)
    elif cmd == "expire":
        cmd_expire(*args)
    elif cmd == "lost":
        cmd_lost(*args)
    elif cmd == "big":
        cmd_big(args[0], args[1], int(args[2]))
    else:
        fail("unknown command " + cmd)
