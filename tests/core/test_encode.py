"""core.encode: the one ffmpeg pipe — a failing encoder is reported with its own words and leaves
nothing behind; a good encode decodes back to what was written."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.errors import EncodeError


def _noise(seconds: float = 3.0, rate: int = 44100) -> Audio:
    rng = np.random.default_rng(3)
    return Audio(rng.uniform(-0.5, 0.5, (2, int(seconds * rate))).astype(np.float32), rate)


def test_encoder_failure_is_an_encode_error_with_ffmpegs_reason_and_no_file(tmp_path):
    target = tmp_path / "out.flac"
    with pytest.raises(EncodeError) as info:
        encode_audio(_noise(), target, codec_args=["-c:a", "no_such_codec_xyz"])
    assert "out.flac" in str(info.value) and "no_such_codec_xyz" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary file


def test_unknown_suffix_is_refused_before_ffmpeg_runs(tmp_path):
    with pytest.raises(EncodeError, match=r"\.xyz"):
        encode_audio(_noise(), tmp_path / "out.xyz")
    assert list(tmp_path.iterdir()) == []


def test_flac_encode_is_lossless_at_16_bit_and_reports_progress(tmp_path):
    audio = _noise()
    seen: list[tuple[int, int]] = []
    path = encode_audio(audio, tmp_path / "out.flac", progress=lambda d, t: seen.append((d, t)))
    back = load_audio(path)
    assert back.samples.shape == audio.samples.shape
    np.testing.assert_allclose(back.samples, audio.samples, atol=1.0 / 32768 + 1e-6)
    assert seen[-1] == (audio.frames, audio.frames)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
