"""Whether the editor can open a window here (no Qt: the command line and `doctor` ask too)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping


def display_problem(env: Mapping[str, str] | None = None,
                    platform: str | None = None) -> str | None:
    """Why no window can be shown in this session, or None when one can (or when a Qt platform
    that needs no display, such as `offscreen`, was chosen on purpose)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    qpa = env.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith(("xcb", "wayland")):
        return None
    if not platform.startswith("linux"):
        return None  # macOS and Windows always have their window system
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "there is no graphical session here (neither DISPLAY nor WAYLAND_DISPLAY is set)"
