"""Issue 13, finding 4: a job whose server never finishes was polled for an hour with no sign of
life. A run now stops waiting after no progress for three times the server's estimate (at least
10 minutes), says so, and leaves the job in flight for a plain `resume`. The lifecycle's clock is
injected (each reading 60 s later than the last), so nothing here waits for real minutes."""

from __future__ import annotations

import itertools

from inpaint_studio.api.client import MusicGPTClient
from inpaint_studio.api.retry import RetryPolicy
from inpaint_studio.core.cancel import CancelToken
from inpaint_studio.jobs.lifecycle import STALL_MIN_S, JobLifecycle
from inpaint_studio.jobs.store import Stage
from tests.jobs.support import KEY


def _instant(seconds: float, token: CancelToken) -> bool:
    return token.cancelled


def test_a_task_that_never_progresses_stops_the_run_with_a_clear_message(store, server, song,
                                                                          tmp_path):
    srv, log = server
    srv.faults.never_finish = True
    job = store.create(backend="musicgpt", base_url="x", source=str(song),
                       upload_path=str(song), start=6.0, end=11.0,
                       params={"prompt": "warm piano", "num_outputs": 2})
    ticks = itertools.count(0.0, 60.0)
    lifecycle = JobLifecycle(store, MusicGPTClient(srv.base_url, KEY, min_poll_interval=0.02,
                                                   max_poll_interval=0.05,
                                                   retry=RetryPolicy(sleep=_instant)),
                             tmp_path / "cache", clock=lambda: next(ticks))
    try:
        events = list(lifecycle.run(job.id))
    finally:
        srv.faults.never_finish = False
    stalled = store.get(job.id)
    assert lifecycle.stall_limit(stalled) == STALL_MIN_S  # the quick server's estimate is short
    assert stalled.stage in (Stage.QUEUED, Stage.IN_PROGRESS) and stalled.runnable
    assert "no progress" in stalled.message and "10 minutes" in stalled.message
    assert events[-1].kind == "retry" and "resume" in events[-1].note
    polls = log.counts[("GET", "/api/public/v1/byId")]
    assert polls <= STALL_MIN_S / 60 + 3  # one clock reading per poll: it stopped on time
    assert log.submits() == 1
