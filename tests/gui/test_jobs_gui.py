"""Jobs through the real window, offscreen: load a song, drag a region, fill the form, submit,
watch the stages, get both versions drawn as lanes; every client error shown in words; cancel,
resume and restart without a second submit. The server is the local one, over loopback HTTP."""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from inpaint_studio.backends.backend import LOCAL, MUSICGPT, Backends, BackendSettings
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.services.job_controller import JobStore, Stage
from tests.gui.conftest import drag, install_all, load, make_window
from tests.jobs.support import KEY, counting_server, engine_pool, make_song

JOB_TIMEOUT_MS = 60000
FAST_POLLING = {"min_poll_interval": 0.2, "max_poll_interval": 0.5}


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return make_song(tmp_path_factory.mktemp("gui-songs") / "song.wav", seconds=12.0)


class FixedKey(KeyStore):
    """A key store holding one key (or none), never touching a keyring or a file."""

    def __init__(self, key: str | None = None) -> None:
        self._key = key
        self.keyring_ok, self.keyring_problem = False, "no keyring in tests"
        self.file_path = None

    def get(self) -> str | None:
        return self._key

    def has_key(self) -> bool:
        return self._key is not None


def _install(window, tmp_path, *, kind="", key=None, base_url=None, config=None, resume=False,
             store=None, client_options=None):
    # a pro account: its status-check rate lets the tests poll fast (the app's default is free)
    backends = Backends(BackendSettings(kind=kind, base_url=base_url or "https://x.invalid",
                                        plan="pro"),
                        FixedKey(key), server_dir=tmp_path / "server", server_engine="quick",
                        server_engine_pool=engine_pool(),
                        server_config=config,
                        client_options={**FAST_POLLING, **(client_options or {})})
    services, features = install_all(window, tmp_path, resume=resume, keys=FixedKey(key),
                                     backends=backends,
                                     job_store=store or JobStore(tmp_path / "jobs.sqlite3"))
    INSTALLED.append(services)
    return features.jobs


INSTALLED = []  # the services of the features a test installed, shut down after it


@pytest.fixture
def jobs_window(window):
    yield window
    while INSTALLED:
        INSTALLED.pop().jobs.shutdown()


def _select_and_describe(qtbot, window, feature, song, prompt="warm piano with strings"):
    load(qtbot, window, song)
    drag(qtbot, window.detail.plot_widget, 6.0, 11.0, y=0.5)
    assert window.region.region is not None
    QTest.keyClicks(feature.form.prompt, prompt)


def _submit(qtbot, feature):
    with qtbot.waitSignal(feature.controller.job_added, timeout=5000) as added:
        QTest.mouseClick(feature.form.submit_button, Qt.MouseButton.LeftButton)
    return added.args[0]


def _wait_stage(qtbot, feature, job_id, stages, timeout=JOB_TIMEOUT_MS):
    """Wait for the job's run to end as the GUI sees it, then check its stage.

    The end is the controller's `running_changed(job_id, False)`, emitted on the GUI thread
    when the worker's queued `finished` arrives; the worker's earlier signals (stage changes,
    notes, errors) are queued before it, so the window has shown all of them by then. Polling
    the worker's own state (`is_running`, set on its thread) instead let a test look at the
    window before those signals had arrived. Call this right after starting the run (before
    the event loop runs), so that the signal cannot pass unseen."""
    c = feature.controller
    with qtbot.waitSignal(c.running_changed, timeout=timeout,
                          check_params_cb=lambda jid, running: jid == job_id and not running):
        pass
    job = c.job(job_id)
    assert job.stage in stages, (job.stage, job.message)
    return job


