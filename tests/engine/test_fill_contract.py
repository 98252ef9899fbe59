"""fill_region's contract: determinism, progress and cancellation, low-confidence fallback for
beatless music, and clear EngineErrors (never a crash, never silence) for what it cannot fill."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.synth import synth_song
from inpaint_studio.engine.errors import EngineError
from inpaint_studio.engine.fill import fill_region
from inpaint_studio.engine.metrics import measure


@pytest.fixture(scope="module")
def short_song():
    return synth_song(seconds=48.0, bpm=126.0, seed=7)


@pytest.fixture(scope="module")
def seeded_fill(short_song):
    """One fill of 20–27 s with seed 3, read by the determinism and the measure tests."""
    return fill_region(short_song, 20.0, 27.0, seed=3)


def test_same_seed_same_takes_other_seed_still_valid(short_song, seeded_fill):
    a = seeded_fill
    b = fill_region(short_song, 20.0, 27.0, seed=3)
    assert len(a.versions) == len(b.versions) == 2
    for va, vb in zip(a.versions, b.versions, strict=True):
        assert np.array_equal(va.audio.samples, vb.audio.samples)
        assert va.meta == vb.meta
        json.dumps(va.meta)  # JSON-serialisable, as the server stores it


def test_progress_rises_to_one_and_cancel_stops_the_job(short_song):
    seen: list[float] = []
    fill_region(short_song, 20.0, 24.0, num_versions=1, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(b >= a for a, b in zip(seen, seen[1:], strict=False))
    token = CancelToken()
    calls: list[float] = []

    def cancel_after_analysis(f: float) -> None:
        calls.append(f)
        if f > 0:
            token.cancel()

    with pytest.raises(Cancelled):
        fill_region(short_song, 20.0, 24.0, token=token, progress=cancel_after_analysis)
    assert calls[-1] < 1.0


def test_a_prompt_only_orders_the_takes(short_song):
    loud = fill_region(short_song, 20.0, 27.0, prompt="more energetic please")
    calm = fill_region(short_song, 20.0, 27.0, prompt="calm and soft")
    key = lambda r: sorted(v.meta["seams"][0] for v in r.versions)  # noqa: E731
    assert key(loud) == key(calm)  # the same takes, only their order differs
    assert loud.versions[0].meta["loudness_lufs"] >= loud.versions[1].meta["loudness_lufs"]
    assert calm.versions[0].meta["loudness_lufs"] <= calm.versions[1].meta["loudness_lufs"]


@pytest.mark.parametrize(
    "start,end,words",
    [(10.0, 12.0, "3–60 s"), (0.0, 61.0, "not inside"), (-1.0, 5.0, "not inside"),
     (30.0, 20.0, "not inside"), (math.nan, 5.0, "numbers"), (40.0, 50.0, "not inside")],
)
def test_regions_it_cannot_fill_raise_engine_error(short_song, start, end, words):
    with pytest.raises(EngineError, match=words):
        fill_region(short_song, start, end)


def test_too_little_material_and_silence_are_engine_errors():
    tiny = synth_song(seconds=9.0, seed=1)
    with pytest.raises(EngineError, match="not enough music"):
        fill_region(tiny, 2.0, 7.0)
    silent = Audio(np.zeros((2, 44100 * 30), np.float32), 44100)
    with pytest.raises(EngineError, match="silent"):
        fill_region(silent, 10.0, 16.0)


def test_beatless_music_gets_a_low_confidence_fill_not_silence():
    rng = np.random.default_rng(0)
    sr = 22050
    t = np.arange(40 * sr) / sr
    # slowly gliding drones with no onsets: nothing to track a beat on
    x = sum(np.sin(2 * np.pi * f * t + 3 * np.sin(2 * np.pi * 0.05 * k * t))
            for k, f in enumerate((110.0, 164.8, 220.0), start=1))
    x = x * (0.6 + 0.4 * np.sin(2 * np.pi * 0.03 * t)) + 0.01 * rng.standard_normal(len(t))
    song = Audio(np.stack([x, x]).astype(np.float32) * 0.15, sr)
    result = fill_region(song, 15.0, 21.0)
    assert result.versions
    for v in result.versions:
        assert v.meta["method"] == "frame-fallback"
        assert v.meta["confidence"] == "low"
        assert v.meta["metrics"]["gates"]["beat_phase"] is None  # skipped, not faked
        inside = v.audio.samples[:, int(16 * sr) : int(20 * sr)]
        assert float(np.sqrt(np.mean(inside**2))) > 0.02


def test_legato_music_without_drums_is_filled(short_song):
    song = synth_song(seconds=60.0, bpm=90.0, seed=4, style="legato")
    result = fill_region(song, 25.0, 33.0)
    assert len(result.versions) == 2
    for v in result.versions:
        inside = v.audio.samples[:, int(26 * 44100) : int(32 * 44100)]
        assert float(np.sqrt(np.mean(inside**2))) > 0.02


def test_measure_judges_any_version_against_the_original(short_song, seeded_fill):
    for v in seeded_fill.versions:
        again = measure(short_song, v.audio, v.meta["seams"])
        assert again == v.meta["metrics"]  # the app's seam readout sees what the engine saw


def test_the_frame_level_path_plans_and_renders_a_take():
    """The path taken when no beat-aligned cut hides (real legato/rubato music)."""
    from inpaint_studio.engine import fill as engine_fill
    from inpaint_studio.engine.analysis import analyse
    from inpaint_studio.engine.beats import beat_grid

    song = synth_song(seconds=50.0, bpm=90.0, seed=4, style="legato")
    an = analyse(song)
    grid = beat_grid(an)
    frames = engine_fill._frame_grid(an, grid)
    space, queue, kL, kR = engine_fill._search(an, frames, 22.0, 29.0, 2, 0)
    good, rest = engine_fill._plans(an, frames, queue, kL, kR, 22.0, 29.0)
    cand, plan = (good + rest)[0]
    take = engine_fill._version(song, an, grid, plan, 0, "frame", cand.cost)
    assert take is not None and take.meta["method"] == "frame"
    assert take.meta["seams"][0] <= 22.0 and take.meta["seams"][-1] >= 29.0
    assert take.meta["confidence"] == ("ok" if take.meta["metrics"]["passed"] else "low")


@pytest.mark.parametrize("where", ["start", "just after the start", "end"])
def test_regions_at_the_very_start_and_end_are_filled_and_judged(short_song, where):
    """A region from 0 s (or from 0.05 s) crashed in the render's splice and in the onset
    envelope of a short slice; one ending at the song's end must keep the song's length. An edge
    has no seam: the fill plays from the first frame (to the last), and only the inner seam is
    measured."""
    dur, sr = short_song.duration, short_song.sample_rate
    start = {"start": 0.0, "just after the start": 0.05, "end": dur - 8.0}[where]
    end = min(start + 8.0, dur)
    result = fill_region(short_song, start, end, seed=0)
    assert len(result.versions) == 2
    for v in result.versions:
        assert v.audio.frames == short_song.frames
        seams, m = v.meta["seams"], v.meta["metrics"]
        if where == "end":
            assert seams[-1] == pytest.approx(dur, abs=0.02) and seams[0] <= start
            assert m["seams"] == [s for s in seams if s < dur - 0.1]
            changed = np.abs(v.audio.samples[:, -sr:] - short_song.samples[:, -sr:]).max()
        else:
            assert seams[0] == 0.0 and seams[-1] >= end
            assert m["seams"] == seams[1:]
            changed = np.abs(v.audio.samples[:, :sr] - short_song.samples[:, :sr]).max()
        assert changed > 0.01  # the edge itself was replaced, not left as it was
        assert len(m["seam_z"]) == len(m["seams"]) >= 1
        assert isinstance(m["passed"], bool)


def test_a_replaced_ending_keeps_the_songs_decay_into_silence(short_song):
    """A song that fades to silence over its last 5 s: a region reaching its end is filled from
    louder mid-song material, yet the version must still end as quietly as the song (the
    ending's decay is kept in the level), and the engine's ending gate says so."""
    sr = short_song.sample_rate
    samples = short_song.samples.copy()
    n = 5 * sr
    samples[:, -n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32) ** 3
    song = Audio(samples, sr)

    def tail_db(x: np.ndarray) -> float:
        t = x[:, -sr // 2 :].astype(np.float64)
        return float(10 * np.log10(np.mean(t * t) + 1e-12))

    result = fill_region(song, song.duration - 8.0, song.duration, seed=0)
    loud = tail_db(short_song.samples)  # what mid-song material would leave at the end
    for v in result.versions:
        assert abs(tail_db(v.audio.samples) - tail_db(song.samples)) < 6.0
        assert tail_db(v.audio.samples) < loud - 20.0
        assert v.meta["metrics"]["gates"]["ending"] is True


def test_a_version_is_spliced_when_read_and_held_only_while_a_caller_holds_it(short_song):
    """The engine keeps only the fill: the whole version is made on demand, the same object
    while a caller holds it, and equal to the song outside the replaced span."""
    v = fill_region(short_song, 20.0, 27.0, seed=0, num_versions=1).versions[0]
    a = v.audio
    assert v.audio is a  # held: not spliced again
    sr = short_song.sample_rate
    lo, hi = int((v.meta["seams"][0] - 0.1) * sr), int((v.meta["seams"][-1] + 0.1) * sr)
    assert np.array_equal(a.samples[:, :lo], short_song.samples[:, :lo])
    assert np.array_equal(a.samples[:, hi:], short_song.samples[:, hi:])
    assert not np.array_equal(a.samples[:, lo:hi], short_song.samples[:, lo:hi])
    del a
    again = v.audio  # made anew once no one held it: the same samples
    assert np.array_equal(again.samples, fill_region(short_song, 20.0, 27.0, seed=0,
                                                     num_versions=1).versions[0].audio.samples)
