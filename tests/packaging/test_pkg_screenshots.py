"""packaging/screenshots.py drives the real app (`--screenshot`, offscreen, private home) and
writes the pictures the README and the metainfo show."""

from __future__ import annotations

import struct

import pytest
from PySide6.QtGui import QColor, QImage

from inpaint_studio.gui import theme
from tests.packaging.conftest import load_script


@pytest.mark.slow
def test_screenshot_script_renders_the_waveform_shot(tmp_path, qapp):
    shots = load_script("screenshots")
    assert shots.main(["waveform", "--out", str(tmp_path)]) == 0
    data = (tmp_path / "waveform.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1600, 900)
    # A drawn waveform, not an empty window: many pixels in the waveform's colour (the welcome
    # view has none; the waveform shot ~5 % of the samples, less when docks take room).
    image = QImage(str(tmp_path / "waveform.png"))
    wave = QColor(theme.WAVE[0]).rgb() & 0xFFFFFF
    hits = sum((image.pixel(x, y) & 0xFFFFFF) == wave
               for x in range(0, 1600, 8) for y in range(0, 900, 8))
    assert hits > 0.02 * (200 * 113)
    assert not list(tmp_path.glob("*.part.png"))


def test_unknown_shot_is_refused(tmp_path, capsys):
    shots = load_script("screenshots")
    try:
        shots.main(["no-such-shot", "--out", str(tmp_path)])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("an unknown shot name was accepted")
    assert "known: waveform" in capsys.readouterr().err
