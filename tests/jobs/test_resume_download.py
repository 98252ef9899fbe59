"""Issue 13, finding 4: a job whose result download failed (the host kept failing, the retry
policy gave up) could not be resumed by a plain `resume` ("Nothing to resume"). It now is: the
versions not yet downloaded are fetched, the submit is not repeated."""

from __future__ import annotations

from inpaint_studio import cli
from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.jobs.lifecycle import JobLifecycle
from inpaint_studio.jobs.store import JobStore, Stage
from tests.jobs.support import KEY


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


def test_plain_resume_fetches_the_results_of_a_failed_download(server, song, tmp_path,
                                                               studio_home, capsys, monkeypatch):
    srv, log = server
    store_path = tmp_path / "jobs.sqlite3"
    store = JobStore(store_path)
    job = store.create(backend="musicgpt", base_url=srv.base_url, source=str(song),
                       upload_path=str(song), start=6.0, end=11.0,
                       params={"prompt": "warm piano", "num_outputs": 2})
    srv.faults.paths = ("/files/",)
    srv.faults.server_error_next, srv.faults.server_error_status = 1_000_000, 500
    with MusicGPTClient(srv.base_url, KEY, min_poll_interval=0.05, max_poll_interval=0.2,
                        retry=RetryPolicy(sleep=_instant)) as client:
        list(JobLifecycle(store, client, tmp_path / "cache").run(job.id))
    failed = store.get(job.id)
    assert failed.stage is Stage.FAILED and "HTTP 500" in failed.message
    srv.faults.clear()  # the host is back
    monkeypatch.setenv("MUSICGPT_API_KEY", KEY)
    code = cli.main(["resume", "--store", str(store_path), "-q"])
    out = capsys.readouterr()
    assert code == 0, out.err
    done = store.get(job.id)
    assert done.stage is Stage.DONE and all(r.path for r in done.results)
    assert log.submits() == 1
