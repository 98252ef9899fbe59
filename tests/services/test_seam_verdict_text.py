"""The Seams panel's verdict words follow the engine's own verdict: never "Seams sound natural"
for a take the verdict fails, and a failed detector is said in plain words."""

from __future__ import annotations

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.synth import synth_song
from inpaint_studio.engine.metrics import measure
from inpaint_studio.services.seam_readout import GATE_WORDS, verdict_text


def test_a_jump_cut_is_not_called_ok_and_the_original_is():
    song = synth_song(seconds=40.0, bpm=120.0, seed=5)
    sr = song.sample_rate
    cut = song.samples.copy()
    cut[:, int(20.0 * sr) : int(28.0 * sr)] *= 0.05  # a near-silent hole: a jump cut either side
    bad = measure(song, Audio(cut, sr), [20.0, 28.0])
    assert bad["passed"] is False
    text = verdict_text(bad)
    assert "natural" not in text and text.startswith("Listen to it: ")
    failed = [k for k in bad["counted"] if bad["gates"][k] is False]
    assert failed  # the verdict names what failed
    assert all(GATE_WORDS[k] in text for k in failed)
    same = measure(song, Audio(song.samples.copy(), sr), [20.0, 28.0])
    assert same["passed"] is True and verdict_text(same) == "Seams sound natural"


def test_the_words_follow_passed_not_only_the_gates():
    gates = {"seam": True, "beat_phase": None, "loudness": True}
    assert verdict_text({"gates": gates, "passed": True}) == "Seams sound natural"
    # a verdict that failed with no gate named still does not say OK
    assert verdict_text({"gates": gates, "passed": False}).startswith("Listen to it: ")
    text = verdict_text({"gates": {**gates, "onsets": False}, "passed": False})
    assert text == "Listen to it: " + GATE_WORDS["onsets"]
