"""File ▸ Export…: format, bit depth, bitrate, title, and what: the whole edited song, its
selected region, or one offered version's region alone.

The dialog only gathers choices; `ExportDialog.choice()` returns them and the keep feature runs
the export through the `Exporter` service (a Worker with progress and cancel)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from inpaint_studio.core.export import MP3_BITRATES, ExportOptions
from inpaint_studio.core.timefmt import format_time

_DEPTHS = {"wav": [("16-bit", 16), ("24-bit", 24), ("32-bit float", 32)],
           "flac": [("16-bit", 16), ("24-bit", 24)], "mp3": []}


@dataclass(frozen=True)
class ExportChoice:
    """What the musician chose: where, how, whether only the region, and from which version
    (None: the edited song)."""

    target: str
    options: ExportOptions
    region_only: bool
    version: int | None = None


class ExportDialog(QDialog):
    """Choose an export; `region` (seconds) enables "Region only" when given, `versions` (index →
    its region) adds "Version N, its region alone"."""

    def __init__(self, title: str, start_dir: str, region: tuple[float, float] | None,
                 parent: QWidget | None = None,
                 versions: dict[int, tuple[float, float]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.format = QComboBox()
        for label, key in (("WAV", "wav"), ("FLAC", "flac"), ("MP3", "mp3")):
            self.format.addItem(label, key)
        self.depth = QComboBox()
        self.bitrate = QComboBox()
        for rate in MP3_BITRATES:
            self.bitrate.addItem(f"{rate} kbit/s", rate)
        self.bitrate.setCurrentIndex(len(MP3_BITRATES) - 1)
        self.title = QLineEdit(title)
        self.whole = QRadioButton("Whole song")
        self.region_only = QRadioButton("Region only")
        self.whole.setChecked(True)
        self.region_only.setEnabled(region is not None)
        group = QButtonGroup(self)
        self.version_buttons: dict[int, QRadioButton] = {}
        scope = QHBoxLayout()
        for button in (self.whole, self.region_only):
            group.addButton(button)
            scope.addWidget(button)
        for index, (a, b) in sorted((versions or {}).items()):
            button = QRadioButton(f"Version {index} ({format_time(a)}–{format_time(b)})")
            button.setToolTip("This version's region alone, as the job returned it")
            group.addButton(button)
            scope.addWidget(button)
            self.version_buttons[index] = button
        self.path = QLineEdit(os.path.join(start_dir, (title or "song") + ".wav"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Format", self.format)
        form.addRow("Bit depth", self.depth)
        form.addRow("Bitrate", self.bitrate)
        form.addRow("Title", self.title)
        form.addRow("Export", scope)
        form.addRow("File", where)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def set_format(self, key: str) -> None:
        self.format.setCurrentIndex(self.format.findData(key))

    def _format_changed(self) -> None:
        key = self.format.currentData()
        self.depth.clear()
        for label, value in _DEPTHS[key]:
            self.depth.addItem(label, value)
        if self.depth.count() > 1:
            self.depth.setCurrentIndex(1)  # 24-bit: holds a 16- or 24-bit source exactly
        self.depth.setEnabled(bool(_DEPTHS[key]))
        self.bitrate.setEnabled(key == "mp3")
        root, _ = os.path.splitext(self.path.text())
        self.path.setText(root + "." + key)

    def _browse(self) -> None:
        key = self.format.currentData()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(),
                                              f"{key.upper()} (*.{key})")
        if path:
            if not path.lower().endswith("." + key):
                path += "." + key
            self.path.setText(path)

    def choice(self) -> ExportChoice:
        key = self.format.currentData()
        options = ExportOptions(format=key, bit_depth=int(self.depth.currentData() or 16),
                                bitrate_kbps=int(self.bitrate.currentData()),
                                title=self.title.text().strip())
        target = self.path.text().strip()
        if not target.lower().endswith("." + key):
            target += "." + key
        version = next((i for i, b in self.version_buttons.items() if b.isChecked()), None)
        return ExportChoice(target, options, self.region_only.isChecked() or version is not None,
                            version)
