"""Projects in a real window: save and open round trip, a moved or changed song, restore after a
crashed (SIGKILLed) session, and a clean quit that removes the autosave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.splice import splice
from inpaint_studio.gui import theme
from inpaint_studio.gui.keep_panel import KeepFeature

from .conftest import load, make_window, services_for

ROOT = Path(__file__).resolve().parents[2]


def version_of(audio: Audio, seed: int) -> Audio:
    rng = np.random.default_rng(seed)
    return Audio(rng.uniform(-0.3, 0.3, audio.samples.shape).astype(np.float32),
                 audio.sample_rate)


def settle(qtbot, feature):
    qtbot.waitUntil(lambda: not feature.session.busy, timeout=10000)
    qtbot.wait(5)


def new_window(qtbot, settings, workers, autosave_dir, restore_prompt=False):
    theme.configure_pyqtgraph()
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    win.show()
    s = services_for(win, autosave_dir.parent / f"services-{id(win)}", autosave_dir=autosave_dir)
    feature = KeepFeature(win, s.session, s.exporter, s.projects)
    if restore_prompt:
        QTimer.singleShot(0, feature.project.offer_restore)
    return win, feature


def edit(qtbot, win, feature, seed, region, crossfade_ms=30.0):
    feature.panel.crossfade.setValue(crossfade_ms)
    feature.offer(1, version_of(win.document.audio, seed), region)
    win.region.set(*region)
    assert feature.keep(1)
    settle(qtbot, feature)


@pytest.fixture
def song(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "songs" / "song.flac"
    encode_audio(Audio(rng.uniform(-0.4, 0.4, (2, 44100 * 12)).astype(np.float32), 44100), path)
    return path


def test_save_and_open_round_trip(qtbot, settings, workers, tmp_path, song):
    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    original = win.document.audio.samples.copy()
    edit(qtbot, win, feature, 1, (2.0, 4.0), 30.0)
    edit(qtbot, win, feature, 2, (6.0, 9.0), 80.0)
    feature.session.undo()  # the second keep stays in the file, to be redone
    settle(qtbot, feature)
    expected = win.document.audio.samples.copy()
    assert feature.projects.dirty
    target = tmp_path / "projects" / "mine.inpaint"
    feature.project.ask_save_path = lambda: str(target)
    with qtbot.waitSignal(feature.projects.saved, timeout=10000):
        feature.project.save_action.trigger()
    assert not feature.projects.dirty and feature.projects.path == target
    data = json.loads(target.read_text())
    assert data["source_sha256"] and data["position"] == 3 and len(data["edits"]) == 4
    sidecar = tmp_path / "projects" / "mine.inpaint-files"
    assert sorted(p.suffix for p in sidecar.iterdir()) == [".wav", ".wav"]
    assert settings.get("projects/recent")[0] == str(target)

    win2, feature2 = new_window(qtbot, settings, workers, tmp_path / "autosave2")
    with qtbot.waitSignal(feature2.projects.opened, timeout=20000):
        feature2.project.open_project(str(target))
    settle(qtbot, feature2)
    assert np.array_equal(win2.document.audio.samples, expected)
    assert feature2.history.rows() == feature.history.rows()
    assert feature2.session.position == 3 and not feature2.projects.dirty
    assert (win2.region.region.start, win2.region.region.end) == (6.0, 9.0)
    assert feature2.panel.crossfade.value() == 80.0
    feature2.session.redo()
    settle(qtbot, feature2)
    want = splice(Audio(expected.copy(), 44100), version_of(win2.document.audio, 2), 6.0, 9.0,
                  0.08)
    assert np.array_equal(win2.document.audio.samples, want.samples)
    for _ in range(4):
        feature2.session.undo()
    settle(qtbot, feature2)
    assert np.array_equal(win2.document.audio.samples, original)


def test_moved_and_changed_song_is_found_by_hash(qtbot, settings, workers, tmp_path, song):
    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    edit(qtbot, win, feature, 3, (1.0, 2.0))
    expected = win.document.audio.samples.copy()
    target = tmp_path / "p.inpaint"
    with qtbot.waitSignal(feature.projects.saved, timeout=10000):
        assert feature.projects.save(target)
    moved = tmp_path / "elsewhere" / "renamed.flac"
    moved.parent.mkdir()
    song.rename(moved)
    rng = np.random.default_rng(5)
    impostor = tmp_path / "impostor.flac"
    encode_audio(Audio(rng.uniform(-0.4, 0.4, (2, 44100 * 12)).astype(np.float32), 44100),
                 impostor)

    win2, feature2 = new_window(qtbot, settings, workers, tmp_path / "autosave2")
    answers = [str(impostor), str(moved)]
    asked = []
    feature2.project.ask_locate = lambda project, status: (asked.append(status), answers.pop(0))[1]
    errors = []
    feature2.projects.failed.connect(lambda title, msg: errors.append(title))
    with qtbot.waitSignal(feature2.projects.opened, timeout=20000):
        feature2.project.open_project(str(target))
    settle(qtbot, feature2)
    assert asked == ["missing", "changed"]
    assert errors == ["That is not the project's song"]
    assert win2.document.path == str(moved)
    assert np.array_equal(win2.document.audio.samples, expected)
    assert feature2.projects.dirty  # the new location is worth saving


_CRASHER = textwrap.dedent("""
    import os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import numpy as np
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from inpaint_studio.core.audio import Audio
    from inpaint_studio import app as composition
    from inpaint_studio.gui.keep_panel import KeepFeature
    from inpaint_studio.services.job_controller import JobStore
    from inpaint_studio.services.settings import Settings
    from inpaint_studio.services.worker import WorkerPool
    song, autosave, settings = sys.argv[1:4]
    app = QApplication([])
    models = composition.build_models(Settings(settings), WorkerPool())
    win = composition.build_window(models, interactive=False)
    s = composition.build_services(models, audio_output=False, autosave_dir=Path(autosave),
                                   job_store=JobStore(Path(autosave).parent / "jobs.sqlite3"),
                                   cache_dir=Path(autosave).parent / "cache", parent=win)
    feature = KeepFeature(win, s.session, s.exporter, s.projects)
    def spin(cond):
        while not cond():
            app.processEvents()
            time.sleep(0.005)
    win.open_file(song)
    spin(lambda: win.document.state == "ready")
    rng = np.random.default_rng(7)
    v = Audio(rng.uniform(-0.3, 0.3, win.document.audio.samples.shape).astype("f4"), 44100)
    feature.offer(1, v, (3.0, 5.0))
    win.region.set(3.0, 5.0)
    feature.keep(1)
    spin(lambda: not feature.session.busy)
    saved = []
    feature.projects.autosaved.connect(saved.append)
    feature.projects.autosave()
    spin(lambda: saved)
    np.save(sys.argv[4], win.document.audio.samples)
    print("autosaved", flush=True)
    while True:
        app.processEvents()
        time.sleep(0.01)
