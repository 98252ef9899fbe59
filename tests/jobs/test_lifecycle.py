"""The headless lifecycle over real loopback HTTP: persist → submit → poll → download → verify →
align, resumable from every persisted stage, never submitting twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from inpaint_studio.api import errors as api_errors
from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.core.decode import load_audio
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.recovery import attach_task, check_again, reset_for_retry
from inpaint_studio.jobs.store import Stage
from inpaint_studio.server.config import ServerConfig
from tests.jobs.support import KEY, counting_server

PARAMS = {"prompt": "warm piano", "num_outputs": 2}


def _job(store, song, **params):
    return store.create(backend="musicgpt", base_url="x", source=str(song),
                        upload_path=str(song), start=6.0, end=11.0, params={**PARAMS, **params})


def _drain(runner, job_id, token=None, stop_at=None):
    events = []
    gen = runner.run(job_id, token or CancelToken())
    try:
        for ev in gen:
            events.append(ev)
            if stop_at is not None and ev.kind == "stage" and ev.job.stage is stop_at:
                gen.close()  # the app stops here (quit, crash): the next run resumes
                break
    except Cancelled:
        pass
    return events


def test_a_whole_job_runs_to_two_aligned_versions(store, client, server, song, tmp_path):
    _, log = server
    job = _job(store, song)
    progress = []
    runner = JobLifecycle(store, client, tmp_path / "cache", on_progress=progress.append)
    events = _drain(runner, job.id)
    stages = [e.job.stage for e in events if e.kind == "stage"]
    assert stages[0] is Stage.SUBMITTING and stages[-1] is Stage.DONE
    order = [Stage.SUBMITTING, Stage.QUEUED, Stage.DOWNLOADING, Stage.ALIGNING, Stage.DONE]
    assert [s for s in dict.fromkeys(stages) if s in order] == order
    assert Stage.PARTIAL in stages  # version 1 was ready before version 2
    done = store.get(job.id)
    assert done.task_id and done.submitted_at and done.eta and done.submit_attempts == 1
    assert [r.index for r in done.results] == [1, 2]
    original = load_audio(song)
    for r in done.results:
        assert Path(r.path).is_file() and Path(r.path).is_relative_to(tmp_path / "cache")
        assert r.aligned["offset"] == 0 and r.aligned["confidence"] > 0.9
        assert r.midi_url == r.midi_path == ""  # the quick engine offers no MIDI
    versions = [e for e in events if e.kind == "version"]
    assert [v.index for v in versions] == [1, 2]
    assert all(v.audio.frames == original.frames for v in versions)
    uploads = [p for p in progress if p.kind == "upload"]
    assert uploads and uploads[-1].done == uploads[-1].total > song.stat().st_size
    assert {p.index for p in progress if p.kind == "download"} == {1, 2}
    assert log.submits() == 1
    assert sorted(log.downloads().values()) == [1, 1]


@pytest.mark.parametrize("stop_at", [Stage.QUEUED, Stage.PARTIAL, Stage.DOWNLOADING,
                                     Stage.ALIGNING])
def test_a_stopped_run_resumes_without_a_second_submit(store, client, server, song, tmp_path,
                                                      stop_at):
    _, log = server
    job = _job(store, song)
    runner = JobLifecycle(store, client, tmp_path / "cache")
    _drain(runner, job.id, stop_at=stop_at)
    assert store.get(job.id).stage is stop_at
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    done = store.get(job.id)
    assert done.stage is Stage.DONE and done.submit_attempts == 1
    assert log.submits() == 1
    assert all(n == 1 for n in log.downloads().values()) and len(log.downloads()) == 2
    # a third run finds nothing to do: no request at all
    before = sum(log.counts.values())
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert sum(log.counts.values()) == before


def test_a_crash_during_submit_is_outcome_unknown_never_resent(store, client, server, song,
                                                               tmp_path):
    _, log = server
    job = _job(store, song)
    store.transition(job.id, [Stage.CREATED], Stage.SUBMITTING)  # as a killed process leaves it
    events = _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    unknown = store.get(job.id)
    assert unknown.stage is Stage.UNKNOWN and "not known" in unknown.message
    assert log.submits() == 0 and events[-1].job.stage is Stage.UNKNOWN
    # the user retries knowingly
    reset_for_retry(store, job.id)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert store.get(job.id).stage is Stage.DONE and log.submits() == 1


def test_a_dropped_submit_answer_is_unknown_and_the_found_task_can_be_attached(
        store, client, server, song, tmp_path):
    srv, log = server
    srv.faults.drop_next = 1
    srv.faults.paths = ("/v1/inpaint",)
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    unknown = store.get(job.id)
    assert unknown.stage is Stage.UNKNOWN and log.submits() == 1
    assert "may have reached" in unknown.message
    # the job did reach the server: the user finds its task and follows it
    (task_id,) = srv.store.all_ids()
    attach_task(store, job.id, task_id)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert store.get(job.id).stage is Stage.DONE and log.submits() == 1


def test_a_rejected_key_fails_with_a_readable_reason(store, server, song, tmp_path):
    srv, log = server
    bad = MusicGPTClient(srv.base_url, "wrong-key")
    job = _job(store, song)
    _drain(JobLifecycle(store, bad, tmp_path / "cache"), job.id)
    failed = store.get(job.id)
    assert failed.stage is Stage.FAILED and failed.error_kind == "AuthError"
    assert "rejected the API key" in failed.message


def test_a_failed_task_reports_the_servers_reason(store, client, server, song, tmp_path):
    srv, _ = server
    srv.faults.fail_jobs = "the engine found no material that fits"
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    failed = store.get(job.id)
    assert failed.stage is Stage.FAILED and "no material that fits" in failed.message
    assert failed.error_kind == "TaskFailed"


def test_polling_survives_server_errors_and_rate_limits(store, client, server, song, tmp_path):
    srv, log = server
    srv.faults.paths = ("/v1/byId",)
    srv.faults.server_error_next = 2
    srv.faults.rate_limit_next = 1
    srv.faults.rate_limit_retry_after = 0.2
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert store.get(job.id).stage is Stage.DONE and log.submits() == 1


def test_a_truncated_result_fails_the_download_and_can_be_fetched_again(store, client, server,
                                                                         song, tmp_path):
    srv, _ = server
    srv.faults.truncate_results = True
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    failed = store.get(job.id)
    assert failed.stage is Stage.FAILED and failed.message.startswith("Version 1 could not")
    assert failed.error_kind == "DownloadError"


def test_cancel_stops_waiting_and_resume_finishes(store, client, server, song, tmp_path):
    srv, log = server
    srv.config.version_delay_s = 1.5
    job = _job(store, song)
    token = CancelToken()
    runner = JobLifecycle(store, client, tmp_path / "cache")
    with pytest.raises(Cancelled):
        for ev in runner.run(job.id, token):
            if ev.job.stage is Stage.PARTIAL:
                token.cancel()
    stopped = store.get(job.id)
    assert stopped.stage is Stage.PARTIAL and stopped.task_id
    assert store.holder(job.id) is None  # the lease was released: anyone may resume it
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert store.get(job.id).stage is Stage.DONE and log.submits() == 1


def test_a_job_past_its_deadline_fails_and_can_be_checked_again(store, client, server, song,
                                                                tmp_path):
    srv, log = server
    srv.config.version_delay_s = 1.0
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache", poll_deadline_s=0.5), job.id)
    stalled = store.get(job.id)
    assert stalled.stage is Stage.FAILED and stalled.error_kind == "ApiTimeout"
    assert "has not finished" in stalled.message
    check_again(store, job.id)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert store.get(job.id).stage is Stage.DONE and log.submits() == 1


def test_the_lease_is_renewed_during_upload_download_and_alignment(store, client, song,
                                                                    tmp_path, monkeypatch):
    # A lease left to lapse during a long transfer lets another process take the job over and
    # write the same partial files; so every long step renews it, not only polls.
    from inpaint_studio.jobs import lifecycle

    monkeypatch.setattr(lifecycle, "LEASE_S", 0.0)  # no throttling: every chance renews
    stages_at_renewal = []
    renew = store.renew

    def spy(job_id, pid=None):
        stages_at_renewal.append(store.get(job_id).stage)
        renew(job_id, pid)

    monkeypatch.setattr(store, "renew", spy)
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id)
    assert store.get(job.id).stage is Stage.DONE
    seen = set(stages_at_renewal)
    assert {Stage.SUBMITTING, Stage.DOWNLOADING, Stage.ALIGNING} <= seen, seen


class _BreaksWhileSending:
    """Stands in for MusicGPT's client: the POST dies of a non-API error after `sent` bytes."""

    def __init__(self, sent: int) -> None:
        self.sent = sent

    def submit_inpaint(self, req, progress=None, token=None):
        if self.sent:
            progress(self.sent, 1000)
        raise RuntimeError("an unexpected bug")


