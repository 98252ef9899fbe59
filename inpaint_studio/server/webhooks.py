"""Webhook delivery: POST a JSON payload to the task's `webhook_url` with a timeout and a few
retries, on background threads. A failing webhook is logged and never fails the job.

Only the URL the client gave is ever contacted, and by default only when it is on loopback (the
local server has no business calling out to the internet)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

from inpaint_studio.api.hops import is_loopback

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(self, timeout: float = 10.0, attempts: int = 3,
                 loopback_only: bool = True) -> None:
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.loopback_only = loopback_only
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")
        self._stop = threading.Event()
        self.delivered: list[tuple[str, int | None]] = []  # (subtype, HTTP status or None)

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Queue one delivery; returns at once."""
        if self._stop.is_set():
            return
        if self.loopback_only and not is_loopback(urlsplit(url).hostname):
            log.warning("not calling webhook on %s: only loopback webhooks are enabled",
                        urlsplit(url).hostname)
            return
        self._pool.submit(self._deliver, url, payload)

    def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        status: int | None = None
        for attempt in range(self.attempts):
            try:
                # Never redirected: a redirect could lead off the address checked in `send`
                # (a 3xx counts as not accepted).
                with requests.Session() as session:
                    # A loopback webhook never goes through a proxy named in the environment
                    # (the proxy would be the one contacted, possibly off this machine).
                    session.trust_env = not is_loopback(urlsplit(url).hostname)
                    resp = session.post(url, json=payload, timeout=self.timeout,
                                        allow_redirects=False)
                status = resp.status_code
                if resp.status_code < 500 and resp.status_code != 429:
                    break
            except requests.RequestException as exc:
                log.info("webhook %s attempt %d failed: %s", payload.get("subtype"),
                         attempt + 1, type(exc).__name__)
            if self._stop.wait(0.5 * 2**attempt):
                break
        self.delivered.append((str(payload.get("subtype")), status))
        if status is None or status >= 300:
            log.warning("webhook %s for task %s was not accepted (status %s)",
                        payload.get("subtype"), payload.get("task_id"), status)

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