def test_the_whole_loop_through_the_window(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    feature = _install(window, tmp_path, resume=True)  # a normal start; no key: local backend
    # the start prepares the local server (in a worker); no lanes until there are versions
    qtbot.waitUntil(lambda: feature.backends.local_running, timeout=30000)
    assert window.lanes.isHidden()
    form = feature.form
    assert not form.submit_button.isEnabled()
    assert "Open a song first" in form.why_disabled.text()
    load(qtbot, window, song)
    assert "Select a region" in form.why_disabled.text()
    drag(qtbot, window.detail.plot_widget, 6.0, 11.0, y=0.5)
    r = window.region.region
    assert r.start == pytest.approx(6.0, abs=0.05)  # within a pixel or two of the drag
    assert form.region_label.text().startswith(f"0:{r.start:06.3f}")
    # Before anything is typed the empty prompt is a plain reason to wait, not a red error.
    assert form.prompt.styleSheet() == "" and "✖" not in form.issue_label.text()
    assert "Describe the new part in the prompt." in form.why_disabled.text()
    assert not form.submit_button.isEnabled()
    # Submit pressed on it: said once, listed as a problem (✖) and marked, referred to under
    # the button, whole in its tooltip
    form.request_submit()
    assert "prompt is required" in form.issue_label.text()
    assert form.prompt.styleSheet() != ""
    assert "marked ✖ above" in form.why_disabled.text()
    assert "prompt is required" not in form.why_disabled.text()
    assert "prompt is required" in form.submit_button.toolTip()
    assert not form.local_note.isHidden() and "cannot be sung" in form.local_note.text()
    assert form.cost_label.text().startswith("Cost: Free")
    QTest.keyClicks(form.prompt, "warm piano")
    assert form.prompt_count.text() == "10 / 1000 characters"
    assert form.submit_button.isEnabled() and form.why_disabled.text() == ""
    seen = []
    c = feature.controller
    c.job_changed.connect(lambda j: seen.append(feature.list.stage_text(j.id)))
    c.job_progress.connect(lambda j, *_: seen.append(feature.list.stage_text(j)))
    with qtbot.waitSignal(c.versions_ready, timeout=JOB_TIMEOUT_MS) as ready:
        QTest.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
    job_id, versions = ready.args
    job = c.job(job_id)
    assert job.stage is Stage.DONE and job.backend == LOCAL and job.submit_attempts == 1
    assert (job.start, job.end) == (r.start, r.end) and job.prompt == "warm piano"
    assert [i for i, _ in versions] == [1, 2]
    # drawn as two lanes under the original, on its timeline
    lanes = window.lanes.lanes
    assert len(lanes) == 2 and feature.shown_job == job_id
    # (a layout shows a new widget on the next turn of the event loop)
    qtbot.waitUntil(lambda: window.lanes.isVisible() and all(lane.isVisible() for lane in lanes))
    for lane in lanes:
        assert lane.audio.frames == window.document.audio.frames
        assert lane.plot.getViewBox().linkedView(0) is window.detail.plot.getViewBox()
    assert [lane.title.text() for lane in lanes] == ["Version 1", "Version 2"]
    text = " | ".join(seen)
    for stage in ("uploading", "queued", "in progress", "downloading", "done: 2 versions"):
        assert stage in text, text
    assert "%" not in " ".join(s for s in seen if s.startswith(("queued", "in progress")))
    assert feature.backends.local_server().submit_count == 1
    assert window.errors.history == []


def test_the_form_checks_inline_and_estimates_the_cost(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    feature = _install(window, tmp_path, kind=MUSICGPT, key="k", base_url="https://x.invalid")
    form = feature.form
    _select_and_describe(qtbot, window, feature, song)
    assert form.local_note.isHidden()
    assert "About $0.12 (2 × $0.06, pro plan)" in form.cost_label.text()
    form.versions.setValue(1)
    assert "About $0.06" in form.cost_label.text()
    form.section_lyrics.setPlainText("la " * 1001)
    assert not form.submit_button.isEnabled()
    assert "the limit is 3000" in form.submit_button.toolTip()
    assert "e57373" in form.section_lyrics.styleSheet()
    assert "limit is 3000" in form.section_lyrics.toolTip()
    form.section_lyrics.setPlainText("new words here")
    form.webhook.setText("ftp://nope")
    assert "webhook URL must start with http" in form.submit_button.toolTip()
    form.webhook.setText("")
    form.prompt.setPlainText("x" * 1200)  # over the inferred cap: a warning, not a block
    assert form.submit_button.isEnabled()
    assert "⚠" in form.issue_label.text() and "1200 characters" in form.issue_label.text()
    assert form.prompt_count.text() == "1200 / 1000 characters"


def _fault_server_error(srv):
    srv.faults.paths = ("/v1/inpaint",)
    srv.faults.server_error_next = 1


def _fault_rate_limit(srv):
    srv.faults.paths = ("/v1/inpaint",)
    srv.faults.rate_limit_next = 1


def _fault_drop(srv):
    srv.faults.paths = ("/v1/inpaint",)
    srv.faults.drop_next = 1


def _fault_malformed(srv):
    srv.faults.paths = ("/v1/inpaint",)
    srv.faults.malformed_next = 1


def _fault_fail(srv):
    srv.faults.fail_jobs = "no passage of the song fits this gap"


def _fault_truncate(srv):
    srv.faults.truncate_results = True


ERROR_CASES = {
    # name: (server config, fault, key, expected stage, words the user reads)
    "auth": (None, None, "wrong-key", Stage.FAILED, "rejected the API key"),
    "credit": (ServerConfig(credit_balance=0.0), None, KEY, Stage.FAILED, "Not enough credit"),
    "validation": (ServerConfig(region_min_s=8.0), None, KEY, Stage.FAILED,
                   "rejected the request"),
    "rate-limit": (None, _fault_rate_limit, KEY, Stage.FAILED, "Too many requests"),
    "server-error": (None, _fault_server_error, KEY, Stage.FAILED, "server error"),
    "dropped": (None, _fault_drop, KEY, Stage.UNKNOWN, "not known whether the server"),
    "malformed": (None, _fault_malformed, KEY, Stage.UNKNOWN, "no usable answer"),
    "task-failed": (None, _fault_fail, KEY, Stage.FAILED, "no passage of the song fits"),
    "truncated": (None, _fault_truncate, KEY, Stage.FAILED, "could not be downloaded"),
    "too-large": (ServerConfig(max_upload_bytes=64 * 1024), None, KEY, Stage.FAILED,
                  "too large"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_each_error_is_shown_in_words(qtbot, jobs_window, tmp_path, song, case):
    config, fault, key, stage, words = ERROR_CASES[case]
    window = jobs_window
    with counting_server(tmp_path / "ext", config=config) as (srv, log):
        if fault is not None:
            fault(srv)
        feature = _install(window, tmp_path, kind=MUSICGPT, key=key, base_url=srv.base_url)
        _select_and_describe(qtbot, window, feature, song)
        job = _submit(qtbot, feature)
        job = _wait_stage(qtbot, feature, job.id, {stage})
        assert words in job.message
        prefix = "failed:" if stage is Stage.FAILED else "outcome unknown"
        shown = feature.list.stage_text(job.id)
        assert shown.startswith(prefix), shown
        assert words in shown
        assert window.errors.history and words in window.errors.history[-1][1]
        assert KEY not in " ".join(m for _, m in window.errors.history)
        assert log.submits() == 1  # never sent twice on its own
        feature.list.select(job.id)
        if stage is Stage.UNKNOWN:  # once the worker has ended, the user may act on it
            qtbot.waitUntil(lambda: feature.list.find_button.isEnabled()
                            and feature.list.retry_button.isEnabled(), timeout=3000)


def test_server_faults_during_a_job_are_ridden_out(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    with counting_server(tmp_path / "ext", config=ServerConfig(version_delay_s=0.5)) as (srv,
                                                                                           log):
        srv.faults.paths = ("/v1/byId", "/files/")
        srv.faults.server_error_next = 2
        srv.faults.drop_next = 1
        srv.faults.rate_limit_next = 1
        srv.faults.rate_limit_retry_after = 0.3
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        _select_and_describe(qtbot, window, feature, song)
        with qtbot.waitSignal(feature.controller.versions_ready, timeout=JOB_TIMEOUT_MS):
            _submit(qtbot, feature)
        assert len(window.lanes.lanes) == 2 and log.submits() == 1


def test_retry_of_an_unknown_job_asks_first(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    with counting_server(tmp_path / "ext") as (srv, log):
        _fault_drop(srv)
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        _select_and_describe(qtbot, window, feature, song)
        job = _wait_stage(qtbot, feature, _submit(qtbot, feature).id, {Stage.UNKNOWN})
        feature.list.select(job.id)
        qtbot.waitUntil(feature.list.retry_button.isEnabled, timeout=3000)
        asked = []
        feature.list.confirm_retry = lambda j: asked.append(j.id) or False
        QTest.mouseClick(feature.list.retry_button, Qt.MouseButton.LeftButton)
        assert asked == [job.id] and feature.controller.job(job.id).stage is Stage.UNKNOWN
        assert log.submits() == 1
        feature.list.confirm_retry = lambda j: True
        with qtbot.waitSignal(feature.controller.versions_ready, timeout=JOB_TIMEOUT_MS):
            QTest.mouseClick(feature.list.retry_button, Qt.MouseButton.LeftButton)
        assert log.submits() == 2 and feature.controller.job(job.id).submit_attempts == 2


def test_cancel_stops_waiting_and_resume_finishes(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    with counting_server(tmp_path / "ext", config=ServerConfig(version_delay_s=1.0)) as (srv,
                                                                                           log):
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        _select_and_describe(qtbot, window, feature, song)
        job = _submit(qtbot, feature)
        c = feature.controller
        qtbot.waitUntil(lambda: c.job(job.id).stage is Stage.PARTIAL, timeout=JOB_TIMEOUT_MS)
        # the list hears of it through the controller's signal, an event-loop turn later
        qtbot.waitUntil(lambda: feature.list.stage_text(job.id).startswith("version 1 ready"),
                        timeout=3000)
        feature.list.select(job.id)
        QTest.mouseClick(feature.list.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(feature.list.resume_button.isEnabled, timeout=3000)
        assert feature.list.stage_text(job.id).startswith("cancelled")
        with qtbot.waitSignal(c.versions_ready, timeout=JOB_TIMEOUT_MS):
            QTest.mouseClick(feature.list.resume_button, Qt.MouseButton.LeftButton)
        assert c.job(job.id).stage is Stage.DONE and log.submits() == 1
        assert set(log.downloads().values()) == {1}


def test_a_restarted_app_resumes_the_job_and_redraws_it(qtbot, tmp_path, settings, workers,
                                                       song):
    from inpaint_studio.gui import theme

    theme.configure_pyqtgraph()
    store_path = tmp_path / "jobs.sqlite3"
    with counting_server(tmp_path / "ext", config=ServerConfig(version_delay_s=1.0)) as (srv,
                                                                                           log):
        first = make_window(settings, workers)
        qtbot.addWidget(first)
        first.show()
        feature = _install(first, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        _select_and_describe(qtbot, first, feature, song)
        job = _submit(qtbot, feature)
        qtbot.waitUntil(lambda: feature.controller.job(job.id).stage is Stage.PARTIAL,
                        timeout=JOB_TIMEOUT_MS)
        first.close()  # quit mid-job: workers are cancelled, the job stays in flight
        feature.controller.shutdown()
        assert JobStore(store_path).get(job.id).stage.in_flight

        second = make_window(settings, workers)
        qtbot.addWidget(second)
        second.show()
        assert not feature.controller.is_running(job.id)  # the first app no longer runs it
        feature2 = _install(second, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url,
                            resume=True)
        qtbot.waitUntil(lambda: feature2.controller.job(job.id).stage is Stage.DONE,
                        timeout=JOB_TIMEOUT_MS)
        assert log.submits() == 1 and set(log.downloads().values()) == {1}
        # opening the song again shows its finished job's versions. (Not waitSignal on
        # versions_ready: the job's own end emits it too, and the store says DONE a moment
        # before that emission reaches the GUI thread, so the wait could catch that one, sent
        # while no song was open.)
        load(qtbot, second, song)
        qtbot.waitUntil(lambda: len(second.lanes.lanes) == 2, timeout=JOB_TIMEOUT_MS)
        assert feature2.shown_job == job.id
        feature2.controller.shutdown()


def test_an_edited_song_is_written_and_uploaded_as_edited(qtbot, jobs_window, tmp_path, song):
    import numpy as np

    from inpaint_studio.core.audio import Audio
    from inpaint_studio.core.decode import load_audio

    window = jobs_window
    with counting_server(tmp_path / "ext") as (srv, log):
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        _select_and_describe(qtbot, window, feature, song)
        original = window.document.audio
        keep = feature.edits
        keep.offer(1, Audio(original.samples * np.float32(0.5), original.sample_rate),
                   (0.0, original.duration))
        window.region.set(0.0, original.duration)
        assert keep.keep(1)  # keep a version over the whole song: every sample halved
        qtbot.waitUntil(lambda: not keep.busy and keep.is_edited(), timeout=10000)
        edited = window.document.audio
        window.region.set(6.0, 11.0)
        assert "kept edits" in feature.form.source_label.text()
        with qtbot.waitSignal(feature.controller.versions_ready, timeout=JOB_TIMEOUT_MS):
            job = _submit(qtbot, feature)
        job = feature.controller.job(job.id)
        assert job.source == str(song) and job.upload_path.endswith(".flac")
        assert job.upload_path.startswith(str(tmp_path / "cache" / "uploads"))
        (uploaded,) = [p for p in srv.store.upload_dir(job.task_id).iterdir()]
        sent = load_audio(uploaded)  # what the server got: the song as edited
        assert np.allclose(sent.samples, edited.samples, atol=1e-3)
        assert song.stat().st_size != uploaded.stat().st_size  # not the file on disk
        # the job is done: its copy of the edited song is not kept in the cache
        qtbot.waitUntil(lambda: not os.path.exists(job.upload_path), timeout=5000)


def test_a_song_opened_from_an_address_can_be_sent_as_audio_url(qtbot, jobs_window, tmp_path,
                                                                song):
    import functools
    import http.server
    import shutil
    import threading

    served = tmp_path / "www"
    served.mkdir()
    shutil.copy(song, served / "song.wav")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/song.wav"
    window = jobs_window
    try:
        with counting_server(tmp_path / "ext") as (srv, log):
            feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
            with qtbot.waitSignal(window.document.loaded, timeout=JOB_TIMEOUT_MS):
                feature.open_url(url)
            form = feature.form
            assert form.context.source == url and not form.send_url.isHidden()
            drag(qtbot, window.detail.plot_widget, 6.0, 11.0, y=0.5)
            QTest.keyClicks(form.prompt, "brass")
            form.send_url.setChecked(True)
            assert url in form.source_label.text()
            with qtbot.waitSignal(feature.controller.versions_ready, timeout=JOB_TIMEOUT_MS):
                job = _submit(qtbot, feature)
            job = feature.controller.job(job.id)
            assert job.source == url and job.upload_path == ""
            assert len(window.lanes.lanes) == 2  # aligned against the copy on screen
            assert srv.store.get(job.task_id)["request"]["audio_url"] == url
    finally:
        httpd.shutdown()


def test_an_edited_upload_stopped_while_written_is_written_on_resume(qtbot, jobs_window, tmp_path,
                                                                    song):
    from inpaint_studio.core.cancel import Cancelled
    from inpaint_studio.core.encode import encode_audio

    window = jobs_window
    with counting_server(tmp_path / "ext") as (srv, log):
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        load(qtbot, window, song)
        c = feature.controller
        writes = []

        def write(target, token):  # the keep feature's writer of the song as edited
            writes.append(target)
            if len(writes) == 1:
                raise Cancelled()  # stopped (Cancel, or quit) while it was being written
            encode_audio(window.document.audio, target, token=token)

        job = c.submit({"prompt": "warm piano", "num_outputs": 2}, source=str(song), start=6.0,
                       end=11.0, write_upload=write)
        qtbot.waitUntil(lambda: not c.is_running(job.id), timeout=JOB_TIMEOUT_MS)
        assert c.job(job.id).stage is Stage.CREATED and log.submits() == 0
        c.resume(job.id)  # the edited song is written this time, then sent once
        done = _wait_stage(qtbot, feature, job.id, {Stage.DONE, Stage.FAILED})
        assert done.stage is Stage.DONE, done.message
        assert len(writes) == 2 and log.submits() == 1

        # After a restart the writer is gone: a job whose edited song was never written says so
        # (nothing was sent) instead of failing on a missing file at every retry.
        lost = c.store.create(backend=MUSICGPT, base_url=srv.base_url, source=str(song),
                              upload_path=str(tmp_path / "cache" / "uploads" / "never.flac"),
                              start=6.0, end=11.0, params={"prompt": "warm piano"})
        c.resume(lost.id)
        failed = _wait_stage(qtbot, feature, lost.id, {Stage.FAILED, Stage.DONE})
        assert failed.stage is Stage.FAILED and failed.error_kind == "UploadMissing"
        assert "nothing was sent" in failed.message and log.submits() == 1


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.parametrize("case", ["refused", "no-answer"])
def test_an_unreachable_or_silent_server_is_shown_in_words(qtbot, jobs_window, tmp_path, song,
                                                          case):
    window = jobs_window
    with counting_server(tmp_path / "ext") as (srv, log):
        if case == "refused":  # nothing listens at the address: the job was never sent
            base_url = f"http://127.0.0.1:{_closed_port()}/api/public"
            stage, words = Stage.FAILED, "connection was refused"
        else:  # the upload went out and no answer came in time: it may exist, never resent
            base_url = srv.base_url
            srv.faults.latency_s = 3.0
            stage, words = Stage.UNKNOWN, "did not answer within 1 s"
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=base_url,
                           client_options={"timeout": 1.0})
        _select_and_describe(qtbot, window, feature, song)
        job = _wait_stage(qtbot, feature, _submit(qtbot, feature).id, {stage})
        assert words in job.message
        assert window.errors.history and words in window.errors.history[-1][1]
        assert log.submits() == (0 if case == "refused" else 1)
        srv.faults.latency_s = 0.0


def test_a_job_whose_song_changed_before_its_upload_was_written_fails_unsent(
        qtbot, jobs_window, tmp_path, song):
    from inpaint_studio.services.edit_session import SongChanged

    window = jobs_window
    with counting_server(tmp_path / "ext") as (srv, log):
        feature = _install(window, tmp_path, kind=MUSICGPT, key=KEY, base_url=srv.base_url)
        load(qtbot, window, song)

        def stale(target, token):
            raise SongChanged()

        c = feature.controller
        job = c.submit({"prompt": "warm piano"}, source=str(song), start=6.0, end=11.0,
                       write_upload=stale)
        failed = _wait_stage(qtbot, feature, job.id, {Stage.FAILED, Stage.DONE})
        assert failed.stage is Stage.FAILED and "nothing was sent" in failed.message
        assert log.submits() == 0
        assert window.errors.history and "Submit again" in window.errors.history[-1][1]


def test_reopening_a_song_restores_its_latest_jobs_fields(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    store = JobStore(tmp_path / "jobs.sqlite3")
    store.create(backend=LOCAL, base_url="", source=str(song), upload_path=str(song), start=6.0,
                 end=11.0, params={"prompt": "an older idea", "num_outputs": 2})
    store.create(backend=LOCAL, base_url="", source=str(song), upload_path=str(song), start=6.0,
                 end=11.0, params={"prompt": "warm piano with strings", "num_outputs": 1,
                                   "title": "Take two", "lyrics": "la la"})
    feature = _install(window, tmp_path, store=store)
    form = feature.form
    assert form.prompt.toPlainText() == ""
    load(qtbot, window, song)
    assert form.prompt.toPlainText() == "warm piano with strings"
    assert form.versions.value() == 1 and form.title.text() == "Take two"
    assert form.lyrics.toPlainText() == "la la"


def test_progress_in_words_and_a_bar_and_no_raw_task_id(qtbot, jobs_window, tmp_path, song):
    window = jobs_window
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create(backend=LOCAL, base_url="", source=str(song), upload_path=str(song),
                       start=6.0, end=11.0, params={"prompt": "warm piano"})
    store.transition(job.id, None, Stage.SUBMITTING)
    feature = _install(window, tmp_path, store=store)
    c, jobs = feature.controller, feature.list
    c.job_changed.emit(store.get(job.id))  # this session saw it being sent ...
    task = "0f3c9a4e-5b7d-4e21-9c3a-1d2e3f4a5b6c"
    accepted = store.transition(job.id, None, Stage.QUEUED, task_id=task, eta=73,
                                credit_estimate=0.12, submitted_at=time.time() - 28)
    c.job_changed.emit(accepted)  # ... and accepted
    message = window.statusBar().currentMessage()
    assert message.startswith("Job accepted on this computer; ready in about 1:13")
    assert task not in message and "estimate" not in message and "0.12" not in message
    # a bar for the wait, elapsed of expected
    bar = jobs.progress_bar(job.id)
    assert bar is not None and not bar.isHidden()
    assert bar.format().endswith("of ~1:13") and 350 <= bar.value() <= 450
    # the task id only on request, from the job's context menu
    jobs.select(job.id)
    menu = jobs.context_menu()
    assert [a.text() for a in menu.actions()] == ["Copy task id"]
    assert jobs.copy_task_action.isEnabled()
    jobs.copy_task_action.trigger()
    assert QApplication.clipboard().text() == task
    # no known length (done): no bar
    c.job_changed.emit(store.transition(job.id, None, Stage.DONE))
    assert jobs.progress_bar(job.id) is None
