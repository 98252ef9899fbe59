"""The keep feature in a real main window (offscreen): keeping offered versions, Ctrl+Z /
Ctrl+Shift+Z, the history list, crossfade changes after the fact, export through a Worker, and
uploads of the edited song."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.export import ExportOptions
from inpaint_studio.core.splice import splice
from inpaint_studio.gui.export_dialog import ExportChoice, ExportDialog
from inpaint_studio.gui.keep_panel import KeepFeature
from tests.gui.conftest import services_for


def version_of(audio: Audio, seed: int) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.3, 0.3, audio.samples.shape).astype(np.float32),
                 audio.sample_rate)


@pytest.fixture
def keep(loaded, tmp_path):
    s = services_for(loaded, tmp_path)
    return KeepFeature(loaded, s.session, s.exporter, s.projects)


def settle(qtbot, feature, timeout=10000):
    qtbot.waitUntil(lambda: not feature.session.busy, timeout=timeout)
    qtbot.wait(5)


def keep_take(qtbot, loaded, keep, index: int, take: Audio, region: tuple[float, float]) -> None:
    """Offer `take` as version `index` for `region`, select that region, keep it, wait."""
    keep.offer(index, take, region)
    loaded.region.set(*region)
    keep.keep(index)
    settle(qtbot, keep)


def test_keep_undo_redo_and_history(qtbot, loaded, keep):
    doc = loaded.document
    original = doc.audio.samples.copy()
    v1 = version_of(doc.audio, 1)
    assert not keep.keep_actions[1].isEnabled()  # nothing offered yet
    keep.offer(1, v1, (5.0, 8.0))
    loaded.region.set(12.0, 14.0)
    assert not keep.keep_actions[1].isEnabled()  # not the region the version was made for
    loaded.region.set(5.0, 8.0)
    assert keep.keep_actions[1].isEnabled() and keep.panel.keep_buttons[1].isEnabled()
    assert not keep.keep_actions[2].isEnabled()
    with qtbot.waitSignal(doc.changed, timeout=10000):
        keep.keep_actions[1].trigger()
    settle(qtbot, keep)
    want = splice(Audio(original.copy(), doc.audio.sample_rate), v1, 5.0, 8.0, 0.03)
    assert np.array_equal(doc.audio.samples, want.samples)
    assert doc.peaks.frames == doc.audio.frames
    rows = keep.history.rows()
    assert rows[0] == "Original (as opened)" and rows[-1].startswith("Keep Version 1 0:05.000")
    assert keep.undo_action.isEnabled() and "Keep Version 1" in keep.undo_action.text()

    loaded.activateWindow()
    QTest.keyClick(loaded, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, keep)
    assert np.array_equal(doc.audio.samples, original)
    assert keep.redo_action.isEnabled()
    QTest.keyClick(loaded, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, keep)
    assert np.array_equal(doc.audio.samples, want.samples)

    # Undo back to the song as opened by clicking the first history row (two steps: the keep
    # and the region selection before it).
    keep.history.list.itemClicked.emit(keep.history.list.item(0))
    settle(qtbot, keep)
    assert keep.session.position == 0
    assert np.array_equal(doc.audio.samples, original)
    assert loaded.region.region is None  # the region as it was when the song was opened
    keep.history.list.itemClicked.emit(keep.history.list.item(2))  # redo both in one go
    settle(qtbot, keep)
    assert keep.session.position == 2
    assert np.array_equal(doc.audio.samples, want.samples)
    assert (loaded.region.region.start, loaded.region.region.end) == (5.0, 8.0)


def test_crossfade_after_the_fact_and_audition(qtbot, loaded, keep):
    doc = loaded.document
    original = doc.audio.samples.copy()
    v2 = version_of(doc.audio, 2)
    keep.offer(2, v2, (3.0, 9.0))
    loaded.region.set(4.0, 6.0)  # inside the version's region: allowed
    keep.keep(2)
    settle(qtbot, keep)
    keep.panel.crossfade.setValue(120.0)
    settle(qtbot, keep)
    want = splice(Audio(original.copy(), doc.audio.sample_rate), v2, 4.0, 6.0, 0.12)
    assert np.array_equal(doc.audio.samples, want.samples)
    assert loaded.settings.get("keep/crossfade_ms") == 120.0
    assert "crossfade 120 ms" in keep.history.rows()[-1]
    # No player in this window: the audition puts the playhead 1.5 s before the left seam.
    assert loaded.playhead.position == pytest.approx(2.5)
    loaded.playhead.set_position(0.0)
    for seam in (2.5, 4.5, 2.5):  # Audition seam: the left seam, the right one, the left…
        keep.panel.audition.click()
        assert loaded.playhead.position == pytest.approx(seam)


def test_export_dialog_and_worker(qtbot, loaded, keep, tmp_path):
    doc = loaded.document
    keep_take(qtbot, loaded, keep, 1, version_of(doc.audio, 3), (2.0, 4.0))
    dialog = keep.export_dialog()
    assert isinstance(dialog, ExportDialog) and dialog.region_only.isEnabled()
    dialog.set_format("mp3")
    assert dialog.bitrate.isEnabled() and not dialog.depth.isEnabled()
    dialog.set_format("wav")
    dialog.depth.setCurrentIndex(2)  # 32-bit float: bit-exact
    dialog.path.setText(str(tmp_path / "out.wav"))
    choice = dialog.choice()
    assert choice.options == ExportOptions("wav", 32, 320, dialog.title.text())
    dialog.reject()
    with qtbot.waitSignal(keep.exporter.finished, timeout=20000):
        assert keep.start_export(choice)
    data, rate = sf.read(str(tmp_path / "out.wav"), dtype="float32", always_2d=True)
    assert np.array_equal(data.T, doc.audio.samples)
    assert not keep.panel.progress.isVisible()
    region = ExportChoice(str(tmp_path / "region.flac"), ExportOptions("flac", 24), True)
    with qtbot.waitSignal(keep.exporter.finished, timeout=20000):
        keep.start_export(region)
    back = load_audio(tmp_path / "region.flac")
    assert back.frames == 2 * doc.audio.sample_rate
    # One version's region alone, straight from the version (not the song).
    v2 = version_of(doc.audio, 9)
    keep.offer(2, v2, (6.0, 7.5))
    dialog = keep.export_dialog()
    assert set(dialog.version_buttons) == {1, 2}
    dialog.version_buttons[2].setChecked(True)
    dialog.set_format("wav")
    dialog.depth.setCurrentIndex(2)
    dialog.path.setText(str(tmp_path / "v2.wav"))
    choice = dialog.choice()
    dialog.reject()
    assert choice.version == 2
    with qtbot.waitSignal(keep.exporter.finished, timeout=20000):
        assert keep.start_export(choice)
    data, _ = sf.read(str(tmp_path / "v2.wav"), dtype="float32", always_2d=True)
    rate = doc.audio.sample_rate
    assert np.array_equal(data.T, v2.samples[:, 6 * rate : round(7.5 * rate)])
    # The song opened is never overwritten.
    assert not keep.start_export(ExportChoice(doc.path, ExportOptions("flac", 24), False))


def test_export_cancel_leaves_nothing(qtbot, loaded, keep, tmp_path):
    long = Audio(np.zeros((2, 44100 * 600), np.float32), 44100)
    target = tmp_path / "long.mp3"
    worker = keep.exporter.export(long, target, ExportOptions("mp3"))
    assert worker is not None and keep.panel.cancel_export.isVisible()
    assert keep.exporter.export(long, target, ExportOptions("mp3")) is None  # one at a time
    with qtbot.waitSignal(keep.exporter.cancelled, timeout=20000):
        qtbot.wait(200)
        keep.panel.cancel_export.click()
    qtbot.waitUntil(lambda: not keep.exporter.busy)
    assert list(tmp_path.glob("*long*")) == []


def test_upload_copy_is_the_edited_song(qtbot, loaded, keep, tmp_path):
    from inpaint_studio.core.cancel import NEVER

    doc = loaded.document
    keep_take(qtbot, loaded, keep, 1, version_of(doc.audio, 4), (1.0, 2.0))
    assert keep.session.is_edited()
    keep.session.upload_writer()(tmp_path / "up.flac", NEVER)
    back = load_audio(tmp_path / "up.flac")
    assert np.max(np.abs(back.samples - np.clip(doc.audio.samples, -1, 1))) < 1e-4


def test_a_take_is_kept_as_heard_across_its_own_seams(qtbot, loaded, keep):
    # The local engine may start a take a little before the region it was made for (its seam
    # placed where the music hides it). Keeping the whole take keeps it from there, as it was
    # auditioned; a narrowed region is kept exactly as selected.
    doc = loaded.document
    rate = doc.audio.sample_rate
    original = doc.audio.samples.copy()
    take = original.copy()
    a, b = int(4.6 * rate), int(8.3 * rate)
    take[:, a:b] = np.random.default_rng(9).uniform(-0.3, 0.3, (take.shape[0], b - a))
    keep_take(qtbot, loaded, keep, 1, Audio(take, rate), (5.0, 8.0))
    kept = doc.audio.samples
    assert np.array_equal(kept[:, a:b], take[:, a:b])  # the take whole, its seams included
    assert np.array_equal(kept[:, : int(4.45 * rate)], original[:, : int(4.45 * rate)])
    assert np.array_equal(kept[:, int(8.45 * rate):], original[:, int(8.45 * rate):])
    edit = keep.session.latest_keep()
    assert 4.45 < edit.region[0] < 4.6 and 8.3 < edit.region[1] < 8.45

    keep.session.undo()
    settle(qtbot, keep)
    loaded.region.set(5.5, 7.0)  # a part of the take only: cut where the musician said
    keep.keep(1)
    settle(qtbot, keep)
    assert keep.session.latest_keep().region == pytest.approx((5.5, 7.0), abs=1e-4)
    assert np.array_equal(doc.audio.samples[:, : int(5.4 * rate)], original[:, : int(5.4 * rate)])


def test_an_upload_writer_refuses_a_song_edited_after_submit(qtbot, loaded, keep, tmp_path):
    from inpaint_studio.core.cancel import NEVER
    from inpaint_studio.services.edit_session import SongChanged

    doc = loaded.document
    keep_take(qtbot, loaded, keep, 1, version_of(doc.audio, 4), (1.0, 2.0))
    at_submit = keep.session.upload_writer()  # Submit: the song with the keep
    loaded.region.set(1.2, 1.8)  # moving the region does not change the samples
    at_submit(tmp_path / "a.flac", NEVER)
    assert (tmp_path / "a.flac").exists()
    stale = keep.session.upload_writer()
    keep.session.undo()  # an edit asked for after Submit, before the upload is written
    settle(qtbot, keep)
    with pytest.raises(SongChanged, match="nothing was sent"):
        stale(tmp_path / "b.flac", NEVER)
    assert not (tmp_path / "b.flac").exists()
