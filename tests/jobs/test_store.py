"""The job store: persisted before sending, atomic transitions, leases, schema version."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from inpaint_studio.jobs.store import SCHEMA_VERSION, JobStore, Result, Stage, StaleTransition


def _new(store: JobStore, **kw):
    args = dict(backend="local", base_url="local", source="/songs/a.wav",
                upload_path="/songs/a.wav", start=1.0, end=7.5,
                params={"prompt": "warm piano", "num_outputs": 2})
    args.update(kw)
    return store.create(**args)


def test_create_and_read_back(tmp_path):
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = _new(store)
    again = JobStore(tmp_path / "jobs.sqlite3").get(job.id)
    assert again.stage is Stage.CREATED and again.prompt == "warm piano"
    assert (again.start, again.end) == (1.0, 7.5)
    assert again.params["num_outputs"] == 2 and again.results == []
    db = sqlite3.connect(tmp_path / "jobs.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_transition_is_atomic_and_guarded(tmp_path):
    store = JobStore(tmp_path / "j.db")
    job = _new(store)
    moved = store.transition(job.id, [Stage.CREATED], Stage.SUBMITTING, submit_attempts=1)
    assert moved.stage is Stage.SUBMITTING and moved.submit_attempts == 1
    with pytest.raises(StaleTransition):
        store.transition(job.id, [Stage.CREATED], Stage.SUBMITTING)
    with pytest.raises(ValueError):
        store.update(job.id, no_such_field=1)
    with pytest.raises(KeyError):
        store.get("nope")


def _race(path, job_id, queue):
    store = JobStore(path)
    try:
        store.transition(job_id, [Stage.CREATED], Stage.SUBMITTING)
        queue.put("won")
    except StaleTransition:
        queue.put("lost")


def test_only_one_process_can_claim_the_submit(tmp_path):
    path = tmp_path / "j.db"
    job = _new(JobStore(path))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(path, job.id, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    outcomes = sorted(queue.get(timeout=5) for _ in procs)
    assert outcomes == ["lost", "lost", "lost", "won"]


def test_results_replace_by_index(tmp_path):
    store = JobStore(tmp_path / "j.db")
    job = _new(store)
    store.set_result(job.id, Result(index=2, url="http://x/2.mp3"))
    store.set_result(job.id, Result(index=1, url="http://x/1.mp3"))
    job = store.set_result(job.id, Result(index=2, url="http://x/2.mp3", path="/c/2.mp3"))
    assert [(r.index, r.path) for r in job.results] == [(1, ""), (2, "/c/2.mp3")]


def test_lease_blocks_a_live_holder_but_not_a_dead_one(tmp_path):
    store = JobStore(tmp_path / "j.db")
    job = _new(store)
    assert store.claim(job.id, pid=1)  # pid 1 is alive (init)
    assert not store.claim(job.id)
    store.release(job.id, pid=1)
    assert store.claim(job.id)
    dead = multiprocessing.get_context("spawn").Process(target=int)
    dead.start()
    dead.join()
    store.release(job.id)
    assert store.claim(job.id, pid=dead.pid)
    assert store.claim(job.id)  # the holder died: taken over
    assert store.holder(job.id) is not None


def test_list_filters_and_orders_newest_first(tmp_path):
    store = JobStore(tmp_path / "j.db")
    a = _new(store)
    b = _new(store, source="/songs/b.wav")
    store.transition(a.id, None, Stage.DONE)
    assert [j.id for j in store.list()] == [b.id, a.id]
    assert [j.id for j in store.list(source="/songs/b.wav")] == [b.id]
    assert [j.id for j in store.list(stages=[Stage.DONE])] == [a.id]
    assert store.find(a.id[:10]).id == a.id


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "j.db"
    JobStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer"):
        JobStore(path)
