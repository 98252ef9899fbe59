"""The look: a dark palette for Qt widgets and the colours every waveform view shares."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#16181d"
PANEL = "#1f2229"
GRID = "#2c313a"
TEXT = "#d7dae0"
MUTED = "#8a919e"
WAVE = ["#4fc3f7", "#81d4fa"]  # per channel (left, right); more channels reuse them
REGION_FILL = (255, 179, 0, 48)
REGION_EDGE = "#ffb300"
REGION_HOVER = (255, 179, 0, 90)
VIEWPORT_FILL = (255, 255, 255, 28)
VIEWPORT_EDGE = (255, 255, 255, 120)
PLAYHEAD = "#ff5252"
ERROR = "#ff6e6e"
CHECKED = "#2f6a9e"  # a toggle button that is on (the version heard, the loop)
WARNING = "#ffcc66"
LINK = "#6cb8ff"  # links read on the dark panels (Qt's default blue does not)
LINK_VISITED = "#b39ddb"


def apply(app: QApplication, *, plots: bool = True) -> None:
    """Fusion style with a dark palette; pyqtgraph drawing without antialiasing (speed). With
    `plots=False` (the app, before its first paint) pyqtgraph is not imported here: the main
    window configures it when it builds its waveform views (`MainWindow.attach`)."""
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: PANEL,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BACKGROUND,
        QPalette.ColorRole.AlternateBase: PANEL,
        QPalette.ColorRole.ToolTipBase: PANEL,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#2a2e37",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#3d7fb8",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.PlaceholderText: MUTED,
        QPalette.ColorRole.Link: LINK,
        QPalette.ColorRole.LinkVisited: LINK_VISITED,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(MUTED))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(MUTED))
    app.setPalette(pal)
    if plots:
        configure_pyqtgraph()


def configure_pyqtgraph() -> None:
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background=BACKGROUND, foreground=MUTED)
