"""File ▸ Export…: format, bit depth, bitrate, title, and the whole song or the region alone.

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

_DEPTHS = {"wav": [("16-bit", 16), ("24-bit", 24), ("32-bit float", 32)],
           "flac": [("16-bit", 16), ("24-bit", 24)], "mp3": []}


@dataclass(frozen=True)
class ExportChoice:
    """What the musician chose: where, how, and whether only the region."""

    target: str
    options: ExportOptions
    region_only: bool


class ExportDialog(QDialog):
    """Choose an export; `region` (seconds) enables "Region only" when given."""

    def __init__(self, title: str, start_dir: str, region: tuple[float, float] | None,
                 parent: QWidget | None = None) -> None:
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
        group.addButton(self.whole)
        group.addButton(self.region_only)
        scope = QHBoxLayout()
        scope.addWidget(self.whole)
        scope.addWidget(self.region_only)
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
        return ExportChoice(target, options, self.region_only.isChecked())
