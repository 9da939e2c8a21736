"""A loopback webhook receiver for the notification tests and the benchmark.

Answers each POST from a script of status codes (then `default`), records every request it
answered (path, headers, body, time), and can go down (its socket closed: connections refused)
and come back on the same port.
"""

import http.server
import json
import socket
import threading
import time


class Receiver:
    def __init__(self, script=(), default=200, retry_after=None):
        self.script = list(script)
        self.default = default
        self.retry_after = retry_after  # sent with every non-2xx answer when set
        self.requests = []  # dicts: path, headers, body, json, at, status
        self.lock = threading.Lock()
        self.port = 0
        self._server = None
        self._thread = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                    try:
                        parsed = json.loads(body)
                    except ValueError:
                        parsed = None
                    receiver.requests.append({
                        "path": self.path, "headers": dict(self.headers), "body": body,
                        "json": parsed, "at": time.monotonic(), "status": status})
                self.send_response(status)
                if status >= 300 and receiver.retry_after is not None:
                    self.send_header("Retry-After", str(receiver.retry_after))
                body = b"" if status in (204, 304) else b"ok"  # 204 and 304 have no body
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def up(self):
        if self._server is None:
            for _ in range(100):
                try:
                    self.start()
                    return
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError("cannot listen again on port %d" % self.port)

    def stop(self):
        self.down()

    def delivered(self, path=None):
        """The requests answered 2xx (on `path` when given)."""
        with self.lock:
            return [r for r in self.requests
                    if 200 <= r["status"] < 300 and (path is None or r["path"] == path)]

    def all(self):
        with self.lock:
            return list(self.requests)
