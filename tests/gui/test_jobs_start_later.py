"""The jobs feature built as the app builds it (`start_later`): the key store is not asked on the
GUI thread while the window is being built and drawn. Until `start()` has looked for the key in a
worker, the job form names no backend and Submit says why it waits; then the form shows the
backend the key implies (local without one, MusicGPT with one), exactly as an eager start does.
A key known without the keyring (the environment variable) is shown at once."""

from __future__ import annotations

import pytest

from inpaint_studio.backends.backend import Backends, BackendSettings
from inpaint_studio.backends.keystore import ENV_VAR, KeyStore
from inpaint_studio.gui.jobs_panel import JobsFeature
from inpaint_studio.services.edit_session import EditSession
from inpaint_studio.services.job_controller import JobController, JobStore
from tests.jobs.support import engine_pool


class CountingKeys(KeyStore):
    """A real key store over a file, noting the thread of every lookup that reaches the keyring
    and the file (`get`; `has_key` keeps its answer)."""

    def __init__(self, path, thread_names):
        super().__init__(path)
        self.thread_names = thread_names

    def get(self) -> str | None:
        import threading

        self.thread_names.append(threading.current_thread().name)
        return super().get()


@pytest.fixture
def parts(tmp_path, window, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    asked: list[str] = []
    keys = CountingKeys(tmp_path / "musicgpt.key", asked)
    backends = Backends(BackendSettings(), keys, server_dir=tmp_path / "server",
                        server_engine="quick",
                        server_engine_pool=engine_pool())  # fmt: skip
    controller = JobController(JobStore(tmp_path / "jobs.sqlite3"), backends, window.workers,
                               tmp_path / "cache", parent=window)  # fmt: skip
    session = EditSession(window.document, window.region, window.workers,
                          segment_dir=lambda: tmp_path / "autosave", parent=window)
    yield window, keys, backends, controller, session, asked
    backends.stop()


def _feature(parts, **options) -> JobsFeature:
    window, keys, backends, controller, session, _ = parts
    return JobsFeature(window, controller, keys, backends, edits=session, **options)


def test_the_form_waits_for_the_key_lookup_then_shows_the_backend(qtbot, parts, tmp_path):
    window, keys, _, _, _, asked = parts
    keys.file_path.write_text("sk-in-a-file", encoding="utf-8")  # a stored key: MusicGPT
    jobs = _feature(parts, start_later=True)
    assert asked == []  # nothing asked while the window was built
    assert "looking for an API key" in jobs.form.backend_label.text()
    assert "not known yet" in jobs.form.why_disabled.text()
    worker = jobs.start(resume=False)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        pass
    assert len(asked) == 1 and asked[0] != "MainThread"  # looked up once, in a worker
    assert jobs.form.backend_label.text().startswith("Backend: MusicGPT")
    assert "not known yet" not in jobs.form.why_disabled.text()
    # the same form as an eager start gives
    eager = _feature(parts)
    assert eager.form.backend_label.text() == jobs.form.backend_label.text()


def test_without_a_key_the_local_backend_is_shown_and_made_ready(qtbot, parts):
    jobs = _feature(parts, start_later=True)
    worker = jobs.start(resume=False)
    with qtbot.waitSignal(worker.finished, timeout=10000):
        pass
    assert jobs.form.backend_label.text() == "Backend: local (on this computer)"


def test_a_key_in_the_environment_is_shown_at_once(parts, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "sk-from-env")
    jobs = _feature(parts, start_later=True)
    assert jobs.form.backend_label.text().startswith("Backend: MusicGPT")
    assert parts[-1] == []  # the keyring was not asked


def test_the_editor_starts_after_its_first_paint_or_at_the_latest_after_a_while(
        qtbot, settings, workers, monkeypatch):
    """`build_editor(start_later=True)`, as the app builds it: nothing deferred has run when it
    is built; a drawn window starts it; a window never drawn starts by the deadline."""
    from inpaint_studio import app as composition

    monkeypatch.setattr(composition, "START_AT_THE_LATEST_MS", 3_600_000)  # only the paint
    drawn = composition.build_editor(settings, workers, start_later=True)
    monkeypatch.setattr(composition, "START_AT_THE_LATEST_MS", 300)
    hidden = composition.build_editor(settings, workers, start_later=True)
    for editor in (drawn, hidden):
        qtbot.addWidget(editor.window)
        assert not editor.started and editor.services.player.opening
    drawn.window.show()
    qtbot.waitUntil(lambda: drawn.started, timeout=30000)  # its first paint started it
    qtbot.waitUntil(lambda: hidden.started, timeout=30000)  # never shown: the deadline did
    assert not hidden.window.isVisible()
    for editor in (drawn, hidden):
        qtbot.waitUntil(lambda e=editor: not e.services.player.opening, timeout=60000)
        editor.services.shutdown()
