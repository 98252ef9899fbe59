"""Inpaint Studio: replace one section of a song with AI, compare the versions, keep the best.

`from inpaint_studio import inpaint` gives the Python API for scripts and notebooks
(`inpaint_studio.scripting`, docs/scripting.md). It is loaded on first use, so importing this
package loads no Qt, no pydub and no numpy."""

from __future__ import annotations

from typing import Any

from inpaint_studio.identity import VERSION as __version__

# Names of the scripting API offered here, loaded from inpaint_studio.scripting when first read.
_SCRIPTING = ("inpaint", "Studio", "InpaintResult", "Version", "InpaintError", "InvalidInput",
              "JobFailed", "InpaintWarning", "CancelToken", "Cancelled", "load_segment")

__all__ = ["__version__", *_SCRIPTING]


def __getattr__(name: str) -> Any:
    if name in _SCRIPTING:
        from inpaint_studio import scripting

        return getattr(scripting, name)
    raise AttributeError(f"module 'inpaint_studio' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SCRIPTING})
