"""A time ruler for pyqtgraph: ticks on steps a musician reads easily, labels in m:ss.mmm.

Only the major ticks carry labels and there is one level of minor ticks: the ruler is repainted
on every scroll and zoom, and pyqtgraph's default three levels of labelled ticks cost more than
the waveform itself."""

from __future__ import annotations

import pyqtgraph as pg

from inpaint_studio.core.timefmt import format_time, tick_decimals

# (major step, minor step) in seconds: sub-second decimals, then seconds, then minutes.
_STEPS = [
    (0.0001, 0.00002), (0.0002, 0.0001), (0.0005, 0.0001), (0.001, 0.0002), (0.002, 0.0005),
    (0.005, 0.001), (0.01, 0.002), (0.02, 0.005), (0.05, 0.01), (0.1, 0.02), (0.2, 0.05),
    (0.5, 0.1), (1, 0.2), (2, 0.5), (5, 1), (10, 2), (15, 5), (30, 10), (60, 15), (120, 30),
    (300, 60), (600, 120), (900, 300), (1800, 300), (3600, 900), (7200, 1800),
]  # fmt: skip
_LABEL_PX = 90  # room one label needs, so labels never collide


def tick_steps(span: float, pixels: float) -> tuple[float, float]:
    """(major, minor) tick steps for `span` seconds shown over `pixels`."""
    ideal = span / max(1.0, pixels / _LABEL_PX)
    for major, minor in _STEPS:
        if major >= ideal:
            return float(major), float(minor)
    major, minor = _STEPS[-1]
    return float(major), float(minor)


class TimeAxisItem(pg.AxisItem):
    """An axis whose values are seconds."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.setStyle(maxTextLevel=0, maxTickLevel=1)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802
        if maxVal <= minVal or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        major, minor = tick_steps(maxVal - minVal, size)
        return [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        decimals = tick_decimals(spacing)
        return [format_time(v, decimals) if v >= -1e-9 else "" for v in values]
