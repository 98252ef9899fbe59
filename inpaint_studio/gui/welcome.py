"""The first thing a newcomer sees: what the app does, "Open a song…", "Try a demo song", and
one paragraph on the two backends. A plain view: it only emits what the user asked for; the
installer in `welcome_panel` decides what happens (open dialog, demo song worker)."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio import identity
from inpaint_studio.gui.about import icon_pixmap

BACKENDS_TEXT = (
    "<b>Two ways to fill a region.</b> The <b>local</b> backend needs no account and no "
    "network: a small server inside the app fills the region from the song's own material "
    "(passages that match the music around it), so you can try the whole loop right away — "
    "it cannot follow a prompt. <b>MusicGPT</b> generates new music from your prompt and "
    "lyrics; it needs an API key (Jobs ▸ Backend settings), costs credits per job, and "
    "uploads the song to MusicGPT's servers. Either way the versions come back as lanes under "
    "your song, and your original file is never changed."
)


class WelcomeView(QWidget):
    """Welcome page. `open_requested` / `demo_requested` fire on the buttons; `set_busy` shows
    that the demo song is being made (the buttons are disabled meanwhile)."""

    open_requested = Signal()
    demo_requested = Signal()
    recent_requested = Signal(str)  # a path from the recent list (a project or a song)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setAutoFillBackground(True)  # it covers the empty editor as an overlay

        icon = QLabel()
        icon.setPixmap(icon_pixmap(128))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(f"<h1>{identity.NAME}</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lead = QLabel(
            "Open a song, drag across the part you want redone, describe the replacement, "
            "then compare the versions at one playhead and keep the best."
        )
        lead.setWordWrap(True)
        font = lead.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        lead.setFont(font)
        lead.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.open_button = QPushButton("Open a song…")
        self.open_button.setDefault(True)
        self.open_button.setToolTip("mp3, wav, flac, ogg, m4a — anything ffmpeg decodes "
                                    "(or drop a file on the window)")
        self.demo_button = QPushButton("Try a demo song")
        self.demo_button.setToolTip("A 90-second song made on this computer, no download")
        for button in (self.open_button, self.demo_button):
            button.setMinimumSize(180, 40)  # the two things to do first: big enough to see
        self.open_button.clicked.connect(self.open_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)

        self.busy_label = QLabel()
        self.busy_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: synthesis reports no steps
        self.busy_bar.setMaximumWidth(320)
        busy = QHBoxLayout()
        busy.addStretch(1)
        busy.addWidget(self.busy_bar)
        busy.addStretch(1)

        self.recent_label = QLabel("<b>Recent</b>")
        self.recent = QListWidget()
        self.recent.setObjectName("welcome-recent")
        self.recent.setMaximumHeight(150)
        self.recent.itemActivated.connect(self._recent_picked)
        self.recent.itemClicked.connect(self._recent_picked)

        self.backends = QLabel(BACKENDS_TEXT)
        self.backends.setWordWrap(True)
        self.backends.setObjectName("welcome-backends")

        column = QVBoxLayout()
        column.addStretch(2)
        column.addWidget(icon)
        column.addWidget(title)
        column.addWidget(lead)
        column.addSpacing(16)
        column.addLayout(buttons)
        column.addWidget(self.busy_label)
        column.addLayout(busy)
        column.addSpacing(8)
        column.addWidget(self.recent_label)
        column.addWidget(self.recent)
        column.addSpacing(16)
        column.addWidget(self.backends)
        column.addStretch(3)
        content = QWidget()
        content.setLayout(column)
        content.setMaximumWidth(640)
        page = QWidget()
        outer = QHBoxLayout(page)
        outer.addStretch(1)
        outer.addWidget(content, 4)
        outer.addStretch(1)
        # On a small screen the page scrolls rather than squeezing its parts over each other.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.viewport().setAutoFillBackground(False)
        page.setAutoFillBackground(False)
        scroll.setWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.set_busy(None)

    def show_recent(self, projects: list[str], songs: list[str]) -> None:
        """List the recent projects, then the recent songs (name shown, path in the tooltip);
        the list and its heading are hidden while both are empty."""
        self.recent.clear()
        for kind, paths in (("project", projects), ("song", songs)):
            for path in paths:
                item = QListWidgetItem(f"{os.path.basename(path)}  ({kind})")
                item.setToolTip(path)
                item.setData(Qt.ItemDataRole.UserRole, path)
                self.recent.addItem(item)
        shown = self.recent.count() > 0
        self.recent.setVisible(shown)
        self.recent_label.setVisible(shown)

    def _recent_picked(self, item: QListWidgetItem) -> None:
        self.recent_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def set_busy(self, message: str | None) -> None:
        """Show `message` with a running bar and disable the buttons; None clears it."""
        busy = message is not None
        self.busy_label.setText(message or "")
        self.busy_label.setVisible(busy)
        self.busy_bar.setVisible(busy)
        self.open_button.setEnabled(not busy)
        self.demo_button.setEnabled(not busy)
