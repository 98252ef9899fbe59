"""The editor as the app launches it (`app.Launch`, issue 14): the window's shell and the welcome
view first — usable before the editor exists — then the editor built after the first paint, one
step per event-loop turn, and a song asked for meanwhile opened once it is there.
(`tests/test_first_paint.py` checks the same launch from the outside: what is imported when.)"""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QLabel

from inpaint_studio import app as composition


def _launch(qtbot, settings, workers, monkeypatch, **options) -> composition.Launch:
    monkeypatch.setattr(composition, "START_AT_THE_LATEST_MS", 3_600_000)  # only the paint
    launch = composition.Launch(settings, workers, **options)
    qtbot.addWidget(launch.window)
    return launch


def _finish(qtbot, launch: composition.Launch) -> None:
    qtbot.waitUntil(lambda: launch.editor is not None and launch.editor.started, timeout=60000)
    editor = launch.editor
    qtbot.waitUntil(lambda: not editor.services.player.opening, timeout=60000)
    launch.window.close()
    editor.services.shutdown()


def test_the_welcome_view_is_drawn_before_the_editor_and_the_editor_follows(
        qtbot, settings, workers, monkeypatch, studio_home, audio_file):
    launch = _launch(qtbot, settings, workers, monkeypatch)
    window = launch.window
    assert not window.has_editor and launch.editor is None
    assert launch.welcome is not None and not launch.welcome.view.isHidden()
    assert window.findChildren(QDockWidget) == []  # no feature yet
    # Before the editor exists, a song asked for waits (the welcome view's Open ends here)...
    song = audio_file(".wav", seconds=2.0)
    window.open_file(song)
    assert window.pending_open == str(song)
    labels = [label.text() for label in window.statusBar().findChildren(QLabel)]
    assert f"Opening {song.name}…" in labels
    window.show()  # the first paint builds the editor
    with qtbot.waitSignal(window.song_opened, timeout=60000):
        qtbot.waitUntil(lambda: launch.editor is not None, timeout=60000)
    # ...and opens once it is built, with every feature installed and the welcome view gone.
    assert window.has_editor and window.pending_open is None
    assert window.document.path == str(song)
    features = launch.editor.features
    assert None not in (features.welcome, features.jobs, features.keep, features.compare)
    assert features.welcome is launch.welcome and launch.welcome.view.isHidden()
    assert {d.windowTitle() for d in window.findChildren(QDockWidget)} >= {"Job", "Keep", "Jobs"}
    _finish(qtbot, launch)


def test_a_song_given_at_launch_hides_the_welcome_view_from_the_first_paint(
        qtbot, settings, workers, monkeypatch, studio_home, audio_file):
    song = audio_file(".flac", seconds=2.0)
    launch = _launch(qtbot, settings, workers, monkeypatch, song=str(song))
    assert launch.welcome is not None and launch.welcome.view.isHidden()
    assert launch.window.pending_open == str(song)
    with qtbot.waitSignal(launch.window.song_opened, timeout=60000):
        launch.window.show()
    assert launch.welcome.view.isHidden()
    _finish(qtbot, launch)


def test_a_window_never_drawn_builds_and_starts_the_editor_by_the_deadline(
        qtbot, settings, workers, monkeypatch, studio_home):
    monkeypatch.setattr(composition, "START_AT_THE_LATEST_MS", 200)
    launch = composition.Launch(settings, workers)
    qtbot.addWidget(launch.window)
    _finish(qtbot, launch)
    assert not launch.window.isVisible() and launch.window.has_editor


def test_a_build_step_that_fails_is_reported_and_the_quit_still_stops_the_services(
        qtbot, settings, workers, monkeypatch, studio_home):
    """The editor is built step by step after the first paint: a step that raises must not
    leave a silent, empty shell (the musician is told), nor a quit that skips stopping the
    services already built."""
    from PySide6.QtWidgets import QApplication

    def broken(*_args, **_kwargs):
        raise RuntimeError("a feature could not be built")

    stopped = []
    real_shutdown = composition.Services.shutdown

    def shutdown(self):  # the real one, noted
        stopped.append(self)
        real_shutdown(self)

    built = []
    real_build = composition.build_services

    def build_services(*args, **kwargs):  # the real one, noted
        built.append(real_build(*args, **kwargs))
        return built[-1]

    app = QApplication.instance()
    monkeypatch.setattr(composition.Services, "shutdown", shutdown)
    monkeypatch.setattr(composition, "build_services", build_services)
    monkeypatch.setattr(composition, "install_features", broken)
    launch = _launch(qtbot, settings, workers, monkeypatch)
    window = launch.window
    window.errors.interactive = False
    with qtbot.waitSignal(window.errors.reported, timeout=60000) as seen:
        window.show()
    title, message = seen.args
    assert title == "The editor could not be started"
    assert "a feature could not be built" in message
    assert launch.editor is None and launch._steps == []  # nothing more is attempted
    assert len(built) == 1
    app.aboutToQuit.emit()  # what quitting the app sends
    assert built[0] in stopped  # the services built before the failing step are stopped
    window.close()


