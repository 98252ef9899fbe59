"""The seam readout table: for each version, the engine's seam metrics on the version as returned,
each next to the original's own value at the same instant ("1.2 (orig 0.9)"), and the gates."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.core.timefmt import format_time
from inpaint_studio.services.seam_readout import verdict_text

COLUMNS = ("Version", "Changed", "Seam novelty z (L / R)", "Beat phase ms (L / R)",
           "Loudness ΔLU", "Match gain", "Verdict")


def _pair(values: list[Any], originals: list[Any], fmt: str = "{:.2f}") -> str:
    def one(v: Any) -> str:
        return "–" if v is None else fmt.format(v)

    if not values:
        return "n/a (no steady beat)"
    return " / ".join(f"{one(v)} (orig {one(o)})" for v, o in zip(values, originals, strict=False))


def describe(item: Any) -> list[str]:
    """The row of cells for one `VersionReadout` (without its label)."""
    spans = ", ".join(f"{format_time(a, 1)}–{format_time(b, 1)}" for a, b in item.changed[:3])
    if len(item.changed) > 3:
        spans += f" (+{len(item.changed) - 3})"
    gain = f"{item.match_gain_db:+.1f} dB"
    m = item.metrics
    if m is None:
        pending = item.metrics_error or "measuring…"
        return [spans or "no change found", pending, "", "", gain, ""]
    seam = _pair(m["seam_z"], m["seam_z_original"])
    phase = _pair(m["beat_phase_ms"], m["beat_phase_original_ms"], "{:.0f}")
    loud = m["loudness_delta_lu"]
    loud0 = m["loudness_delta_original_lu"]
    loud_text = "–" if loud is None else f"{loud:+.1f} (orig {loud0:+.1f})"
    return [spans or "no change found", seam, phase, loud_text, gain, verdict_text(m)]


class SeamReadoutTable(QWidget):
    """One row per version; `show_item(label, readout)`, `clear()`, `set_hidden(reason)`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(96)  # a header and two versions
        self.note = QLabel("Seam metrics of each version appear here when versions are loaded.")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        self.rows: dict[str, int] = {}

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.rows = {}

    def show_item(self, label: str, item: Any) -> None:
        row = self.rows.get(label)
        if row is None:
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.rows[label] = row
        for col, text in enumerate([label, *describe(item)]):
            self.table.setItem(row, col, QTableWidgetItem(text))

    def set_hidden(self, reason: str | None) -> None:
        """Hide the numbers (blind mode) with `reason`, or show them again (None)."""
        self.table.setVisible(reason is None)
        self.note.setText(reason or "Each version's seams, next to the original's own values "
                          "there; a gate fails only where the version is clearly worse.")
