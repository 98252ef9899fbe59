"""A time ruler for pyqtgraph: ticks on musical-friendly steps, labels in m:ss.mmm."""

from __future__ import annotations

import pyqtgraph as pg

from inpaint_studio.core.timefmt import format_time, tick_decimals

# Steps of at least a second a musician reads easily: seconds, then minutes.
_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]
_LABEL_PX = 90  # room one label needs, so labels never collide


class TimeAxisItem(pg.AxisItem):
    """An axis whose values are seconds."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802
        span = maxVal - minVal
        if span <= 0 or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        ideal = span / max(1.0, size / _LABEL_PX)
        if ideal < 1:
            return super().tickSpacing(minVal, maxVal, size)
        for step in _STEPS:
            if step >= ideal:
                break
        minor = {1: 0.5, 2: 1, 5: 1, 10: 2, 15: 5, 30: 10, 60: 15, 120: 30, 300: 60, 600: 120,
                 900: 300, 1800: 300, 3600: 900}.get(step, step / 4)  # fmt: skip
        return [(float(step), 0.0), (float(minor), 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        decimals = tick_decimals(spacing)
        return [format_time(v, decimals) if v >= 0 else "" for v in values]
