"""Real audio output for the playback tests: `pulse_sink` makes sure a PulseAudio daemon runs
(starting `pulseaudio -D` if `pactl info` fails; as root it only warns), loads a null sink of our
own, keeps it awake with a silent `pacat` (a suspended sink starts new streams late and slow) and
points new streams at it through `PULSE_SINK`. Everything it started is stopped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.playback.playback_pulse import PulseSink, routed_sink


@pytest.fixture(scope="session")
def pulse_sink() -> Iterator[PulseSink]:
    with routed_sink(f"inpaint_studio_test_{os.getpid()}") as sink:
        yield sink

