"""Make the README and AppStream screenshots from the real app: docs/screenshots/<name>.png.

    python packaging/screenshots.py                    every shot, app run from this checkout
    python packaging/screenshots.py waveform           only the named shots
    python packaging/screenshots.py --app dist/inpaint-studio/inpaint-studio

Each shot runs `inpaint-studio --screenshot OUT.png ...` offscreen with a private
INPAINT_STUDIO_HOME on a synthesised song (core/synth.py), so the pictures show what a user sees
and never depend on a user's files. To add a shot, append a `Shot` to SHOTS: `args(song)` returns
the app's arguments after `--screenshot OUT.png` (the window fills a 1600x900 screen unless they
say `--size WxH` and `--scale N`). The metainfo lists SHOTS in this order (the first
is the default), so run packaging/make_assets.py after changing the list."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "docs" / "screenshots"
SONG_SECONDS = 75.0
SONG_SEED = 7


@dataclass(frozen=True)
class Shot:
    name: str  # docs/screenshots/<name>.png
    caption: str  # the metainfo caption and the README alt text
    args: Callable[[Path], list[str]]  # song path → arguments after `--screenshot OUT.png`
    # Headless commands run first with the same INPAINT_STUDIO_HOME (song path → argument lists),
    # e.g. a finished local job in the job store that the GUI then shows.
    setup: Callable[[Path], list[list[str]]] = lambda song: []


def local_job(song: Path) -> list[list[str]]:
    """A finished two-version job on the local backend for 0:30-0:40 (about 20 s)."""
    return [["submit", str(song), "--start", "30", "--end", "40", "--prompt",
             "a drum fill into the chorus", "--backend", "local", "--wait", "-q"]]


SHOTS: tuple[Shot, ...] = (
    Shot(
        "waveform",
        "A song with the region to replace selected (0:30 to 0:40)",
        lambda song: [str(song), "--region", "30", "40"],
    ),
    Shot(
        "job",
        "A finished local job in the job list, with the job form, transport and keep panels",
        lambda song: [str(song), "--region", "30", "40"],
        setup=local_job,
    ),
    Shot(
        "welcome",
        "The first start: open a song or try the demo song",
        lambda song: [],
    ),
)
# Shots made too (and by name) but not listed in the metainfo/README yet: moving one into SHOTS
# changes the metainfo, so run packaging/make_assets.py after.
EXTRA_SHOTS: tuple[Shot, ...] = (
    Shot(
        "compare",
        "Comparing a finished job's two versions at one playhead: Version 1 heard, region looped",
        lambda song: [str(song), "--region", "30", "40", "--hear", "2", "--loop"],
        setup=local_job,
    ),
    Shot(
        "job-1366x768",
        "The same finished job on a 1366×768 laptop screen: everything fits, Submit in reach",
        lambda song: [str(song), "--region", "30", "40", "--size", "1366x768"],
        setup=local_job,
    ),
)


def synthesise_song(folder: Path) -> Path:
    """A deterministic demo song (FLAC) from core/synth.py, or a plain tone if it is missing."""
    sys.path.insert(0, str(ROOT))
    from inpaint_studio.core.encode import encode_audio

    try:
        from inpaint_studio.core.synth import synth_song

        audio = synth_song(SONG_SECONDS, bpm=112.0, seed=SONG_SEED)
    except ImportError:
        import numpy as np

        from inpaint_studio.core.audio import Audio

        t = np.arange(int(SONG_SECONDS * 44100)) / 44100
        wave = 0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
        audio = Audio(np.vstack([wave, wave]).astype(np.float32), 44100)
    return encode_audio(audio, folder / "demo-song.flac")


def app_command(app: str | None) -> list[str]:
    """How to start the app: a frozen executable, or `python -m inpaint_studio` from the tree."""
    return [app] if app else [sys.executable, "-m", "inpaint_studio"]


def take(shot: Shot, song: Path, command: list[str], home: Path, out_dir: Path) -> Path:
    """Run the app for one shot; returns the PNG or raises RuntimeError with the app's stderr."""
    out = out_dir / f"{shot.name}.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", INPAINT_STUDIO_HOME=str(home),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    env.pop("MUSICGPT_API_KEY", None)  # screenshots show the local backend, never a user's key
    for args in shot.setup(song):
        prep = subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        if prep.returncode != 0:
            raise RuntimeError(f"{shot.name}: {' '.join(args[:1])} exit {prep.returncode}\n"
                               f"{prep.stderr[-3000:]}")
    tmp = out.with_suffix(".part.png")
    proc = subprocess.run([*command, "--screenshot", str(tmp), *shot.args(song)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"{shot.name}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    os.replace(tmp, out)  # a half-written picture never replaces a good one
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make docs/screenshots/*.png from the real app.")
    parser.add_argument("names", nargs="*", help="shots to make (default: all, extras too)")
    parser.add_argument("--app", help="a frozen inpaint-studio executable (default: this tree)")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    known = {s.name: s for s in SHOTS + EXTRA_SHOTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown shot(s): {', '.join(unknown)}; known: {', '.join(known)}")
    shots = [known[n] for n in args.names] if args.names else list(SHOTS + EXTRA_SHOTS)
    args.out.mkdir(parents=True, exist_ok=True)
    failed = 0
    with tempfile.TemporaryDirectory(prefix="inpaint-shots-") as tmp:
        song = synthesise_song(Path(tmp))
        for shot in shots:
            start = time.monotonic()
            try:  # each shot gets its own empty home: no state leaks between pictures
                home = Path(tmp) / f"home-{shot.name}"
                path = take(shot, song, app_command(args.app), home, args.out)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                failed += 1
                print(f"FAILED {exc}", file=sys.stderr)
                continue
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
                  f"  ({time.monotonic() - start:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
