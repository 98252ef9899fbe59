"""Issue 13, finding 5, through the real window (offscreen, the local server on loopback): the
app's jobs run the checks of `inpaint-studio submit` in the job's worker before anything is
uploaded, with the limits of the server actually used. A refusal names the backend, nothing
reaches the server (its requests are counted), and the form keeps what was typed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from inpaint_studio.backends.backend import Backends, BackendSettings
from inpaint_studio.server import runner as server_runner
from inpaint_studio.server.config import ServerConfig
from inpaint_studio.services.job_controller import JobStore, Stage
from tests.gui.conftest import drag, install_all, load
from tests.gui.test_jobs_gui import FAST_POLLING, FixedKey, _wait_stage
from tests.jobs.support import RequestLog, _Counting, engine_pool, odd_songs

PROMPT = "warm piano with strings"


@pytest.fixture(scope="module")
def songs(tmp_path_factory):
    # the truncated MP3: 13 s of a song that says 20 s
    return odd_songs(tmp_path_factory.mktemp("preflight-gui"), seconds=20.0, keep=2 / 3)


@pytest.fixture
def requests_seen(monkeypatch):
    """Every request the local server started in the test answers, by method and path."""
    log = RequestLog()
    original = server_runner.create_app
    monkeypatch.setattr(server_runner, "create_app", lambda state: _Counting(original(state),
                                                                             log))
    return log


@pytest.fixture
def jobs(qtbot, window, tmp_path, requests_seen):
    made = []

    def install(config=None):
        backends = Backends(BackendSettings(kind="local"), FixedKey(None),
                            server_dir=tmp_path / "server", server_engine="quick",
                            server_engine_pool=engine_pool(),
                            server_config=config, client_options=FAST_POLLING)
        services, features = install_all(window, tmp_path, keys=FixedKey(None),
                                         backends=backends,
                                         job_store=JobStore(tmp_path / "jobs.sqlite3"))
        made.append(services)
        # the local server runs (started in a worker, as the app starts it)
        features.jobs.prepare()
        qtbot.waitUntil(lambda: backends.local_running, timeout=30000)
        return features.jobs

    yield install
    for services in made:
        services.jobs.shutdown()


def _submit(qtbot, window, feature, song, t0, t1):
    if song is not None:  # None: the song on screen
        load(qtbot, window, song)
    drag(qtbot, window.detail.plot_widget, t0, t1, y=0.5)
    assert window.region.region is not None
    QTest.keyClicks(feature.form.prompt, PROMPT)
    c = feature.controller
    with qtbot.waitSignal(c.job_added, timeout=5000) as added:
        QTest.mouseClick(feature.form.submit_button, Qt.MouseButton.LeftButton)
    job = added.args[0]
    return job


def _refused(qtbot, window, feature, song, t0, t1, requests_seen, words):
    job = _submit(qtbot, window, feature, song, t0, t1)
    job = _wait_stage(qtbot, feature, job.id, {Stage.FAILED})
    assert job.error_kind == "Refused" and job.submit_attempts == 0
    assert words.lower() in job.message.lower() and "Nothing was sent" in job.message
    assert "MusicGPT" not in job.message
    # the user is told, in words that name the backend
    assert [t for t, m in window.errors.history if words.lower() in m.lower()] == ["Job failed"]
    # nothing reached the server: no submit, no upload
    assert requests_seen.submits() == 0
    assert not [k for k in requests_seen.counts if k[0] == "POST"]
    # the form keeps what was typed, so the musician can change the region and send it again
    assert feature.form.prompt.toPlainText() == PROMPT
    assert feature.form.submit_button.isEnabled()


def test_a_too_short_region_is_refused_before_any_upload(qtbot, window, jobs, songs,
                                                         requests_seen):
    feature = jobs()
    _refused(qtbot, window, feature, songs["wav"], 6.0, 7.0, requests_seen,
             "The local backend fills regions of at least 3 s")


def test_a_truncated_mp3_is_refused_before_any_upload(qtbot, window, jobs, songs,
                                                      requests_seen, tmp_path):
    """The window will not open a cut MP3; the file is cut after it was opened (a sync client
    rewriting it, a copy over it): the job's worker reads the file it would send, and refuses."""
    feature = jobs()
    song = tmp_path / "song.mp3"
    song.write_bytes(songs["mp3"].read_bytes())
    load(qtbot, window, song)
    song.write_bytes(songs["truncated"].read_bytes())
    _refused(qtbot, window, feature, None, 4.0, 9.0, requests_seen, "cut short")


def test_the_limits_are_those_of_the_running_server(qtbot, window, jobs, songs, requests_seen):
    """A server started with a 4-s region cap refuses a 5-s region, here, before the upload
    (a default ServerConfig has no cap: the check must read the running server's)."""
    feature = jobs(ServerConfig(region_max_s=4.0))
    _refused(qtbot, window, feature, songs["wav"], 6.0, 11.0, requests_seen,
             "The local backend fills regions of at most 4 s")


def test_a_six_channel_song_is_sent_as_a_stereo_downmix_with_a_note(qtbot, window, jobs, songs,
                                                                    requests_seen):
    feature = jobs()
    notes = []
    feature.controller.job_note.connect(lambda _j, text: notes.append(text))
    job = _submit(qtbot, window, feature, songs["six"], 6.0, 11.0)
    job = _wait_stage(qtbot, feature, job.id, {Stage.DONE})
    assert [n for n in notes if "6 channels" in n and "stereo down-mix" in n]
    assert requests_seen.submits() == 1
    assert job.upload_path != str(songs["six"]) and len(job.results) == 2
