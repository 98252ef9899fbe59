"""The one worker pattern: signal order, partial results, cancellation, no lost signals."""

from __future__ import annotations

import threading
import time

import pytest

from inpaint_studio.core.cancel import Cancelled
from inpaint_studio.services.worker import Worker, WorkerPool


@pytest.fixture
def pool(qapp):
    p = WorkerPool()
    yield p
    p.cancel_all()
    p.wait_all(5000)


def test_generator_worker_signals_in_strict_order(qtbot, pool):
    def count(ctx, n):
        for i in range(n):
            ctx.progress(i, n)
            yield i
        return "done"

    w = Worker(count, 3)
    got = []
    w.partial.connect(got.append)
    with qtbot.waitSignals([w.started, w.returned, w.finished], order="strict", timeout=5000):
        pool.start(w)
    assert got == [0, 1, 2]


def test_run_then_connect_loses_no_signal_even_when_the_work_is_instant(qtbot, pool):
    results = []
    w = pool.run(lambda ctx: 42)
    time.sleep(0.05)  # the work would be long finished if it had started already
    w.returned.connect(results.append)
    qtbot.waitUntil(lambda: results == [42], timeout=5000)


def test_error_reaches_the_gui_thread_as_errored(qtbot, pool):
    main = threading.get_ident()
    seen = []

    def boom(ctx):
        raise ValueError("bad file")

    w = Worker(boom)
    w.errored.connect(lambda exc: seen.append((str(exc), threading.get_ident() == main)))
    with qtbot.waitSignal(w.finished, timeout=5000):
        pool.start(w)
    assert seen == [("bad file", True)]


def test_cancel_is_honoured_between_yields_within_100_ms(qtbot, pool):
    def forever(ctx):
        while True:
            time.sleep(0.01)
            yield None

    w = Worker(forever)
    ended = []
    w.cancelled.connect(lambda: ended.append(time.perf_counter()))
    w.returned.connect(lambda _: ended.append("returned"))
    with qtbot.waitSignal(w.started, timeout=5000):
        pool.start(w)
    t0 = time.perf_counter()
    w.cancel()
    qtbot.waitUntil(lambda: bool(ended), timeout=2000)
    assert isinstance(ended[0], float) and ended[0] - t0 < 0.1


def test_cancelled_before_start_ends_cancelled_without_running(qtbot, pool):
    ran = []
    w = pool.run(lambda ctx: ran.append(1))
    w.cancel()
    with qtbot.waitSignal(w.cancelled, timeout=5000):
        pass
    assert ran == []


def test_raising_cancelled_inside_the_work_is_a_cancel(qtbot, pool):
    def stop(ctx):
        raise Cancelled()

    w = Worker(stop)
    with qtbot.waitSignals([w.cancelled, w.finished], order="strict", timeout=5000):
        pool.start(w)
