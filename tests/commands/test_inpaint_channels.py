"""Issue 13, finding 5: a 6-channel song in `inpaint` ended in a traceback from pyloudnorm
("Audio must have five channels or less."); it is now mixed down to stereo, with a note, and
the engine's loudness never fails on a channel count."""

from __future__ import annotations

import numpy as np

from inpaint_studio import cli
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.engine.loudness import loudness


def test_inpaint_mixes_a_six_channel_song_down_to_stereo_and_says_so(tmp_path, capsys):
    base = synth_song(30.0, bpm=120.0, seed=1)
    song = tmp_path / "six.wav"
    encode_audio(Audio(np.concatenate([base.samples, base.samples * 0.5, base.samples * 0.25])
                       .astype(np.float32), base.sample_rate), song)
    code = cli.main(["inpaint", str(song), "--start", "10", "--end", "16", "--prompt", "x",
                     "--versions", "1", "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "6 channels" in err and "stereo" in err
    assert load_audio(tmp_path / "out" / "version_1.wav").channels == 2


def test_engine_loudness_measures_any_channel_count():
    rate = 44100
    t = np.arange(rate) / rate
    tone = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    value = loudness(np.tile(tone, (6, 1)), rate)
    assert np.isfinite(value) and value > -40
