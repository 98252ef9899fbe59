"""Every screen size the editor is made for, with no song (the welcome view) and with a song and
a job's two versions: the window fits the screen, and a walk over the widget tree finds nothing
clipped or overlapping (geometry, not pixels). Submit can always be reached, also with Advanced
open, and the main waveform is never smaller than a version lane.

The window is resized to the screen's size in points, as if the screen were that size: 2560×1440
at scale 2 lays out in 1280×720 points (`inpaint-studio --screenshot --size 2560x1440 --scale 2`
renders that; the picture has twice the pixels)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QPushButton,
    QRubberBand,
    QTabBar,
    QToolButton,
    QWidget,
)

from inpaint_studio.core.audio import Audio
from inpaint_studio.gui import main_window, theme
from tests.gui.conftest import install_all, load, make_window

# (width, height, scale) of each screen, in pixels
SCREENS = [(1024, 700, 1), (1366, 768, 1), (1600, 900, 1), (1920, 1080, 1), (2560, 1440, 2)]


def points(screen: tuple[int, int, int]) -> tuple[int, int]:
    w, h, scale = screen
    return w // scale, h // scale


@pytest.fixture
def editor(qtbot, settings, workers, studio_home, tmp_path):
    """The whole editor as the app starts it the first time: (window, features)."""
    theme.configure_pyqtgraph()
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    services, features = install_all(win, tmp_path)
    yield win, features
    services.shutdown()


def show_at(qtbot, win, size: tuple[int, int]) -> None:
    win.resize(*size)
    win.restore_state()  # nothing saved: the first-start layout
    win.show()
    qtbot.waitExposed(win)
    settle(qtbot, win)


def settle(qtbot, win) -> None:
    for _ in range(4):  # dock sizes are set once shown; layouts take a few passes
        qtbot.wait(20)
        QApplication.processEvents()
    win.arrange_docks()
    for _ in range(4):
        qtbot.wait(20)
        QApplication.processEvents()


def load_song_and_versions(qtbot, win, features, audio_file) -> None:
    load(qtbot, win, audio_file(".flac", seconds=20.0))
    audio = win.document.audio
    rng = np.random.default_rng(3)
    versions = [(i, Audio(rng.uniform(-0.4, 0.4, audio.samples.shape).astype(np.float32),
                          audio.sample_rate)) for i in (1, 2)]
    win.region.set(6.0, 11.0)
    features.compare.set_versions(versions)
    for i, version in versions:
        features.keep.offer(i, version, (6.0, 11.0))
    qtbot.waitUntil(lambda: len(win.lanes.lanes) == 2, timeout=10000)
    qtbot.waitUntil(lambda: not win.workers.active, timeout=20000)
    # a prompt whose plan runs to several lines under it (the local backend's player)
    form = features.jobs.form
    form.prompt.setPlainText("Replace this part with an opera-style vocal, zorblax")
    form.update_plan()
    assert form.plan_label.isVisible() and len(form.plan_label.text().splitlines()) == 4


# -- the walk ----------------------------------------------------------------------------------
def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def _children(widget: QWidget) -> list[QWidget]:
    """The visible child widgets of `widget`. A tabbed dock that is not the current tab is
    "visible" at a place off the window (how Qt hides it), and so is a tab bar Qt keeps for
    later: they are left out."""
    return [c for c in widget.children() if isinstance(c, QWidget) and not c.isWindow()
            and _shown(c) and not isinstance(c, QRubberBand)
            and not (isinstance(c, (QDockWidget, QTabBar))
                    and not widget.rect().intersects(c.geometry()))]


def _name(widget: QWidget) -> str:
    text = ""
    if isinstance(widget, (QAbstractButton, QLabel)):
        text = widget.text()[:40]
    elif isinstance(widget, QTabBar):
        text = "|".join(widget.tabText(i) for i in range(widget.count()))
    chain, w = [], widget
    while w is not None and len(chain) < 4:
        chain.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return f"{type(widget).__name__} {text!r} in {'<'.join(chain[1:])}"


def _text_clipped(widget: QWidget) -> str | None:
    """Why `widget` shows less than its text needs, or None."""
    if isinstance(widget, QLabel):
        if widget.pixmap() is not None and not widget.pixmap().isNull():
            need = widget.pixmap().deviceIndependentSize()
            if widget.width() < need.width() or widget.height() < need.height():
                return f"pixmap {need.toSize()} in {widget.size()}"
            return None
        if not widget.text():
            return None
        if widget.wordWrap():
            need_h = widget.heightForWidth(widget.width())
            if widget.height() + 1 < need_h:
                return f"needs {need_h} px high at {widget.width()} wide, has {widget.height()}"
            return None
        if widget.sizePolicy().horizontalPolicy() == widget.sizePolicy().Policy.Ignored:
            return None  # cut on purpose (its tooltip has the whole text)
        hint = widget.minimumSizeHint()
        if widget.width() + 1 < hint.width() or widget.height() + 1 < hint.height():
            return f"needs {hint.width()}×{hint.height()}, has {widget.width()}×{widget.height()}"
        return None
    if isinstance(widget, (QPushButton, QToolButton, QCheckBox)) and widget.text():
        hint = widget.sizeHint()
        if widget.width() + 1 < hint.width() or widget.height() + 1 < hint.height():
            return f"needs {hint.width()}×{hint.height()}, has {widget.width()}×{widget.height()}"
    if isinstance(widget, QLineEdit) and widget.placeholderText() and not widget.text():
        margins = widget.textMargins()
        need = (widget.fontMetrics().horizontalAdvance(widget.placeholderText())
                + margins.left() + margins.right() + 8)
        if widget.width() < need:
            return f"placeholder needs {need} px, has {widget.width()}"
    return None


def problems(root: QWidget) -> list[str]:
    """Every clipped or overlapping visible widget under `root`."""
    found: list[str] = []

    def walk(widget: QWidget) -> None:
        children = _children(widget)
        in_scroll = isinstance(widget.parentWidget(), QAbstractScrollArea) and \
            widget is widget.parentWidget().viewport()  # fmt: skip
        for child in children:
            if not in_scroll and not widget.rect().contains(child.geometry()):
                found.append(f"outside its parent: {_name(child)} at {child.geometry()} in "
                             f"{widget.rect()}")
            why = _text_clipped(child)
            if why:
                found.append(f"clipped: {_name(child)}: {why}")
        # The welcome view covers the editor on purpose; anything else may not overlap.
        solid = [c for c in children if c.objectName() != "welcome"]
        for i, a in enumerate(solid):
            for b in solid[i + 1:]:
                overlap = a.geometry().intersected(b.geometry())
                if overlap.width() > 1 and overlap.height() > 1:
                    found.append(f"overlap: {_name(a)} {a.geometry()} and {_name(b)} "
                                 f"{b.geometry()}")
        for child in children:
            walk(child)

    walk(root)
    return found


def check_window(win, features, size: tuple[int, int]) -> None:
    found = problems(win)
    if (win.width(), win.height()) != size:
        found.insert(0, f"the window needs {win.width()}×{win.height()}, the screen has "
                        f"{size[0]}×{size[1]}")
    assert not found, "\n".join(found)
    # Submit is on screen without scrolling (also with Advanced open)
    form = features.jobs.form
    for advanced in (False, True):
        form.advanced_toggle.setChecked(advanced)
        QApplication.processEvents()
        QApplication.processEvents()
        button = form.submit_button
        shown = button.visibleRegion().boundingRect()
        assert shown.size() == button.size(), f"Submit is not fully visible ({advanced=})"
        top_left = button.mapTo(win, shown.topLeft())
        assert win.rect().contains(QRect(top_left, shown.size()))
    form.advanced_toggle.setChecked(False)
    QApplication.processEvents()


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}@{s[2]}")
def test_welcome_fits(qtbot, editor, screen):
    win, features = editor
    size = points(screen)
    show_at(qtbot, win, size)
    assert features.welcome.view.isVisible()
    check_window(win, features, size)


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}@{s[2]}")
def test_song_with_two_versions_fits(qtbot, editor, audio_file, screen):
    win, features = editor
    size = points(screen)
    show_at(qtbot, win, size)
    load_song_and_versions(qtbot, win, features, audio_file)
    settle(qtbot, win)
    assert not features.welcome.view.isVisible()
    check_window(win, features, size)
    # the main waveform is never smaller than a version lane
    for lane in win.lanes.lanes:
        assert win.detail.plot_widget.height() >= lane.plot_widget.height()
    # the keep buttons are on screen
    for button in features.keep.panel.keep_buttons.values():
        assert not button.visibleRegion().isEmpty()


def test_opening_never_exceeds_the_screen(qtbot, settings, workers, studio_home):
    """A first start fits the screen, and a window saved on a larger screen is brought back
    inside this one."""
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    room = win.screen().availableGeometry()
    assert win.width() <= room.width() and win.height() <= room.height()
    win.resize(room.width() + 600, room.height() + 400)
    settings.set("window/geometry", bytes(win.saveGeometry().data()))
    again = make_window(settings, workers)
    qtbot.addWidget(again)
    assert again.width() <= room.width() and again.height() <= room.height()
    assert room.contains(again.frameGeometry().topLeft())


def test_a_layout_saved_on_a_large_screen_fits_a_small_one(qtbot, settings, workers, studio_home,
                                                           tmp_path):
    """Docks saved at 1920×1080 and restored in a 1024×700 window: the right column does not
    keep its old width and squeeze the waveform, and nothing is clipped."""
    big = make_window(settings, workers)
    qtbot.addWidget(big)
    services, features = install_all(big, tmp_path / "big")
    show_at(qtbot, big, (1920, 1080))
    settings.set("window/state", bytes(big.saveState(main_window.LAYOUT_VERSION).data()))
    big.close()
    services.shutdown()
    win = make_window(settings, workers)
    qtbot.addWidget(win)
    services, features = install_all(win, tmp_path / "small")
    win.resize(1024, 700)
    win.restore_state()
    win.show()
    qtbot.waitExposed(win)
    for _ in range(4):
        qtbot.wait(20)
    assert win.centralWidget().width() >= 0.6 * win.width()
    check_window(win, features, (1024, 700))
    services.shutdown()
