"""Body caps of the local server, enforced while reading (the outermost ASGI layer).

Every request body is capped before the application sees a byte of it: the declared
`Content-Length` is checked first (over the cap: 413 at once, nothing read), then a running
count of the bytes received covers chunked bodies and lying lengths (over the cap: the read
stops there and the answer is 413, whatever the application was about to say). So at most the
cap (plus what uvicorn buffers, 64 KiB) is ever read, and nothing past it is spooled or stored.
An answer sent before the body was read to its end closes the connection, so the rest of a
long body is not read (and thrown away) by uvicorn either.

Caps: a multipart `POST …/inpaint` may carry the song (`max_upload_bytes` plus room for the
text fields); every other body, JSON included, is text and gets `max_json_bytes`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

FIELDS_ROOM = 256 * 1024  # the text fields beside the song in a multipart upload


class BodyTooLarge(Exception):
    """Raised by the capped `receive` once a body passes its cap."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"request body over {cap} bytes")
        self.cap = cap


def too_large_body(cap: int) -> dict[str, Any]:
    mb = cap / (1024 * 1024)
    size = f"{mb:.0f} MB" if mb >= 1 else f"{cap // 1024} KB"
    return {"success": False, "message": f"The request is too large (the limit is {size})."}


class BodyCap:
    """ASGI middleware: `cap_for(scope)` gives the byte cap of a request's body."""

    def __init__(self, app: Any, cap_for: Callable[[dict[str, Any]], int]) -> None:
        self.app = app
        self.cap_for = cap_for
        self.refused = 0  # requests answered 413 here (for logs and tests)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            self.refused += 1
            log.info("refused a %s-byte body on %s before reading it (cap %d)", declared,
                     scope.get("path"), cap)
            await _send_413(send, cap)
            return
        count = 0
        tripped = False
        started = False
        replaced = False
        body_done = scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE")

        async def capped_receive() -> dict[str, Any]:
            nonlocal count, tripped, body_done
            if tripped:
                raise BodyTooLarge(cap)
            message = await receive()
            if message.get("type") == "http.request":
                count += len(message.get("body", b""))
                if not message.get("more_body", False):
                    body_done = True
                if count > cap:
                    tripped = True
                    raise BodyTooLarge(cap)
            elif message.get("type") == "http.disconnect":
                body_done = True
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started, replaced
            if tripped and not started:
                # Whatever the application answers to a body cut at the cap (a 422 for a
                # truncated form, a 500), the answer is 413.
                if not replaced:
                    replaced = True
                    await _send_413(send, cap)
                return
            if message.get("type") == "http.response.start":
                started = True
                if not body_done:
                    # Answered before the body was read to its end (a form it could not
                    # parse, a refused key): the connection closes after the answer, or
                    # uvicorn would read (and throw away) the rest of the body, however long.
                    message = {**message, "headers": [
                        *[(k, v) for k, v in message.get("headers", ())
                          if k.lower() != b"connection"], (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, capped_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
        if tripped:
            self.refused += 1
            log.info("refused a body on %s after %d bytes (cap %d)", scope.get("path"), count,
                     cap)
            if not replaced and not started:
                await _send_413(send, cap)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _send_413(send: Any, cap: int) -> None:
    body = json.dumps(too_large_body(cap)).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