def _count_decodes(monkeypatch) -> list[str]:
    """The loader's decode worker body, the real one, noted: the paths it decodes."""
    from inpaint_studio.services import loader

    decoded: list[str] = []
    real = loader.decode_with_peaks

    def decode_with_peaks(ctx, path):
        decoded.append(path)
        return real(ctx, path)

    monkeypatch.setattr(loader, "decode_with_peaks", decode_with_peaks)
    return decoded


def test_a_song_given_at_launch_decodes_while_the_editor_is_built_and_is_adopted(
        qtbot, settings, workers, monkeypatch, studio_home, audio_file):
    """`inpaint-studio SONG`: the song starts decoding at the first paint, before the editor's
    models exist; the editor's loader then adopts that decode (no second one) and the song opens
    bit-identical to a sequential decode; the editor's start-up runs once it has. A 25-s MP3
    decodes in parallel parts."""
    import numpy as np

    from inpaint_studio.core.decode import load_audio

    song = audio_file(".mp3", seconds=25.0)
    decoded = _count_decodes(monkeypatch)
    seen: list[str] = []
    real_build_models = composition.build_models

    def build_models(*args, **kwargs):  # the real one, noted with what is running by then
        early = launch.early
        seen.append("decoding" if early is not None and early.worker in workers.active
                    else "not decoding")
        return real_build_models(*args, **kwargs)

    real_start = composition.Editor.start

    def start(self):  # the real one, noted
        seen.append("start" if self.window.document.state == "ready" else "start while loading")
        real_start(self)

    monkeypatch.setattr(composition, "build_models", build_models)
    monkeypatch.setattr(composition.Editor, "start", start)
    launch = _launch(qtbot, settings, workers, monkeypatch, song=str(song))
    assert launch.early is None  # nothing is started before the first paint
    window = launch.window
    with qtbot.waitSignal(window.song_opened, timeout=60000):
        window.show()
    qtbot.waitUntil(lambda: launch.editor is not None and launch.editor.started, timeout=60000)
    # the decode was running when the editor began to be built; the rest of start-up (server,
    # key, sound device) waited for it to end
    assert seen[:2] == ["decoding", "start"]
    assert decoded == [str(song)]  # one decode: the loader adopted the one started at launch
    assert window.document.path == str(song) and window.document.state == "ready"
    whole = load_audio(song, parts=1).samples
    assert np.array_equal(window.document.audio.samples, whole)
    peaks = window.document.peaks
    assert peaks is not None and peaks.frames == whole.shape[1]
    _finish(qtbot, launch)


def test_another_song_opened_before_the_editor_exists_cancels_the_decode_started_at_launch(
        qtbot, settings, workers, monkeypatch, studio_home, audio_file):
    first = audio_file(".mp3", seconds=25.0)
    second = audio_file(".flac", seconds=2.0)
    decoded = _count_decodes(monkeypatch)
    launch = _launch(qtbot, settings, workers, monkeypatch, song=str(first))
    window = launch.window
    # Heard after `Launch.begin` (connected after it): the first song is decoding, the editor
    # is not built yet, and the musician opens another song.
    window.first_painted.connect(lambda: window.open_file(second))
    with qtbot.waitSignal(window.song_opened, timeout=60000) as opened:
        window.show()
    assert opened.args == [str(second)]
    assert launch.early is not None and launch.early.cancelled
    assert decoded == [str(first), str(second)]
    assert window.document.path == str(second)
    _finish(qtbot, launch)


def test_a_song_given_at_launch_that_does_not_decode_is_reported_as_any_other(
        qtbot, settings, workers, monkeypatch, studio_home, tmp_path):
    bad = tmp_path / "not-a-song.mp3"
    bad.write_bytes(b"this is not audio " * 1000)
    decoded = _count_decodes(monkeypatch)
    launch = _launch(qtbot, settings, workers, monkeypatch, song=str(bad))
    window = launch.window
    window.errors.interactive = False
    with qtbot.waitSignal(window.errors.reported, timeout=60000) as seen:
        window.show()
    assert launch.early is not None and decoded == [str(bad)]  # the decode started at launch
    title, message = seen.args
    assert "not-a-song.mp3" in title + message
    assert window.document.state != "ready"
    _finish(qtbot, launch)


def test_a_decode_that_ends_before_it_is_adopted_is_handed_over_not_kept(qtbot, workers,
                                                                          audio_file):
    """A short song can decode before the editor exists: the loader adopting it then hears the
    whole decode, and the early decode keeps no reference to the song (it would hold a whole
    decoded song for the life of the app)."""
    import gc
    import weakref

    from inpaint_studio.services.loader import Decoded, EarlyLoad

    early = EarlyLoad(workers, audio_file(".flac", seconds=2.0))
    qtbot.waitUntil(lambda: early._end is not None, timeout=30000)  # ended, nobody listening
    heard: list[tuple[str, object]] = []
    early.listen(lambda how, value: heard.append((how, value)))
    assert heard[0][0] == "partial" and heard[-1][0] == "returned"  # the header, …, the end
    assert isinstance(heard[-1][1], Decoded)
    song = weakref.ref(heard[-1][1])
    heard.clear()
    # The worker's thread drops its own reference when its run ends, just after it reported:
    # only the early decode could hold the song beyond that.
    qtbot.waitUntil(lambda: gc.collect() >= 0 and song() is None, timeout=10000)
