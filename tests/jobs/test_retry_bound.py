"""The documented bound of the one retry policy (api.retry), for a whole job over loopback HTTP:
against a server that keeps answering 503 a job gives up after at most 12 requests, saying 503.
The policy is the real default one except for its sleep, which returns at once (no waiting)."""

from __future__ import annotations

import pytest

from inpaint_studio.api import errors as api_errors
from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.store import Stage
from tests.jobs.support import KEY

MAX_REQUESTS = 12  # the bound the retry policy's docstring promises for a job


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


def _client(srv) -> MusicGPTClient:
    return MusicGPTClient(srv.base_url, KEY, min_poll_interval=0.2, max_poll_interval=0.5,
                          retry=RetryPolicy(sleep=_instant))


def _job(store, song):
    return store.create(backend="musicgpt", base_url="x", source=str(song),
                        upload_path=str(song), start=6.0, end=11.0,
                        params={"prompt": "warm piano", "num_outputs": 2})


def _always_503(srv, *paths: str) -> None:
    srv.faults.paths = paths
    srv.faults.server_error_next, srv.faults.server_error_status = 1_000_000, 503


def test_a_job_whose_polls_always_get_503_stops_within_the_bound(store, server, song, tmp_path):
    srv, log = server
    _always_503(srv, "/v1/byId")
    job = _job(store, song)
    events = []
    with _client(srv) as client, pytest.raises(api_errors.ServerError):
        for event in JobLifecycle(store, client, tmp_path / "cache").run(job.id):
            events.append(event)
    total = sum(log.counts.values())
    assert total <= MAX_REQUESTS
    assert log.submits() == 1  # the rest were polls, each retried in one place only
    assert total == 1 + RetryPolicy().attempts
    stopped = store.get(job.id)
    assert "HTTP 503" in stopped.message and stopped.error_kind == "ServerError"
    assert stopped.stage is Stage.QUEUED and stopped.task_id  # resumable: Resume polls again
    assert events[-1].kind == "retry" and "HTTP 503" in events[-1].note


def test_a_job_against_a_server_that_always_answers_503_fails_on_its_one_submit(
        store, server, song, tmp_path):
    srv, log = server
    _always_503(srv)  # every request, the paid POST included
    job = _job(store, song)
    with _client(srv) as client:
        list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    failed = store.get(job.id)
    assert sum(log.counts.values()) == 1  # the POST is never retried automatically
    assert failed.stage is Stage.FAILED and "HTTP 503" in failed.message


def test_a_result_host_that_always_answers_503_is_not_retried_above_the_policy(
        store, server, song, tmp_path):
    srv, log = server
    _always_503(srv, "/files/")
    job = _job(store, song)
    with _client(srv) as client:
        list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    failed = store.get(job.id)
    assert failed.stage is Stage.FAILED and failed.message.startswith("Version 1 could not")
    assert "HTTP 503" in failed.message
    # Version 1's WAV was tried as often as the policy says; not its MP3, not after a re-read.
    assert list(log.downloads().values()) == [RetryPolicy().attempts]
    assert next(iter(log.downloads())).endswith(".wav")
