"""The first-run experience in the main window: the welcome view over the editor while no song
is loaded, the demo song made on first use, and Help ▸ About.

The demo song is synthesised (core/synth.py) in a Worker and written to
`paths.cache_dir()/demo-song.flac`, so nothing large ships with the app and the GUI never waits.

The panel is built on the window's shell, before the first paint (`app.Launch`), so it imports no
audio module at the top (the synthesiser and encoder load in the demo worker); it follows the
song once the editor is attached (`follow_document`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QWidget

from inpaint_studio import paths
from inpaint_studio.gui.about import show_about
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.gui.welcome import WelcomeView
from inpaint_studio.identity import NAME
from inpaint_studio.services.worker import WorkContext

DEMO_FILE = "demo-song.flac"
DEMO_SECONDS = 90.0
DEMO_SEED = 7  # a fixed seed: every user gets the same demo song, and so do the screenshots
AUDIO_FILTER = "Audio (*.mp3 *.wav *.flac *.ogg *.oga *.m4a *.aac *.opus *.aif *.aiff);;All (*)"


def demo_song_path() -> Path:
    return paths.cache_dir() / DEMO_FILE


def make_demo_song(ctx: WorkContext, target: Path) -> Path:
    """Worker body: synthesise the demo song and write it atomically to `target` (FLAC)."""
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.core.synth import synth_song

    audio = synth_song(DEMO_SECONDS, bpm=112.0, seed=DEMO_SEED)
    ctx.token.raise_if_cancelled()
    return encode_audio(audio, target, token=ctx.token,
                        metadata={"title": f"{NAME} demo song", "artist": "core/synth.py"})


class WelcomePanel(QObject):
    """Owns the welcome overlay. Visible exactly while the document is empty (or the demo song is
    being made); it covers the window's central widget and follows its size."""

    def __init__(self, window: MainWindow, open_path: Callable[[str], object],
                 choose_song: Callable[[], object] | None = None,
                 recent: Callable[[], tuple[list[str], list[str]]] | None = None) -> None:
        """`recent()` gives (recent projects, recent songs), newest first, for the list."""
        super().__init__(window)
        self.window = window
        self.open_path = open_path
        self.choose_song = choose_song
        self.recent = recent
        self.demo_worker = None
        self.host: QWidget = window.centralWidget()
        self.view = WelcomeView(self.host)
        self.host.installEventFilter(self)
        self.view.open_requested.connect(self._open)
        self.view.demo_requested.connect(self.open_demo)
        self.view.recent_requested.connect(self.open_path)  # a project opens as a project
        self._following = False
        if window.has_editor:
            self.follow_document()
        self.about_action = QAction(f"&About {NAME}", window)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(lambda: show_about(self.window))
        window.menu("Help").addAction(self.about_action)
        self.refresh()

    def follow_document(self) -> None:
        """Show or hide with the song from now on (the window's editor is attached). Once."""
        if self._following:
            return
        self._following = True
        doc = self.window.document
        for signal in (doc.changed, doc.loading_started, doc.loaded, doc.closed, doc.load_failed,
                       doc.load_cancelled):
            signal.connect(self.refresh)
        self.refresh()

    # -- visibility -------------------------------------------------------------------------
    def song_open(self) -> bool:
        """A song is open or opening (or waits for the editor to be built: `pending_open`)."""
        if self.window.pending_open is not None:
            return True
        return self._following and self.window.document.state != "empty"

    def refresh(self, *_: object) -> None:
        show = not self.song_open() or self.demo_worker is not None
        if show:
            self.show_recent()
            self.view.setGeometry(self.host.rect())
            self.view.raise_()
        self.view.setVisible(show)

    def show_recent(self) -> None:
        """The recent projects and songs (those still on disk), each time the view shows: they
        change only while a song is open, when it is hidden."""
        projects, songs = self.recent() if self.recent is not None else ([], [])
        self.view.show_recent([p for p in projects if os.path.isfile(p)],
                              [p for p in songs if os.path.isfile(p)])

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.host and event.type() == QEvent.Type.Resize:
            self.view.setGeometry(self.host.rect())
        return False

    # -- actions ----------------------------------------------------------------------------
    def _open(self) -> None:
        if self.choose_song is not None:
            self.choose_song()
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a song", "", AUDIO_FILTER)
        if path:
            self.open_path(path)

    def open_demo(self) -> None:
        """Open the demo song, making it first (in a worker) if it is not in the cache yet."""
        target = demo_song_path()
        if target.is_file() and target.stat().st_size > 0:
            self.open_path(str(target))
            return
        if self.demo_worker is not None:
            return
        self.view.set_busy("Making the demo song on this computer…")
        self.window.status("Making the demo song…")
        worker = self.window.workers.run(make_demo_song, target, name="demo-song")
        self.demo_worker = worker
        worker.returned.connect(self._demo_ready)
        worker.errored.connect(self._demo_failed)
        worker.finished.connect(self._demo_finished)

    def _demo_ready(self, path: Path) -> None:
        self.window.status("Demo song ready")
        self.open_path(str(path))

    def _demo_failed(self, exc: BaseException) -> None:
        message = getattr(exc, "user_message", None)
        self.window.report_error("Could not make the demo song",
                                 message if isinstance(message, str) else str(exc))

    def _demo_finished(self) -> None:
        self.demo_worker = None
        self.view.set_busy(None)
        self.refresh()

