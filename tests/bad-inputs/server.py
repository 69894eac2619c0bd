#!/usr/bin/env python3
"""server.py MODE: a hostile stand-in for the Interactions API on 127.0.0.1
(port 0). Prints its base URL on the first line of stdout once it listens, then
answers every request the way MODE says (see MODES). Used by
tests/integration/bad-inputs.sh for the corpus cases whose `expect` names a
`server` mode. Standard library only."""
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = {"id": "ix_hostile", "status": "completed", "model": "gemini-2.5-flash",
        "outputs": [{"type": "text", "text": "ok"}],
        "usage": {"total_input_tokens": 1, "total_output_tokens": 1, "total_tokens": 2}}


def j(obj):
    return json.dumps(obj).encode()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "good"
    upload_url = ""
    count = 0
    lock = threading.Lock()

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            got = self.rfile.read(min(n, 1 << 20))
            if not got:
                break
            n -= len(got)

    def stream_forever(self, ctype, head, chunk, pause):
        """A body with no length that never ends (until the client hangs up)."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(head)
            while True:
                self.wfile.write(chunk)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.drain()
        self.answer()

    def files_api(self, upload_url):
        """The Files API's resumable protocol, with the upload URL the mode
        hands out; True when this request was one of its steps."""
        cmd = (self.headers.get("X-Goog-Upload-Command") or "").lower()
        if self.path.startswith("/upload/") and cmd == "start":
            self.send(200, b"", extra=[("X-Goog-Upload-URL", upload_url),
                                       ("X-Goog-Upload-Status", "active")])
            return True
        if self.path.startswith("/upload/") and "finalize" in cmd:
            f = {"name": "files/hostile", "uri": "http://127.0.0.1/v1beta/files/hostile",
                 "mimeType": "image/png", "state": "ACTIVE"}
            self.send(200, j({"file": f}), extra=[("X-Goog-Upload-Status", "final")])
            return True
        if self.path.startswith("/upload/"):
            self.send(400, j({"error": {"code": 400, "message": "unexpected upload step",
                                        "status": "INVALID_ARGUMENT"}}))
            return True
        return False

    def answer(self):
        m = self.mode
        if m.startswith("upload_") and self.files_api(H.upload_url):
            return
        if m.startswith("upload_") or m == "good":
            self.send(200, j(GOOD))
        elif m == "huge":
            # a 300 MiB JSON body, larger than the client's response limit
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            size = 300 << 20
            self.send_header("Content-Length", str(size))
            self.end_headers()
            head = b'{"id":"ix_huge","status":"completed","outputs":[{"type":"text","text":"'
            block = b"a" * (1 << 20)
            try:
                self.wfile.write(head)
                sent = len(head)
                while sent + len(block) < size:
                    self.wfile.write(block)
                    sent += len(block)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            self.close_connection = True
        elif m == "endless_json":
            self.stream_forever("application/json", b'{"id":"ix","outputs":[', b'{"type":"text","text":"x"},', 0.001)
        elif m == "endless_sse":
            start = {"event_type": "interaction.start", "interaction": {"id": "ix_e", "status": "in_progress"}}
            delta = {"event_type": "content.delta", "index": 0, "delta": {"type": "text", "text": "more "}}
            self.stream_forever("text/event-stream", b"data: " + j(start) + b"\n\n",
                                b"data: " + j(delta) + b"\n\n", 0.001)
        elif m == "flood_sse":
            # text deltas as fast as the socket takes them
            start = {"event_type": "interaction.start", "interaction": {"id": "ix_f", "status": "in_progress"}}
            delta = {"event_type": "content.delta", "index": 0, "delta": {"type": "text", "text": "y" * 4000}}
            frame = b"data: " + j(delta) + b"\n\n"
            self.stream_forever("text/event-stream", b"data: " + j(start) + b"\n\n", frame * 16, 0)
        elif m == "endless_keepalive":
            self.stream_forever("text/event-stream", b"", b": keepalive\n\n", 0.05)
        elif m == "trickle":
            # a byte every 2 s: never done, never quite silent
            self.stream_forever("application/json", b"{", b" ", 2.0)
        elif m == "bad_base64_image":
            body = dict(GOOD, outputs=[{"type": "text", "text": "here"},
                                       {"type": "image", "mime_type": "image/png", "data": "!!not*base64@@"}])
            self.send(200, j(body))
        elif m == "image_not_png":
            # valid base64 that says image/png but is not an image
            body = dict(GOOD, outputs=[{"type": "image", "mime_type": "image/png",
                                        "data": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="}])
            self.send(200, j(body))
        elif m == "html_200":
            self.send(200, b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>", "text/html")
        elif m == "html_502":
            self.send(502, b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
                           b"</h1></center><hr><center>nginx</center></body></html>", "text/html")
        elif m == "html_404":
            self.send(404, b"<html><body>Not Found</body></html>", "text/html")
        elif m == "text_plain_200":
            self.send(200, j(GOOD), "text/plain; charset=us-ascii")
        elif m == "octet_200":
            self.send(200, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "application/octet-stream")
        elif m == "empty_200":
            self.send(200, b"")
        elif m == "error_no_fields":
            self.send(400, j({"error": {}}))
        elif m == "echo_key":
            # a completed answer whose text carries the key it was sent
            key = self.headers.get("x-goog-api-key") or ""
            self.send(200, j(dict(GOOD, outputs=[{"type": "text", "text": "your key is " + key}])))
        elif m == "error_not_object":
            self.send(500, j({"error": "boom"}))
        elif m == "error_wrong_types":
            self.send(400, j({"error": {"code": "four hundred", "message": 7, "status": ["X"],
                                        "details": "nope"}}))
        elif m == "error_huge_message":
            self.send(400, j({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "m" * 200000}}))
        elif m == "error_escapes":
            # terminal control sequences in a message: OSC 0 (set the title),
            # CSI 2J (clear), a forged line, an 8-bit CSI; and the key echoed
            key = self.headers.get("x-goog-api-key") or ""
            msg = "\x1b]0;pwned\x07\x1b[2J\ngembatch: all done\u009b2J key " + key
            self.send(400, j({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": msg}}))
        elif m == "body_escapes":
            # raw control bytes in a 200 body (not valid JSON, but printed)
            self.send(200, b'{"id":"ix_esc","text":"\x1b]0;pwned\x07\x1b[2J","key":"'
                      + (self.headers.get("x-goog-api-key") or "").encode() + b'"}')
        elif m == "error_utf8_long":
            # a long non-ASCII message: cutting it to fit must not split a character
            self.send(400, j({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "\u00e9" * 3000}}))
        elif m == "html_latin1":
            # an error page that is not UTF-8
            self.send(503, b"<html><body>Service indisponible: r\xe9essayez plus tard</body></html>",
                      "text/html; charset=iso-8859-1")
        elif m == "html_utf8_cut":
            # a UTF-8 page whose 200th byte falls inside a character
            self.send(502, ("x" * 199 + "\u00e9\u00e9\u00e9 bad gateway").encode(), "text/html; charset=utf-8")
        elif m == "retry_delay_hostile":
            # delays that mean nothing: the client falls back to its own backoff
            self.send(429, j({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down",
                                        "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                                     "retryDelay": "nans"}]}}),
                      extra=[("Retry-After", "-5")])
        elif m == "retry_in_3s":
            # the first request is told to come back in 3 s: the client must sleep, not spin
            with H.lock:
                H.count += 1
                first = H.count == 1
            if first:
                self.send(429, j({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "later",
                                            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                                         "retryDelay": "3s"}]}}))
            else:
                self.send(200, j(GOOD))
        elif m == "wrong_shape":
            self.send(200, j({"id": 5, "status": ["completed"], "outputs": "text"}))
        elif m == "array_200":
            self.send(200, j([GOOD]))
        elif m == "deep_json":
            self.send(200, b"[" * 100000 + b"]" * 100000)
        elif m == "nul_in_text":
            self.send(200, j(dict(GOOD, outputs=[{"type": "text", "text": "a\u0000b"}])))
        elif m == "unknown_status":
            self.send(200, j(dict(GOOD, status="exploded")))
        elif m == "truncated":
            body = j(GOOD)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif m == "huge_header":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Junk", "j" * 300000)
            self.send_header("Content-Length", str(len(j(GOOD))))
            self.end_headers()
            self.wfile.write(j(GOOD))
        elif m == "redirect":
            self.send(302, b"", extra=[("Location", "http://203.0.113.1/steal")])
        elif m == "schema_never":
            # never matches {"label": ...}: the run re-asks, then gives up
            self.send(200, j(dict(GOOD, outputs=[{"type": "text", "text": "{\"nope\": 1}"}])))
        elif m == "bg_continuing":
            # background work the service continues itself: the create and the
            # first polls say requires_continuation, then it completes
            with H.lock:
                H.count += 1
                n = H.count
            if self.command == "POST" and n > 1:
                self.send(400, j({"error": {"code": 400, "message": "a second create",
                                            "status": "INVALID_ARGUMENT"}}))
            elif n < 4:
                self.send(200, j(dict(GOOD, id="ix_bg", status="requires_continuation",
                                      continuation_token="ct_server_side", outputs=[])))
            else:
                self.send(200, j(dict(GOOD, id="ix_bg")))
        elif m == "incomplete":
            # stopped short (G3): not an answer to accept, but its text was billed
            self.send(200, j(dict(GOOD, status="incomplete",
                                  outputs=[{"type": "text", "text": "The first half of"}])))
        elif m == "cont_no_token":
            self.send(200, j(dict(GOOD, status="requires_continuation",
                                  outputs=[{"type": "text", "text": "Part one, "}])))
        elif m == "cont_same_token":
            # hands back the token it was sent: a client that follows loops forever
            self.send(200, j(dict(GOOD, status="requires_continuation", continuation_token="ct_same")))
        elif m == "cont_endless":
            # a new token every time: only a bound on hops ends it
            with H.lock:
                H.count += 1
                n = H.count
            self.send(200, j(dict(GOOD, id="ix_%d" % n, status="requires_continuation",
                                  continuation_token="ct_%d" % n)))
        elif m.startswith("big_image"):
            # one 150 MiB PNG-typed image, streamed (bench/imgstream.sh); the
            # issue measured 577 MB of RSS for it, 3.7 times its size.
            # big_image_N: N MiB instead
            import base64
            block = os.urandom(3 << 20)
            mib = m[len("big_image_"):] if m.startswith("big_image_") else ""
            blocks = int(mib or os.environ.get("BIG_IMAGE_MIB", "150")) // 3
            enc = base64.b64encode(block)
            head = (b'{"id":"ix_big","status":"completed","model":"m","outputs":[{"type":"image",'
                    b'"mime_type":"image/png","data":"')
            tail = b'"}],"usage":{"total_input_tokens":1,"total_output_tokens":1,"total_tokens":2}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(head) + len(enc) * blocks + len(tail)))
            self.end_headers()
            try:
                self.wfile.write(head)
                for _ in range(blocks):
                    self.wfile.write(enc)
                self.wfile.write(tail)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
        elif m == "many_images":
            png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
            outs = [{"type": "image", "mime_type": "image/png", "data": png} for _ in range(200)]
            self.send(200, j(dict(GOOD, outputs=outs)))
        elif m == "images_20k":
            # one answer with 20,000 tiny PNGs: it stalled every other job while
            # 20,000 fsync'd files were made; now over the per-answer cap
            png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
            outs = [{"type": "image", "mime_type": "image/png", "data": png} for _ in range(20000)]
            self.send(200, j(dict(GOOD, outputs=outs)))
        else:
            self.send(500, j({"error": {"code": 500, "message": "unknown mode " + m, "status": "INTERNAL"}}))


def thief(log_path):
    """Another service on another port: anything that reaches it (the key,
    the file's bytes, a gopher request) is written to log_path, which a case
    then requires to be absent. Returns its port."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)

    def serve():
        while True:
            c, _ = ls.accept()
            c.settimeout(1.0)
            got = b""
            try:
                while len(got) < 1 << 20:
                    b = c.recv(65536)
                    if not b:
                        break
                    got += b
            except OSError:
                pass
            with open(log_path, "ab") as f:
                f.write(b"connection: " + got + b"\n")
            c.close()

    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


def main():
    H.mode = sys.argv[1] if len(sys.argv) > 1 else "good"
    case = os.environ.get("CASE_DIR", ".")
    if H.mode.startswith("upload_"):
        port = thief(os.path.join(case, "thief.log"))
        H.upload_url = {
            # the Files API hands out another port's URL: the key and the bytes
            # must stay with the endpoint
            "upload_other_port": "http://127.0.0.1:%d/upload/v1beta/files?upload_id=u1" % port,
            # a file:// URL: curl must never read a local file as the "answer"
            "upload_file_url": "file://" + os.path.join(os.path.abspath(case), "secret.txt"),
            # gopher:// sends raw bytes to any service
            "upload_gopher": "gopher://127.0.0.1:%d/_PING%%0D%%0A" % port,
        }[H.mode]
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    print("http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