""")


def _crash(song, tmp_path, autosave):
    """A session that keeps a version, autosaves, and is SIGKILLed; its pid and its audio."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", _CRASHER, str(song), str(autosave),
                             str(tmp_path / "crasher.ini"), str(tmp_path / "edited.npy")],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "autosaved"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc, np.load(tmp_path / "edited.npy")


@pytest.mark.slow
def test_restore_after_a_crash(qtbot, settings, workers, tmp_path, song):
    autosave = tmp_path / "autosave"
    proc, edited = _crash(song, tmp_path, autosave)

    win, feature = new_window(qtbot, settings, workers, autosave)
    offered = []
    feature.project.ask_restore = lambda a: (offered.append(a), True)[1]
    with qtbot.waitSignal(feature.projects.opened, timeout=20000):
        assert feature.project.offer_restore()
    settle(qtbot, feature)
    assert offered[0].pid == proc.pid
    assert np.array_equal(win.document.audio.samples, edited)
    assert [r.split(" (")[0] for r in feature.history.rows()][-1].startswith("Keep Version 1")
    assert feature.projects.dirty and feature.projects.path is None
    # The restored work is autosaved by this session at once; then the crashed session's
    # autosave goes: offered once, not again at the next start.
    qtbot.waitUntil(lambda: feature.projects.crashed() == [], timeout=10000)
    mine = feature.projects.session_id
    assert [p.name for p in autosave.glob("*.inpaint")] == [f"{mine}.inpaint"]


def test_a_restore_that_stops_half_way_is_offered_again(qtbot, settings, workers, tmp_path,
                                                        song):
    import shutil

    autosave = tmp_path / "autosave"
    copy = tmp_path / "crashed-song.wav"
    shutil.copy(song, copy)
    _crash(copy, tmp_path, autosave)
    copy.unlink()  # the song is gone by the next start, and the musician does not locate it

    win, feature = new_window(qtbot, settings, workers, autosave)
    feature.project.ask_restore = lambda a: True
    asked = []
    feature.project.ask_locate = lambda project, status: asked.append(status)
    feature.project.offer_restore()
    qtbot.waitUntil(lambda: asked == ["missing"], timeout=20000)
    settle(qtbot, feature)
    assert len(feature.projects.crashed()) == 1  # still there for the next start
    feature.projects.shutdown()
    assert len(feature.projects.crashed()) == 1  # a clean quit does not drop it either


