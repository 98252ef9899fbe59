"""The composition root of the editor: it builds every service (settings, workers, the song's
models and loader, key store, backends, job store and controller, edit session, exporter,
project service, player, seam readout, music map), builds the window, hands the services to the
typed feature constructors and links the features to each other with signals. Nothing else in the
package constructs a service (tests/test_layering.py checks it).

It also sets up logging to a rotating file and installs the hooks that route uncaught
exceptions from any thread to the log and then to one dialog. It holds no business logic.
The command line enters through `inpaint_studio.cli.main`, which imports this module only when
the editor starts, so headless commands never load Qt.

First paint first: this module imports, at its top, only what the window's shell and the welcome
view need (plain QtWidgets, settings, the worker pool). The editor's parts, services and
features (numpy, pyqtgraph, the audio stack) are imported where they are built, which the app
does after the first paint (`Launch`)."""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QApplication

from inpaint_studio import paths
from inpaint_studio.display import display_problem
from inpaint_studio.gui import theme
from inpaint_studio.gui.about import apply_identity
from inpaint_studio.gui.errors import CrashReporter
from inpaint_studio.gui.main_window import MainWindow
from inpaint_studio.gui.welcome_panel import WelcomePanel
from inpaint_studio.gui_main import build_parser, no_display_message, parse_region, screen_points
from inpaint_studio.identity import EXECUTABLE, PROJECT_SUFFIX
from inpaint_studio.services.settings import RecentList, Settings
from inpaint_studio.services.worker import WorkContext, WorkerPool

if TYPE_CHECKING:  # imported where they are built: after the first paint (see Launch)
    from inpaint_studio.backends.backend import Backends
    from inpaint_studio.backends.keystore import KeyStore
    from inpaint_studio.gui.compare_panel import CompareFeature
    from inpaint_studio.gui.jobs_panel import JobsFeature
    from inpaint_studio.gui.keep_panel import KeepFeature
    from inpaint_studio.gui.music_map_feature import MusicMapFeature
    from inpaint_studio.services.document import DocumentModel, PlayheadModel, RegionModel
    from inpaint_studio.services.edit_session import EditSession
    from inpaint_studio.services.exporter import Exporter
    from inpaint_studio.services.job_controller import JobController, JobStore
    from inpaint_studio.services.loader import AudioLoader, EarlyLoad
    from inpaint_studio.services.music_map import MusicMapService
    from inpaint_studio.services.player import Player
    from inpaint_studio.services.project_service import ProjectService
    from inpaint_studio.services.seam_readout import SeamReadout

LOG_FILE = f"{EXECUTABLE}.log"
START_AT_THE_LATEST_MS = 5000  # Editor.start() runs by then even if the window is never drawn
# ...and at most this long after the editor is built while the song given at launch decodes (a
# long song, a slow disk or network folder): the jobs to resume and the key lookup never wait
# on it for longer.
START_WHILE_DECODING_AT_THE_LATEST_MS = 5000
ExceptionHandler = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def log_path() -> Path:
    """The log file `setup_logging` writes."""
    return paths.log_dir() / LOG_FILE


def setup_logging(verbose: bool = False) -> Path:
    """Log to a rotating file in `paths.log_dir()` (and warnings to stderr); returns its path.
    (The app calls it once its window is drawn: `logging.handlers` imports the socket and
    pickle modules.)"""
    import logging.handlers

    log_file = log_path()
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_inpaint_studio", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    stderr_handler = logging.StreamHandler(sys.stderr)
    stderr_handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    stderr_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for handler in (file_handler, stderr_handler):
        handler._inpaint_studio = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    return log_file


