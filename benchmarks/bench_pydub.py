"""Where pydub does the work and where the app's own streamed decoder and encoder do, for the
scripting API (inpaint_studio.scripting), on a 10-minute stereo song.

Each figure is the app's way against pydub's way of the same step, as a ratio of CPU time (this
process and its ffmpegs; below 1: the app's is cheaper) and of wall time, best of a few
alternated runs. The goal for the app's steps is parity (<= 1.1): where they are not cheaper
they are kept for what pydub lacks (no ffprobe needed, cut files reported, atomic writes,
cancellation, no temporary WAV). pydub's `from_file` runs ffprobe first; the
bundled ffmpeg comes without ffprobe, so it is called with `codec="mp3"`, which skips that probe
(pydub's fastest path). pydub is pointed at the same ffmpeg binary as the app.

- mp3_to_segment: `load_segment` (streamed decode + one scaled copy) vs `AudioSegment.from_file`
  (ffmpeg → a WAV in memory → parsed again by pydub);
- wav_to_segment: a 16-bit WAV through the decoder vs pydub's own reader (no ffmpeg), which is
  why `load_segment` hands such files to pydub;
- segment_to_flac: the API's upload of an AudioSegment (its raw samples piped to the streamed
  encoder) vs `segment.export(format="flac")` (a temporary WAV, then ffmpeg); and the route it
  replaced (float samples piped to the encoder: 1.03-1.21x pydub's CPU time in two runs);
- version_to_mp3: `Version.save("x.mp3")` (the streamed encoder) vs
  `version.segment.export(format="mp3", bitrate="192k")`;
- the conversions alone, per 10 minutes: `segment_to_audio`, `audio_to_segment`."""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_load import CACHE, bench_song  # noqa: E402
from common import figure, timed  # noqa: E402

MINUTES = 10


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (the ffmpegs)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _cost(fn) -> tuple[float, float]:  # noqa: ANN001
    cpu, wall = _cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, _cpu() - cpu


def _best_pair(ours, theirs, rounds: int = 3) -> tuple[float, float, float, float]:  # noqa: ANN001
    """Best wall time and best CPU time of each (ours, theirs), the two alternated: on a shared
    machine the load moves, and CPU time (this process and its ffmpegs) moves less with it."""
    a = b = ca = cb = float("inf")
    for _ in range(rounds):
        wall, cpu = _cost(ours)
        a, ca = min(a, wall), min(ca, cpu)
        wall, cpu = _cost(theirs)
        b, cb = min(b, wall), min(cb, cpu)
    return a, b, ca, cb


def _figures(name: str, costs: tuple[float, float, float, float], goal: str,
             ok: bool | None) -> Iterator[dict]:
    """`name` as CPU-time and wall-time ratios, ours / pydub's. The goal is judged on CPU time:
    on the shared two-core machine wall time moved by ±20 % between runs, CPU time by ±5 %."""
    ours, theirs, ours_cpu, theirs_cpu = costs
    yield figure(f"pydub.{name}.cpu", ours_cpu / theirs_cpu, "ratio", goal, ok)
    yield figure(f"pydub.{name}.wall", ours / theirs, "ratio", "informational", None)


def run() -> Iterator[dict]:
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.core.ffmpeg import ffmpeg_path
    from inpaint_studio.scripting import audio_to_segment, load_segment, segment_to_audio
    from inpaint_studio.scripting.segments import load_file, pydub_segment_class, segment_to_flac

    AudioSegment = pydub_segment_class()
    AudioSegment.converter = ffmpeg_path()
    mp3 = bench_song(MINUTES)
    with tempfile.TemporaryDirectory(prefix="bench-pydub-", dir=os.environ.get("TMPDIR")) as d:
        folder = Path(d)
        costs = _best_pair(lambda: load_segment(mp3),
                           lambda: AudioSegment.from_file(mp3, format="mp3", codec="mp3"))
        yield from _figures("mp3_to_segment.ours_vs_pydub", costs, "<= 1.1",
                            costs[2] <= 1.1 * costs[3])
        yield figure("pydub.mp3_to_segment.pydub_wall", costs[1], "s", "floor", None)
        segment = load_segment(mp3)
        wav = CACHE / f"song-{MINUTES}min.wav"
        if not wav.exists():
            segment.export(wav, format="wav")  # pydub writes WAV itself
        costs = _best_pair(lambda: audio_to_segment(load_file(wav)),
                           lambda: AudioSegment.from_wav(wav))
        yield from _figures("wav_to_segment.decoder_vs_pydub", costs, "> 1", costs[2] > costs[3])
        yield figure("pydub.wav_to_segment.pydub_wall", costs[1], "s", "floor", None)

        def through_floats() -> None:  # the first version of the upload, for the record
            encode_audio(segment_to_audio(segment), folder / "floats.flac",
                         codec_args=["-c:a", "flac", "-sample_fmt", "s16"])

        costs = _best_pair(lambda: segment_to_flac(segment, folder / "ours.flac"),
                           lambda: segment.export(folder / "pydub.flac", format="flac"))
        yield from _figures("segment_to_flac.ours_vs_pydub", costs, "<= 1.1",
                            costs[2] <= 1.1 * costs[3])
        costs = _best_pair(through_floats,
                           lambda: segment.export(folder / "pydub.flac", format="flac"))
        yield from _figures("segment_to_flac.through_floats_vs_pydub", costs, "informational",
                            None)
        audio = segment_to_audio(segment)
        costs = _best_pair(
            lambda: encode_audio(audio, folder / "ours.mp3"),
            lambda: segment.export(folder / "pydub.mp3", format="mp3", bitrate="192k"),
            rounds=2)
        yield from _figures("version_to_mp3.ours_vs_pydub", costs, "<= 1.1",
                            costs[2] <= 1.1 * costs[3])
        to_audio, _ = timed(lambda: segment_to_audio(segment), repeat=3)
        to_segment, _ = timed(lambda: audio_to_segment(audio), repeat=3)
        per10 = 10.0 / (audio.duration / 60.0)
        yield figure("pydub.segment_to_audio_per_10min", to_audio * per10, "s", "informational",
                     None)
        yield figure("pydub.audio_to_segment_per_10min", to_segment * per10, "s",
                     "informational", None)


if __name__ == "__main__":
    import json

    for fig in run():
        print(json.dumps(fig))
