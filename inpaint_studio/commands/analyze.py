"""`inpaint-studio analyze SONG [--json]`: the song's musical map — tempo, beats, downbeats, time
signature, key, chords per beat and sections (inpaint_studio.musicmap). Cached by the file's
content in the user cache folder (or --cache-dir), so a second run is instant.

`--json` prints one JSON object with the keys `tempo_bpm`, `beats` (s), `downbeats` (s),
`time_signature` ("4/4"), `key` ("A minor"), `chords` ([[start, end, "C:maj"], …], mir_eval
labels), `sections` ([[start, end, "A"], …]), plus `tempo_curve`, `bar_positions`,
`beats_per_bar`, `key_confidence`, `beat_chords`, `chord_confidence`, `steady_beat`,
`beat_confidence`, `loudness` (every `loudness_hop` s), `duration` and `version`. Music with no
steady beat has `steady_beat` false and no beats, downbeats, tempo or time signature."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inpaint_studio.core.errors import AudioError
from inpaint_studio.core.timefmt import format_time
from inpaint_studio.musicmap import MusicMap, map_file


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("analyze", help="print a song's tempo, bars, key, chords and sections",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("song", type=Path, help="an audio file (never written)")
    p.add_argument("--json", action="store_true", help="print the whole map as JSON")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="where maps are cached (default: the user cache folder)")
    p.add_argument("--no-cache", action="store_true", help="analyse again, keep nothing")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    say = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))

    def progress(_fraction: float, stage: str) -> None:
        say(f"  {stage}")

    try:
        if args.no_cache:
            from inpaint_studio.core.decode import load_audio
            from inpaint_studio.musicmap import analyze

            mmap = analyze(load_audio(args.song), progress=progress)
        else:
            mmap = map_file(args.song, args.cache_dir, progress=progress)
    except AudioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(mmap.to_json(indent=None) if args.json else summary(mmap))
    return 0


def summary(m: MusicMap) -> str:
    """The map in a few lines for a person."""
    lines = [f"duration        {format_time(m.duration)}"]
    if m.steady_beat:
        lines += [f"tempo           {m.tempo_bpm:.1f} BPM "
                  f"({len(m.beats)} beats, confidence {m.beat_confidence:.2f})",
                  f"time signature  {m.time_signature} ({len(m.downbeats)} bars)"]
    else:
        lines += ["tempo           no steady beat"]
    lines.append(f"key             {m.key or 'unknown'} (confidence {m.key_confidence:.2f})")
    shown = [c for c in m.chords if c[2] != "N"][:16]
    lines.append("chords          " + " ".join(lab for _, _, lab in shown)
                 + (" …" if len(m.chords) > len(shown) else ""))
    lines.append("sections        " + "  ".join(
        f"{lab} {format_time(a, 1)}–{format_time(b, 1)}" for a, b, lab in m.sections))
    return "\n".join(lines)



