"""Typed errors of the audio core, each with a message a musician can act on."""

from __future__ import annotations


class AudioError(Exception):
    """Base of every error the audio core raises; `str(err)` is meant for the user."""


class FfmpegMissing(AudioError):
    def __init__(self) -> None:
        super().__init__(
            "ffmpeg was not found. Install it (on Debian/Ubuntu: sudo apt install ffmpeg) "
            "or reinstall Inpaint Studio so that its bundled ffmpeg is present."
        )


class AudioFileMissing(AudioError):
    def __init__(self, path: str) -> None:
        super().__init__(f"The file {path!r} does not exist or cannot be read.")
        self.path = path


class EmptyAudioFile(AudioError):
    def __init__(self, path: str, detail: str = "the file is empty") -> None:
        super().__init__(f"{path!r} holds no audio ({detail}).")
        self.path = path


class NotAudioFile(AudioError):
    def __init__(self, path: str, detail: str = "") -> None:
        msg = f"{path!r} is not an audio file that can be opened"
        super().__init__(msg + (f": {detail}" if detail else "."))
        self.path = path


class TruncatedAudioFile(AudioError):
    def __init__(self, path: str, decoded_s: float, declared_s: float) -> None:
        super().__init__(
            f"{path!r} is cut short: its header promises {declared_s:.1f} s of audio but only "
            f"{decoded_s:.1f} s could be decoded. The file was probably not copied completely."
        )
        self.path = path
        self.decoded_s = decoded_s
        self.declared_s = declared_s


class EncodeError(AudioError):
    """Writing audio failed (disk full, unsupported format, ffmpeg error)."""
