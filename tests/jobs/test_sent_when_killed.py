"""Issue 13, finding 4: a local job whose app died while it was being sent stayed "outcome
unknown" although the local server could tell. The app now sends its job id with a local
submit; a job found in SUBMITTING asks the local server for its task and is followed (the
server had it) or sent again (it had not) — never two tasks, over loopback HTTP. MusicGPT jobs
keep today's rule: never resent on their own."""

from __future__ import annotations

import pytest
import requests

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.jobs.lifecycle import JobLifecycle, request_for
from inpaint_studio.jobs.store import Stage
from tests.jobs.support import KEY, counting_server


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


@pytest.fixture
def local(tmp_path):
    with counting_server(tmp_path / "server") as (srv, log):
        yield srv, log


def _client(srv) -> MusicGPTClient:
    return MusicGPTClient(srv.base_url, KEY, min_poll_interval=0.05, max_poll_interval=0.2,
                          retry=RetryPolicy(sleep=_instant), name="The local backend")


def _killed_while_sending(store, song, backend="local"):
    """A job as a SIGKILL during its upload leaves it: saved, marked SUBMITTING."""
    job = store.create(backend=backend, base_url="local", source=str(song),
                       upload_path=str(song), start=6.0, end=11.0,
                       params={"prompt": "warm piano", "num_outputs": 2})
    return store.transition(job.id, [Stage.CREATED], Stage.SUBMITTING, submit_attempts=1)


def test_a_job_the_local_server_never_got_is_sent_again_on_its_own(store, song, local,
                                                                   tmp_path):
    srv, log = local
    job = _killed_while_sending(store, song)
    with _client(srv) as client:
        list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    done = store.get(job.id)
    assert done.stage is Stage.DONE, done.message
    assert log.submits() == 1 and len(srv.store.unfinished()) == 0


def test_a_job_the_local_server_got_is_followed_not_sent_again(store, song, local, tmp_path):
    srv, log = local
    job = _killed_while_sending(store, song)
    with _client(srv) as client:
        # the POST went out in full and the server made the task; the app died before the
        # answer was stored
        sent = client.submit_inpaint(request_for(job), client_job_id=job.id)
        list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    done = store.get(job.id)
    assert done.stage is Stage.DONE, done.message
    assert done.task_id == sent.task_id
    assert log.submits() == 1  # no second POST


def test_a_second_submit_of_the_same_job_returns_the_first_task(song, local):
    srv, log = local
    with _client(srv) as client:
        req = request_for(type("J", (), dict(upload_path=str(song), source=str(song),
                                              start=6.0, end=11.0,
                                              params={"prompt": "p"}))())
        first = client.submit_inpaint(req, client_job_id="job-abc")
        second = client.submit_inpaint(req, client_job_id="job-abc")
        other = client.submit_inpaint(req, client_job_id="job-xyz")
    assert first.task_id == second.task_id != other.task_id
    assert len(list((srv.store.root / "tasks").glob("*.json"))) == 2
    # the job id is looked up per key: another key finds nothing
    resp = requests.get(f"{srv.base_url}/v1/byId", headers={"Authorization": "wrong"},
                        params={"conversionType": "INPAINT", "client_job_id": "job-abc"},
                        timeout=30)
    assert resp.status_code in (401, 403)


def test_a_musicgpt_job_killed_while_sending_is_still_never_resent(store, song, local, tmp_path):
    srv, log = local
    job = _killed_while_sending(store, song, backend="musicgpt")
    with MusicGPTClient(srv.base_url, KEY, retry=RetryPolicy(sleep=_instant)) as client:
        list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    assert store.get(job.id).stage is Stage.UNKNOWN
    assert log.submits() == 0
