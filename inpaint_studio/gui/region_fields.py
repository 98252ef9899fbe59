"""Start / End / Length of the region as editable m:ss.mmm fields, kept in sync with the
`RegionModel` both ways. What is typed is checked as it is typed; the region moves when the
edit is confirmed (Enter or leaving the field). Errors and advice appear beside the fields."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QWidget

from inpaint_studio.core.region import Region, RegionError
from inpaint_studio.core.timefmt import format_time, parse_time
from inpaint_studio.gui import theme
from inpaint_studio.services.document import RegionModel

_BAD = f"QLineEdit {{ border: 1px solid {theme.ERROR}; }}"


class RegionFields(QWidget):
    def __init__(self, region: RegionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.region = region
        self.start = self._field("Start of the region (m:ss.mmm or seconds)")
        self.end = self._field("End of the region (m:ss.mmm or seconds)")
        self.length = self._field("Length of the region; changing it moves the end")
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
            self.message.setText(f"{format_time(self.region.region.length)} selected.")

    # -- fields → model --------------------------------------------------------------------------
    def _parse(self, edited: QLineEdit | None = None) -> tuple[float, float]:
        """(start, end) from the fields; an edited Length moves the end."""
        start = parse_time(self.start.text())
        if edited is self.length:
            return start, start + parse_time(self.length.text())
        return start, parse_time(self.end.text())

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
