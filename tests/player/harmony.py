"""Synthesised harmony for the player's tests: a steady beat, known bars, chords and key."""

from __future__ import annotations

from inpaint_studio.player.compose import Harmony


def song(key: str = "A minor", progression=("A:min", "F:maj", "C:maj", "G:maj"),
         bpm: float = 100.0, beats_per_bar: int = 4, bars: int = 24,
         offset: float = 0.37) -> Harmony:
    period = 60.0 / bpm
    n = bars * beats_per_bar
    beats = [round(offset + i * period, 6) for i in range(n)]
    positions = [i % beats_per_bar + 1 for i in range(n)]
    chords = [progression[(i // beats_per_bar) % len(progression)] for i in range(n)]
    return Harmony(beats, positions, beats_per_bar, chords, key)
