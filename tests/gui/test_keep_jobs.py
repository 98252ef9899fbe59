"""Keep with the real jobs feature and the local server (loopback HTTP, quick engine): a finished
job offers its versions, one is kept, the next job uploads the edited song, and the project
records the jobs."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_studio.backends.backend import Backends, BackendSettings
from inpaint_studio.backends.keystore import KeyStore
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.heard_span import MAX_EXTEND_S
from inpaint_studio.services.job_controller import Stage
from tests.gui.conftest import install_all, load
from tests.jobs.support import engine_pool, make_song

TIMEOUT_MS = 60000


class NoKey(KeyStore):
    """No key: the local backend. Never touches a keyring or a file."""

    def __init__(self) -> None:
        self.keyring_ok, self.keyring_problem = False, "no keyring in tests"
        self.file_path = None

    def get(self) -> str | None:
        return None

    def has_key(self) -> bool:
        return False


@pytest.fixture
def both(window, tmp_path):
    backends = Backends(BackendSettings(kind="", base_url="https://x.invalid"), NoKey(),
                        server_dir=tmp_path / "server", server_engine="quick",
                        server_engine_pool=engine_pool())
    services, features = install_all(window, tmp_path, keys=NoKey(), backends=backends)
    yield window, features.jobs, features.keep
    services.jobs.shutdown()


def run_job(qtbot, jobs, region):
    fields = {"prompt": "warm piano", "num_outputs": 2}
    job = jobs.controller.submit(fields, source=jobs.source()[0], start=region[0],
                                 end=region[1], upload_path=jobs.source()[1],
                                 write_upload=(jobs.edits.upload_writer()
                                               if jobs.edits.is_edited() else None),
                                 reference=jobs.window.document.audio)
    qtbot.waitUntil(lambda: jobs.controller.job(job.id).stage is Stage.DONE
                    and not jobs.controller.is_running(job.id), timeout=TIMEOUT_MS)
    return jobs.controller.job(job.id)


@pytest.mark.slow
def test_versions_from_a_job_are_kept_and_the_next_job_uploads_the_edit(qtbot, both, tmp_path):
    window, jobs, keep = both
    load(qtbot, window, make_song(tmp_path / "song.wav", seconds=20.0))
    window.region.set(6.0, 10.0)
    assert not jobs.edits.is_edited()
    job = run_job(qtbot, jobs, (6.0, 10.0))
    with qtbot.waitSignal(keep.session.offers_changed, timeout=TIMEOUT_MS):
        jobs.show_job(job.id)
    qtbot.waitUntil(lambda: len(keep.session.offers) == 2, timeout=TIMEOUT_MS)
    assert keep.session.offers[1].source["job"] == job.id
    assert keep.keep_actions[1].isEnabled() and keep.keep_actions[2].isEnabled()
    before = window.document.audio.samples.copy()
    keep.keep_actions[2].trigger()
    qtbot.waitUntil(lambda: not keep.session.busy and keep.session.is_edited(), timeout=10000)
    rate = window.document.audio.sample_rate
    # The keep splices the region, widened at an edge only to where the version audibly departs
    # from the song (heard_span, at most MAX_EXTEND_S plus its margin): the version's audio comes
    # back through MP3 and alignment, so where that is varies with the server's seed.
    plan = keep.session.latest_keep().plan
    reach = round((MAX_EXTEND_S + 0.1) * rate)
    assert round(6.0 * rate) - reach <= plan.lo <= round(6.0 * rate)
    assert round(10.0 * rate) <= plan.hi <= round(10.0 * rate) + reach
    lo, hi = plan.lo, plan.hi
    assert np.array_equal(window.document.audio.samples[:, :lo], before[:, :lo])
    assert np.array_equal(window.document.audio.samples[:, hi:], before[:, hi:])
    assert not np.array_equal(window.document.audio.samples, before)
    assert jobs.edits.is_edited()

    # The next job sends the song as edited, not the file on disk.
    edited = window.document.audio.samples.copy()
    window.region.set(14.0, 17.0)
    second = run_job(qtbot, jobs, (14.0, 17.0))
    assert second.upload_path != jobs.source()[1]
    (uploaded,) = jobs.backends.local_server().store.upload_dir(second.task_id).iterdir()
    sent = load_audio(uploaded)  # what the server got
    assert np.max(np.abs(sent.samples - edited)) < 1e-4

    # The project records both jobs as plain data, with their server ids and result files.
    project = keep.projects.snapshot()
    recorded = {j["id"]: j for j in project.jobs}
    assert set(recorded) == {job.id, second.id}
    assert recorded[job.id]["task_id"] == job.task_id and recorded[job.id]["results"]
    kept = [e for e in project.edits if e["kind"] == "keep"]
    assert kept[-1]["source"]["job"] == job.id and kept[-1]["source"]["version"] == 2
