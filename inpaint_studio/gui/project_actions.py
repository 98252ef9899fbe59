"""Project actions in the main window: File ▸ Open Project…, Recent Projects, Save Project,
Save Project As…; the question about unsaved changes on quit and before opening another project;
the offer to restore a crashed session; asking where a moved song went.

The `ask_*` methods are the only places that open dialogs (tests replace them). The work itself
is the `ProjectService`'s (services/project_service.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from inpaint_studio.core.cancel import NEVER
from inpaint_studio.core.project import Autosave, Project
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.gui.recent_menu import fill_recent_menu
from inpaint_studio.identity import NAME
from inpaint_studio.services import project_service
from inpaint_studio.services.project_service import ProjectService

PROJECT_FILTER = "Inpaint Studio projects (*.inpaint);;All files (*)"


def quit_action(menu: QMenu) -> QAction | None:
    """The File menu's Quit entry, so that features insert their entries above it."""
    return next((a for a in menu.actions() if a.text().replace("&", "") == "Quit"), None)


class ProjectActions(QObject):
    """Menu entries and prompts for projects. `on_quit` runs on a clean close of the window."""

    def __init__(self, window: MainWindow, projects: ProjectService,
                 on_quit: Callable[[], None]) -> None:
        super().__init__(window)
        self.window, self.projects, self.on_quit = window, projects, on_quit
        w, reg = window, window.shortcuts.register
        file_menu = w.menu("File")
        anchor = quit_action(file_menu)
        self.open_project_action = QAction("Open &Project…", w)
        self.recent_menu = QMenu("Recent Pro&jects", w)
        self.save_action = QAction("&Save Project", w)
        self.save_as_action = QAction("Save Project &As…", w)
        for action in (self.open_project_action, self.recent_menu.menuAction(),
                       self.save_action, self.save_as_action):
            file_menu.insertAction(anchor, action)
        file_menu.insertSeparator(anchor)
        reg("Ctrl+Shift+P", "Open a project", self.open_project_action)
        reg(QKeySequence.StandardKey.Save, "Save the project", self.save_action)
        reg("Ctrl+Shift+S", "Save the project under a new name", self.save_as_action)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        self.save_action.triggered.connect(self.save)
        self.save_as_action.triggered.connect(self.save_as)
        self.open_project_action.triggered.connect(lambda: self.open_project())
        p = projects
        p.failed.connect(w.report_error)
        p.source_missing.connect(self._source_missing)
        p.saved.connect(lambda path: w.status(f"Project saved: {path}"))
        p.opened.connect(lambda path: w.status(f"Project opened: {path}" if path
                                               else "Unsaved work restored."))
        p.recent_changed.connect(self._fill_recent)
        p.dirty_changed.connect(w.setWindowModified)
        p.saved.connect(self._show_title)
        p.opened.connect(self._show_title)
        w.document.changed.connect(self.update_actions)
        self.update_actions()
        window.installEventFilter(self)
        window.add_before_open(self.before_open)  # another song: ask about unsaved edits first
        window.project_requested.connect(self.open_project)  # `inpaint-studio x.inpaint`, …

    def _show_title(self, path: str) -> None:
        """The title bar names the project (once there is one) with Qt's unsaved mark."""
        if path:
            self.window.setWindowTitle(f"{Path(path).stem}[*] — {NAME}")
        self.window.setWindowModified(self.projects.dirty)

    def update_actions(self) -> None:
        self.save_action.setEnabled(self.projects.can_save())
        self.save_as_action.setEnabled(self.projects.can_save())

    def save(self) -> bool:
        if self.projects.path is None:
            return self.save_as()
        return self.projects.save()

    def save_as(self) -> bool:
        path = self.ask_save_path()
        return bool(path) and self.projects.save(path)

    def open_project(self, path: str | None = None) -> None:
        path = path or self.ask_open_path()
        if not path:
            return
        if self.projects.dirty:  # opening replaces the song and its edits
            answer = self.ask_unsaved()
            if answer == "cancel":
                return
            if answer == "save":
                target = self.projects.path or self.ask_save_path()
                if target:
                    self._save_then(target, lambda: self.projects.open(path))
                return
        self.projects.open(path)

    def before_open(self, proceed: Callable[[], None]) -> bool:
        """The window's before-open hook: another song is about to replace this one and its
        kept edits. Save (then `proceed`), Discard (go on now) or Cancel (stay)."""
        if not self.projects.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == "discard":
            return True
        if answer == "save":
            target = self.projects.path or self.ask_save_path()
            if target:
                self._save_then(target, proceed)
        return False

    def _save_then(self, target: str | Path, then: Callable[[], None]) -> None:
        """Save the project to `target` in the background; run `then` once it is saved (a
        failed save runs nothing: the error is shown and the musician stays)."""
        p = self.projects

        def settle(*_: object) -> None:
            p.saved.disconnect(saved)
            p.failed.disconnect(settle)

        def saved(_path: str) -> None:
            settle()
            then()

        p.saved.connect(saved)
        p.failed.connect(settle)
        if not p.save(target):
            settle()

    def _source_missing(self, project: Project, status: str) -> None:
        found = self.ask_locate(project, status)
        if found:
            self.projects.locate(project, found)

    def _fill_recent(self) -> None:
        fill_recent_menu(self.recent_menu, self.projects.recent(), self.open_project)

    def offer_restore(self) -> bool:
        """After a crash: offer to restore the newest unsaved session (older ones are kept for a
        later start unless discarded). Returns whether a restore started."""
        crashed = self.projects.crashed()
        if not crashed:
            return False
        latest = crashed[0]
        answer = self.ask_restore(latest)
        if answer is True:
            self.projects.restore(latest)
            return True
        if answer is False:
            self.projects.discard(latest)
        return False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.window and event.type() == QEvent.Type.Close:
            if self.projects.dirty:
                answer = self.ask_unsaved()
                if answer == "cancel":
                    event.ignore()
                    return True
                if answer == "save" and not self._save_now():
                    event.ignore()
                    return True
            self.on_quit()
        return False

    def _save_now(self) -> bool:
        """Save on the GUI thread: at quit the workers are about to be cancelled."""
        target = self.projects.path or (Path(p) if (p := self.ask_save_path()) else None)
        if target is None:
            return False
        try:
            project_service._save(_Ctx(), self.projects.snapshot(), Path(target))
        except Exception as exc:  # noqa: BLE001 - shown to the musician; the quit is stopped
            self.window.report_error("Could not save the project", str(exc))
            return False
        return True

    # -- dialogs (replaced in tests) -----------------------------------------------------------
    def _interactive(self) -> bool:
        return self.window.errors.interactive

    def ask_save_path(self) -> str | None:
        if not self._interactive():
            return None
        doc = self.window.document.path or "song"
        start = str(self.projects.path or Path(doc).with_suffix(".inpaint"))
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project", start, PROJECT_FILTER)
        return path or None

    def ask_open_path(self) -> str | None:
        if not self._interactive():
            return None
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", "", PROJECT_FILTER)
        return path or None

    def ask_locate(self, project: Project, status: str) -> str | None:
        if not self._interactive():
            return None
        name = Path(project.source_path).name
        why = "was moved or deleted" if status == "missing" else "has changed since"
        box = QMessageBox.question(
            self.window, "Where is the song?",
            f"The project's song {name} {why} the project was saved.\n\nLocate it? Only the very "
            "same file is accepted (checked by its SHA-256).")
        if box != QMessageBox.StandardButton.Yes:
            return None
        path, _ = QFileDialog.getOpenFileName(self.window, f"Locate {name}",
                                              str(Path(project.source_path).parent))
        return path or None

    def ask_restore(self, autosave: Autosave) -> bool | None:
        """True: restore; False: discard; None: decide later."""
        if not self._interactive():
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Restore unsaved work?",
                          f"Inpaint Studio did not quit cleanly. Restore the work on "
                          f"{Path(autosave.source_path).name}?", parent=self.window)
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return True if box.clickedButton() is restore else (
            False if box.clickedButton() is discard else None)

    def ask_unsaved(self) -> str:
        """"save", "discard" or "cancel"."""
        if not self._interactive():
            return "discard"
        answer = QMessageBox.question(
            self.window, "Save the project?", "The project has unsaved changes.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")




class _Ctx:
    """A stand-in `WorkContext` for the one save that runs on the GUI thread (at quit)."""

    token = NEVER
