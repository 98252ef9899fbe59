"""The engine's WSOLA (engine/stretch.py) plays what audiotsm's WSOLA plays, on real music
(the bundled synth song's mix) at the rates the render uses, and at the speed asked."""

import numpy as np
import pytest
from audiotsm import wsola as reference_wsola
from audiotsm.io.array import ArrayReader, ArrayWriter

from inpaint_studio.core.synth import synth_song
from inpaint_studio.engine.stretch import HOP, wsola


def _audiotsm(x: np.ndarray, speed: float) -> np.ndarray:
    tsm = reference_wsola(x.shape[0], speed=speed)
    writer = ArrayWriter(x.shape[0])
    tsm.run(ArrayReader(x), writer)
    return np.asarray(writer.data)


@pytest.fixture(scope="module")
def excerpt() -> np.ndarray:
    song = synth_song(seconds=12.0, bpm=117.0, seed=5)
    return song.samples[:, 44100 : 44100 * 7].astype(np.float32)


@pytest.mark.parametrize("speed", [0.93, 0.996, 1.004, 1.021, 1.3])
def test_same_output_as_audiotsm(excerpt: np.ndarray, speed: float) -> None:
    ref = _audiotsm(excerpt, speed)
    ours = wsola(excerpt, speed)
    assert ours.shape == ref.shape
    err = np.sqrt(np.mean((ours - ref) ** 2)) / np.sqrt(np.mean(ref**2))
    assert err < 1e-4  # the same shifts picked: only float rounding differs


def test_length_follows_the_speed(excerpt: np.ndarray) -> None:
    for speed in (0.9, 1.1):
        y = wsola(excerpt, speed)
        applied = int(HOP * speed) / HOP  # the hop is whole samples, as in audiotsm
        assert abs(y.shape[1] * applied - excerpt.shape[1]) < 4 * HOP


def test_short_input_gives_nothing_rather_than_failing() -> None:
    assert wsola(np.zeros((2, 100), np.float32), 1.05).shape == (2, 0)