def test_clean_quit_removes_the_autosave(qtbot, settings, workers, tmp_path, song):
    autosave = tmp_path / "autosave"
    win, feature = new_window(qtbot, settings, workers, autosave)
    load(qtbot, win, song)
    win.region.set(0.5, 1.0)
    settle(qtbot, feature)
    assert not feature.projects.dirty  # only browsing: nothing to save, no prompt on quit
    edit(qtbot, win, feature, 4, (1.0, 3.0))
    assert feature.projects.dirty
    timer = feature.projects.timer
    assert timer.isActive() and timer.interval() == 60000  # projects/autosave_s
    with qtbot.waitSignal(feature.projects.autosaved, timeout=10000):
        timer.timeout.emit()  # what the timer does every minute while there are changes
    assert list(autosave.glob("*.inpaint"))
    feature.project.ask_unsaved = lambda: "cancel"
    win.close()
    assert win.isVisible() and list(autosave.glob("*.inpaint"))  # the quit was called off
    feature.project.ask_unsaved = lambda: "discard"
    win.close()
    assert not win.isVisible() and not timer.isActive()
    assert list(autosave.iterdir()) == []


def test_opening_a_project_over_unsaved_edits_asks_first(qtbot, settings, workers, tmp_path,
                                                         song):
    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    edit(qtbot, win, feature, 5, (1.0, 2.0))
    first = tmp_path / "first.inpaint"
    with qtbot.waitSignal(feature.projects.saved, timeout=10000):
        feature.projects.save(first)
    edit(qtbot, win, feature, 6, (3.0, 4.0))
    assert feature.projects.dirty
    feature.project.ask_unsaved = lambda: "cancel"
    feature.project.open_project(str(first))
    qtbot.wait(200)
    assert feature.session.position == 4  # nothing was opened
    feature.project.ask_unsaved = lambda: "save"
    with qtbot.waitSignal(feature.projects.opened, timeout=20000):
        feature.project.open_project(str(first))
    settle(qtbot, feature)
    # Saved first (with both keeps), then reopened: the file now holds both keeps.
    assert feature.session.position == 4 and not feature.projects.dirty
    assert len(json.loads(first.read_text())["edits"]) == 4


def test_opening_another_song_over_unsaved_edits_asks_first(qtbot, settings, workers,
                                                             tmp_path, song, audio_file):
    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    edit(qtbot, win, feature, 7, (1.0, 2.0))
    assert feature.projects.dirty
    other = audio_file(".flac", seconds=5.0)
    asked = []

    def answer(reply):
        def ask():
            asked.append(reply)
            return reply
        return ask

    feature.project.ask_unsaved = answer("cancel")
    win.open_file(other)  # File ▸ Open, a recent file, a drop, the demo song: all come here
    qtbot.wait(200)
    assert asked == ["cancel"] and win.document.path == str(song)  # stayed, edits and all
    assert feature.session.position == 2 and feature.projects.dirty
    # Save: the project is written first, then the other song opens
    target = tmp_path / "kept.inpaint"
    feature.project.ask_unsaved = answer("save")
    feature.project.ask_save_path = lambda: str(target)
    with qtbot.waitSignal(win.document.loaded, timeout=20000):
        win.open_file(other)
    assert asked == ["cancel", "save"] and win.document.path == str(other)
    assert len(json.loads(target.read_text())["edits"]) == 2
    # Discard: nothing is written; the song opens at once
    load(qtbot, win, song)
    edit(qtbot, win, feature, 8, (1.0, 2.0))
    feature.project.ask_unsaved = answer("discard")
    with qtbot.waitSignal(win.document.loaded, timeout=20000):
        win.open_file(other)
    assert asked[-1] == "discard" and not feature.projects.dirty
    assert len(json.loads(target.read_text())["edits"]) == 2
    # Nothing unsaved: no question at all
    load(qtbot, win, song)
    assert asked[-1] == "discard" and len(asked) == 3


