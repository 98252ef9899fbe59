"""Running the musical analysis in a process of its own (spawned: no Qt, no fork of a threaded
parent), so that its Python and numpy work never competes with the GUI thread for the
interpreter. No Qt here: the child imports only this module and the musicmap package.

The song's samples cross once through shared memory (no second decode, no file); progress and
the result come back through a pipe; the child writes the cache entry itself (atomically).
`run_analysis` is called from a worker thread and waits on the pipe, checking the cancel token
between polls; a cancel terminates the child."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing import shared_memory
from pathlib import Path
from typing import Any

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import Cancelled, CancelToken

POLL_S = 0.05


class AnalysisFailed(RuntimeError):
    """The analysis process failed (its message) or died."""


def _child(conn: Any, shm_name: str, shape: tuple[int, int], rate: int, cache_dir: str,
           key: str) -> None:
    """The process body: attach the samples, analyse (cached under `key`), send the map."""
    shm = shared_memory.SharedMemory(name=shm_name)
    # (Attaching registers the block with the resource tracker again, Python < 3.13; a spawned
    # child shares its parent's tracker, which keeps a set, so the parent's unlink clears it.)
    try:
        from inpaint_studio.musicmap import pipeline  # noqa: PLC0415 - in the child only

        samples = np.ndarray(shape, dtype=np.float32, buffer=shm.buf)
        audio = Audio(samples, rate)
        result = pipeline.analyze_cached(
            audio, cache_dir, progress=lambda f, s: conn.send(("progress", f, s)), key=key)
        del audio, samples  # release the view before the block is closed
        conn.send(("done", result.to_dict(), os.getpid()))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", os.getpid()))
    finally:
        shm.close()
        conn.close()


def run_analysis(audio: Audio, cache_dir: Path, key: str, token: CancelToken,
                 progress: Callable[[float, str], None]) -> tuple[dict[str, Any], int]:
    """The map of `audio` (as `MusicMap.to_dict()`) analysed in a spawned process, and that
    process's pid. Raises `Cancelled` (the process is ended) or `AnalysisFailed`."""
    ctx = multiprocessing.get_context("spawn")
    samples = np.ascontiguousarray(audio.samples, dtype=np.float32)
    shm = shared_memory.SharedMemory(create=True, size=max(1, samples.nbytes))
    proc = None
    try:
        np.ndarray(samples.shape, dtype=np.float32, buffer=shm.buf)[...] = samples
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, name="music map",
                           args=(send, shm.name, samples.shape, audio.sample_rate,
                                 str(cache_dir), key), daemon=True)
        proc.start()
        send.close()  # the child holds the only sending end: its death ends the pipe
        while True:
            if token.cancelled:
                raise Cancelled()
            if not receive.poll(POLL_S):
                if not proc.is_alive() and not receive.poll(0):
                    raise AnalysisFailed(f"the analysis process ended (exit code "
                                         f"{proc.exitcode}) without a result")
                continue
            try:
                msg = receive.recv()
            except EOFError as exc:
                raise AnalysisFailed("the analysis process ended without a result") from exc
            if msg[0] == "progress":
                progress(msg[1], msg[2])
            elif msg[0] == "done":
                return msg[1], msg[2]
            else:
                raise AnalysisFailed(msg[1])
    finally:
        if proc is not None:
            if proc.is_alive():
                proc.terminate()
            proc.join(5)
        shm.close()
        shm.unlink()
