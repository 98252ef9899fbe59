"""Trust boundaries of the local server: which `Host` it answers to, whose tasks a key may see,
and what of the server's own filesystem a message may show (nothing).

- `HostCheck` (ASGI): a request whose `Host` is not an address the server listens on — the
  socket's own address and port (any loopback name for a loopback socket; any address literal
  for a wildcard bind) — is refused with 421 before anything else runs. This is what stops DNS
  rebinding: a page on `evil.example` that resolves to 127.0.0.1 still sends
  `Host: evil.example`, and result links are built from the (now checked) Host.
- `key_hash(key)`: a task keeps the hash of the key that made it; `byId` answers 404 for a task
  made with another key (a server restarted with another key does not serve them).
- `public_text(text, root)`: a message with the data folder and any absolute path taken out."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from typing import Any

from inpaint_studio.api.hops import is_loopback

_WILDCARD = ("0.0.0.0", "::", "")
# An absolute path (POSIX or Windows) not inside a URL: the `/` may not follow a word
# character, ':' or '/' (as in "http://host/path").
_PATH = re.compile(r"(?<![\w:/.])(?:[A-Za-z]:)?[/\\](?:[^\s'\"/\\]+[/\\])+[^\s'\"/\\:,;)]*")


def key_hash(key: str) -> str:
    """What a task keeps of the key that made it (never the key itself)."""
    return hashlib.sha256(("inpaint-studio-task:" + key).encode()).hexdigest()[:32]


def public_text(text: str, root: str | None = None) -> str:
    """`text` without server-side file paths (the data folder first, then any absolute path)."""
    if not text:
        return text
    if root:
        text = text.replace(str(root), "…")
    return _PATH.sub("…", text)


def _split_host(value: str) -> tuple[str, int | None] | None:
    value = value.strip().lower()
    if not value:
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[1:end], value[end + 1:]
    else:
        host, _, port_text = value.partition(":")
        rest = ":" + port_text if port_text else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    return host, (int(rest[1:]) if rest else None)


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def host_allowed(value: str | None, server: tuple[str, int] | None) -> bool:
    """Whether a `Host` header names the socket (`server`: its address and port)."""
    if not value or not server:
        return False
    parsed = _split_host(value)
    if parsed is None:
        return False
    host, port = parsed
    listen_host, listen_port = str(server[0]).lower(), int(server[1])
    if (port if port is not None else 80) != listen_port:
        return False
    if host == listen_host:
        return True
    if is_loopback(listen_host):
        return is_loopback(host)  # localhost, 127.0.0.1, [::1]: names of this computer only
    if listen_host in _WILDCARD:
        return host == "localhost" or _literal(host)  # a literal cannot be rebound
    return False


class HostCheck:
    """ASGI middleware: 421 for a request whose Host is not one the server listens on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                         if k.lower() == b"host"), None)
            if not host_allowed(host, scope.get("server")):
                body = json.dumps({"success": False, "message": "This server does not answer "
                                   "for that host name."}).encode()
                await send({"type": "http.response.start", "status": 421, "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
