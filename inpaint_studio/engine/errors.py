"""The engine's one error type: a region it cannot fill, with a message for the musician."""

from __future__ import annotations


class EngineError(Exception):
    """The local engine cannot fill this region; `str(err)` says why and what to try."""
