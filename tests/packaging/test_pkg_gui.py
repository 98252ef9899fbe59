"""The app icon loads from package data; the About box and the welcome view, offscreen; the
welcome overlay follows the document and makes the demo song in a worker on first use."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMenu, QWidget

from inpaint_studio import identity
from inpaint_studio.core.decode import load_audio
from inpaint_studio.gui import about, welcome_panel
from inpaint_studio.gui.welcome import WelcomeView
from inpaint_studio.services.document import DocumentModel
from inpaint_studio.services.worker import WorkerPool


def test_app_icon_has_every_size_from_package_data(qapp):
    icon = about.app_icon()
    assert not icon.isNull()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert sizes == {(n, n) for n in about.ICON_SIZES}
    assert icon.pixmap(QSize(64, 64)).size() == QSize(64, 64)


def test_apply_identity_names_the_application(qapp):
    saved = (qapp.applicationName(), qapp.organizationName(), qapp.organizationDomain(),
             qapp.applicationVersion(), qapp.desktopFileName())
    try:
        about.apply_identity(qapp)
        assert qapp.applicationName() == identity.EXECUTABLE
        assert qapp.organizationName() == identity.ORGANISATION
        assert qapp.applicationVersion() == identity.VERSION
        assert qapp.desktopFileName() == identity.APP_ID
        assert not QApplication.windowIcon().isNull()
    finally:
        qapp.setApplicationName(saved[0])
        qapp.setOrganizationName(saved[1])
        qapp.setOrganizationDomain(saved[2])
        qapp.setApplicationVersion(saved[3])
        qapp.setDesktopFileName(saved[4])


def test_about_box_shows_version_and_folders(qtbot, studio_home):
    dialog = about.AboutDialog()
    qtbot.addWidget(dialog)
    text = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert identity.NAME in text and identity.VERSION in text and identity.LICENSE in text
    assert str(studio_home) in dialog.details.text()  # where the files live, for bug reports
    assert "ffmpeg" in dialog.details.text()


def test_welcome_view_buttons_and_busy_state(qtbot):
    view = WelcomeView()
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.open_requested, timeout=1000):
        view.open_button.click()
    with qtbot.waitSignal(view.demo_requested, timeout=1000):
        view.demo_button.click()
    assert "MusicGPT" in view.backends.text() and "local" in view.backends.text()
    view.set_busy("Making…")
    assert view.busy_bar.isVisible() and not view.demo_button.isEnabled()
    view.set_busy(None)
    assert not view.busy_bar.isVisible() and view.demo_button.isEnabled()


class Window(QMainWindow):
    """The slice of the main-window API that the welcome panel uses, built from the
    real models and worker pool."""

    def __init__(self) -> None:
        super().__init__()
        self.setCentralWidget(QWidget())
        self.document = DocumentModel(self)
        self.workers = WorkerPool(parent=self)
        self.errors: list[tuple[str, str]] = []
        self.messages: list[str] = []
        self._menus: dict[str, QMenu] = {}
        self.has_editor = True  # the editor's views are attached (MainWindow.attach)
        self.pending_open: str | None = None  # no song waits for the editor to be built

    def menu(self, name: str) -> QMenu:
        if name not in self._menus:
            self._menus[name] = self.menuBar().addMenu(name)
        return self._menus[name]

    def report_error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def status(self, message: str) -> None:
        self.messages.append(message)


def test_welcome_overlay_follows_the_document(qtbot):
    window = Window()
    qtbot.addWidget(window)
    opened: list[str] = []
    panel = welcome_panel.WelcomePanel(window, opened.append)
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    assert panel.view.isVisible()
    assert panel.view.geometry() == window.centralWidget().rect()  # covers the empty editor
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: panel.view.size() == window.centralWidget().size(), timeout=2000)

    window.document.begin_loading("/tmp/song.wav")
    assert not panel.view.isVisible()
    window.document.fail_loading(RuntimeError("unreadable"))
    assert panel.view.isVisible()
    assert panel.about_action in window.menu("Help").actions()


@pytest.mark.slow
def test_demo_song_is_made_once_in_a_worker_then_opened(qtbot, studio_home):
    window = Window()
    qtbot.addWidget(window)
    opened: list[str] = []
    panel = welcome_panel.WelcomePanel(window, opened.append)
    window.show()
    target = welcome_panel.demo_song_path()
    assert not target.exists()

    panel.view.demo_button.click()  # returns at once: the synthesis runs in a worker
    assert panel.demo_worker is not None and not panel.view.demo_button.isEnabled()
    qtbot.waitUntil(lambda: opened == [str(target)], timeout=30000)
    qtbot.waitUntil(lambda: panel.demo_worker is None, timeout=5000)
    assert window.errors == []
    assert panel.view.demo_button.isEnabled()
    audio = load_audio(target)
    assert abs(audio.duration - welcome_panel.DEMO_SECONDS) < 0.05
    assert audio.channels == 2 and float(abs(audio.samples).max()) > 0.05  # real music, not silence

    mtime = target.stat().st_mtime_ns
    panel.view.demo_button.click()  # second time: straight from the cache, no worker
    assert panel.demo_worker is None and opened == [str(target)] * 2
    assert target.stat().st_mtime_ns == mtime
