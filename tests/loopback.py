"""A tiny HTTP server on 127.0.0.1 for tests that need a song host, a webhook receiver, a
redirector or a hostile API: one place that starts, names and stops it."""

from __future__ import annotations

import http.server
import threading


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers in one call."""

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
               ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class Loopback:
    """Serves `handler` on a free loopback port, each request in its own thread, until
    `close()`; `base` is its address (`http://127.0.0.1:PORT`)."""

    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
