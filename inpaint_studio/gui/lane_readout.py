"""The seam readout table, in a musician's words: for each version, the span its keep replaces,
how much each seam stands out, how far off the beat it lands, how loud it is against the music
around it, and a verdict. The engine's numbers (engine/metrics.py), each next to the original's
own value at the same instant, are there on demand: in every cell's tooltip, or in the cells
themselves with "Show numbers"."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.core.timefmt import format_time
from inpaint_studio.services.seam_readout import verdict_text

COLUMNS = ("Version", "Replaces", "How much the seams stand out", "On the beat?",
           "Loudness", "Match gain", "Verdict")
SEAMS = ("left", "right")


def _num(v: Any, fmt: str = "{:.2f}") -> str:
    return "–" if v is None else fmt.format(v)


def _stands_out(z: Any, z0: Any) -> str:
    """A seam's novelty z-score against the song's own at the same place, in words."""
    if z is None:
        return "unknown"
    limit = max(3.0, (z0 or 0.0) + 2.0)  # the engine's gate (engine/metrics.py)
    if z <= max(1.5, (z0 or 0.0) + 0.5):
        return "blends in"
    if z <= limit:
        return "a little"
    return "stands out"


def _off_beat(ms: Any) -> str:
    if ms is None:
        return "unknown"
    if ms <= 15:
        return "on the beat"
    return f"off the beat by {ms:.0f} ms"


def _loudness(d: Any) -> str:
    if d is None:
        return "unknown"
    if abs(d) < 0.5:
        return "as loud as around it"
    return f"{abs(d):.1f} LU {'louder' if d > 0 else 'softer'} than around it"


def describe(item: Any, keep_text: str | None = None,
             numbers: bool = False) -> list[tuple[str, str]]:
    """The cells for one `VersionReadout` (without its label): (text, tooltip) each. `keep_text`
    is the span its keep replaces (the keep feature's one span); `numbers` puts the engine's
    figures in the cells instead of words (they are in the tooltips either way)."""
    changed = ", ".join(f"{format_time(a)}–{format_time(b)}" for a, b in item.changed)
    changed_tip = (f"Where this version differs from the song: {changed}" if changed
                   else "No difference from the song was found.")
    # Without a keep feature to say what a keep replaces, where the version differs.
    replaces = (keep_text or changed or "no change found", changed_tip)
    gain = (f"{item.match_gain_db:+.1f} dB",
            "The gain that plays this version as loud as the original (Match loudness, M).")
    m = item.metrics
    if m is None:
        pending = item.metrics_error or "measuring…"
        return [replaces, (pending, ""), ("", ""), ("", ""), gain, ("", "")]
    z, z0 = m["seam_z"], m["seam_z_original"]
    seam_tip = "Seam novelty z-score (the song's own there): " + " / ".join(
        f"{side} {_num(a)} ({_num(b)})" for side, a, b in zip(SEAMS, z, z0, strict=False))
    seam_words = "; ".join(f"{side}: {_stands_out(a, b)}"
                           for side, a, b in zip(SEAMS, z, z0, strict=False))
    seam_nums = " / ".join(f"{_num(a)} (orig {_num(b)})" for a, b in zip(z, z0, strict=False))
    phase, phase0 = m["beat_phase_ms"], m["beat_phase_original_ms"]
    if phase:
        beat_tip = "Off the beat grid, ms (the song's own there): " + " / ".join(
            f"{side} {_num(a, '{:.0f}')} ({_num(b, '{:.0f}')})"
            for side, a, b in zip(SEAMS, phase, phase0, strict=False))
        beat_words = "; ".join(f"{side}: {_off_beat(a)}"
                               for side, a in zip(SEAMS, phase, strict=False))
        beat_nums = " / ".join(f"{_num(a, '{:.0f}')} ms (orig {_num(b, '{:.0f}')})"
                               for a, b in zip(phase, phase0, strict=False))
    else:
        beat_tip = "The song has no steady beat here, so nothing is judged against one."
        beat_words = beat_nums = "no steady beat"
    loud, loud0 = m["loudness_delta_lu"], m["loudness_delta_original_lu"]
    loud_tip = (f"Loudness against the music around it: {_num(loud, '{:+.1f}')} LU (the song's "
                f"own {_num(loud0, '{:+.1f}')} LU), ITU-R BS.1770")
    loud_nums = f"{_num(loud, '{:+.1f}')} LU (orig {_num(loud0, '{:+.1f}')})"
    verdict = verdict_text(m)  # the engine's own verdict, in words
    counted = m.get("counted", list(m["gates"]))
    verdict_tip = "What the verdict is made of: " + ", ".join(
        f"{k} {'passed' if ok else 'not judged' if ok is None else 'failed'}"
        for k, ok in m["gates"].items() if k in counted)
    return [replaces,
            (seam_nums if numbers else seam_words, seam_tip),
            (beat_nums if numbers else beat_words, beat_tip),
            (loud_nums if numbers else _loudness(loud), loud_tip),
            gain, (verdict, verdict_tip)]


class SeamReadoutTable(QWidget):
    """One row per version; `show_item(label, readout, keep_text)`, `clear()`,
    `set_hidden(reason)`; `numbers` shows the engine's figures in the cells."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(96)  # a header and two versions
        self.note = QLabel("How each version's seams sound, once versions are here.")
        self.note.setWordWrap(True)
        self.numbers = QCheckBox("Show numbers")
        self.numbers.setToolTip("Show the engine's measurements instead of words (they are in "
                                "each cell's tooltip too)")
        self.numbers.toggled.connect(lambda _on: self._redraw())
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.numbers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.rows: dict[str, int] = {}
        self._shown: dict[str, tuple[Any, str | None]] = {}

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.rows = {}
        self._shown = {}

    def show_item(self, label: str, item: Any, keep_text: str | None = None) -> None:
        self._shown[label] = (item, keep_text)
        row = self.rows.get(label)
        if row is None:
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.rows[label] = row
        cells = [(label, ""), *describe(item, keep_text, self.numbers.isChecked())]
        for col, (text, tip) in enumerate(cells):
            cell = QTableWidgetItem(text)
            cell.setToolTip(tip)
            self.table.setItem(row, col, cell)

    def _redraw(self) -> None:
        for label, (item, keep_text) in list(self._shown.items()):
            self.show_item(label, item, keep_text)

    def set_hidden(self, reason: str | None) -> None:
        """Hide the numbers (blind mode) with `reason`, or show them again (None)."""
        self.table.setVisible(reason is None)
        self.numbers.setVisible(reason is None)
        self.note.setText(reason or "Judged against the song's own music; hover a cell for "
                          "the measurements.")
