"""The one place errors reach the musician: `ErrorReporter.report(title, message)` logs, then
shows a dialog (never more than one for the same message at a time). `CrashReporter` receives
uncaught exceptions from any thread (app.py installs the hooks), logs them first and then shows
a dialog naming the log file, on the GUI thread."""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("inpaint_studio.errors")


class ErrorReporter(QObject):
    reported = Signal(str, str)  # title, message

    def __init__(self, parent_widget: QWidget, interactive: bool = True) -> None:
        super().__init__(parent_widget)
        self._parent = parent_widget
        self.interactive = interactive  # False in --screenshot mode: no dialogs, only the signal
        self.history: list[tuple[str, str]] = []
        self._open: dict[tuple[str, str], QMessageBox] = {}

    def report(self, title: str, message: str) -> None:
        log.warning("%s: %s", title, message)
        self.history.append((title, message))
        self.reported.emit(title, message)
        key = (title, message)
        if not self.interactive or key in self._open:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, message,
                          QMessageBox.StandardButton.Ok, self._parent)  # fmt: skip
        box.finished.connect(lambda _r, k=key: self._open.pop(k, None))
        self._open[key] = box
        box.open()  # window-modal but not blocking: the event loop keeps running

    def open_dialogs(self) -> list[QMessageBox]:
        return list(self._open.values())


class CrashReporter(QObject):
    """Thread-safe sink for uncaught exceptions; `show` runs queued on the GUI thread."""

    crashed = Signal(str)  # one-line summary

    def __init__(self, log_file: str, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.log_file = log_file
        self.parent_widget = parent_widget
        self.interactive = True
        self._shown: set[str] = set()
        self.count = 0  # uncaught exceptions so far (a screenshot run fails when any occurred)
        self._box: QMessageBox | None = None
        self.crashed.connect(self._show)

    def handle(self, exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
        """Log the exception with its traceback, then ask the GUI thread to show it."""
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("Uncaught exception:\n%s", text)
        self.count += 1
        self.crashed.emit(f"{exc_type.__name__}: {exc}")

    def _show(self, summary: str) -> None:
        if not self.interactive or summary in self._shown or self._box is not None:
            return  # the same error again, or a dialog already open: no flood of dialogs
        self._shown.add(summary)
        self._box = QMessageBox(
            QMessageBox.Icon.Critical, "Something went wrong",
            f"An unexpected error occurred:\n\n{summary}\n\nYour work is still open. The details "
            f"were written to the log file:\n{self.log_file}\n\nPlease include it if you report "
            "this problem.", QMessageBox.StandardButton.Ok, self.parent_widget,
        )  # fmt: skip
        self._box.finished.connect(self._closed)
        self._box.open()

    def _closed(self, *_: object) -> None:
        self._box = None
