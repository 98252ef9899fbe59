"""The Python API for scripts and notebooks: replace a region of a song from Python, with no Qt.

    from pydub import AudioSegment
    from inpaint_studio import inpaint

    if __name__ == "__main__":  # in a script; a notebook needs no guard
        song = AudioSegment.from_wav("song.wav")
        result = inpaint(song, 12.0, 18.0, "warm piano, no drums")  # local backend by default
        for version in result.versions:
            version.segment.export(f"take-{version.index}.wav", format="wav")

A song is a file path, a numpy array (with `sample_rate=`) or a pydub `AudioSegment`; each
version comes back on the song's timeline as an `AudioSegment` (`.segment`), a float32 array
(`.samples`) and the file the backend returned (`.path`). See docs/scripting.md."""

from inpaint_studio.core.cancel import Cancelled, CancelToken
from inpaint_studio.scripting.api import (
    InpaintError,
    InpaintResult,
    InpaintWarning,
    JobFailed,
    Studio,
    Version,
    inpaint,
)
from inpaint_studio.scripting.segments import (
    InvalidInput,
    array_to_audio,
    audio_to_segment,
    load_segment,
    segment_to_audio,
)

__all__ = [
    "CancelToken", "Cancelled", "InpaintError", "InpaintResult", "InpaintWarning", "InvalidInput",
    "JobFailed", "Studio", "Version", "array_to_audio", "audio_to_segment", "inpaint",
    "load_segment", "segment_to_audio",
]
