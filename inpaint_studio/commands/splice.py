"""`inpaint-studio splice ORIGINAL VERSION --start S --end E [--crossfade-ms N] --out FILE`.

Aligns VERSION to ORIGINAL's timeline (to the sample, leaving the region out of the match),
splices VERSION's region into ORIGINAL with equal-power crossfades centred on the seams, and
writes the whole song to FILE (format from its suffix). Outside the crossfades FILE holds
ORIGINAL's samples exactly, provided FILE's sample format can hold them (the default picks one
that can)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inpaint_studio.core.align import align, apply_alignment
from inpaint_studio.core.audio import Audio
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.errors import AudioError
from inpaint_studio.core.export import FORMATS, ExportOptions, export_audio
from inpaint_studio.core.splice import SpliceError, conform, plan_splice, splice
from inpaint_studio.core.timefmt import parse_time

LOW_CONFIDENCE = 0.5


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("splice", help="splice a version's region into the original",
                       description=__doc__.split("\n\n")[1])
    p.add_argument("original", type=Path, help="the song (never written)")
    p.add_argument("version", type=Path, help="a version of the song with the region replaced")
    p.add_argument("--start", type=_time, required=True, help="region start (s or m:ss.mmm)")
    p.add_argument("--end", type=_time, required=True, help="region end (s or m:ss.mmm)")
    p.add_argument("--crossfade-ms", type=float, default=30.0,
                   help="crossfade length, centred on each seam (default 30)")
    p.add_argument("--out", type=Path, required=True, help="output file (.wav, .flac, .mp3)")
    p.add_argument("--bit-depth", type=int, choices=(16, 24, 32), default=None,
                   help="WAV 16/24/32-float, FLAC 16/24 (default: what keeps the original exact)")
    p.add_argument("--bitrate", type=int, default=320, help="MP3 kbit/s (default 320)")
    p.add_argument("--title", default="", help="title tag")
    p.add_argument("--no-align", action="store_true",
                   help="the version is already on the original's timeline")
    p.add_argument("--force", action="store_true",
                   help="splice even if the version does not seem to match the original")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)
    return p


def _time(text: str) -> float:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def default_depth(original: Path, fmt: str) -> int:
    """A bit depth that holds the original's decoded samples exactly where possible."""
    try:
        import soundfile as sf

        subtype = sf.info(str(original)).subtype
    except Exception:  # not a WAV/FLAC/…: a lossy decode, whose floats only 32-bit float keeps
        subtype = ""
    if subtype in ("PCM_16", "PCM_S8", "PCM_U8"):
        return 16
    if subtype == "PCM_24" or fmt == "flac":
        return 24
    return 32


def run(args: argparse.Namespace) -> int:
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr))
    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        print(f"error: --out must end in one of: {', '.join('.' + f for f in FORMATS)}",
              file=sys.stderr)
        return 2
    if args.out.resolve() == args.original.resolve():
        print("error: --out must not be the original (it is never written)", file=sys.stderr)
        return 2
    try:
        original = load_audio(args.original)
        half_frame = 0.5 / original.sample_rate
        if args.start < 0 or args.end > original.duration + half_frame:
            # Refused as `inpaint` refuses it, never silently clipped to the song's ends.
            print(f"error: the region {args.start:.3f}–{args.end:.3f} s is not inside the song "
                  f"(0–{original.duration:.3f} s)", file=sys.stderr)
            return 2
        version = load_audio(args.version)
        plan_splice(original.frames, original.sample_rate, args.start, args.end)
        aligned = _aligned(original, version, args, say)
        if aligned is None:
            return 3
        song = splice(original, aligned, args.start, args.end, args.crossfade_ms / 1000.0)
        plan = plan_splice(song.frames, song.sample_rate, args.start, args.end,
                           args.crossfade_ms / 1000.0)
        depth = args.bit_depth or default_depth(args.original, fmt)
        options = ExportOptions(fmt, depth, args.bitrate, args.title)
        export_audio(song, args.out, options)
    except (AudioError, SpliceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rate = song.sample_rate
    say(f"spliced {args.start:.3f}–{args.end:.3f} s; changed frames {plan.lo}–{plan.hi} "
        f"({plan.lo / rate:.4f}–{plan.hi / rate:.4f} s), crossfade {plan.fade} frames")
    say(f"wrote {args.out}")
    return 0


def _aligned(original: Audio, version: Audio, args: argparse.Namespace, say) -> Audio | None:  # noqa: ANN001
    if args.no_align:
        return conform(version, original.sample_rate, original.channels)
    alignment = align(original, version, (args.start, args.end))
    say(f"version offset {alignment.offset} frames ({alignment.seconds * 1000:.2f} ms at "
        f"{alignment.sample_rate} Hz), match confidence {alignment.confidence:.2f}")
    if alignment.confidence < LOW_CONFIDENCE and not args.force:
        print("error: the version does not seem to contain the original's material outside the "
              "region (low match confidence); use --force to splice anyway", file=sys.stderr)
        return None
    return apply_alignment(version, alignment, original.frames, channels=original.channels)
