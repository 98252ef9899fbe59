"""The local backend's route finds the song's map in the map cache by the file's bytes (the key
the editor stores it under), so a job on a song the editor has mapped is not analysed again."""

from __future__ import annotations

import pytest

from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.musicmap import cache, pipeline
from inpaint_studio.player import route


@pytest.mark.slow
def test_the_map_is_read_from_the_cache_by_the_files_bytes(tmp_path):
    path = tmp_path / "song.wav"
    encode_audio(synth_song(10.0, bpm=100.0, seed=1), path)
    # Under the file's key, a map that is not this song's: finding it proves it was read,
    # not analysed.
    planted = pipeline.analyze(synth_song(10.0, bpm=140.0, seed=2, style="legato"))
    cache.store(tmp_path / "maps", cache.file_key(path), planted)
    audio = load_audio(path)
    stages: set[str] = set()
    assert route.song_map(audio, path, tmp_path / "maps", stages=stages).to_dict() \
        == planted.to_dict()
    assert stages == {"cached"}
    # Without the file, keyed by the samples: a miss, analysed (this song) and stored.
    analysed = route.song_map(audio, None, tmp_path / "maps")
    assert analysed.to_dict() != planted.to_dict()
    assert cache.load(tmp_path / "maps", cache.audio_key(audio)).to_dict() == analysed.to_dict()


def test_a_machine_without_fluidsynth_fails_the_job_at_once_naming_both_packages(
        tmp_path, monkeypatch):
    """A musical prompt on a machine without the FluidSynth program: the user's message names
    what to install, before any seconds are spent analysing the song's map."""
    from inpaint_studio.player.fill import PlayerError

    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no fluidsynth on it
    analysed = []
    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: analysed.append(1))
    song = synth_song(10.0, bpm=100.0, seed=1)
    with pytest.raises(PlayerError, match="apt-get install fluidsynth fluid-soundfont-gm"):
        route.fill_region(song, 4.0, 7.0, prompt="Add a soft guitar solo here",
                          map_cache_dir=tmp_path / "maps")
    assert analysed == []
