"""The edit stack: undo/redo over keeps and region changes, crossfade changes after the fact."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.history import EditStack, KeepEdit, RegionEdit
from inpaint_studio.core.splice import splice

RATE = 22050


def noise(seconds: float, seed: int) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.5, 0.5, (2, int(seconds * RATE))).astype(np.float32), RATE)


def test_keep_undo_redo_restores_every_state_exactly():
    song = noise(60, 1)
    original = song.samples.copy()
    v1, v2 = noise(60, 2), noise(60, 3)
    stack = EditStack(song)
    stack.keep(v1, (2.0, 5.0), 0.03, {"version": 1})
    after_first = splice(Audio(original.copy(), RATE), v1, 2.0, 5.0, 0.03).samples
    assert np.array_equal(song.samples, after_first)
    stack.keep(v2, (4.0, 9.0), 0.05, {"version": 2})  # overlaps the first keep
    after_second = splice(Audio(after_first.copy(), RATE), v2, 4.0, 9.0, 0.05).samples
    assert np.array_equal(song.samples, after_second)
    assert stack.can_undo and not stack.can_redo
    edit, span = stack.undo()
    assert isinstance(edit, KeepEdit) and edit.source == {"version": 2}
    assert span == (edit.plan.lo, edit.plan.hi)
    assert np.array_equal(song.samples, after_first)
    stack.undo()
    assert np.array_equal(song.samples, original) and not stack.can_undo
    with pytest.raises(IndexError):
        stack.undo()
    stack.redo()
    stack.redo()
    assert np.array_equal(song.samples, after_second) and not stack.can_redo
    # Memory: only the regions (plus crossfade margin) are held, never whole songs.
    assert stack.nbytes < 0.6 * song.samples.nbytes


def test_a_new_keep_drops_the_redo_tail():
    song = noise(10, 4)
    stack = EditStack(song)
    stack.keep(noise(10, 5), (1.0, 2.0))
    stack.undo()
    stack.keep(noise(10, 6), (3.0, 4.0))
    assert len(stack.entries) == 1 and stack.entries[0].region == (3.0, 4.0)


def test_crossfade_changes_after_the_fact_under_later_edits():
    song = noise(10, 7)
    original = song.samples.copy()
    v1, v2 = noise(10, 8), noise(10, 9)
    stack = EditStack(song)
    stack.keep(v1, (1.0, 3.0), 0.03)
    stack.keep(v2, (2.5, 4.0), 0.03)
    stack.set_crossfade(0.2, index=0)
    want = splice(Audio(original.copy(), RATE), v1, 1.0, 3.0, 0.2)
    want = splice(want, v2, 2.5, 4.0, 0.03)
    assert np.array_equal(song.samples, want.samples)
    stack.set_crossfade(0.0)  # the latest keep
    want = splice(splice(Audio(original.copy(), RATE), v1, 1.0, 3.0, 0.2), v2, 2.5, 4.0, 0.0)
    assert np.array_equal(song.samples, want.samples)
    stack.undo()
    stack.undo()
    assert np.array_equal(song.samples, original)


def test_region_changes_merge_and_undo():
    song = noise(5, 10)
    stack = EditStack(song)
    assert stack.record_region(None, (1.0, 2.0)) is not None
    stack.record_region((1.0, 2.0), (1.0, 2.5))  # merged into the first
    assert len(stack.entries) == 1
    edit = stack.entries[0]
    assert isinstance(edit, RegionEdit) and edit.before is None and edit.after == (1.0, 2.5)
    stack.keep(noise(5, 11), (1.0, 2.5))
    stack.record_region((1.0, 2.5), (3.0, 4.0))
    assert [e.kind for e in stack.entries] == ["region", "keep", "region"]
    undone, span = stack.undo()
    assert undone.kind == "region" and span is None and undone.before == (1.0, 2.5)
    assert "Keep Version" in stack.entries[1].label
    assert stack.record_region((1.0, 2.0), (1.0, 2.0)) is None
