"""The default engine behind the server (player/route.py; the prompt "p" names no music, so
engine.fill.fill_region): a synthesised song in, two different full-length versions out, the
song untouched outside the region."""

from __future__ import annotations

import numpy as np
import pytest
import requests

from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.server.runner import LocalServer
from tests.server.conftest import KEY, Api


@pytest.mark.slow
def test_default_engine_fills_the_region(tmp_path):
    song = tmp_path / "song.wav"
    encode_audio(synth_song(30.0, bpm=120.0, seed=5), song)
    with LocalServer(tmp_path / "data", KEY, config=ServerConfig(workers=1)) as server:
        api = Api(server)
        task = api.submit(song, replace_start_at=12.0, replace_end_at=18.0).json()
        conv = api.wait(task["task_id"], timeout=120)[-1]["conversion"]
        assert conv["status"] == "COMPLETED", conv.get("message")
        original = load_audio(song).samples
        takes = []
        for i in (1, 2):
            path = tmp_path / f"v{i}.wav"
            path.write_bytes(requests.get(conv[f"conversion_path_wav_{i}"], timeout=30).content)
            take = load_audio(path).samples
            assert take.shape == original.shape
            rate = 44100
            outside = np.r_[0:11 * rate, 19 * rate:take.shape[1]]
            assert np.max(np.abs(take[:, outside] - original[:, outside])) < 1e-3
            takes.append(take[:, 12 * rate:18 * rate])
        assert np.max(np.abs(takes[0] - takes[1])) > 0.01  # two different versions
