"""THE one place secrets are taken out of text: every message, stored field, log line and
exception of the app passes through `redact` before it leaves the layer that made it.

The process remembers every secret it is handed (`remember`: the API key, when a client or the
local server is built with one); `redact` replaces each of them, and anything that merely looks
like a credential — a bearer token (`Bearer xyz…`) or a MusicGPT-style key (`sk-…`) — with
`***`. Once a secret is remembered, log records are redacted as they are made (a log record
factory), so no handler or formatter ever sees the raw key.

Where it is applied (each a boundary every piece of text of its kind crosses):
- `api.errors.ApiError` — every exception of the client (its message and the body it keeps);
- `api.client.MusicGPTClient` — every JSON answer of a server, before anything reads it
  (a task's `message` included);
- `jobs.store.JobStore` — the free-text columns, on write and on read (so `jobs`, `jobs --json`
  and the GUI show redacted text even for rows written by an older version);
- the logging record factory installed by `remember`."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "***"
_MIN_SECRET = 4  # shorter "secrets" would mask ordinary words

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_installed = False

# What looks like a credential even when the app was never told it: "Bearer <token>" and
# MusicGPT-style "sk-<token>" (also inside a longer word such as "key=sk-…").
_PATTERNS = re.compile(
    r"(?i)(?:\bbearer\s+[A-Za-z0-9._~+/=-]{6,})"
    r"|(?:(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{6,})"
)


def remember(secret: str | None) -> None:
    """Add `secret` to the secrets every later `redact` removes (and redact log records from
    now on). Empty and very short values are ignored."""
    global _secrets
    if not secret or len(secret.strip()) < _MIN_SECRET:
        return
    secret = secret.strip()
    with _lock:
        if secret not in _secrets:
            # Longest first, so a secret that contains another is masked whole.
            _secrets = tuple(sorted({*_secrets, secret}, key=len, reverse=True))
    _install_log_redaction()


def redact(text: str) -> str:
    """`text` with every remembered secret and every credential-looking token masked."""
    if not text:
        return text
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _PATTERNS.sub(MASK, text)


def redact_data(data: Any) -> Any:
    """Parsed JSON (or any nesting of dicts, lists and strings) with every string redacted,
    keys included."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, Mapping):
        return {redact(str(k)) if isinstance(k, str) else k: redact_data(v)
                for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(v) for v in data]
    return data


def _install_log_redaction() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for logging to report
            return record
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
