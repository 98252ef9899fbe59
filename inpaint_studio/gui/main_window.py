"""The main window: overview + detail waveform, region fields, lanes, menus, status bar.

Built in two steps so that a launch draws its window at once: `MainWindow(settings, workers)`
is the shell (menus, status bar, an empty central area: what the welcome view covers), made of
plain QtWidgets; `attach(document, region, playhead, loader)` adds the editor itself (the
waveform views, region fields and lanes, with pyqtgraph and numpy). `app.build_window` does
both at once; the app attaches right after the first paint (`app.Launch`). Until then a song to
open waits (`open_file` keeps it, `open_pending` opens it).

Features add themselves through this public API (docs/ARCHITECTURE.md) and never edit this file:
`menu(name)`, `add_dock(widget, title, area)`, `lanes`, `document`, `region`, `playhead`,
`report_error(title, message)`, `shortcuts.register(key, description, action)`,
`status(message)` and `workers`; `add_before_open(hook)` lets a feature stop or defer opening
another song (the keep feature asks about unsaved edits there)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import SIGNAL, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from inpaint_studio.core.region import RegionLimits
from inpaint_studio.core.timefmt import format_time
from inpaint_studio.gui import theme
from inpaint_studio.gui.errors import ErrorReporter
from inpaint_studio.gui.recent_menu import fill_recent_menu
from inpaint_studio.gui.shortcuts import ShortcutRegistry, ShortcutsDialog
from inpaint_studio.identity import NAME, PROJECT_SUFFIX
from inpaint_studio.services.settings import Settings
from inpaint_studio.services.worker import WorkerPool

if TYPE_CHECKING:  # the editor's parts are imported by `attach`, after the first paint
    from inpaint_studio.gui.lanes import LanesContainer
    from inpaint_studio.gui.region_fields import RegionFields
    from inpaint_studio.gui.waveform_view import DetailView, OverviewView
    from inpaint_studio.services.document import DocumentModel, PlayheadModel, RegionModel
    from inpaint_studio.services.loader import AudioLoader

log = logging.getLogger(__name__)
# hook(proceed) -> may the song open now? (see MainWindow.add_before_open)
BeforeOpen = Callable[[Callable[[], None]], bool]
MENUS = ("File", "Edit", "View", "Playback", "Jobs", "Help")
# Where the features' docks go on first start (by title); see `arrange_docks`.
LAYOUT = {"right": ("Job", "Keep"), "bar": ("Transport",), "tabs": ("Jobs", "Seams", "History")}
LAYOUT_VERSION = 2  # bump when LAYOUT changes, so saved layouts of the old one are replaced
AUDIO_FILTER = (
    "Audio (*.mp3 *.wav *.flac *.ogg *.oga *.m4a *.aac *.aif *.aiff *.opus);;All files (*)"
)


class MainWindow(QMainWindow):
    """The editor window: the shell, then `attach` over the models app.py built
    (`app.build_window` does both); then `open_file(path)`."""

    song_opened = Signal(str)  # path, once fully decoded
    first_painted = Signal()  # once, just after the window was first drawn (start-up goes on)
    project_requested = Signal(str)  # a .inpaint file was given to open_file: the projects open it

    def __init__(self, settings: Settings, workers: WorkerPool, *,
                 interactive: bool = True) -> None:
        """The shell: menus, status bar and an empty central area (plain QtWidgets only)."""
        super().__init__()
        self.settings, self.workers = settings, workers
        self.errors = ErrorReporter(self, interactive=interactive)
        self.shortcuts = ShortcutRegistry(self)
        self.has_editor = False  # True once `attach` has built the editor's views
        self.pending_open: str | None = None  # a song asked for before `attach` (open_pending)
        self._menus: dict[str, QMenu] = {}
        self._before_open: list[BeforeOpen] = []
        self._painted = False
        self._docks: list[QDockWidget] = []
        self.setWindowTitle(NAME)
        self.setAcceptDrops(True)
        settings.changed.connect(self._on_setting_changed)

        central = QWidget()
        self._central_layout = QVBoxLayout(central)
        self._central_layout.setContentsMargins(4, 4, 4, 0)
        self._central_layout.setSpacing(4)
        self.setCentralWidget(central)
        # The right-hand column runs the full height (the job form needs it); the bottom docks
        # sit under the waveform only. Tabs of tabbed docks on top, like every other tab.
        for corner in (Qt.Corner.TopRightCorner, Qt.Corner.BottomRightCorner):
            self.setCorner(corner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)

        self._build_status_bar()
        self._build_menus()
        self._restore_geometry()

    def attach(self, document: DocumentModel, region: RegionModel, playhead: PlayheadModel,
               loader: AudioLoader) -> None:
        """Build the editor in the shell: the overview and detail waveforms, the region fields
        and the lanes over these models (importing pyqtgraph and numpy now). Once."""
        from inpaint_studio.gui.lanes import LanesContainer
        from inpaint_studio.gui.region_fields import RegionFields
        from inpaint_studio.gui.waveform_view import DetailView, OverviewView

        if self.has_editor:
            raise RuntimeError("the editor is attached already")
        theme.configure_pyqtgraph()  # before the first plot is made
        self.document, self.region, self.playhead = document, region, playhead
        self.loader = loader
        self._apply_region_limits()
        self.overview: OverviewView = OverviewView(document, region, playhead)
        self.detail: DetailView = DetailView(document, region, playhead)
        self.region_fields: RegionFields = RegionFields(region)
        self.lanes: LanesContainer = LanesContainer(self.detail.plot, region, playhead)
        layout = self._central_layout
        layout.addWidget(self.overview)
        layout.addWidget(self.detail, 3)
        layout.addWidget(self.region_fields)
        layout.addWidget(self.lanes, 2)
        self.overview.navigate.connect(self.detail.centre_on)
        self.overview.viewport.sigRegionChanged.connect(self._viewport_moved)
        self.detail.view_changed.connect(self._show_viewport)
        self._cancel_button.clicked.connect(loader.cancel)
        self.cancel_load_action.triggered.connect(loader.cancel)
        self._clear_region_action.triggered.connect(region.clear)
        detail = self.detail
        zooms = (detail.zoom_in, detail.zoom_out, detail.zoom_to_region, detail.fit)
        for action, fn in zip(self._zoom_actions, zooms, strict=True):
            action.triggered.connect(lambda _c=False, f=fn: f())
            action.setEnabled(True)
        self._clear_region_action.setEnabled(True)
        self.has_editor = True
        self._apply_amplitude()
        self._connect_document()

    # -- public API (docs/ARCHITECTURE.md) ---------------------------------------------------------
    def menu(self, name: str) -> QMenu:
        """The top-level menu called `name`, created (before Help) when new."""
        if name not in self._menus:
            menu = QMenu(name.replace("&", ""), self)
            menu.setTitle(f"&{name}")
            help_menu = self._menus.get("Help")
            if help_menu is not None:
                self.menuBar().insertMenu(help_menu.menuAction(), menu)
            else:
                self.menuBar().addMenu(menu)
            self._menus[name] = menu
        return self._menus[name]

    def add_dock(self, widget: QWidget, title: str,
                 area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Dock `widget` and list it in View ▸ Panels."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        self._docks.append(dock)  # PySide gives a removed dock back to Python: keep it alive
        self.addDockWidget(area, dock)
        self._panels_menu.addAction(dock.toggleViewAction())
        return dock

    def report_error(self, title: str, message: str) -> None:
        """Show an error the musician must see (the one place errors are shown)."""
        self.errors.report(title, message)
        self.status(f"{title}: {message}")

    def status(self, message: str, timeout_ms: int = 6000) -> None:
        self.statusBar().showMessage(message, timeout_ms)

    def add_before_open(self, hook: BeforeOpen) -> None:
        """Let a feature veto opening another song (e.g. to ask about unsaved edits first).
        `hook(proceed)` returns True to let the opening go on now, or False to stop it: the hook
        has then either given up (the musician said Cancel) or calls `proceed()` itself later
        (e.g. once a save has finished), which asks every hook again."""
        self._before_open.append(hook)

    def confirm_open(self, proceed: Callable[[], None]) -> bool:
        """Ask the before-open hooks (in the order added, stopping at the first veto); True when
        a song may be opened now, else `proceed` is what a hook may call later."""
        return all(hook(proceed) for hook in list(self._before_open))

    def open_file(self, path: str | os.PathLike[str], *, confirm: bool = True) -> None:
        """Start loading `path`; the waveform fills in as it decodes. Unless `confirm` is False
        (the caller has asked already), the before-open hooks may stop or defer it."""
        path = os.fspath(path)
        if not self.has_editor:  # launched with a song: it opens once the editor is built
            self.pending_open = path
            self._file_label.setText(f"Opening {os.path.basename(path)}…")
            return
        if path.lower().endswith(PROJECT_SUFFIX):  # the command line, a recent list, a drop
            if self.receivers(SIGNAL("project_requested(QString)")) == 0:
                self.report_error("Could not open the project", "Projects cannot be opened in "
                                  "this window: the keep feature is missing.")
                return
            self.project_requested.emit(path)
            return
        if confirm and not self.confirm_open(lambda: self.open_file(path)):
            return
        self.loader.load(path)

    def open_pending(self) -> None:
        """Open the song (or project) asked for before the editor was built; app.py calls it
        once every feature is installed."""
        path, self.pending_open = self.pending_open, None
        if path is not None:
            self.open_file(path)

    def open_dialog(self) -> None:
        start = self.settings.get("files/last_dir") or os.path.expanduser("~")
        path, _ = QFileDialog.getOpenFileName(self, "Open a song", start, AUDIO_FILTER)
        if path:
            self.open_file(path)

    # -- building ----------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self._file_label = QLabel("No song open")
        self._facts_label = QLabel("")
        self._facts_label.setStyleSheet(f"color: {theme.MUTED};")
        self._progress = QProgressBar()
        self._progress.setFixedWidth(180)
        self._progress.setRange(0, 1000)
        self._cancel_button = QPushButton("Cancel")
        for w in (self._progress, self._cancel_button):
            w.setVisible(False)
        bar.addPermanentWidget(self._file_label)
        bar.addPermanentWidget(self._facts_label)
        bar.addPermanentWidget(self._progress)
        bar.addPermanentWidget(self._cancel_button)

    def _build_menus(self) -> None:
        for name in MENUS:
            self.menu(name)
        reg = self.shortcuts.register
        file_menu = self.menu("File")
        self.open_action = file_menu.addAction("&Open…")
        self.open_action.triggered.connect(self.open_dialog)
        reg(QKeySequence.StandardKey.Open, "Open a song", self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        self.cancel_load_action = file_menu.addAction("&Cancel loading")
        self.cancel_load_action.setEnabled(False)
        reg("Esc", "Cancel loading", self.cancel_load_action)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.triggered.connect(self.close)
        reg("Ctrl+Q", "Quit", quit_action)

        # The editor's actions act on its views: `attach` connects and enables them.
        self._clear_region_action = clear = self.menu("Edit").addAction("Clear &region")
        clear.setEnabled(False)
        reg("Ctrl+D", "Clear the region", clear)

        view = self.menu("View")
        self._zoom_actions: list[QAction] = []  # in, out, to the region, fit (see `attach`)
        for text, keys in (
            ("Zoom &in", ["Ctrl+=", QKeySequence(Qt.Key.Key_Plus)]),
            ("Zoom &out", ["Ctrl+-", QKeySequence(Qt.Key.Key_Minus)]),
            ("Zoom to &region", ["Z"]),
            ("&Fit the whole song", ["Ctrl+0", "F"]),
        ):
            action = view.addAction(text)
            action.setEnabled(False)
            self._zoom_actions.append(action)
            for key in keys:
                reg(key, text.replace("&", ""), action)
        view.addSeparator()
        self.db_action = view.addAction("Amplitude in &dB")
        self.db_action.setCheckable(True)
        self.db_action.setToolTip("Draw the waveforms on a dB scale (−60 dBFS at the centre "
                                  "line, 0 dBFS at the edge) instead of a linear one")
        self.db_action.setChecked(self.settings.get("view/amplitude") == "db")
        self.db_action.toggled.connect(
            lambda on: self.settings.set("view/amplitude", "db" if on else "linear"))
        self._apply_amplitude()
        view.addSeparator()
        self._panels_menu = view.addMenu("&Panels")

        help_action = self.menu("Help").addAction("&Keyboard shortcuts")
        help_action.triggered.connect(self.show_shortcuts)
        reg("Ctrl+/", "Show the keyboard shortcuts", help_action)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.shortcuts, self)
        dialog.open()
        return dialog

    def _fill_recent(self) -> None:
        fill_recent_menu(self.recent_menu, self.settings.recent_files(), self.open_file)

    def _on_setting_changed(self, key: str, _value: object) -> None:
        if key == "view/amplitude":
            self._apply_amplitude()
        if key.startswith("region/") and self.has_editor:
            self._apply_region_limits()
            if self.region.region is not None:  # re-advise on the current region
                self.region.set(self.region.region.start, self.region.region.end)

    def restore_state(self) -> None:
        """Put docks and toolbars back where they were (or arrange them, the first time); call
        once every feature has added its docks (app.run_gui does, after `install_features`). A
        layout saved by an older version (LAYOUT_VERSION) is replaced by the first-start
        layout."""
        state = self.settings.get("window/state")
        if not state or not self.restoreState(state, LAYOUT_VERSION):
            self.arrange_docks()
            return
        # Saved on a larger screen, the right column would keep its width and squeeze the
        # waveform: then the docks get this window's sizes (their places stay as saved).
        QTimer.singleShot(0, self._fit_restored_docks)

    def _fit_restored_docks(self) -> None:
        right = [d for d in self.findChildren(QDockWidget) if d.isVisible()
                 and not d.isFloating()
                 and self.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
        widest = max((d.width() for d in right), default=0)
        if widest > 0.4 * self.width() or self.centralWidget().width() < 0.6 * self.width():
            self._size_docks()

    def _right_width(self) -> int:
        """The right column's width at this window width: about a quarter, room for the form's
        fields on a small screen, no more than it can use on a large one."""
        return min(max(340, int(self.width() * 0.27)), 600)

    def arrange_docks(self) -> None:
        """The first-start layout (one place for the whole product): the waveform keeps most
        of the room; the job form and the keep panel share a full-height column on the right
        (the form gets what it needs to show Submit and the cost unscrolled); under the
        waveform a slim transport bar, and below it the job list, seam readout and history as
        tabs. Docks not named in LAYOUT stay where their feature put them."""
        area, vertical = Qt.DockWidgetArea, Qt.Orientation.Vertical
        docks = {d.windowTitle(): d for d in self.findChildren(QDockWidget)
                 if not d.isFloating()}
        right = [docks[t] for t in LAYOUT["right"] if t in docks]
        bar = [docks[t] for t in LAYOUT["bar"] if t in docks]
        tabs = [docks[t] for t in LAYOUT["tabs"] if t in docks]
        # Out first, then in: re-tabifying docks that are tabbed already left a second,
        # stale tab bar over the real one.
        size = self.size()  # placing one dock at a time may grow the window for a moment
        for dock in (*right, *bar, *tabs):
            self.removeDockWidget(dock)
        for group, where in ((right, area.RightDockWidgetArea),
                             (bar + tabs, area.BottomDockWidgetArea)):
            for dock in group:
                self.addDockWidget(where, dock, vertical)  # stacked top to bottom in order
                dock.show()
        for dock in tabs[1:]:
            self.tabifyDockWidget(tabs[0], dock)
        if tabs:
            tabs[0].raise_()
        self.resize(size)
        # Sizes need the final geometry: now when shown, else once the event loop runs (after
        # the window is shown).
        if self.isVisible():
            self._size_docks()
        else:
            QTimer.singleShot(0, self._size_docks)

    def _size_docks(self) -> None:
        docks = {d.windowTitle(): d for d in self.findChildren(QDockWidget)
                 if not d.isFloating() and d.isVisible()}
        vertical = Qt.Orientation.Vertical
        right = [docks[t] for t in LAYOUT["right"] if t in docks]
        bar = [docks[t] for t in LAYOUT["bar"] if t in docks]
        tabs = [docks[t] for t in LAYOUT["tabs"] if t in docks]
        if right:
            width = self._right_width()
            self.resizeDocks(right, [width] * len(right), Qt.Orientation.Horizontal)
            # The form first: every dock after it keeps only the height it asks for.
            rest = [d.sizeHint().height() + 40 for d in right[1:]]  # + room for wrapped text
            first = max(200, self.height() - sum(rest))
            self.resizeDocks(right, [first, *rest], vertical)
        if bar and tabs:
            # The transport keeps its own (slim) height; the tabs get about a fifth.
            heights = [d.sizeHint().height() for d in bar]
            self.resizeDocks([*bar, tabs[0]], [*heights, max(120, self.height() // 5)],
                             vertical)

    def _apply_amplitude(self) -> None:
        """Linear or dB heights for the overview, the detail view and every lane."""
        amplitude = "db" if self.settings.get("view/amplitude") == "db" else "linear"
        self.db_action.blockSignals(True)
        self.db_action.setChecked(amplitude == "db")
        self.db_action.blockSignals(False)
        if not self.has_editor:
            return
        for curves in (self.overview.curves, self.detail.curves):
            curves.set_amplitude(amplitude)
        self.lanes.set_amplitude(amplitude)

    def _apply_region_limits(self) -> None:
        s = self.settings
        self.region.limits = RegionLimits(
            s.get("region/warn_shorter_than"), s.get("region/warn_longer_than"),
            s.get("region/warn_fraction_of_song"),
        )  # fmt: skip

    # -- document → window -------------------------------------------------------------------------
    def _connect_document(self) -> None:
        doc = self.document
        for signal, slot in ((doc.loading_started, self._on_loading_started),
                             (doc.info_known, self._on_info), (doc.progressed, self._on_progress),
                             (doc.loaded, self._on_loaded), (doc.load_failed, self._on_failed),
                             (doc.load_cancelled, self._on_cancelled)):
            signal.connect(slot)

    def _set_loading(self, loading: bool) -> None:
        self._progress.setVisible(loading)
        self._cancel_button.setVisible(loading)
        self.cancel_load_action.setEnabled(loading)

    def _on_loading_started(self, path: str) -> None:
        self.region.clear()
        self.playhead.set_position(0.0)
        self._set_loading(True)
        self._progress.setValue(0)
        self._file_label.setText(f"Opening {os.path.basename(path)}…")
        self._facts_label.setText("")
        # "[*]": where Qt shows the unsaved mark (setWindowModified, set by the projects)
        self.setWindowTitle(f"{os.path.basename(path)}[*] — {NAME}")

    def _on_info(self, info) -> None:
        self.region.set_song(self.document.duration, info.sample_rate)
        self._show_facts()

    def _on_progress(self, fraction: float) -> None:
        if fraction < 0:
            self._progress.setRange(0, 0)  # busy indicator: the length is unknown
        else:
            self._progress.setRange(0, 1000)
            self._progress.setValue(int(fraction * 1000))

    def _on_loaded(self) -> None:
        doc = self.document
        self._set_loading(False)
        self.region.set_song(doc.duration, doc.sample_rate)
        self._file_label.setText(os.path.basename(doc.path or ""))
        self._file_label.setToolTip(doc.path or "")
        self._show_facts()
        if doc.path:
            self.settings.add_recent(doc.path)
            self.song_opened.emit(doc.path)
        self.status(f"Opened {os.path.basename(doc.path or '')}")

    def _show_facts(self) -> None:
        doc, info = self.document, self.document.info
        if info is None:
            return
        chans = {1: "mono", 2: "stereo"}.get(info.channels, f"{info.channels} channels")
        self._facts_label.setText(
            f"{format_time(doc.duration)}  ·  {info.sample_rate} Hz  ·  {chans}  ·  {info.codec}"
        )

    def _on_failed(self, exc: BaseException) -> None:
        self._set_loading(False)
        self._file_label.setText("No song open")
        self._facts_label.setText("")
        self.setWindowTitle(NAME)
        self.report_error("Could not open the song", str(exc))

    def _on_cancelled(self) -> None:
        self._set_loading(False)
        self._file_label.setText("No song open")
        self.setWindowTitle(NAME)
        self.status("Loading cancelled.")

    # -- overview ↔ detail -------------------------------------------------------------------------
    def _show_viewport(self, start: float, end: float) -> None:
        self._syncing_viewport = True
        try:
            self.overview.viewport.setRegion((start, end))
        finally:
            self._syncing_viewport = False

    def _viewport_moved(self) -> None:
        if getattr(self, "_syncing_viewport", False):
            return
        start, end = self.overview.viewport.getRegion()
        if end > start:
            self.detail.set_view(start, end)

    # -- drag and drop, geometry, quit -------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)  # once this paint is on screen

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_file(files[0])

    def _restore_geometry(self) -> None:
        geometry = self.settings.get("window/geometry")
        if geometry and self.restoreGeometry(geometry):
            self.fit_to_screen()  # saved on a larger screen (or another one): bring it back
            return
        # First start: the size the layout is made for (1600×900), or what the screen has.
        size = [1600, 900]
        screen = self.screen()
        if screen is not None:
            room = screen.availableGeometry()
            size = [min(size[0], int(room.width() * 0.95)), min(size[1], int(room.height() * 0.9))]
        self.resize(*size)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Never larger than the screen's available room, and on it."""
        screen = self.screen()
        if screen is None:
            return
        room = screen.availableGeometry()
        if self.isMaximized() or self.isFullScreen():
            return
        frame = self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        width = min(self.width(), room.width() - extra_w)
        height = min(self.height(), room.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.left(), room.left()), room.right() + 1 - frame.width())
        y = min(max(frame.top(), room.top()), room.bottom() + 1 - frame.height())
        if (x, y) != (frame.left(), frame.top()):
            self.move(x, y)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.settings.set("window/geometry", bytes(self.saveGeometry().data()))
        self.settings.set("window/state",
                          bytes(self.saveState(LAYOUT_VERSION).data()))
        self.settings.flush()
        if self.has_editor:
            self.loader.cancel()
        self.workers.cancel_all()
        self.workers.wait_all(5000)
        super().closeEvent(event)

