"""Where pydub does the work and where the app's own streamed decoder and encoder do, for the
scripting API (inpaint_studio.scripting), on a 10-minute stereo song.

Each figure is the app's way against pydub's way of the same step, as a ratio (below 1: the
app's is faster), best of a few alternated runs. pydub's `from_file` runs ffprobe first; the
bundled ffmpeg comes without ffprobe, so it is called with `codec="mp3"`, which skips that probe
(pydub's fastest path). pydub is pointed at the same ffmpeg binary as the app.

- mp3_to_segment: `load_segment` (streamed decode + one scaled copy) vs `AudioSegment.from_file`
  (ffmpeg → a WAV in memory → parsed again by pydub);
- wav_to_segment: a 16-bit WAV through the decoder vs pydub's own reader (no ffmpeg), which is
  why `load_segment` hands such files to pydub;
- segment_to_flac: the API's upload of an AudioSegment (`segment_to_audio` + the streamed
  encoder) vs `segment.export(format="flac")`;
- version_to_mp3: `Version.save("x.mp3")` (the streamed encoder) vs
  `version.segment.export(format="mp3", bitrate="192k")`;
- the conversions alone, per 10 minutes: `segment_to_audio`, `audio_to_segment`."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_load import CACHE, bench_song  # noqa: E402
from common import figure, timed  # noqa: E402

MINUTES = 10


def _best_pair(ours, theirs, rounds: int = 3) -> tuple[float, float]:  # noqa: ANN001
    """Best time of each, the two alternated (on a shared machine the load moves)."""
    a = b = float("inf")
    for _ in range(rounds):
        a = min(a, timed(ours)[0])
        b = min(b, timed(theirs)[0])
    return a, b


def run() -> Iterator[dict]:
    from inpaint_studio.core.encode import encode_audio
    from inpaint_studio.core.ffmpeg import ffmpeg_path
    from inpaint_studio.scripting import audio_to_segment, load_segment, segment_to_audio
    from inpaint_studio.scripting.segments import load_file, pydub_segment_class

    AudioSegment = pydub_segment_class()
    AudioSegment.converter = ffmpeg_path()
    mp3 = bench_song(MINUTES)
    with tempfile.TemporaryDirectory(prefix="bench-pydub-", dir=os.environ.get("TMPDIR")) as d:
        folder = Path(d)
        ours, theirs = _best_pair(lambda: load_segment(mp3),
                                  lambda: AudioSegment.from_file(mp3, format="mp3", codec="mp3"))
        yield figure("pydub.mp3_to_segment.ours_vs_pydub", ours / theirs, "ratio", "< 1",
                     ours < theirs)
        yield figure("pydub.mp3_to_segment.pydub", theirs, "s", "floor", None)
        segment = load_segment(mp3)
        wav = CACHE / f"song-{MINUTES}min.wav"
        if not wav.exists():
            segment.export(wav, format="wav")  # pydub writes WAV itself
        ours, theirs = _best_pair(lambda: audio_to_segment(load_file(wav)),
                                  lambda: AudioSegment.from_wav(wav))
        yield figure("pydub.wav_to_segment.decoder_vs_pydub", ours / theirs, "ratio", "> 1",
                     ours > theirs)
        yield figure("pydub.wav_to_segment.pydub", theirs, "s", "floor", None)

        def upload_ours() -> None:
            audio = segment_to_audio(segment)
            encode_audio(audio, folder / "ours.flac",
                         codec_args=["-c:a", "flac", "-sample_fmt", "s16"])

        ours, theirs = _best_pair(upload_ours,
                                  lambda: segment.export(folder / "pydub.flac", format="flac"))
        yield figure("pydub.segment_to_flac.ours_vs_pydub", ours / theirs, "ratio", "< 1",
                     ours < theirs)
        audio = segment_to_audio(segment)
        ours, theirs = _best_pair(
            lambda: encode_audio(audio, folder / "ours.mp3"),
            lambda: segment.export(folder / "pydub.mp3", format="mp3", bitrate="192k"),
            rounds=2)
        yield figure("pydub.version_to_mp3.ours_vs_pydub", ours / theirs, "ratio", "< 1",
                     ours < theirs)
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
