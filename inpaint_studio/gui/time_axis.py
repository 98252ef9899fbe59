"""A time ruler for pyqtgraph: ticks on steps a musician reads easily, labels in m:ss.mmm, or,
when the song has a beat grid and the ruler is set to bars, labels in bars.beats ("33",
"33.3"): every bar (or every 2nd, 4th… bar when zoomed out) labelled, beats as minor ticks, and
each beat labelled once there is room.

Only the major ticks carry labels and there is one level of minor ticks: the ruler is repainted
on every scroll and zoom, and pyqtgraph's default three levels of labelled ticks cost more than
the waveform itself."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
_BAR_LABEL_PX = 40  # room a bar number ("133") needs
_BEAT_LABEL_PX = 48  # room a bar.beat label ("133.3") needs
_MIN_TICK_PX = 4


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
        self.show_bars = False  # bars.beats labels (when there is a grid) instead of m:ss
        self._beats = np.empty(0)
        self._bars = np.empty(0)
        self._labels: dict[float, str] = {}

    def set_grid(self, beats: Sequence[float], positions: Sequence[int],
                 downbeats: Sequence[float]) -> None:
        """The song's beats with their place in the bar (1 = downbeat) and its bar lines; empty
        lists for none (the ruler shows time)."""
        self._beats = np.asarray(beats, dtype=float)
        self._bars = np.asarray(downbeats, dtype=float)
        self._labels = {}
        bar = 0
        for t, pos in zip(beats, positions, strict=False):
            if pos == 1:
                bar += 1
            if bar:
                self._labels[round(float(t), 6)] = str(bar) if pos == 1 else f"{bar}.{pos}"
        self._refresh()

    def set_show_bars(self, on: bool) -> None:
        self.show_bars = on
        self._refresh()

    @property
    def showing_bars(self) -> bool:
        """True when the labels are bars.beats (asked for, and the song has a grid)."""
        return self.show_bars and len(self._bars) > 1

    def _refresh(self) -> None:
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802
        if not self.showing_bars or maxVal <= minVal or size <= 0:
            return super().tickValues(minVal, maxVal, size)
        px_per_s = size / (maxVal - minVal)
        bar_s = float(np.median(np.diff(self._bars)))
        beat_s = float(np.median(np.diff(self._beats))) if len(self._beats) > 1 else bar_s
        j0, j1 = np.searchsorted(self._beats, [minVal, maxVal])
        beats = self._beats[j0:j1]
        if beat_s * px_per_s >= _BEAT_LABEL_PX:  # every beat labelled
            return [(beat_s, beats.tolist()), (beat_s, [])]
        step = 1
        while bar_s * px_per_s * step < _BAR_LABEL_PX:
            step *= 2
        i0, i1 = np.searchsorted(self._bars, [minVal, maxVal])
        idx = np.arange(i0, i1)
        major = self._bars[idx[idx % step == 0]]
        if beat_s * px_per_s >= _MIN_TICK_PX:
            minor = np.setdiff1d(beats, major)
        elif step > 1 and bar_s * px_per_s >= _MIN_TICK_PX:
            minor = self._bars[idx[idx % step != 0]]
        else:
            minor = np.empty(0)
        return [(bar_s * step, major.tolist()), (beat_s, minor.tolist())]

    def label_of(self, t: float) -> str:
        """The bars.beats label of the beat at `t` ("33", "33.3"), or m:ss without a grid."""
        return self._labels.get(round(float(t), 6), "")

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802
        if maxVal <= minVal or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        major, minor = tick_steps(maxVal - minVal, size)
        return [(major, 0.0), (minor, 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if self.showing_bars:
            return [self.label_of(v) for v in values]
        decimals = tick_decimals(spacing)
        return [format_time(v, decimals) if v >= -1e-9 else "" for v in values]