def test_a_project_whose_edit_audio_is_gone_says_so(qtbot, settings, workers, tmp_path, song):
    import shutil

    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    edit(qtbot, win, feature, 8, (1.0, 2.0))
    target = tmp_path / "gone.inpaint"
    with qtbot.waitSignal(feature.projects.saved, timeout=10000):
        feature.projects.save(target)
    shutil.rmtree(tmp_path / "gone.inpaint-files")
    win2, feature2 = new_window(qtbot, settings, workers, tmp_path / "autosave2")
    with qtbot.waitSignal(feature2.projects.failed, timeout=10000) as failed:
        feature2.project.open_project(str(target))
    assert "cannot be found" in failed.args[1] and "-files" in failed.args[1]
    assert win2.document.state == "empty"  # nothing half-opened


def test_a_project_given_as_the_file_opens_as_a_project(qtbot, settings, workers, tmp_path,
                                                        song):
    """`inpaint-studio song.inpaint` (run_gui hands FILE to open_file), a recent list or a drop:
    a project file opens the project, not "is not an audio file"."""
    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    edit(qtbot, win, feature, 1, (2.0, 4.0))
    expected = win.document.audio.samples.copy()
    target = tmp_path / "projects" / "mine.inpaint"
    feature.project.ask_save_path = lambda: str(target)
    with qtbot.waitSignal(feature.projects.saved, timeout=10000):
        feature.project.save_action.trigger()

    win2, feature2 = new_window(qtbot, settings, workers, tmp_path / "autosave2")
    errors = []
    win2.errors.reported.connect(lambda *a: errors.append(a))
    with qtbot.waitSignal(feature2.projects.opened, timeout=20000):
        win2.open_file(str(target))
    settle(qtbot, feature2)
    assert np.array_equal(win2.document.audio.samples, expected)
    assert win2.windowTitle().startswith("mine[*]") and not win2.isWindowModified()
    assert not errors


def test_the_welcome_view_lists_recent_projects_and_songs_and_opens_them(
        qtbot, settings, workers, tmp_path, song):
    from inpaint_studio.gui.welcome_panel import WelcomePanel

    win, feature = new_window(qtbot, settings, workers, tmp_path / "autosave")
    load(qtbot, win, song)
    edit(qtbot, win, feature, 1, (2.0, 4.0))
    target = tmp_path / "projects" / "mine.inpaint"
    feature.project.ask_save_path = lambda: str(target)
    with qtbot.waitSignal(feature.projects.saved, timeout=10000):
        feature.project.save_action.trigger()

    win2, feature2 = new_window(qtbot, settings, workers, tmp_path / "autosave2")
    welcome = WelcomePanel(win2, win2.open_file, win2.open_dialog,
                           recent=lambda: (feature2.projects.recent(), settings.recent_files()))
    view = welcome.view
    assert view.isVisible() and view.recent.isVisible()
    rows = [view.recent.item(i).text() for i in range(view.recent.count())]
    assert rows == ["mine.inpaint  (project)", "song.flac  (song)"]
    with qtbot.waitSignal(feature2.projects.opened, timeout=20000):
        view.recent.itemClicked.emit(view.recent.item(0))
    settle(qtbot, feature2)
    assert feature2.projects.path == target and feature2.session.is_edited()
    assert not view.isVisible()


def test_a_project_from_elsewhere_restores_its_prompt_and_fields(qtbot, settings, workers,
                                                                 tmp_path, song):
    """The project remembers its jobs: opened where the job store does not know them, the form
    takes the latest job's prompt and fields from the project file."""
    from inpaint_studio.services.job_controller import JobStore
    from tests.gui.conftest import install_all

    first = make_window(settings, workers)
    qtbot.addWidget(first)
    store = JobStore(tmp_path / "first.sqlite3")
    s1, f1 = install_all(first, tmp_path / "one", job_store=store)
    load(qtbot, first, song)
    store.create(backend="local", base_url="", source=str(song), upload_path=str(song),
                 start=2.0, end=4.0, params={"prompt": "brass stabs", "num_outputs": 1,
                                             "title": "Horns"})
    edit(qtbot, first, f1.keep, 1, (2.0, 4.0))
    target = tmp_path / "projects" / "mine.inpaint"
    f1.keep.project.ask_save_path = lambda: str(target)
    with qtbot.waitSignal(s1.projects.saved, timeout=10000):
        f1.keep.project.save_action.trigger()

    second = make_window(settings, workers)
    qtbot.addWidget(second)
    s2, f2 = install_all(second, tmp_path / "two",
                         job_store=JobStore(tmp_path / "elsewhere.sqlite3"))
    assert f2.jobs.form.prompt.toPlainText() == ""
    with qtbot.waitSignal(s2.projects.opened, timeout=20000):
        second.open_file(str(target))
    form = f2.jobs.form
    assert form.prompt.toPlainText() == "brass stabs"
    assert form.versions.value() == 1 and form.title.text() == "Horns"
