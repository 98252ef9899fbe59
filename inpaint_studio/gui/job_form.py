"""The job form: what to send for the selected region, checked as it is typed.

The form shows the region (from the window's selection), the song that will be sent, the
backend and a cost estimate; every field the API takes; and why Submit is disabled when it is.
Checks come from the request model through `backends.backend.validate`, so the form and the
client agree on what is valid."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.backends import backend as backend_service
from inpaint_studio.services import prompt_plan

_ERROR_STYLE = "border: 1px solid #e57373;"
_WARN_STYLE = "border: 1px solid #ffb74d;"
PLAN_DELAY_MS = 250  # the local player's plan is shown once typing pauses this long


@dataclass
class FormContext:
    """What the form needs from the window: the song, the region and the backend."""

    source: str = ""  # the song's path or http(s) address ("" when none is open)
    upload_path: str = ""  # the local file that would be uploaded ("" when none)
    duration: float | None = None
    region: tuple[float, float] | None = None
    kind: str = backend_service.LOCAL  # "" while it is not known yet (the key is being looked up)
    plan: str = "pro"
    edited: bool = False  # the song has kept edits: the edited audio is uploaded
    limits: backend_service.Limits | None = None  # what requests are checked against


def _fmt(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m)}:{s:06.3f}"


class _FittedScroll(QScrollArea):
    """A scroll area as tall as its content when there is room (so what follows it sits right
    under the fields) and shorter, scrolling, when there is not."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._width_hint: int | None = None  # fixed once asked: new text never moves the dock

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 - Qt override
        super().setWidget(widget)
        widget.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # e.g. Advanced opened: the content needs another height
        return super().eventFilter(obj, event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # wrapped text needs another height at another width

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        inner = self.widget()
        if inner is None:
            return super().sizeHint()
        width = self.viewport().width() if self.isVisible() else inner.sizeHint().width()
        height = inner.heightForWidth(width) if inner.hasHeightForWidth() else -1
        if height < 0:
            height = inner.sizeHint().height()
        if self._width_hint is None:
            self._width_hint = super().sizeHint().width()
        return QSize(self._width_hint, height + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().minimumSizeHint().width(), 80)


class JobForm(QWidget):
    """Emits `submit_requested(fields, send_url)` with the request fields when Submit is
    pressed and the form is valid; `send_url` is True to send the song's address."""

    submit_requested = Signal(dict, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = FormContext()
        self.issues: list[Any] = []
        # An empty prompt is not an error before the musician has typed in it or pressed
        # Submit: the box is not marked red on a fresh form (it still blocks Submit).
        self.prompt_touched = False
        self._plan_shown_for_local = False  # the plan line is for the local backend only
        self._build()
        self.refresh()

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.region_label = QLabel()
        self.region_label.setWordWrap(True)  # the hint with no region is long: never scroll
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.send_url = QCheckBox("Send the song's address instead of uploading it")
        self.send_url.setVisible(False)
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText("How the new part should sound (required)")
        self.prompt.setFixedHeight(60)
        self.prompt_count = QLabel()
        # What the local player will do with the prompt (local backend only): plain words,
        # updated once typing pauses.
        self.plan_label = QLabel()
        self.plan_label.setObjectName("prompt-plan")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextFormat(Qt.TextFormat.PlainText)
        self.plan_label.setStyleSheet("color: #90caf9;")
        # Its text never widens the form (as why_disabled below).
        plan_policy = self.plan_label.sizePolicy()
        plan_policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.plan_label.setSizePolicy(plan_policy)
        self.plan_label.setVisible(False)
        self._plan_timer = QTimer(self)
        self._plan_timer.setSingleShot(True)
        self._plan_timer.setInterval(PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self.update_plan)
        self.lyrics = QPlainTextEdit()
        self.lyrics.setPlaceholderText("Lyrics of the whole song (optional)")
        self.lyrics.setFixedHeight(60)
        self.section_lyrics = QPlainTextEdit()
        self.section_lyrics.setPlaceholderText("New lyrics for the selected part (optional)")
        self.section_lyrics.setFixedHeight(50)
        self.section_count = QLabel()
        self.gender = QComboBox()
        self.gender.addItem("Not set", None)
        for g in backend_service.VOICES:
            self.gender.addItem(g.capitalize(), g)
        self.versions = QSpinBox()
        self.versions.setRange(1, 2)
        self.versions.setValue(2)
        self.title = QLineEdit()
        self.title.setPlaceholderText("Title of the new track (optional)")

        self.advanced_toggle = QToolButton(text="Advanced", checkable=True)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced = QGroupBox()
        self.webhook = QLineEdit()
        self.webhook.setPlaceholderText("https://… (optional)")
        self.album_cover = QCheckBox("Generate an album cover")
        self.timestamps = QCheckBox("Timestamped lyrics")
        adv = QFormLayout(self.advanced)
        adv.addRow("Webhook URL", self.webhook)
        adv.addRow(self.album_cover)
        adv.addRow(self.timestamps)
        self.advanced.setVisible(False)
        self.advanced_toggle.toggled.connect(self._toggle_advanced)

        self.backend_label = QLabel()
        self.backend_label.setWordWrap(True)
        self.local_note = QLabel(backend_service.LOCAL_NOTE)
        self.local_note.setWordWrap(True)
        self.local_note.setStyleSheet("color: #ffb74d;")
        self.cost_label = QLabel()
        self.cost_label.setWordWrap(True)
        self.issue_label = QLabel()
        self.issue_label.setWordWrap(True)
        self.issue_label.setTextFormat(Qt.TextFormat.PlainText)
        self.submit_button = QPushButton("Submit")
        self.submit_button.clicked.connect(self.request_submit)
        self.why_disabled = QLabel()
        self.why_disabled.setWordWrap(True)
        self.why_disabled.setStyleSheet("color: #e57373;")
        # Its text never widens the form (the dock would move the waveform under the mouse).
        policy = self.why_disabled.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.why_disabled.setSizePolicy(policy)

        # A grid, not a QFormLayout: the wrapped labels get the height their width needs (a
        # form layout overlapped the Region and Song rows in a narrow column).
        form = QGridLayout()
        form.setColumnStretch(1, 1)
        prompt_row = QVBoxLayout()
        prompt_row.addWidget(self.prompt)
        prompt_row.addWidget(self.prompt_count, alignment=Qt.AlignmentFlag.AlignRight)
        prompt_row.addWidget(self.plan_label)
        section_row = QVBoxLayout()
        section_row.addWidget(self.section_lyrics)
        section_row.addWidget(self.section_count, alignment=Qt.AlignmentFlag.AlignRight)
        rows: list[tuple[str | None, QWidget | QLayout]] = [
            ("Region", self.region_label), ("Song", self.source_label), (None, self.send_url),
            ("Prompt", prompt_row), ("Song lyrics", self.lyrics), ("New lyrics", section_row),
            ("Voice", self.gender), ("Versions", self.versions), ("Title", self.title)]
        for row, (label, field) in enumerate(rows):
            column, span = (0, 2) if label is None else (1, 1)
            if label is not None:  # beside the first line of a tall field, centred on a short one
                tall = isinstance(field, (QLayout, QPlainTextEdit, QLabel))
                align = Qt.AlignmentFlag.AlignTop if tall else Qt.AlignmentFlag.AlignVCenter
                form.addWidget(QLabel(label), row, 0, align)
            if isinstance(field, QLayout):
                form.addLayout(field, row, column, 1, span)
            else:
                form.addWidget(field, row, column, 1, span)

        inner = QWidget()
        col = QVBoxLayout(inner)
        col.addLayout(form)
        for widget in (self.advanced_toggle, self.advanced, self.backend_label, self.local_note,
                       self.cost_label, self.issue_label):
            col.addWidget(widget)
        col.addStretch(1)  # room to spare goes under the fields, never between the rows
        scroll = _FittedScroll()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        # Submit and why it is disabled stay under the scrolled fields: always in reach, also
        # on a small screen or with Advanced open.
        footer = QVBoxLayout()
        footer.setContentsMargins(9, 4, 9, 6)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.submit_button)
        footer.addLayout(buttons)
        footer.addWidget(self.why_disabled)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(scroll)
        outer.addLayout(footer)
        outer.addStretch(1)

        self.prompt.textChanged.connect(self._prompt_typed)
        self.prompt.textChanged.connect(self._plan_timer.start)
        for w in (self.prompt, self.lyrics, self.section_lyrics):
            w.textChanged.connect(self.refresh)
        for w in (self.title, self.webhook):
            w.textChanged.connect(self.refresh)
        self.gender.currentIndexChanged.connect(self.refresh)
        self.versions.valueChanged.connect(self.refresh)
        self.send_url.toggled.connect(self.refresh)

    def _toggle_advanced(self, on: bool) -> None:
        self.advanced.setVisible(on)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if on
                                          else Qt.ArrowType.RightArrow)

    def _prompt_typed(self) -> None:
        if self.prompt.toPlainText():
            self.prompt_touched = True

    # -- the model side ------------------------------------------------------------------------
    def set_fields(self, params: dict[str, Any]) -> None:
        """Fill the form with a job's request fields (the song's latest job, when it is
        opened again); fields it does not name are left as they are."""
        texts = {"prompt": self.prompt, "lyrics": self.lyrics,
                 "lyrics_section_to_replace": self.section_lyrics}
        for key, widget in texts.items():
            if key in params:
                widget.setPlainText(str(params[key] or ""))
        for key, line in (("title", self.title), ("webhook_url", self.webhook)):
            if key in params:
                line.setText(str(params[key] or ""))
        if "prompt" in params:
            self.update_plan()  # restored, not typed: no need to wait for a pause
        if "gender" in params:
            index = self.gender.findData(params["gender"])
            self.gender.setCurrentIndex(max(0, index))
        if params.get("num_outputs"):
            self.versions.setValue(int(params["num_outputs"]))
        for key, box in (("generate_album_cover", self.album_cover),
                         ("lyrics_timestamps", self.timestamps)):
            if key in params:
                box.setChecked(bool(params[key]))
        self.refresh()

    def set_context(self, context: FormContext) -> None:
        """Update what the form refers to (song, region, backend) and re-check."""
        self.context = context
        self.refresh()

    def fields(self) -> dict[str, Any]:
        """The request fields as typed (empty optional text → None)."""
        def text(w: QPlainTextEdit | QLineEdit) -> str | None:
            value = w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()
            return value if value.strip() else None

        return {
            "prompt": self.prompt.toPlainText().strip(),
            "lyrics": text(self.lyrics),
            "lyrics_section_to_replace": text(self.section_lyrics),
            "gender": self.gender.currentData(),
            "num_outputs": self.versions.value(),
            "title": text(self.title),
            "webhook_url": text(self.webhook),
            "generate_album_cover": self.album_cover.isChecked(),
            "lyrics_timestamps": self.timestamps.isChecked(),
        }

    def sends_url(self) -> bool:
        is_url = self.context.source.startswith(("http://", "https://"))
        return is_url and (self.send_url.isChecked() or not self.context.upload_path)

    def refresh(self) -> None:
        """Re-check everything and update the labels, the field marks and the Submit button."""
        ctx = self.context
        is_url = ctx.source.startswith(("http://", "https://"))
        self.send_url.setVisible(is_url and bool(ctx.upload_path))
        if ctx.region:
            a, b = ctx.region
            self.region_label.setText(f"{_fmt(a)} – {_fmt(b)}  ({b - a:.2f} s)")
        else:
            self.region_label.setText("Drag on the waveform to select the part to replace.")
        if not ctx.source:
            self.source_label.setText("No song is open.")
        elif self.sends_url():
            self.source_label.setText(f"Sends the address {ctx.source}")
        elif ctx.edited:
            self.source_label.setText("Uploads the song with your kept edits (written to a "
                                      "temporary file first).")
        else:
            path = ctx.upload_path or ctx.source
            self.source_label.setText(f"Uploads {os.path.basename(path) or path}")
        prompt_max = backend_service.prompt_limit()
        section_max = backend_service.lyrics_section_limit()
        n = len(self.prompt.toPlainText().strip())
        self.prompt_count.setText(f"{n} / {prompt_max} characters")
        self.section_count.setText(f"{len(self.section_lyrics.toPlainText())} / {section_max}")
        local = ctx.kind == backend_service.LOCAL
        if not ctx.kind:  # not known yet: neither backend is claimed
            self.backend_label.setText("Backend: looking for an API key…")
            self.cost_label.setText("Cost: shown once the backend is known.")
        else:
            self.backend_label.setText("Backend: local (on this computer)" if local
                                       else f"Backend: MusicGPT ({ctx.plan} plan)")
            self.cost_label.setText("Cost: " + backend_service.cost_estimate(
                ctx.kind, ctx.plan, self.versions.value()))
        if local != self._plan_shown_for_local:
            self.update_plan()  # the backend changed: show or hide the plan now
        # the plan, once there is one, says what the local backend will do in its place
        self.local_note.setVisible(local and not self.plan_label.text())
        self._check()

    def update_plan(self) -> None:
        """Show what the local player will do with the prompt as typed (hidden for MusicGPT,
        which follows the prompt itself, and while the prompt is empty)."""
        self._plan_timer.stop()
        local = self.context.kind == backend_service.LOCAL
        self._plan_shown_for_local = local
        found = prompt_plan.preview(self.prompt.toPlainText()) if local else None
        self.plan_label.setText(found.text if found is not None else "")
        self.plan_label.setVisible(found is not None)
        self.local_note.setVisible(local and found is None)

    def _check(self) -> None:
        ctx = self.context
        blockers: list[str] = []
        if not ctx.source:
            blockers.append("Open a song first.")
        if ctx.region is None:
            blockers.append("Select a region on the waveform.")
        if not ctx.kind:
            blockers.append("The backend is not known yet (looking for an API key).")
        self.issues = []
        if ctx.source:
            a, b = ctx.region or (0.0, 0.0)
            url = ctx.source if self.sends_url() else None
            path = None if url else (ctx.upload_path or ctx.source)
            self.issues = backend_service.validate(
                self.fields(), audio_path=path, audio_url=url, start=a, end=b,
                song_duration=ctx.duration, limits=ctx.limits)
            if ctx.region is None:
                self.issues = [i for i in self.issues
                               if i.field not in ("replace_start_at", "replace_end_at")]
            if not self.prompt_touched and not self.prompt.toPlainText().strip():
                # not typed yet: a plain reason Submit waits for, not a red error
                self.issues = [i for i in self.issues if i.field != "prompt"]
                blockers.append("Describe the new part in the prompt.")
        marks = {"prompt": self.prompt, "lyrics": self.lyrics,
                 "lyrics_section_to_replace": self.section_lyrics, "gender": self.gender,
                 "num_outputs": self.versions, "webhook_url": self.webhook,
                 "replace_start_at": self.region_label, "replace_end_at": self.region_label,
                 "audio_file": self.source_label, "audio_url": self.source_label}
        for w in set(marks.values()):
            w.setStyleSheet("")
            w.setToolTip("")
        for issue in reversed(self.issues):  # errors last, so they win the mark
            w = marks.get(issue.field)
            if w is not None:
                w.setStyleSheet(_ERROR_STYLE if issue.severity == "error" else _WARN_STYLE)
                w.setToolTip(issue.message)
        errors = [i.message for i in self.issues if i.severity == "error"]
        warnings = [i.message for i in self.issues if i.severity != "error"]
        lines = [f"✖ {m}" for m in errors] + [f"⚠ {m}" for m in warnings]
        self.issue_label.setText("\n".join(lines))
        self.submit_button.setEnabled(not blockers and not errors)
        # The reasons not already listed just above (✖ lines) are spelt out; the rest referred
        # to, so that a missing prompt is not said twice in a row.
        why = " ".join(dict.fromkeys(blockers))
        if errors:
            why = f"{why} Fix the problems marked ✖ above.".strip()
        self.why_disabled.setText(f"Submit is disabled: {why}" if why else "")
        self.submit_button.setToolTip(
            "Submit is disabled: " + " ".join(dict.fromkeys(blockers + errors)) if why else "")

    def request_submit(self) -> None:
        """Submit (the button, or Jobs ▸ Submit): emits `submit_requested` when the form allows
        it, else leaves the reasons on screen."""
        self.prompt_touched = True  # from now on an empty prompt is marked
        self._check()
        if self.submit_button.isEnabled():
            self.submit_requested.emit(self.fields(), self.sends_url())
