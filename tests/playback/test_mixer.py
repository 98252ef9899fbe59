"""The mixer, headless: switch continuity to the sample, crossfade law, loop edges, gains."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.playback.mixer import Mixer
from inpaint_studio.playback.sources import SourceSet

RATE = 8000  # small numbers keep the arithmetic readable; the mixer is rate-agnostic
BLOCK = 64


def ramp(frames: int, scale: float, offset: float = 0.0) -> Audio:
    """Stereo where every frame's value says which source and which frame it is."""
    row = (offset + scale * np.arange(frames)).astype(np.float32)
    return Audio(np.stack([row, -row]), RATE)


def const(frames: int, value: float) -> Audio:
    return Audio(np.full((2, frames), value, dtype=np.float32), RATE)


def make(sources: dict[str, Audio]) -> Mixer:
    mixer = Mixer(RATE, 2, crossfade_s=0.004)  # 32 frames
    mixer.set_sources(SourceSet(sources))
    return mixer


def run(mixer: Mixer, frames: int, block: int = BLOCK) -> np.ndarray:
    out = np.empty((frames, 2), dtype=np.float32)
    for a in range(0, frames, block):
        mixer.render(out[a : a + block])
    return out


def test_plays_the_audible_source_and_the_playhead_counts_frames():
    a = ramp(4000, 1e-4)
    mixer = make({"original": a, "v1": ramp(4000, -1e-4)})
    run(mixer, BLOCK)  # paused: silence, playhead still
    assert mixer.position == 0 and not mixer.playing
    mixer.play()
    out = run(mixer, 640)
    x = mixer.crossfade_frames
    np.testing.assert_array_equal(out[x:, 0], a.samples[0, x:640])  # after the fade-in: exact
    assert mixer.position == 640 and mixer.audible == "original"


def test_switch_keeps_the_playhead_and_lands_on_the_same_sample():
    a, b = ramp(4000, 1e-4), ramp(4000, 1e-4, offset=0.5)
    mixer = make({"original": a, "v1": b})
    mixer.play()
    run(mixer, 320)
    mixer.select("v1")
    out = run(mixer, 320)
    x = mixer.crossfade_frames
    assert mixer.position == 640 and mixer.audible == "v1" and mixer.switches == 1
    # right after the crossfade the output is v1 at exactly the frame it would be at anyway
    np.testing.assert_array_equal(out[x:, 0], b.samples[0, 320 + x : 640])
    # during it, both at the same timeline frame, weighted by the equal-power law
    t = (np.arange(x) + 0.5) / x
    old, new = a.samples[0, 320 : 320 + x], b.samples[0, 320 : 320 + x]
    want = old * np.cos(t * np.pi / 2) + new * np.sin(t * np.pi / 2)
    np.testing.assert_allclose(out[:x, 0], want, atol=1e-6)


def test_crossfade_is_equal_power():
    mixer = make({"one": const(2000, 1.0), "zero": const(2000, 0.0)})
    mixer.play()
    run(mixer, 256)
    mixer.select("zero")
    down = run(mixer, 256)[:, 0]
    mixer.select("one")
    up = run(mixer, 256)[:, 0]
    x = mixer.crossfade_frames
    assert x == 32
    np.testing.assert_allclose(down[:x] ** 2 + up[:x] ** 2, 1.0, atol=1e-6)
    assert np.all(np.diff(down[:x]) < 0) and np.all(down[x:] == 0)
    assert up[x - 1] < 1.0 and np.all(up[x:] == 1.0)
    assert x / RATE <= 0.010  # the whole switch is heard within 10 ms
    for rate in (44100, 48000, 96000):  # and so with the app's default crossfade
        assert Mixer(rate).crossfade_frames / rate <= 0.010


def test_switch_in_the_middle_of_a_block_of_any_size():
    a, b = ramp(6000, 1e-4), ramp(6000, 1e-4, offset=0.25)
    mixer = make({"original": a, "v1": b})
    mixer.play()
    out = np.empty((3000, 2), np.float32)
    sizes = [7, 300, 1, 64, 513, 2000]
    pos = 0
    for i, n in enumerate(sizes * 3):
        n = min(n, 3000 - pos)
        if n <= 0:
            break
        if i == 3:
            mixer.select("v1")
            switched_at = pos
        mixer.render(out[pos : pos + n])
        pos += n
    x = mixer.crossfade_frames
    after = switched_at + x
    np.testing.assert_array_equal(out[after:pos, 0], b.samples[0, after:pos])
    assert mixer.position == pos


