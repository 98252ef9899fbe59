"""What runs inside the engine processes (spawned, so nothing here may rely on parent state):
decode the song and run the engine, then encode each version to MP3 and WAV, and draw covers.

Versions cross the process boundary as `.npy` files in the task's work folder, not as pickles."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.errors import AudioError
from inpaint_studio.core.ffmpeg import ffmpeg_path


def watch_parent(parent_pid: int) -> None:
    """Pool initializer: end this engine process when the server's process is gone. Pool
    workers of a killed parent would otherwise wait on their queue forever (each holds the
    queue's write end, so it never reports end-of-file)."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


class EngineFailed(Exception):
    """The engine could not fill the region; the message is for the user."""


def resolve_engine(ref: str) -> Any:
    """`"package.module:function"` → the function (imported lazily, in the engine process)."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def _engine_error_types() -> tuple[type[BaseException], ...]:
    try:
        from inpaint_studio.engine.errors import EngineError
    except ImportError:
        return (ValueError,)
    return (EngineError, ValueError)


def _accepts(engine: Any, name: str) -> bool:
    try:
        params = inspect.signature(engine).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                 for p in params.values())


def run_fill(engine_ref: str, song: str, start: float, end: float, seed: int, versions: int,
             prompt: str, work_dir: str) -> dict[str, Any]:
    """Decode `song`, fill [start, end) with the engine, save each version as `v<N>.npy`.
    An engine that takes `midi_dir` (the session player's route) writes each version's part
    as MIDI into `work_dir`; its path comes back as the version's `"midi"` (None without one).
    One that takes `song_path` gets the song file (the music map cache is keyed by its bytes)."""
    engine = resolve_engine(engine_ref)  # first: a missing engine fails before a long decode
    try:
        audio = load_audio(song)
    except AudioError as exc:  # e.g. the kept upload was damaged while the server was down
        raise EngineFailed(f"The song of this job could not be decoded: {exc}") from None
    extra: dict[str, Any] = {}
    if _accepts(engine, "midi_dir"):
        extra["midi_dir"] = work_dir
    if _accepts(engine, "song_path"):
        extra["song_path"] = song
    try:
        result = engine(audio, start, end, seed=seed, num_versions=versions, prompt=prompt,
                        **extra)
    except _engine_error_types() as exc:
        raise EngineFailed(str(exc)) from None
    out: list[dict[str, Any]] = []
    for i, version in enumerate(result.versions[:versions], 1):
        path = Path(work_dir) / f"v{i}.npy"
        np.save(path, np.ascontiguousarray(version.audio.samples, dtype=np.float32))
        meta = _jsonable(getattr(version, "meta", {}))
        midi = meta.pop("midi_path", None) if isinstance(meta, dict) else None
        out.append({"npy": str(path), "meta": meta,
                    "midi": midi if midi and Path(midi).is_file() else None})
    if len(out) < versions:
        raise EngineFailed(f"The engine made {len(out)} of the {versions} versions asked for.")
    return {"rate": audio.sample_rate, "duration": audio.duration, "versions": out,
            "notes": [str(n) for n in getattr(result, "notes", [])]}


def encode_version(npy: str, rate: int, mp3: str, wav: str, title: str,
                   truncate: bool = False) -> float:
    """Write one version as MP3 and WAV; returns its duration in seconds. `truncate` (a test
    fault) cuts both files to half so they no longer decode completely."""
    samples = np.load(npy, mmap_mode="r")
    audio = Audio(np.asarray(samples, dtype=np.float32), rate)
    encode_audio(audio, mp3, metadata={"title": title})
    encode_audio(audio, wav)
    if truncate:
        for path in (mp3, wav):
            size = Path(path).stat().st_size
            with open(path, "r+b") as fh:
                fh.truncate(size // 2)
    return audio.duration


def draw_cover(song: str, image: str, thumb: str) -> None:
    """An album cover made from the song itself: its waveform picture (local, no model)."""
    for path, size in ((image, "1024x1024"), (thumb, "256x256")):
        tmp = Path(path).with_name(Path(path).stem + ".part.jpg")
        subprocess.run(
            [ffmpeg_path(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", song,
             "-filter_complex", f"showwavespic=s={size}:split_channels=1:colors=#4fc3f7|#81c784",
             "-frames:v", "1", str(tmp)], check=True, capture_output=True)
        tmp.replace(path)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
