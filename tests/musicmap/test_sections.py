"""Sections: the change-point segmentation on bar features with known changes, and the whole
analysis on a song (decoded by ffmpeg) whose sections differ by which instruments play."""

from __future__ import annotations

import numpy as np

from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.musicmap import analyze
from inpaint_studio.musicmap import sections as secmod
from tests.musicmap.songs import orchestrated, waltz


def _steps(changes: list[int], n: int, seed: int = 0) -> np.ndarray:
    """Bar features (n × 6): a new random level at each change, noise on every bar."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 6))
    edges = [0, *changes, n]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        x[a:b] = rng.normal(0.0, 2.0, 6)
    return x + rng.normal(0.0, 0.3, x.shape)


def test_segment_finds_lasting_changes_on_their_bar():
    x = _steps([8, 20, 32, 44], 56)
    z = secmod._standard(x)
    assert secmod.segment(z, 2.0) == [8, 20, 32, 44]


def test_a_one_bar_fill_is_not_a_section():
    x = _steps([16], 40, seed=3)
    x[27, :2] += 2.0  # one louder, brighter bar in the middle of the second section
    z = secmod._standard(secmod.smooth(x, secmod.SMOOTH_BARS))
    cuts = secmod.segment(z, 2.0)
    assert cuts in ([16], [17])  # the smoothing may find the change a bar late ...
    assert secmod.refine(secmod._standard(x), cuts) == [16]  # ... the refinement puts it back


def test_sections_follow_the_orchestration(tmp_path):
    audio, starts, letters = orchestrated()
    path = tmp_path / "orchestrated.flac"
    encode_audio(audio, path)
    m = analyze(load_audio(path))
    bar = 2.0  # 120 bpm, 4/4
    found = np.array([s for s, _, _ in m.sections[1:]])
    print("sections", m.sections)
    for t in starts[1:]:  # every change of instruments is a boundary within a bar
        assert np.min(np.abs(found - t)) <= bar + 0.05
    assert len(found) <= len(starts)  # at most one boundary more than the song has
    # the section over the middle of each true section: same letters where the form repeats
    mids = starts + 12 * bar / 2
    got = [next(lab for a, b, lab in m.sections if a <= t < b).rstrip("′") for t in mids]
    for i, j in ((0, 2), (1, 4)):
        assert letters[i] == letters[j] and got[i] == got[j]
    assert len({got[0], got[1], got[3]}) == 3


def test_a_steady_waltz_is_not_cut(tmp_path):
    """90 s of one unchanging I–IV–V–I waltz: no boundary before its ring-out."""
    audio, _, _ = waltz(90.0)
    path = tmp_path / "waltz.flac"
    encode_audio(audio, path)
    m = analyze(load_audio(path))
    print("sections", m.sections)
    assert [s for s, _, _ in m.sections[1:] if s < 85.0] == []
