"""Small things that add up (issue 18, point 4): where Open URL sits, the About box on the dark
theme, the Backend settings' words when no key is set, and a blind comparison that cannot be
told apart by eye. Real offscreen widgets, the editor wired as the app wires it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from inpaint_studio.gui import theme
from inpaint_studio.gui.about import show_about
from tests.gui.conftest import install_all


def _contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_open_url_sits_with_the_ways_to_open_above_quit(qtbot, window, tmp_path):
    install_all(window, tmp_path)
    texts = [a.text().replace("&", "") for a in window.menu("File").actions()]
    assert texts.index("Open URL…") == texts.index("Open Recent") + 1
    assert texts.index("Open URL…") < texts.index("Quit")
    assert texts[-1] == "Quit"


def test_about_link_reads_on_the_dark_theme_and_esc_closes_it(qtbot, window):
    app = QApplication.instance()
    window.activateWindow()
    qtbot.waitUntil(lambda: app.activeWindow() is window, timeout=2000)
    dialog = show_about(window)
    qtbot.waitExposed(dialog)
    html = dialog.footer.text()
    colour = QColor(html.split("color: ", 1)[1].split(";", 1)[0])
    panel = QColor(theme.PANEL)  # the dialog's background in the dark theme
    assert _contrast(colour, panel) >= 4.5  # WCAG AA for text
    assert colour == QColor(theme.LINK)
    # The About box has the keyboard (not the window behind it, whose Esc cancels loading).
    qtbot.waitUntil(lambda: app.activeWindow() is dialog, timeout=2000)
    closed = []
    dialog.finished.connect(closed.append)
    QTest.keyClick(app.focusWidget() or dialog, Qt.Key.Key_Escape)
    assert closed
