"""The job list: every job with its region, prompt, backend and an honest stage.

Stages say what is known: uploading and downloading in percent of bytes, waiting as elapsed time
against the server's ETA (never an invented percentage), failures with the reason in words, and
"outcome unknown" when a submit may or may not have reached the server. The buttons act on the
selected job; the risky ones (sending again) ask first."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.services.job_controller import (
    Job,
    JobController,
    Stage,
    describe_details,
    describe_stage,
    fmt_time,
    stage_progress,
)

COLUMNS = ["Region", "Prompt", "Backend", "Stage", "Progress"]


class JobList(QWidget):
    """A view of the controller's jobs. `show_versions_requested(job_id)` when the user asks
    to see a finished job's versions (double-click or the button)."""

    show_versions_requested = Signal(str)

    def __init__(self, controller: JobController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._items: dict[str, QTreeWidgetItem] = {}
        self._jobs: dict[str, Job] = {}
        self._progress: dict[str, tuple[int, int]] = {}
        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 150)
        self.tree.setColumnWidth(1, 160)
        self.tree.setColumnWidth(2, 70)
        self.tree.setColumnWidth(3, 230)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self._show())
        self._bars: dict[str, QProgressBar] = {}  # a bar per job whose stage has a known length
        self.copy_task_action = QAction("Copy task id", self)
        self.copy_task_action.setToolTip("Copy the server's id of this job (for support or the "
                                         "service's dashboard)")
        self.copy_task_action.triggered.connect(self.copy_task_id)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop waiting for this job (the server's work goes on; "
                                      "you can resume it)")
        self.resume_button = QPushButton("Resume")
        self.retry_button = QPushButton("Retry…")
        self.find_button = QPushButton("Enter task id…")
        self.find_button.setToolTip("If you found the job on the service (e.g. in your "
                                    "MusicGPT dashboard), enter its task id to follow it")
        self.show_button = QPushButton("Show versions")
        self.remove_button = QPushButton("Remove")
        for button, slot in ((self.cancel_button, self._cancel),
                             (self.resume_button, self._resume), (self.retry_button, self._retry),
                             (self.find_button, self._find), (self.show_button, self._show),
                             (self.remove_button, self._remove)):
            button.clicked.connect(slot)
        buttons = QHBoxLayout()
        for b in (self.cancel_button, self.resume_button, self.retry_button, self.find_button,
                  self.show_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)

        controller.job_added.connect(self.set_job)
        controller.job_changed.connect(self.set_job)
        controller.job_removed.connect(self._drop)
        controller.job_progress.connect(self._on_progress)
        controller.running_changed.connect(lambda *_: self._update_buttons())
        # Elapsed time of waiting jobs ticks once a second; nothing else is redrawn by it.
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self.reload()
        self._update_buttons()  # an empty list (no set_job yet) has nothing to act on

    # -- model → view --------------------------------------------------------------------------
    def reload(self) -> None:
        self.tree.clear()
        self._items.clear()
        self._jobs.clear()
        for job in reversed(self.controller.jobs()):
            self.set_job(job)

    def set_job(self, job: Job) -> None:
        item = self._items.get(job.id)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(0, Qt.ItemDataRole.UserRole, job.id)
            self.tree.insertTopLevelItem(0, item)
            self._items[job.id] = item
        if job.stage not in (Stage.SUBMITTING, Stage.DOWNLOADING):
            self._progress.pop(job.id, None)
        self._jobs[job.id] = job
        item.setText(0, f"{fmt_time(job.start)} – {fmt_time(job.end)}")
        item.setText(1, job.prompt)
        item.setToolTip(1, job.prompt)
        item.setText(2, job.backend)
        details = describe_details(job)
        for column in (0, 2):
            item.setToolTip(column, details)
        self._set_stage(item, job)
        self._update_buttons()

    def _set_stage(self, item: QTreeWidgetItem, job: Job, now: float | None = None) -> None:
        text = describe_stage(job, now, progress=self._progress.get(job.id))
        item.setText(3, text)
        item.setToolTip(3, text)
        self._set_bar(item, job, now)

    def _set_bar(self, item: QTreeWidgetItem, job: Job, now: float | None = None) -> None:
        """The Progress column: a bar while the stage's length is known, else nothing."""
        known = stage_progress(job, now, self._progress.get(job.id))
        bar = self._bars.get(job.id)
        if known is None:
            if bar is not None:
                self.tree.removeItemWidget(item, 4)
                del self._bars[job.id]
            return
        if bar is None:
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            self.tree.setItemWidget(item, 4, bar)
            self._bars[job.id] = bar
        fraction, words = known
        bar.setValue(int(round(fraction * 1000)))
        bar.setFormat(words)
        bar.setToolTip(words)

    def progress_bar(self, job_id: str) -> QProgressBar | None:
        """The job's bar in the Progress column, while its stage has a known length."""
        return self._bars.get(job_id)

    def _on_progress(self, job_id: str, kind: str, done: int, total: int, index: int) -> None:
        self._progress[job_id] = (done, total)
        job = self._jobs.get(job_id)
        item = self._items.get(job_id)
        if job is not None and item is not None:
            if kind == "download" and job.stage is not Stage.DOWNLOADING:
                return
            self._set_stage(item, job)

    def _drop(self, job_id: str) -> None:
        item = self._items.pop(job_id, None)
        self._jobs.pop(job_id, None)
        self._bars.pop(job_id, None)
        if item is not None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        self._update_buttons()

    def _tick(self) -> None:
        now = time.time()
        for job_id, job in self._jobs.items():
            if job.stage in (Stage.QUEUED, Stage.IN_PROGRESS, Stage.PARTIAL) and not job.paused:
                self._set_stage(self._items[job_id], job, now)

    def stage_text(self, job_id: str) -> str:
        """What the list shows for a job (for tests and the status bar)."""
        item = self._items.get(job_id)
        return item.text(3) if item is not None else ""

    # -- actions -------------------------------------------------------------------------------
    def selected(self) -> Job | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        return self._jobs.get(items[0].data(0, Qt.ItemDataRole.UserRole))

    def select(self, job_id: str) -> None:
        item = self._items.get(job_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _update_buttons(self) -> None:
        job = self.selected()
        running = job is not None and self.controller.is_running(job.id)
        waiting = job is not None and (job.stage.in_flight or job.stage is Stage.SUBMITTING)
        self.cancel_button.setEnabled(running or (waiting and not job.paused))
        recheck = job is not None and job.stage is Stage.FAILED and bool(job.task_id) \
            and job.error_kind != "TaskFailed"
        self.resume_button.setEnabled(job is not None and not running and (waiting or recheck))
        self.retry_button.setEnabled(job is not None and not running
                                     and job.stage in (Stage.UNKNOWN, Stage.FAILED))
        self.find_button.setEnabled(job is not None and not running
                                    and job.stage is Stage.UNKNOWN)
        self.show_button.setEnabled(job is not None and job.stage is Stage.DONE)
        self.remove_button.setEnabled(job is not None and not running)

    def _context_menu(self, pos: QPoint) -> QMenu:
        item = self.tree.itemAt(pos)
        if item is not None:
            self.tree.setCurrentItem(item)
        menu = self.context_menu()
        menu.popup(self.tree.viewport().mapToGlobal(pos))
        return menu

    def context_menu(self) -> QMenu:
        """The selected job's menu: Copy task id (only raw id the list gives out, on request)."""
        menu = QMenu(self)
        job = self.selected()
        self.copy_task_action.setEnabled(job is not None and bool(job.task_id))
        menu.addAction(self.copy_task_action)
        return menu

    def copy_task_id(self) -> str | None:
        job = self.selected()
        if job is None or not job.task_id:
            return None
        QApplication.clipboard().setText(job.task_id)
        return job.task_id

    def _cancel(self) -> None:
        job = self.selected()
        if job is not None:
            self.controller.cancel(job.id)

    def _resume(self) -> None:
        job = self.selected()
        if job is not None:
            self.controller.resume(job.id)

    def _retry(self) -> None:
        job = self.selected()
        if job is None or not self.confirm_retry(job):
            return
        self.controller.retry(job.id)

    def confirm_retry(self, job: Job) -> bool:
        """Ask before sending a job again; overridable in tests."""
        if job.stage is Stage.UNKNOWN:
            text = ("It is not known whether the server received this job. If it did, sending "
                    "it again starts a second job and may be charged twice.\n\nSend it again?")
        else:
            text = "Send this job again? A new job is started (and charged, on MusicGPT)."
        answer = QMessageBox.question(self, "Send the job again?", text,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _find(self) -> None:
        job = self.selected()
        if job is None:
            return
        task_id, ok = QInputDialog.getText(
            self, "Follow a job you found",
            "If the job appears on the service (for MusicGPT: your dashboard or the webhook), "
            "paste its task id to follow it here:")
        if ok and task_id.strip():
            self.controller.attach_task(job.id, task_id.strip())

    def _show(self) -> None:
        job = self.selected()
        if job is not None and job.stage is Stage.DONE:
            self.show_versions_requested.emit(job.id)

    def _remove(self) -> None:
        job = self.selected()
        if job is not None:
            self.controller.remove(job.id)