def install_exception_hooks(handler: ExceptionHandler) -> None:
    """Send uncaught exceptions of the main thread, Qt slots and other threads to `handler`
    (Ctrl+C still interrupts)."""
    previous = sys.excepthook

    def main_hook(exc_type: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        handler(exc_type, exc, tb)

    def thread_hook(args: Any) -> None:
        if args.exc_type is SystemExit:
            return
        handler(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = main_hook
    threading.excepthook = thread_hook


@dataclass
class Models:
    """What the window shows and every service shares: settings, the worker pool, the song,
    the region, the playhead and the song's loader."""

    settings: Settings
    workers: WorkerPool
    document: DocumentModel
    region: RegionModel
    playhead: PlayheadModel
    loader: AudioLoader


@dataclass
class Services:
    """Every service the editor runs on, built here and nowhere else."""

    models: Models
    keys: KeyStore
    backends: Backends
    jobs: JobController
    session: EditSession
    exporter: Exporter
    projects: ProjectService
    player: Player
    readout: SeamReadout
    music_map: MusicMapService

    def shutdown(self) -> None:
        """A clean quit: jobs stop waiting (they resume next start), a running export is
        cancelled, the autosave marker goes, the sound device closes."""
        self.jobs.shutdown()
        self.exporter.cancel()
        self.music_map.cancel()
        self.projects.shutdown()
        self.player.close()


@dataclass
class Features:
    """The window's features, each built from services and linked to the others here. A
    feature that failed to install is None: it is reported and the editor starts without it
    (Picard's player facade idea)."""

    welcome: WelcomePanel | None
    jobs: JobsFeature | None
    keep: KeepFeature | None
    compare: CompareFeature | None
    music_map: MusicMapFeature | None = None


@dataclass
class Editor:
    """The whole editor: the window, its services and its features (kept alive together)."""

    window: MainWindow
    services: Services
    features: Features
    started: bool = False

    def start(self) -> None:
        """The start-up work kept until the window is drawn (`build_editor(start_later=True)`):
        look for the API key and continue the jobs in flight, open the sound device, offer to
        restore a crashed session. Each in a worker or on the GUI thread's next turns. Once."""
        if self.started:
            return
        self.started = True
        if self.features.jobs is not None:
            self.features.jobs.start()
        self.services.player.open_output()
        if self.features.keep is not None:
            self.features.keep.project.offer_restore()


def build_models(settings: Settings, workers: WorkerPool) -> Models:
    from inpaint_studio.services.document import DocumentModel, PlayheadModel, RegionModel
    from inpaint_studio.services.loader import AudioLoader

    document = DocumentModel()
    return Models(settings, workers, document, RegionModel(), PlayheadModel(),
                  AudioLoader(document, workers))


def build_window(models: Models, *, interactive: bool = True) -> MainWindow:
    """The bare main window over `models` (no features yet). The window owns the models: they
    go with it, never while a queued signal or a worker may still reach them."""
    window = MainWindow(models.settings, models.workers, interactive=interactive)
    attach_models(window, models)
    return window


def attach_models(window: MainWindow, models: Models) -> None:
    """The editor's views in `window`'s shell, over `models`, which the window then owns."""
    window.attach(models.document, models.region, models.playhead, models.loader)
    for model in (models.document, models.region, models.playhead, models.loader):
        model.setParent(window)


def build_services(models: Models, *, audio_output: bool = True, open_later: bool = False,
                   keys: KeyStore | None = None,
                   backends: Backends | None = None, job_store: JobStore | None = None,
                   cache_dir: Path | None = None, autosave_dir: Path | None = None,
                   player: Player | None = None, parent: QObject | None = None,
                   map_songs: bool = True, **backend_kwargs: Any) -> Services:
    """Build every service. Tests pass their own job store, backends (the server's fast
    engine), folders and player; the app passes nothing. Without `audio_output` (e.g.
    --screenshot) the player keeps time silently and asks no device for anything; with
    `open_later` it does so until `Player.open_output()` (the editor calls it once its window
    is drawn). `map_songs=False` maps no song (tests not about the map). `parent`
    (the window) owns the Qt services, so they live exactly as long as it does."""
    from inpaint_studio.backends.backend import Backends
    from inpaint_studio.backends.keystore import KeyStore
    from inpaint_studio.services import backend_settings
    from inpaint_studio.services.edit_session import EditSession
    from inpaint_studio.services.exporter import Exporter
    from inpaint_studio.services.job_controller import JobController, JobStore
    from inpaint_studio.services.music_map import MusicMapService
    from inpaint_studio.services.player import Player
    from inpaint_studio.services.project_service import ProjectService
    from inpaint_studio.services.seam_readout import SeamReadout

    keys = keys or KeyStore()
    if backends is None:
        backends = Backends(backend_settings.load(models.settings), keys, **backend_kwargs)
    jobs = JobController(job_store or JobStore(), backends, models.workers,
                         cache_dir or paths.cache_dir(), parent=parent)
    autosave = autosave_dir or (paths.data_dir() / "autosave")
    session = EditSession(models.document, models.region, models.workers,
                          segment_dir=lambda: autosave, parent=parent)
    exporter = Exporter(models.workers, lock=session.lock, parent=parent)
    document = models.document

    def song_jobs() -> list[dict[str, Any]]:
        source = document.source
        return [dataclasses.asdict(j) for j in jobs.jobs(source=source)] if source else []

    # Projects open their song through the loader: they have asked about unsaved edits
    # themselves (or there are none, as when restoring).
    projects = ProjectService(document, models.region, session, models.workers,
                              models.settings, models.loader.load, autosave, jobs=song_jobs,
                              parent=parent)
    if player is None:
        player = Player(models.workers, use_device=audio_output, open_later=open_later,
                        parent=parent)
    # The song's musical map, computed after every load (cached under <cache>/musicmap).
    music_map = MusicMapService(models.document, models.workers, cache_dir or paths.cache_dir(),
                                parent=parent, enabled=map_songs)
    return Services(models, keys, backends, jobs, session, exporter, projects, player,
                    SeamReadout(models.workers, parent=parent), music_map)


T = TypeVar("T")


def _install(window: MainWindow, name: str, make: Callable[[], T]) -> T | None:
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - one broken feature must not stop the editor
        logging.getLogger(__name__).exception("could not install %s", name)
        window.report_error(f"{name.capitalize()} is unavailable", str(exc))
        return None


def install_features(window: MainWindow, services: Services, *, resume: bool = True,
                     restore_prompt: bool = True, audio_output: bool = True,
                     start_later: bool = False, welcome: WelcomePanel | None = None) -> Features:
    """Build each feature from its services and link them: the versions the jobs feature shows
    go to the compare lanes and to keeping; a submit uploads the song as edited. `resume`
    continues the jobs in flight, `restore_prompt` offers to restore a crashed session,
    `audio_output` says a sound device was asked for (all False for --screenshot).
    `start_later` leaves resuming, the key lookup and the restore offer to `Editor.start()`.
    `welcome`: the welcome panel the shell showed before the editor was attached (`Launch`)."""
    from inpaint_studio.gui.compare_panel import CompareFeature
    from inpaint_studio.gui.jobs_panel import JobsFeature
    from inpaint_studio.gui.keep_panel import KeepFeature
    from inpaint_studio.gui.music_map_feature import MusicMapFeature

    s = services
    if welcome is None:
        welcome = _install(window, "welcome", lambda: install_welcome(window, s.models.settings))
    if welcome is not None:
        welcome.follow_document()
    jobs = _install(window, "jobs", lambda: JobsFeature(
        window, s.jobs, s.keys, s.backends, edits=s.session, resume=resume,
        start_later=start_later))
    keep = _install(window, "keep", lambda: KeepFeature(window, s.session, s.exporter,
                                                        s.projects, s.player))
    compare = _install(window, "compare", lambda: CompareFeature(
        window, s.player, s.readout, audio_output=audio_output, settings=s.models.settings))
    music_map = _install(window, "musical map", lambda: MusicMapFeature(
        window, s.music_map, s.models.settings))
    if jobs is not None and compare is not None:
        jobs.versions_shown.connect(compare.show_versions)
    if jobs is not None and keep is not None:
        jobs.versions_shown.connect(keep.offer_versions)
    if jobs is not None:
        # a project from elsewhere: the form takes its fields from the project's own jobs
        s.projects.opened.connect(lambda _p: jobs.restore_project_fields(s.projects.project_jobs))
    if keep is not None and compare is not None:
        # one span for one keep, and the song's name, shown the same in the compare feature
        keep.spans_changed.connect(compare.show_keep_spans)
        keep.song_named.connect(compare.name_song)
    if keep is not None and restore_prompt and not start_later:
        QTimer.singleShot(0, keep.project.offer_restore)
    return Features(welcome, jobs, keep, compare, music_map)


def install_welcome(window: MainWindow, settings: Settings) -> WelcomePanel:
    """The welcome view over the window (the shell is enough): open a song, the demo song, the
    recent projects and songs (the lists `ProjectService` and `Settings` keep)."""
    projects = RecentList(settings, "projects/recent")
    return WelcomePanel(window, window.open_file, window.open_dialog,
                        recent=lambda: (projects.paths(), settings.recent_files()))


def build_editor(settings: Settings, workers: WorkerPool, *, screenshot: bool = False,
                 start_later: bool = False, **service_options: Any) -> Editor:
    """Models, window, services and features, wired; the window is not shown yet. With
    `start_later` (the app) nothing that the first drawn window does not need is started:
    `Editor.start()` does it, and runs by itself once the window is first drawn."""
    models = build_models(settings, workers)
    window = build_window(models, interactive=not screenshot)
    later = start_later and not screenshot
    services = build_services(models, audio_output=not screenshot, open_later=later,
                              parent=window, **service_options)
    # A screenshot only shows the window: it resumes no job, offers no restore and opens no
    # sound device.
    features = install_features(window, services, resume=not screenshot,
                                restore_prompt=not screenshot, audio_output=not screenshot,
                                start_later=later)
    app = QCoreApplication.instance()
    if app is not None:  # a quit without closing the window is clean too
        app.aboutToQuit.connect(services.shutdown)
    editor = Editor(window, services, features)
    if later:
        window.first_painted.connect(editor.start)
        # a window that is never drawn (started minimised, on another desktop) starts anyway
        QTimer.singleShot(START_AT_THE_LATEST_MS, editor.start)
    return editor


# What building the editor imports (numpy, pyqtgraph, the audio stack, every service and
# feature): `Launch` imports them in a worker after the first paint, so that the GUI thread,
# which then builds the editor from them, does not stop for the imports themselves.
EDITOR_MODULES = (
    "numpy", "pyqtgraph",
    "inpaint_studio.services.document", "inpaint_studio.services.loader",
    "inpaint_studio.gui.waveform_view", "inpaint_studio.gui.lanes",
    "inpaint_studio.gui.region_fields",
    "inpaint_studio.backends.backend", "inpaint_studio.backends.keystore",
    "inpaint_studio.services.backend_settings", "inpaint_studio.services.edit_session",
    "inpaint_studio.services.exporter", "inpaint_studio.services.job_controller",
    "inpaint_studio.services.music_map", "inpaint_studio.services.player",
    "inpaint_studio.services.project_service", "inpaint_studio.services.seam_readout",
    "inpaint_studio.gui.compare_panel", "inpaint_studio.gui.jobs_panel",
    "inpaint_studio.gui.keep_panel", "inpaint_studio.gui.music_map_feature",
)


def import_editor_modules(ctx: WorkContext) -> None:
    """Worker body: import what building the editor needs (EDITOR_MODULES)."""
    import importlib

    for name in EDITOR_MODULES:
        ctx.token.raise_if_cancelled()
        importlib.import_module(name)


class Launch(QObject):
    """The editor as the app starts it, first paint first. At once: the window's shell with the
    welcome view (plain QtWidgets; nothing of numpy, pyqtgraph or the audio stack). Once that is
    drawn (`MainWindow.first_painted`, or after START_AT_THE_LATEST_MS for a window never
    drawn): a song given on the command line starts decoding (`EarlyLoad`, the loader's own
    worker), the editor's modules are imported in a worker, then the editor is built on the GUI
    thread one step per event-loop turn (models, the window's views, services, features, the
    saved layout); its loader adopts the decode in flight, the song opens (its waveform shows
    what has decoded so far) and `Editor.start()` runs (once that decode has ended, so that
    start-up does not take the cores the decode runs on). `editor` is None until then."""

    def __init__(self, settings: Settings, workers: WorkerPool, *, song: str | None = None,
                 on_drawn: Callable[[], object] | None = None) -> None:
        """`song`: a song or project to open once the editor is built (the welcome view is not
        shown for it). `on_drawn()` runs first once the window is drawn (the app sets up
        logging there)."""
        super().__init__()
        self.settings, self.workers = settings, workers
        self.on_drawn = on_drawn
        self.window = MainWindow(settings, workers)
        if song:
            self.window.open_file(song)  # kept until the editor is built (`open_pending`)
        self.welcome = _install(self.window, "welcome",
                                lambda: install_welcome(self.window, settings))
        self.song = song
        self.early: EarlyLoad | None = None  # the song's decode, started after the first paint
        self.editor: Editor | None = None
        self._begun = False
        self._steps: list[Callable[[], None]] = []
        self.window.first_painted.connect(self.begin)
        QTimer.singleShot(START_AT_THE_LATEST_MS, self.begin)

    def begin(self) -> None:
        """Import the editor's modules in a worker, then build it (once)."""
        if self._begun:
            return
        self._begun = True
        if self.on_drawn is not None:
            self.on_drawn()
        self._start_decoding()
        worker = self.workers.run(import_editor_modules, name="editor-imports")
        worker.errored.connect(lambda exc: logging.getLogger(__name__).warning(
            "could not import the editor ahead: %s", exc))  # the build imports (and reports)
        worker.finished.connect(self._build)

    def _start_decoding(self) -> None:
        """A song given at launch starts decoding now, while the editor is built: its loader
        adopts the decode (`AudioLoader.adopt`) and `open_pending` continues it. Not for a
        project (it names its song itself) or what is not a readable file (opening it reports
        that, as always)."""
        song = self.window.pending_open
        if (not song or song != self.song or song.lower().endswith(PROJECT_SUFFIX)
                or not os.path.isfile(song)):
            return
        from inpaint_studio.services.loader import EarlyLoad  # QtCore only: numpy loads in it

        self.early = EarlyLoad(self.workers, song, parent=self)

    def _adopt_decoding(self, models: Models) -> None:
        if self.early is not None:
            models.loader.adopt(self.early)

    def _build(self) -> None:
        models: list[Models] = []
        services: list[Services] = []
        features: list[Features] = []
        window = self.window
        self._steps = [
            lambda: models.append(build_models(self.settings, self.workers)),
            lambda: self._adopt_decoding(models[0]),
            lambda: attach_models(window, models[0]),
            lambda: services.append(build_services(models[0], open_later=True,
                                                   parent=window)),
            lambda: self._shut_down_with_the_app(services[0]),
            lambda: features.append(install_features(window, services[0], start_later=True,
                                                     welcome=self.welcome)),
            lambda: self._finish(Editor(window, services[0], features[0])),
        ]
        self._next()

    def _next(self) -> None:
        if not self._steps:
            return
        step = self._steps.pop(0)
        try:
            step()
        except Exception as exc:  # the shell stays up to say so; the rest cannot be built
            self._steps.clear()
            if self.early is not None:
                self.early.cancel()  # no editor will show it
            logging.getLogger(__name__).exception("the editor could not be built")
            self.window.report_error("The editor could not be started",
                                     f"{type(exc).__name__}: {exc}\n\nThe log file has the "
                                     "details.")
            return
        QTimer.singleShot(0, self._next)

    @staticmethod
    def _shut_down_with_the_app(services: Services) -> None:
        """Right after the services exist: a quit while the rest is built still stops them."""
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(services.shutdown)

    def _finish(self, editor: Editor) -> None:
        self.window.restore_state()  # after the features: their docks must exist to be restored
        self.editor = editor
        self.window.open_pending()
        # What start-up made lives as long as the app: keep it out of the cyclic garbage
        # collector, whose full passes over it would stall the GUI mid-job.
        gc.freeze()
        decoding = self.early.worker if self.early is not None else None
        if decoding is not None and editor.services.models.loader.worker is decoding:
            # The song given at launch is still decoding: the rest of start-up (the key
            # lookup, the local server, the sound device) waits until it has opened (or
            # failed), so that it does not take the cores the decode's parts run on. Connected
            # before `done` is looked at: a decode that ends meanwhile still starts it.
            decoding.finished.connect(editor.start)
            if not decoding.done.is_set():
                QTimer.singleShot(START_WHILE_DECODING_AT_THE_LATEST_MS, editor.start)
                return
        QTimer.singleShot(0, editor.start)


def run_gui(argv: list[str]) -> int:
    """The editor: parse the GUI's arguments (gui_main.build_parser), build it, run it. The
    window is drawn first (`Launch`); a screenshot builds the whole editor at once."""
    args = build_parser().parse_args(argv)
    try:
        region = parse_region(args.region)
    except ValueError as exc:
        print(f"{EXECUTABLE}: --region: {exc}", file=sys.stderr)
        return 2
    try:
        points = screen_points(args.size, args.scale)
    except ValueError as exc:
        print(f"{EXECUTABLE}: --size: {exc}", file=sys.stderr)
        return 2
    if args.screenshot:
        # A screenshot never needs a display: offscreen, on a screen of the size asked for.
        from inpaint_studio.gui.screenshot import offscreen_platform

        with tempfile.TemporaryDirectory(prefix="inpaint-screen-") as folder:
            os.environ["QT_QPA_PLATFORM"] = offscreen_platform(args.size, args.scale,
                                                               Path(folder))
            qapp = QApplication.instance() or QApplication([sys.argv[0]])
    elif (problem := display_problem()) is not None:
        print(no_display_message(problem), file=sys.stderr)
        return 2
    log_file = log_path()
    if args.screenshot:
        setup_logging(args.verbose)
    qapp = QApplication.instance() or QApplication([sys.argv[0]])  # made above for a screenshot
    apply_identity(qapp)
    theme.apply(qapp, plots=False)  # the window configures pyqtgraph when it builds its views
    crash = CrashReporter(str(log_file))
    install_exception_hooks(crash.handle)
    if not args.screenshot:
        workers = WorkerPool()
        launch = Launch(Settings(), workers, song=args.file,
                        on_drawn=lambda: setup_logging(args.verbose))
        crash.parent_widget = launch.window
        launch.window.show()
        code = int(qapp.exec())
        workers.cancel_all()  # a quit during start-up: let the import worker end first
        workers.wait_all(5000)
        return code
    from inpaint_studio.gui.screenshot import take_screenshot

    editor = build_editor(Settings(), WorkerPool(), screenshot=True)
    window = editor.window
    crash.parent_widget = window
    crash.interactive = False
    gc.freeze()
    try:
        code = take_screenshot(window, editor.features.compare, args.file, region,
                               Path(args.screenshot), points, hear=args.hear, loop=args.loop)
    finally:
        window.close()
    if crash.count:
        print(f"{EXECUTABLE} --screenshot: {crash.count} unexpected error(s), see {log_file}",
              file=sys.stderr)  # fmt: skip
        return code or 1
    return code
