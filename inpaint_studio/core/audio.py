"""The in-memory song: channel-planar float32 samples with their rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AudioInfo:
    """What the decoder learnt about a file before and while decoding it."""

    path: str
    sample_rate: int
    channels: int
    codec: str
    declared_duration: float | None  # from the container header; None when unknown


@dataclass
class Audio:
    """Channel-planar audio: `samples` has shape (channels, frames), dtype float32."""

    samples: np.ndarray
    sample_rate: int

    def __post_init__(self) -> None:
        if self.samples.ndim != 2:
            raise ValueError("samples must be (channels, frames)")
        if self.samples.dtype != np.float32:
            raise ValueError("samples must be float32")

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate

    def mono(self) -> np.ndarray:
        """The mean of the channels, float32 (a new array)."""
        if self.channels == 1:
            return self.samples[0].copy()
        return self.samples.mean(axis=0, dtype=np.float32)
