"""The map cache: keyed by content and analysis version, written atomically, a hit needs no
decode, a damaged entry is recomputed."""

from __future__ import annotations

import json

import pytest

from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.musicmap import analyze, analyze_cached, cache, map_file
from inpaint_studio.musicmap import pipeline as analyze_module


@pytest.fixture(scope="module")
def song_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "song.flac"
    encode_audio(synth_song(20.0, bpm=128, seed=4), path)
    return path


def _count_analyses(monkeypatch) -> list[int]:
    calls = []
    real = analyze_module.analyze

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(analyze_module, "analyze", counting)
    return calls


def test_second_open_is_served_from_the_cache_without_decoding(song_file, tmp_path,
                                                               monkeypatch):
    calls = _count_analyses(monkeypatch)
    first = map_file(song_file, tmp_path)
    assert len(calls) == 1
    entries = list((tmp_path / cache.SUBDIR).iterdir())
    assert [p.suffix for p in entries] == [".json"]  # no temporary file left behind

    def no_decode(*_a, **_k):
        raise AssertionError("a cache hit must not decode the song")

    monkeypatch.setattr("inpaint_studio.core.decode.load_audio", no_decode)
    stages = []
    second = map_file(song_file, tmp_path, progress=lambda f, s: stages.append(s))
    assert len(calls) == 1 and stages == ["cached"]
    assert second.to_dict() == first.to_dict()


def test_another_song_or_another_version_is_not_a_hit(song_file, tmp_path, monkeypatch):
    calls = _count_analyses(monkeypatch)
    map_file(song_file, tmp_path)
    other = tmp_path / "other.flac"
    encode_audio(synth_song(20.0, bpm=128, seed=5), other)
    map_file(other, tmp_path)
    assert len(calls) == 2
    monkeypatch.setattr(cache, "ANALYSIS_VERSION", cache.ANALYSIS_VERSION + 1)
    map_file(song_file, tmp_path)
    assert len(calls) == 3  # a changed analysis never serves an old map


def test_an_entry_of_an_older_version_is_ignored(song_file, tmp_path, monkeypatch):
    map_file(song_file, tmp_path)
    (entry,) = (tmp_path / cache.SUBDIR).iterdir()
    data = json.loads(entry.read_text())
    data["version"] -= 1
    entry.write_text(json.dumps(data))
    assert cache.load(tmp_path, entry.stem) is None


def test_a_damaged_entry_is_recomputed_and_replaced(song_file, tmp_path, monkeypatch):
    good = map_file(song_file, tmp_path)
    (entry,) = (tmp_path / cache.SUBDIR).iterdir()
    entry.write_text('{"duration": 3')  # cut short
    calls = _count_analyses(monkeypatch)
    again = map_file(song_file, tmp_path)
    assert len(calls) == 1
    assert again.to_dict() == good.to_dict()
    assert json.loads(entry.read_text())["version"] == good.version


def test_decoded_audio_is_keyed_by_its_samples(tmp_path, monkeypatch):
    song = synth_song(12.0, bpm=100, seed=6)
    calls = _count_analyses(monkeypatch)
    a = analyze_cached(song, tmp_path)
    b = analyze_cached(song, tmp_path)
    assert len(calls) == 1 and a.to_dict() == b.to_dict()
    louder = type(song)(song.samples * 0.5, song.sample_rate)
    analyze_cached(louder, tmp_path)
    assert len(calls) == 2


def test_a_cache_that_cannot_be_written_still_gives_the_map(tmp_path, monkeypatch):
    """The cache is an optimisation: a folder that cannot be made (here under a file) costs
    the next analysis, never this one (a player job used to fail with NotADirectoryError)."""
    song = synth_song(12.0, bpm=100, seed=6)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    got = analyze_cached(song, blocker / "maps")
    assert got.to_dict() == analyze(song).to_dict()


def test_the_default_folder_is_the_user_cache(song_file, studio_home):
    map_file(song_file)
    assert list((studio_home / "cache" / cache.SUBDIR).glob("*.json"))


def test_analyze_is_deterministic():
    song = synth_song(12.0, bpm=100, seed=6)
    assert analyze(song).to_dict() == analyze(song).to_dict()


def test_the_cache_lookup_does_not_import_the_analysis():
    """The editor looks a song up in the cache while it decodes: that import must not load
    scipy (the analysis), which would take a core from the decode for a second or more."""
    import subprocess
    import sys

    code = ("import sys; from inpaint_studio.musicmap import cache, MusicMap; "
            "print(sorted(m for m in ('scipy', 'inpaint_studio.musicmap.pipeline') "
            "if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    assert out.strip() == "[]"
    from inpaint_studio.musicmap import analyze  # still there when asked for

    assert callable(analyze)