def test_loop_wraps_at_its_edges_with_exact_period():
    a = ramp(8000, 1e-4)
    mixer = make({"original": a})
    start, end = 1000, 1800
    mixer.seek(900)
    mixer.set_loop(start, end)
    mixer.play()
    out = run(mixer, 100 + 3 * (end - start))[:, 0]
    x = mixer.crossfade_frames
    # before the loop start: the song as is; into the loop until its end
    np.testing.assert_array_equal(out[x:900], a.samples[0, 900 + x : 1800])
    # at the wrap: the end fades into the start, then the start continues sample by sample
    w = end - 900
    np.testing.assert_array_equal(out[w + x : w + 700], a.samples[0, start + x : start + 700])
    period = end - start
    np.testing.assert_allclose(out[w + x : w + period], out[w + period + x : w + 2 * period])
    assert start <= mixer.position < end and mixer.loop == (start, end)


def test_loop_off_plays_to_the_end_and_stops():
    mixer = make({"original": ramp(1000, 1e-3)})
    mixer.seek(900)
    mixer.play()
    out = run(mixer, 256)
    assert not mixer.playing and mixer.position == 1000 and mixer.ended == 1
    assert np.all(out[100:] == 0)
    mixer.play()  # at the end: plays again from the start
    run(mixer, 64)
    assert mixer.position == 64


def test_gain_ramps_on_the_audible_source_and_applies_to_the_other_at_once():
    mixer = make({"original": const(4000, 0.5), "v1": const(4000, 0.5)})
    mixer.play()
    run(mixer, 128)
    mixer.set_gain("original", 0.5)
    out = run(mixer, 128)[:, 0]
    x = mixer.crossfade_frames
    assert np.all(np.diff(out[:x]) < 0)  # a linear ramp, no bump
    np.testing.assert_allclose(out[x:], 0.25)
    mixer.set_gain("v1", 2.0)
    mixer.select("v1")
    out = run(mixer, 128)[:, 0]
    np.testing.assert_allclose(out[x:], 1.0)


def test_pause_fades_out_and_holds_the_playhead():
    mixer = make({"original": const(4000, 0.5)})
    mixer.play()
    run(mixer, 256)
    mixer.pause()
    out = run(mixer, 256)[:, 0]
    x = mixer.crossfade_frames
    assert not mixer.playing and mixer.position == 256  # held where the pause was asked for
    assert np.all(np.diff(out[:x]) < 0) and np.all(out[x:] == 0)
    run(mixer, 256)
    assert mixer.position == 256


def test_seek_while_playing_crossfades_to_the_new_place():
    a = ramp(8000, 1e-4)
    mixer = make({"original": a})
    mixer.play()
    run(mixer, 256)
    mixer.seek(5000)
    out = run(mixer, 256)[:, 0]
    x = mixer.crossfade_frames
    np.testing.assert_array_equal(out[x:], a.samples[0, 5000 + x : 5256])
    assert mixer.position == 5256


def test_stop_at_ends_a_one_shot_pass():
    mixer = make({"original": const(8000, 0.5)})
    mixer.seek(1000)
    mixer.stop_at(2000)
    mixer.play()
    out = run(mixer, 2048)[:, 0]
    assert not mixer.playing and mixer.position == 2000
    assert np.all(out[1000:] == 0) and out[990 - mixer.crossfade_frames] == pytest.approx(0.5)


def test_new_sources_keep_the_playhead_and_the_audible_name():
    mixer = make({"original": const(4000, 0.1), "v1": const(4000, 0.2)})
    mixer.select("v1")
    mixer.play()
    run(mixer, 512)
    mixer.set_sources(SourceSet({"original": const(4000, 0.1), "v1": const(4000, 0.3)}))
    out = run(mixer, 512)[:, 0]
    assert mixer.audible == "v1" and mixer.position == 1024
    np.testing.assert_allclose(out[mixer.crossfade_frames :], 0.3)
    with pytest.raises(ValueError):
        mixer.set_sources(SourceSet({"x": Audio(np.zeros((2, 10), np.float32), 44100)}))


def test_render_allocates_no_audio_memory():
    sources = {n: ramp(200_000, 1e-6) for n in ("original", "v1", "v2")}
    mixer = make(sources)
    mixer.set_loop(1000, 150_000)
    mixer.play()
    out = np.empty((256, 2), np.float32)
    mixer.render(out)
    tracemalloc.start()
    for i in range(400):
        if i % 10 == 0:
            mixer.select(("original", "v1", "v2")[i % 3])
        mixer.render(out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16_000  # a few small Python objects; one audio block alone would be 2 KB+
