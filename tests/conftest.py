"""Test-wide set-up: offscreen Qt, no real keyring, and per-user folders in a temporary place.

These are set before anything imports Qt, keyring or platformdirs."""

from __future__ import annotations

import os
import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
os.environ["INPAINT_STUDIO_HOME"] = tempfile.mkdtemp(prefix="inpaint-studio-tests-")
os.environ.pop("MUSICGPT_API_KEY", None)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from inpaint_studio.core.audio import Audio  # noqa: E402
from inpaint_studio.core.encode import encode_audio  # noqa: E402


@pytest.fixture
def studio_home(tmp_path, monkeypatch):
    """A fresh, empty per-user folder for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("INPAINT_STUDIO_HOME", str(home))
    return home


def tone(seconds: float = 3.0, rate: int = 44100, channels: int = 2, freq: float = 440.0) -> Audio:
    """A sine per channel (a fifth apart, so the channels differ), at -12 dBFS."""
    t = np.arange(int(seconds * rate)) / rate
    rows = [0.25 * np.sin(2 * np.pi * freq * (1.5**c) * t) for c in range(channels)]
    return Audio(np.asarray(rows, dtype=np.float32), rate)


@pytest.fixture
def audio_file(tmp_path):
    """Factory: write synthesised audio to a file of the given suffix via ffmpeg."""

    def make(suffix: str = ".wav", seconds: float = 3.0, rate: int = 44100, channels: int = 2):
        path = tmp_path / f"tone-{seconds}s-{rate}-{channels}{suffix}"
        encode_audio(tone(seconds, rate, channels), path)
        return path

    return make
