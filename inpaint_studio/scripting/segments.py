"""Songs in and versions out as a script holds them: a file path, a numpy array or a pydub
`AudioSegment`, converted to and from the app's `Audio` (channel-planar float32).

pydub is used for what it is good at in a script — a familiar value to slice, mix, measure and
export — while the heavy lifting stays with the app's own code, where it was measured faster:
files are read by the streamed decoder (`core.decode`) and written by the streamed encoder
(`core.encode`). An `AudioSegment` crosses over through its raw samples in memory (one numpy
view and one scaled copy), never through a temporary WAV or an extra ffmpeg run.

pydub is imported on first use only, so scripts that use numpy arrays never load it."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.core.errors import AudioError

if TYPE_CHECKING:  # pragma: no cover
    from pydub import AudioSegment

# pydub keeps 8-bit samples signed in memory (it unbiases WAV's unsigned bytes when reading),
# and widens 24-bit to 32-bit on construction, so these are the widths a segment can have.
_INT_TYPES = {1: "<i1", 2: "<i2", 4: "<i4"}
_RAW_FORMATS = {1: "s8", 2: "s16le", 4: "s32le"}  # the same samples, as ffmpeg names them
_WRITE_FRAMES = 1 << 16
MAX_CHANNELS = 8
MIN_RATE, MAX_RATE = 8000, 384000


class InvalidInput(ValueError):
    """The song or a parameter cannot be used; nothing was sent. `str(err)` says why."""


def pydub_segment_class() -> type[AudioSegment]:
    """`pydub.AudioSegment`, imported quietly.

    pydub warns at import when no ffmpeg is on PATH, and Python 3.11-3.12 warn that its
    `audioop` is deprecated; neither matters here. Where pydub found no ffmpeg, it is pointed at
    the one the app uses (the system's, else the bundled imageio-ffmpeg build), so that
    `segment.export("x.mp3")` works wherever the app does. (pydub's `from_file` also needs
    ffprobe for most formats: use `load_segment`, which needs only ffmpeg.)"""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*ffmpeg or avconv.*", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message=".*audioop.*", category=DeprecationWarning)
        from pydub import AudioSegment
    if shutil.which(AudioSegment.converter) is None:
        from inpaint_studio.core.ffmpeg import ffmpeg_path

        try:
            AudioSegment.converter = ffmpeg_path()
        except AudioError:
            pass  # no ffmpeg at all: pydub says so itself when it needs one
    return AudioSegment


def is_segment(value: Any) -> bool:
    """Whether `value` is a pydub `AudioSegment`, without importing pydub to find out."""
    return any(c.__name__ == "AudioSegment" and c.__module__.startswith("pydub")
               for c in type(value).__mro__)


# -- AudioSegment ↔ Audio ---------------------------------------------------------------------
def segment_to_audio(segment: AudioSegment) -> Audio:
    """The segment's samples as planar float32 in [-1, 1), read straight from its raw data."""
    width = int(segment.sample_width)
    if width not in _INT_TYPES:
        raise InvalidInput(f"An AudioSegment with {width}-byte samples cannot be read; pydub "
                           "makes 1-, 2- or 4-byte ones.")
    channels = int(segment.channels)
    _check_format(channels, int(segment.frame_rate))
    ints = np.frombuffer(segment.raw_data, dtype=_INT_TYPES[width])
    if ints.size == 0:
        raise InvalidInput("The AudioSegment is empty: it holds no audio.")
    planar = ints.reshape(-1, channels).T  # a view: (channels, frames)
    samples = np.empty(planar.shape, dtype=np.float32)
    np.multiply(planar, np.float32(1.0 / (1 << (8 * width - 1))), out=samples, casting="unsafe")
    return Audio(samples, int(segment.frame_rate))


def audio_to_segment(audio: Audio, sample_width: int = 2) -> AudioSegment:
    """`audio` as a pydub `AudioSegment` of `sample_width` bytes per sample (1, 2 or 4),
    rounded and clipped to the integer range, with the same rate and channels."""
    if sample_width not in _INT_TYPES:
        raise InvalidInput(f"sample_width must be 1, 2 or 4 bytes, not {sample_width!r}.")
    full = float(1 << (8 * sample_width - 1))
    # float64 for 32-bit: float32 cannot hold 2**31 - 1, and its rounding would overflow
    work = np.float64 if sample_width == 4 else np.float32
    inter = np.multiply(audio.samples.T, work(full), dtype=work)  # (frames, channels)
    np.rint(inter, out=inter)
    np.clip(inter, -full, full - 1, out=inter)
    raw = inter.astype(_INT_TYPES[sample_width]).tobytes()  # C order: interleaved frames
    return pydub_segment_class()(data=raw, sample_width=sample_width,
                                 frame_rate=audio.sample_rate, channels=audio.channels)


def segment_to_flac(segment: AudioSegment, target: Path, token: CancelToken = NEVER) -> Path:
    """Write the segment as FLAC at `target`, atomically, by piping its raw integer samples
    straight to the app's streamed encoder: no float conversion, no temporary WAV. Lossless for
    8- and 16-bit segments; a 32-bit one keeps 24 bits, FLAC's limit here.
    (Measured against pydub's `export(format="flac")` and against the float route in
    benchmarks/bench_pydub.py.)"""
    from inpaint_studio.core.encode import pipe_to_ffmpeg

    width, channels = int(segment.sample_width), int(segment.channels)
    if width not in _RAW_FORMATS:
        raise InvalidInput(f"An AudioSegment with {width}-byte samples cannot be written.")
    raw = memoryview(segment.raw_data)
    frame_bytes = width * channels
    frames = len(raw) // frame_bytes
    step = _WRITE_FRAMES * frame_bytes
    blocks = ((min(i // frame_bytes + _WRITE_FRAMES, frames), raw[i : i + step])
              for i in range(0, len(raw), step))
    return pipe_to_ffmpeg(blocks, target, raw_format=_RAW_FORMATS[width],
                          sample_rate=int(segment.frame_rate), channels=channels,
                          total_frames=frames, container="flac", token=token,
                          codec_args=["-c:a", "flac", "-sample_fmt",
                                      "s16" if width <= 2 else "s32"])


# -- numpy → Audio ----------------------------------------------------------------------------
def array_to_audio(array: Any, sample_rate: Any) -> Audio:
    """A numpy array of samples as `Audio`.

    Shapes: (frames,) is mono; (channels, frames) or (frames, channels), the channel axis being
    the short one (at most 8). Floats are taken as [-1, 1]; integers as PCM of their width
    (uint8 as 8-bit WAV's unsigned bytes)."""
    if sample_rate is None:
        raise InvalidInput("A numpy array needs its sample rate: pass sample_rate=44100 (or the "
                           "rate it was recorded at).")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int | np.integer):
        raise InvalidInput(f"sample_rate must be a whole number of Hz, not {sample_rate!r}.")
    arr = np.asarray(array)
    if arr.ndim == 1:
        arr = arr[None, :]
    elif arr.ndim == 2:
        rows, cols = arr.shape
        if rows <= MAX_CHANNELS and rows < cols:
            pass  # (channels, frames)
        elif cols <= MAX_CHANNELS and cols < rows:
            arr = arr.T  # (frames, channels)
        else:
            raise InvalidInput(f"A numpy array of shape {arr.shape} is not a song: give "
                               "(frames,), (channels, frames) or (frames, channels) with at "
                               f"most {MAX_CHANNELS} channels.")
    else:
        raise InvalidInput(f"A numpy array of {arr.ndim} dimensions is not a song: give "
                           "(frames,), (channels, frames) or (frames, channels).")
    if arr.shape[1] == 0:
        raise InvalidInput("The numpy array is empty: it holds no audio.")
    _check_format(arr.shape[0], int(sample_rate))
    if arr.dtype.kind == "f":
        samples = np.ascontiguousarray(arr, dtype=np.float32)
        if not np.isfinite(samples).all():
            raise InvalidInput("The numpy array holds NaN or infinite samples.")
    elif arr.dtype.kind == "i":
        scale = np.float32(1.0 / (1 << (8 * arr.dtype.itemsize - 1)))
        samples = np.multiply(arr, scale, dtype=np.float32)
    elif arr.dtype == np.uint8:
        samples = (arr.astype(np.float32) - 128.0) / 128.0
    else:
        raise InvalidInput(f"Samples of type {arr.dtype} cannot be read: use float (-1..1) or "
                           "integer PCM.")
    return Audio(np.ascontiguousarray(samples), int(sample_rate))


def _check_format(channels: int, rate: int) -> None:
    if not 1 <= channels <= MAX_CHANNELS:
        raise InvalidInput(f"A song needs 1 to {MAX_CHANNELS} channels, not {channels}.")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidInput(f"A sample rate of {rate} Hz is not supported (use {MIN_RATE} to "
                           f"{MAX_RATE} Hz).")


# -- files ------------------------------------------------------------------------------------
def load_file(path: str | os.PathLike[str]) -> Audio:
    """Decode a song file with the app's streamed decoder, as `InvalidInput` when it cannot."""
    from inpaint_studio.core.decode import load_audio

    p = Path(path).expanduser()
    if not p.is_file():
        raise InvalidInput(f"The song file {str(p)!r} does not exist.")
    try:
        return load_audio(p)
    except AudioError as exc:
        raise InvalidInput(str(exc)) from exc


def load_segment(path: str | os.PathLike[str], sample_width: int = 2) -> AudioSegment:
    """A song file as a pydub `AudioSegment` of `sample_width` bytes per sample.

    An 8- or 16-bit PCM WAV is read by pydub itself, with no ffmpeg run (measured 6x faster
    than decoding it through ffmpeg: benchmarks/bench_pydub.py). Any other file goes through
    the app's decoder: every format ffmpeg reads, no ffprobe needed (pydub's `from_file` runs
    ffprobe, then ffmpeg into a WAV it parses again), and a cut file is reported as such."""
    p = Path(path).expanduser()
    if p.suffix.lower() == ".wav" and p.is_file():
        segment = _pcm_wav_segment(p)
        if segment is not None and segment.sample_width == sample_width:
            return segment
    return audio_to_segment(load_file(p), sample_width)


def _pcm_wav_segment(path: Path) -> AudioSegment | None:
    """pydub's own read of a whole, 8- or 16-bit PCM WAV; None for anything else. (pydub takes
    float WAVs for integers, widens 24-bit samples one at a time in Python — about 3 s per
    minute of stereo — and reads a cut file without a word: those go to the decoder.)"""
    import wave

    try:
        with wave.open(str(path), "rb") as w:  # refuses float and other non-PCM WAVs
            width, declared = w.getsampwidth(), w.getnframes()
        if width > 2:
            return None
        segment = pydub_segment_class().from_wav(path)
    except Exception:  # noqa: BLE001 - whatever pydub or wave cannot read, the decoder reads
        return None
    return segment if int(segment.frame_count()) >= declared else None
