"""Everything a backend would refuse, refused before anything is saved or uploaded.

`preflight(path, kind, start, end, work_dir)` reads the song the way the server will: the file
must open and decode to its end (a truncated or undecodable file is refused here, not after the
upload), its length and the region's length must be within the chosen backend's limits, and a
song with more than two channels is mixed down to stereo into `work_dir` (that copy is what is
sent, and a note says so). Every refusal names the backend whose limit it is.

The local backend's limits are its engine's (`engine.limits`) and its server's
(`server.config.ServerConfig`), whichever is stricter; MusicGPT documents no song or region
length limits, so for it only the file itself is checked (the form's warnings stay warnings)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inpaint_studio.backends.backend import LOCAL
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.errors import AudioError

_SIX_CH = (  # ITU-R BS.775 down-mix of 5.1 (FL FR FC LFE BL BR) to stereo; LFE dropped
    (1.0, 0.0, 0.7071, 0.0, 0.7071, 0.0),
    (0.0, 1.0, 0.7071, 0.0, 0.0, 0.7071),
)


@dataclass(frozen=True)
class BackendLimits:
    """What one backend accepts; None where it sets no limit."""

    name: str  # how messages name the backend
    max_song_s: float | None = None
    region_min_s: float | None = None
    region_max_s: float | None = None
    max_upload_bytes: int | None = None


def limits_for(kind: str, config: Any = None) -> BackendLimits:
    """What backend `kind` accepts. For the local backend `config` is the `ServerConfig` its
    server runs with (`Backends.preflight_limits` passes the real one); None: the default."""
    if kind == LOCAL:
        from inpaint_studio.server.config import (
            ENGINE_MAX_REGION,
            ENGINE_MAX_SONG,
            ENGINE_MIN_REGION,
            ServerConfig,
        )

        cfg = config if config is not None else ServerConfig()
        region_max = min(x for x in (cfg.region_max_s, ENGINE_MAX_REGION) if x)
        return BackendLimits("the local backend", min(cfg.max_song_seconds, ENGINE_MAX_SONG),
                             max(cfg.region_min_s, ENGINE_MIN_REGION), region_max,
                             cfg.max_upload_bytes)
    return BackendLimits("MusicGPT")


@dataclass
class Prepared:
    """The outcome: what to upload (the song itself, or its stereo down-mix), its duration,
    notes to show, and the problems that stop the job (empty when it may be sent)."""

    upload_path: str
    duration: float | None = None
    channels: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def preflight(path: str | Path, kind: str, start: float, end: float,
              work_dir: str | Path, limits: BackendLimits | None = None) -> Prepared:
    """Check (and if needed down-mix) the song file at `path` for a job on backend `kind`,
    against `limits` (default: `limits_for(kind)`; pass `Backends.preflight_limits(kind)` so
    that the local backend's are those of the server actually used). Decodes the whole file:
    call it from a worker, never from a GUI thread."""
    from inpaint_studio.core.decode import load_audio, probe

    limits = limits or limits_for(kind)
    out = Prepared(upload_path=str(path))
    who = limits.name[0].upper() + limits.name[1:]
    length = end - start
    if limits.region_min_s and length < limits.region_min_s - 1e-6:
        out.problems.append(f"{who} fills regions of at least {limits.region_min_s:g} s; this "
                            f"one is {length:.2f} s. Select a longer region.")
    if limits.region_max_s and length > limits.region_max_s + 1e-6:
        out.problems.append(f"{who} fills regions of at most {limits.region_max_s:g} s; this "
                            f"one is {length:.1f} s. Select a shorter region.")
    try:
        info = probe(path)
    except AudioError as exc:
        out.problems.append(f"The song cannot be opened as audio, so it was not sent to "
                            f"{limits.name}: {exc}")
        return out
    out.channels = info.channels
    declared = info.declared_duration
    if declared is not None and limits.max_song_s and declared > limits.max_song_s:
        out.problems.append(f"{who} handles songs up to {limits.max_song_s / 60:.0f} minutes; "
                            f"this one is {declared / 60:.1f} minutes. Trim the song"
                            + (" or use MusicGPT." if kind == LOCAL else "."))
        return out  # not worth decoding
    if limits.max_upload_bytes and Path(path).stat().st_size > limits.max_upload_bytes:
        out.problems.append(f"The song file is larger than {who.lower()}'s limit of "
                            f"{limits.max_upload_bytes // (1024 * 1024)} MB. Export a "
                            "compressed copy (MP3).")
        return out
    audio: Audio | None = None
    try:
        # To its end: a cut-short file raises TruncatedAudioFile. Only a song that must be
        # mixed down is kept in memory; any other is decoded as a stream and counted.
        if info.channels > 2:
            audio = load_audio(path)
            out.duration = audio.duration
        else:
            out.duration = _decoded_seconds(path)
    except AudioError as exc:
        out.problems.append(f"The song cannot be decoded, so it was not sent to "
                            f"{limits.name}: {exc}")
        return out
    duration = out.duration
    if limits.max_song_s and duration > limits.max_song_s:
        out.problems.append(f"{who} handles songs up to {limits.max_song_s / 60:.0f} minutes; "
                            f"this one is {duration / 60:.1f} minutes.")
    if end > duration + 1e-3 or start < 0:
        out.problems.append(f"The region {start:.2f}–{end:.2f} s is not inside the song "
                            f"(0–{duration:.2f} s).")
    if out.problems:
        return out
    if audio is not None and audio.channels > 2:
        out.upload_path = str(_stereo_copy(audio, Path(path), Path(work_dir)))
        out.notes.append(f"The song has {audio.channels} channels; {limits.name} takes at most "
                         "two, so a stereo down-mix of it is sent (the song itself is not "
                         "changed).")
    return out


def _decoded_seconds(path: str | Path) -> float:
    """Decode the whole file as a stream (nothing kept) and return its length; raises what
    `load_audio` would for a file that is empty or cut short."""
    from inpaint_studio.core import decode
    from inpaint_studio.core.errors import EmptyAudioFile, TruncatedAudioFile

    stream = decode.DecodeStream(path)
    try:
        info = stream.info
        frames = sum(chunk.shape[0] for chunk in stream.interleaved())
    finally:
        stream.close()
    if frames == 0:
        raise EmptyAudioFile(str(path), "no audio could be decoded from it")
    decoded = frames / info.sample_rate
    declared = info.declared_duration if not stream.duration_is_estimated else None
    if declared is None:
        declared = decode._riff_declared_duration(str(path))  # a cut WAV looks whole otherwise
    if declared and decoded < declared - max(0.5, declared * 0.02):
        raise TruncatedAudioFile(str(path), decoded, declared)
    return decoded


def downmix(audio: Audio) -> Audio:
    """`audio` in stereo: 5.1 by the ITU-R BS.775 matrix, any other layout by sending even
    channels left and odd channels right; scaled down only if the mix would clip."""
    s = audio.samples
    n = s.shape[0]
    if n <= 2:
        return audio
    if n == 6:
        matrix = np.asarray(_SIX_CH, dtype=np.float32)
    else:
        matrix = np.zeros((2, n), dtype=np.float32)
        matrix[0, 0::2] = 1.0 / len(range(0, n, 2))
        matrix[1, 1::2] = 1.0 / len(range(1, n, 2))
    mixed = (matrix @ s).astype(np.float32)
    peak = float(np.max(np.abs(mixed))) if mixed.size else 0.0
    if peak > 1.0:
        mixed /= peak
    return Audio(mixed, audio.sample_rate)


def _stereo_copy(audio: Audio, source: Path, work_dir: Path) -> Path:
    from inpaint_studio.core.encode import encode_audio

    work_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(f"{source.resolve()}:{source.stat().st_mtime_ns}:"
                            f"{source.stat().st_size}".encode()).hexdigest()[:16]
    target = work_dir / f"{source.stem[:40]}-stereo-{digest}.wav"
    if not target.exists():
        encode_audio(downmix(audio), target)  # a temporary file and a rename
    return target
