"""ASGI middleware that logs submits and result downloads (persisted, see `RequestLog`) and
injects the faults armed in `Faults`: latency, 429 bursts, 5xx, broken JSON, and connections cut
half-way through an answer (the request itself has been handled, so a cut submit has created its
job: exactly the "outcome unknown" case)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from inpaint_studio.server.config import Faults
from inpaint_studio.server.wire import RATE_LIMITED, SERVER_ERROR

Scope = dict[str, Any]


class DroppedConnection(Exception):
    """Raised on purpose after part of an answer: uvicorn then closes the socket."""


class RequestLog:
    """An append-only log of some requests (one JSON line each: time, method, path), kept in a
    file of the server's data folder when given one, so counts hold across restarts (each line
    goes out in one `write` on an O_APPEND file: a crash can cut only the last line, which
    loading skips). Never holds headers or bodies, so the key cannot end up in it."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.Lock()
        self.path = path
        self.entries: list[dict[str, Any]] = []
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict):
                        self.entries.append(entry)

    def add(self, entry: dict[str, Any]) -> None:
        entry = {"at": datetime.now(timezone.utc).isoformat(), **entry}
        with self._lock:
            self.entries.append(entry)
            if self.path is not None:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, (json.dumps(entry, sort_keys=True) + "\n").encode())
                finally:
                    os.close(fd)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.entries)

    def paths(self, method: str = "GET") -> dict[str, int]:
        """How many `method` requests each path got."""
        with self._lock:
            counts: dict[str, int] = {}
            for e in self.entries:
                if e.get("method") == method:
                    counts[e["path"]] = counts.get(e["path"], 0) + 1
            return counts


class FaultMiddleware:
    def __init__(self, app: Any, faults: Faults, submits: RequestLog,
                 downloads: RequestLog | None = None) -> None:
        self.app, self.faults, self.submits = app, faults, submits
        self.downloads = downloads

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if scope["method"] == "POST" and path.endswith("/v1/inpaint"):
            self.submits.add({"method": "POST", "path": path})
        elif self.downloads is not None and path.startswith("/files/"):
            self.downloads.add({"method": scope["method"], "path": path})
        f = self.faults
        if f.latency_s:
            await asyncio.sleep(f.latency_s)
        if f.take("rate_limit_next", path):
            await _json(send, 429, RATE_LIMITED, {"retry-after": f"{f.rate_limit_retry_after:g}"})
            await _drain(receive)
            return
        if f.take("server_error_next", path):
            await _json(send, f.server_error_status, SERVER_ERROR)
            await _drain(receive)
            return
        if f.take("drop_next", path):
            await self.app(scope, receive, _Cutter(send))
            return
        if f.take("malformed_next", path):
            await self.app(scope, receive, _Breaker(send))
            return
        await self.app(scope, receive, send)


async def _drain(receive: Any) -> None:
    # Read the request body we are refusing, so the client is not left blocked mid-upload.
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body"):
            return


async def _json(send: Any, status: int, body: dict, extra: dict[str, str] | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _length(message: dict) -> int | None:
    for key, value in message.get("headers", []):
        if key.lower() == b"content-length":
            return int(value)
    return None


class _Cutter:
    """Passes the answer through until half of its announced length, then cuts the connection."""

    def __init__(self, send: Any) -> None:
        self.send, self.left = send, 0

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.left = max(1, (_length(message) or 2) // 2)
            await self.send(message)
            return
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            if len(body) >= self.left:
                await self.send({"type": "http.response.body", "body": body[: self.left],
                                 "more_body": True})
                raise DroppedConnection("fault injection: connection cut mid-answer")
            self.left -= len(body)
        await self.send(message)


class _Breaker:
    """Collects the answer and sends a JSON-looking body that does not parse."""

    def __init__(self, send: Any) -> None:
        self.send, self.start, self.body = send, None, b""

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        self.body += message.get("body", b"")
        if message.get("more_body"):
            return
        broken = self.body[: max(1, len(self.body) // 2)] + b"<!-- upstream hiccup"
        assert self.start is not None
        headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() not in
                   (b"content-length", b"content-type")]
        headers += [(b"content-type", b"application/json"),
                    (b"content-length", str(len(broken)).encode())]
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": broken})
