"""Cooperative cancellation shared by every long-running headless operation."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised inside an operation when its `CancelToken` was cancelled."""


class CancelToken:
    """A flag a caller sets and a long operation checks between steps (within ~100 ms)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; return True early if cancelled meanwhile."""
        return self._event.wait(seconds)


NEVER = CancelToken()  # a token nobody cancels, for callers that do not need cancellation
