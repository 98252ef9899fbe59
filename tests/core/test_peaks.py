"""The peak pyramid against brute-force min/max over the same spans."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.peaks import BASE, PeakPyramid, sample_envelope


def _brute(samples: np.ndarray, env) -> None:
    frames = samples.shape[1]
    assert env.columns > 0
    for i, s in enumerate(env.starts.astype(int)):
        span = samples[:, s : min(s + env.span, frames)]
        assert span.shape[1] > 0
        np.testing.assert_array_equal(env.mins[:, i], span.min(axis=1))
        np.testing.assert_array_equal(env.maxs[:, i], span.max(axis=1))


@pytest.fixture(scope="module")
def noise():
    rng = np.random.default_rng(7)
    return rng.standard_normal((2, 1_000_003)).astype(np.float32)


@pytest.mark.parametrize("chunk", [1, 100, 255, 256, 4097, 65536, 2_000_000])
def test_chunked_build_matches_whole_build(noise, chunk):
    data = noise[:, :300_001] if chunk < 256 else noise
    whole = PeakPyramid.from_samples(data, 44100)
    parts = PeakPyramid(2, 44100)
    for i in range(0, data.shape[1], chunk if chunk > 50 else 997):
        parts.append(data[:, i : i + (chunk if chunk > 50 else 997)])
    assert parts.frames == whole.frames == data.shape[1]
    for a, b in zip(parts._counts, whole._counts, strict=True):
        assert a == b
    for lvl in range(len(whole._counts)):
        n = whole._counts[lvl]
        np.testing.assert_array_equal(parts._mins[lvl][:, :n], whole._mins[lvl][:, :n])
        np.testing.assert_array_equal(parts._maxs[lvl][:, :n], whole._maxs[lvl][:, :n])


@pytest.mark.parametrize(
    "start,end,columns",
    [(0, 1_000_003, 1600), (0, 1_000_003, 7), (12_345, 98_765, 800), (999_000, 1_000_003, 50),
     (500_000.5, 500_000.5 + 60 * 44100, 1200), (0, 300, 1), (77, 1_000_003, 3)],
)  # fmt: skip
def test_envelope_matches_brute_force(noise, start, end, columns):
    pyr = PeakPyramid.from_samples(noise, 44100)
    env = pyr.envelope(start, end, columns)
    _brute(noise, env)
    # the columns cover the requested range, and there are not many more than asked for
    assert env.starts[0] <= start
    assert env.starts[-1] + env.span >= min(end, noise.shape[1])
    assert env.columns <= columns + 2


def test_envelope_picks_a_coarse_level_for_a_wide_view(noise):
    pyr = PeakPyramid.from_samples(noise, 44100)
    assert len(pyr._counts) >= 4
    env = pyr.envelope(0, noise.shape[1], 100)
    assert env.span >= BASE * 4**2  # not computed from level 0
    assert 50 <= env.columns <= 200


def test_columns_are_aligned_while_panning(noise):
    pyr = PeakPyramid.from_samples(noise, 44100)
    a = pyr.envelope(100_000, 300_000, 500)
    b = pyr.envelope(100_000 + 3 * a.span + 17, 300_000 + 3 * a.span + 17, 500)
    assert a.span == b.span
    common = np.intersect1d(a.starts, b.starts)
    assert common.size >= a.columns - 5  # the same grid, so shared columns are identical
    ia, ib = np.searchsorted(a.starts, common), np.searchsorted(b.starts, common)
    np.testing.assert_array_equal(a.maxs[:, ia], b.maxs[:, ib])


def test_sample_envelope_matches_brute_force(noise):
    env = sample_envelope(noise, 1000.3, 1000.3 + 40_000, 400)
    assert env.span == 100
    _brute(noise, env)
    single = sample_envelope(noise, 10, 20, 1000)
    assert single.span == 1
    np.testing.assert_array_equal(single.mins, noise[:, 10:20])


def test_empty_and_out_of_range_queries():
    pyr = PeakPyramid(1, 8000)
    assert pyr.envelope(0, 100, 10) is None
    pyr.append(np.ones((1, 10), np.float32))
    assert pyr.envelope(20, 30, 10) is None
    env = pyr.envelope(-5, 1e9, 10)
    assert env.columns == 1 and env.maxs[0, 0] == 1.0
    with pytest.raises(ValueError):
        pyr.append(np.ones((2, 10), np.float32))


def _same_pyramid(a: PeakPyramid, b: PeakPyramid) -> None:
    assert a.frames == b.frames and a.end == b.end
    assert a._counts == b._counts
    for lvl, n in enumerate(b._counts):
        np.testing.assert_array_equal(a._mins[lvl][:, :n], b._mins[lvl][:, :n])
        np.testing.assert_array_equal(a._maxs[lvl][:, :n], b._maxs[lvl][:, :n])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_writes_in_any_order_match_a_sequential_build(noise, seed):
    """Parts of a parallel decode: joins anywhere (mid-bin too), chunks of each part in order,
    the parts interleaved at random."""
    rng = np.random.default_rng(seed)
    frames = noise.shape[1]
    joins = sorted(int(j) for j in rng.integers(1, frames, 3))
    bounds = [0, *joins, frames]
    queues = []
    for s, e in zip(bounds, bounds[1:], strict=False):
        cuts = sorted({s, e, *(int(c) for c in rng.integers(s, e, 6))})
        queues.append(list(zip(cuts, cuts[1:], strict=False)))
    pyr = PeakPyramid(2, 44100, capacity_frames=frames // 3)  # too small: it has to grow
    while any(queues):
        q = queues[int(rng.choice([i for i, q in enumerate(queues) if q]))]
        s, e = q.pop(0)
        pyr.write(s, noise[:, s:e])
    _same_pyramid(pyr, PeakPyramid.from_samples(noise, 44100))


def test_parts_written_from_several_threads(noise):
    import threading

    pyr = PeakPyramid(2, 44100, noise.shape[1])
    bounds = [0, 250_001, 500_000, 777_777, noise.shape[1]]

    def part(s: int, e: int) -> None:
        for i in range(s, e, 4097):
            pyr.write(i, noise[:, i : min(i + 4097, e)])

    threads = [threading.Thread(target=part, args=(s, e))
               for s, e in zip(bounds, bounds[1:], strict=False)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _same_pyramid(pyr, PeakPyramid.from_samples(noise, 44100))


def test_envelope_with_gaps_shows_what_is_written_and_zero_elsewhere(noise):
    frames = noise.shape[1]
    pyr = PeakPyramid(2, 44100, frames)
    pyr.write(0, noise[:, :100_000])
    pyr.write(600_000, noise[:, 600_000:700_000])
    assert pyr.frames == 200_000 and pyr.end == 700_000
    env = pyr.envelope(0, frames, 700)
    assert env.starts[-1] < 700_000 <= env.starts[-1] + env.span
    for i, s in enumerate(env.starts.astype(int)):
        e = s + env.span
        written = [(a, b) for a, b in ((0, 100_000), (600_000, 700_000)) if s < b and a < e]
        if not written:  # not decoded yet: a flat line
            assert (env.mins[:, i] == 0).all() and (env.maxs[:, i] == 0).all()
            continue
        spans = np.concatenate([noise[:, max(a, s) : min(b, e)] for a, b in written], axis=1)
        np.testing.assert_array_equal(env.mins[:, i], spans.min(axis=1))
        np.testing.assert_array_equal(env.maxs[:, i], spans.max(axis=1))
    pyr.write(100_000, noise[:, 100_000:600_000])
    pyr.write(700_000, noise[:, 700_000:])
    _brute(noise, pyr.envelope(0, frames, 700))


def test_write_rejects_a_negative_start():
    with pytest.raises(ValueError):
        PeakPyramid(1, 8000).write(-1, np.ones((1, 10), np.float32))
