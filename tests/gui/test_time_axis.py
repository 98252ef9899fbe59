"""The time ruler: readable steps at every zoom, labels in m:ss.mmm."""

from __future__ import annotations

import pytest

from inpaint_studio.gui.time_axis import TimeAxisItem, tick_steps


@pytest.mark.parametrize(
    "span,pixels,major",
    [(3600, 1600, 300), (600, 1600, 60), (60, 1600, 5), (5, 1600, 0.5), (0.02, 1600, 0.002),
     (16 / 44100, 1600, 0.0001)],
)  # fmt: skip
def test_steps_leave_room_for_labels(span, pixels, major):
    got, minor = tick_steps(span, pixels)
    assert got == major
    assert span / got <= pixels / 90 + 1e-9  # labels never collide
    assert minor < got


def test_labels_are_times(qapp):
    axis = TimeAxisItem("top")
    assert axis.tickStrings([0, 60, 125], 1, 5) == ["0:00", "1:00", "2:05"]
    assert axis.tickStrings([61.5], 1, 0.5) == ["1:01.5"]
    assert axis.tickStrings([1.25, 1.255], 1, 0.005) == ["0:01.250", "0:01.255"]
    assert axis.tickSpacing(0, 600, 1600) == [(60.0, 0.0), (15.0, 0.0)]
