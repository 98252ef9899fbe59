"""Start / End / Length of the region as editable m:ss.mmm fields, kept in sync with the
`RegionModel` both ways. What is typed is checked as it is typed; the region moves when the
edit is confirmed (Enter or leaving the field). Errors and advice appear beside the fields.

With the song's musical map (`set_music_map`), Start and End also take bars.beats ("33.1" is
bar 33, beat 1; a time then needs its colon, "0:33.1", or an "s", "33.1s") and Length takes
"4 bars" or "6 beats"; the region is shown in bars beside the fields. A typed region is never
snapped."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from inpaint_studio.core.region import Region, RegionError
from inpaint_studio.core.timefmt import format_time, parse_time
from inpaint_studio.gui import theme
from inpaint_studio.services import music_map
from inpaint_studio.services.document import RegionModel

if TYPE_CHECKING:
    from inpaint_studio.services.music_map import MusicMap

_BAD = f"QLineEdit {{ border: 1px solid {theme.ERROR}; }}"
_BAR_BEAT = re.compile(r"^\s*\d+\s*\.\s*\d+\s*$")
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*s\s*$", re.IGNORECASE)
_BARS_LENGTH = re.compile(r"\b(bars?|beats?)\s*$", re.IGNORECASE)
_ON_BEAT_S = 0.02  # a position this close to a beat reads as that beat


class RegionFields(QWidget):
    def __init__(self, region: RegionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.region = region
        self.music_map: MusicMap | None = None
        self.start = self._field("")
        self.end = self._field("")
        self.length = self._field("")
        self._set_tips()
        self.message = QLabel("Drag on the waveform to choose the part to replace.")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.MUTED};")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(LEFT_PAD, 4, 8, 4)
        for label, field in (("Start", self.start), ("End", self.end), ("Length", self.length)):
            layout.addWidget(QLabel(label))
            layout.addWidget(field)
            layout.addSpacing(8)
        layout.addWidget(self.message, 1)
        region.changed.connect(self._show)
        region.committed.connect(self._show)
        self._show(region.region)

    def _field(self, tip: str) -> QLineEdit:
        field = QLineEdit()
        field.setToolTip(tip)
        field.setPlaceholderText("–:––.–––")
        field.setFixedWidth(96)
        field.textEdited.connect(lambda _t: self._check())
        field.editingFinished.connect(lambda f=field: self._commit(f))
        return field

    def set_music_map(self, m: MusicMap | None) -> None:
        """Take and show bars.beats on `m`'s grid (None, or a song without a steady beat:
        times only)."""
        self.music_map = m if music_map.has_grid(m) else None
        self._set_tips()
        self._show_advice()

    def _set_tips(self) -> None:
        bars = self.music_map is not None
        self.start.setToolTip("Start of the region (m:ss.mmm or seconds"
                              + (", or bar.beat such as 33.1)" if bars else ")"))
        self.end.setToolTip("End of the region (m:ss.mmm or seconds"
                            + (", or bar.beat such as 37.1)" if bars else ")"))
        self.length.setToolTip("Length of the region; changing it moves the end"
                               + (" (a time, or '4 bars', '6 beats')" if bars else ""))

    # -- model → fields ------------------------------------------------------------------------
    def _show(self, region: Region | None) -> None:
        for field, value in zip((self.start, self.end, self.length),
                                (region.start, region.end, region.length) if region else
                                (None, None, None), strict=True):  # fmt: skip
            field.setText("" if value is None else format_time(value))
            field.setStyleSheet("")
        self._show_advice()

    def _show_advice(self) -> None:
        if self.region.region is None:
            self.message.setStyleSheet(f"color: {theme.MUTED};")
            self.message.setText("Drag on the waveform to choose the part to replace.")
        elif self.region.warnings:
            self.message.setStyleSheet(f"color: {theme.WARNING};")
            self.message.setText(" ".join(self.region.warnings))
        else:
            self.message.setStyleSheet(f"color: {theme.MUTED};")
            self.message.setText(f"{format_time(self.region.region.length)} selected"
                                 f"{self.bars_text(self.region.region)}.")

    def bars_text(self, region: Region) -> str:
        """" · bars 33.1 – 37.1 (4 bars)" for `region` on the map's grid ("" without one); "≈"
        marks an edge that is not on a beat."""
        m = self.music_map
        if m is None:
            return ""
        edges = []
        for t in (region.start, region.end):
            beat = music_map.snap(m, t, "beat")
            on = abs(beat - t) <= _ON_BEAT_S  # read on the beat (a region sits on whole samples)
            edges.append((on, beat, music_map.format_position(m, beat if on else t)))
        (on_a, beat_a, a), (on_b, beat_b, b) = edges
        if a is None or b is None:
            return ""
        text = f" · bars {'' if on_a else '≈'}{a} – {'' if on_b else '≈'}{b}"
        if on_a and on_b:  # whole bars when both edges are bar lines, else beats
            downs = m.downbeats
            if beat_a in downs and beat_b in downs:
                n = downs.index(beat_b) - downs.index(beat_a)
                text += f" ({n} bar{'s' if n != 1 else ''})"
            else:
                count = m.beats.index(beat_b) - m.beats.index(beat_a)
                text += f" ({count} beat{'s' if count != 1 else ''})"
        return text

    # -- fields → model --------------------------------------------------------------------------
    def _position(self, text: str) -> float:
        """A typed position: bar.beat on a grid ("33.1"), "33.1s", or a time."""
        if self.music_map is not None:
            if _BAR_BEAT.match(text):
                return music_map.parse_position(self.music_map, text)
            if seconds := _SECONDS.match(text):
                return float(seconds.group(1))
        return parse_time(text)

    def _length(self, text: str, start: float) -> float:
        if self.music_map is not None and _BARS_LENGTH.search(text):
            return music_map.parse_length(self.music_map, text, start)
        return parse_time(text)

    def _parse(self, edited: QLineEdit | None = None) -> tuple[float, float]:
        """(start, end) from the fields; an edited Length moves the end."""
        start = self._position(self.start.text())
        if edited is self.length:
            return start, start + self._length(self.length.text(), start)
        return start, self._position(self.end.text())

    def _check(self) -> Region | None:
        """Validate what is typed; mark the fields and say what is wrong. None when invalid."""
        edited = next((f for f in (self.start, self.end, self.length) if f.hasFocus()), None)
        for field in (self.start, self.end, self.length):
            field.setStyleSheet("")
        try:
            start, end = self._parse(edited)
            candidate = self.region.validate(start, end)
        except (ValueError, RegionError) as exc:
            if edited is not None:
                edited.setStyleSheet(_BAD)
            self.message.setStyleSheet(f"color: {theme.ERROR};")
            self.message.setText(str(exc))
            return None
        self._show_advice()
        return candidate

    def _commit(self, field: QLineEdit) -> None:
        if not any(f.text().strip() for f in (self.start, self.end, self.length)):
            self._show(self.region.region)  # nothing typed: nothing to do
            return
        try:
            start, end = self._parse(field)
            self.region.set(start, end, final=True)
        except (ValueError, RegionError) as exc:
            field.setStyleSheet(_BAD)
            self.message.setStyleSheet(f"color: {theme.ERROR};")
            self.message.setText(str(exc))
            return
        self._show(self.region.region)


LEFT_PAD = 8