@pytest.mark.parametrize(("sent", "stage"), [(0, Stage.FAILED), (400, Stage.UNKNOWN)])
def test_an_unexpected_error_after_bytes_left_is_an_unknown_outcome(store, song, tmp_path,
                                                                     sent, stage):
    # Only a submit that certainly sent nothing may look safe to send again.
    job = _job(store, song)
    _drain(JobLifecycle(store, _BreaksWhileSending(sent), tmp_path / "cache"), job.id)
    after = store.get(job.id)
    assert after.stage is stage and after.submit_attempts == 1


def test_a_job_stopped_while_downloading_finishes_from_a_server_on_a_new_port(store, song,
                                                                             tmp_path):
    # The app's local server listens on a new port each start, so the result addresses saved
    # with a job stopped mid-download point at a server that is gone. The resumed run reads
    # the task again and fetches from the server that answers now.
    data = tmp_path / "server"
    with counting_server(data, config=ServerConfig(version_delay_s=0.0)) as (first, _):
        old_port = first.port
        with MusicGPTClient(first.base_url, KEY, min_poll_interval=0.2) as c1:
            job = _job(store, song)
            _drain(JobLifecycle(store, c1, tmp_path / "cache"), job.id, stop_at=Stage.DOWNLOADING)
    stopped = store.get(job.id)
    assert stopped.stage is Stage.DOWNLOADING and not any(r.path for r in stopped.results)
    assert all(f":{old_port}/" in r.url for r in stopped.results)
    with counting_server(data) as (second, log):
        new_port = second.port
        assert new_port != old_port
        with MusicGPTClient(second.base_url, KEY, min_poll_interval=0.2) as c2:
            _drain(JobLifecycle(store, c2, tmp_path / "cache"), job.id)
    done = store.get(job.id)
    assert done.stage is Stage.DONE, done.message
    assert log.submits() == 0 and sorted(log.downloads().values()) == [1, 1]
    assert all(f":{new_port}/" in r.url for r in done.results)
    # named by the server's conversion ids, never by the address's path
    assert sorted(Path(r.path).stem for r in done.results) == sorted(done.conversion_ids)


def test_a_version_whose_wav_is_gone_is_fetched_as_mp3(store, client, server, song, tmp_path):
    # WAVs are kept for a shorter time than MP3s (API notes): a WAV that 404s falls back to
    # the same version's MP3 instead of failing the job.
    _, log = server
    job = _job(store, song)
    _drain(JobLifecycle(store, client, tmp_path / "cache"), job.id, stop_at=Stage.DOWNLOADING)
    stopped = store.get(job.id)
    for res in stopped.results:
        assert res.url.endswith(".wav") and res.alt_url.endswith(".mp3")
        res.url = res.url.replace(".wav", "-expired.wav")
        store.set_result(job.id, res)

    class NoRefresh(MusicGPTClient):  # keep the expired addresses: test the fallback alone
        def get_task(self, task_id, *, token=None):
            raise api_errors.ServerError("down for the test", status=503)

    with NoRefresh(client.base_url, KEY) as c:
        _drain(JobLifecycle(store, c, tmp_path / "cache"), job.id)
    done = store.get(job.id)
    assert done.stage is Stage.DONE, done.message
    assert all(Path(r.path).suffix == ".mp3" for r in done.results)
    assert all(load_audio(r.path).frames > 0 for r in done.results)
