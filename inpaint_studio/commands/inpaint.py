"""`inpaint-studio inpaint SONG --start S --end E [--prompt P] [--seed N] [--versions K] --out DIR`:
run the local backend headless and write version_1.wav, version_2.wav and result.json (the plan,
seams, sources, metrics, timings), each atomically. A prompt that names instruments or a style
is played by the session player (its part also as version_N.mid); any other fills the region
from the song's own material."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from inpaint_studio.core.atomic import atomic_write_text
from inpaint_studio.core.decode import load_audio
from inpaint_studio.core.encode import encode_audio
from inpaint_studio.core.errors import AudioError, EncodeError
from inpaint_studio.engine.errors import EngineError


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("inpaint", help="fill a region with the local engine (no network)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("song", type=Path, help="an audio file")
    p.add_argument("--start", type=float, required=True, help="region start (seconds)")
    p.add_argument("--end", type=float, required=True, help="region end (seconds)")
    p.add_argument("--seed", type=int, default=0, help="another seed gives other versions")
    p.add_argument("--versions", type=int, choices=(1, 2, 3, 4), default=2)
    p.add_argument("--prompt", default="",
                   help="what to play over the region, e.g. \"Add a soft guitar solo here\" "
                        "(the session player; each part also as version_N.mid); empty or "
                        "non-musical: a continuation from the song's own material")
    p.add_argument("--out", type=Path, required=True, help="folder for the versions")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    say = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    planned = [f"version_{i}{ext}" for i in range(1, args.versions + 1)
               for ext in (".wav", ".mid")] + ["result.json"]
    if args.song.resolve() in {(args.out / name).resolve() for name in planned}:
        print(f"error: {args.song} would be overwritten; choose another --out folder (the song "
              "is never written)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        audio = load_audio(args.song)
    except AudioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    decode_s = time.perf_counter() - t0
    say(f"decoded {args.song.name}: {audio.duration:.1f} s, {audio.sample_rate} Hz, "
        f"{audio.channels} ch")
    if audio.channels > 2:
        from inpaint_studio.backends.preflight import downmix

        print(f"note: the song has {audio.channels} channels; it is mixed down to stereo (the "
              "versions are stereo; the song itself is not changed)", file=sys.stderr)
        audio = downmix(audio)
    last = [-1]

    def progress(fraction: float) -> None:
        pct = int(fraction * 100) // 10 * 10
        if pct != last[0]:
            last[0] = pct
            say(f"  {pct:3d} %")

    from inpaint_studio.player.plan import parse

    plan = parse(args.prompt)
    # Said before any work: what the prompt will do (stdout, so a script can read it).
    print(plan.describe(), flush=True)
    for word in plan.unknown_words:
        say(f"note: not understood: {word!r}")

    # The engine or the player (scipy…) once the song is read.
    from inpaint_studio.player.fill import PlayerError
    from inpaint_studio.player.route import fill_region

    try:
        args.out.mkdir(parents=True, exist_ok=True)
        # The player writes each part into a hidden folder of --out; the parts join the WAVs
        # only once every WAV is written, so a failed run leaves no stray .mid behind.
        parts_dir = tempfile.TemporaryDirectory(prefix=".inpaint-parts-", dir=args.out)
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    with parts_dir:
        try:
            result = fill_region(audio, args.start, args.end, seed=args.seed,
                                 num_versions=args.versions, prompt=args.prompt,
                                 progress=progress, midi_dir=parts_dir.name, song_path=args.song)
        except (EngineError, PlayerError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        files = [f"version_{v.meta['index']}.wav" for v in result.versions]
        try:
            for v, name in zip(result.versions, files, strict=True):
                encode_audio(v.audio, args.out / name)
            for v in result.versions:
                if v.meta.get("midi_path"):
                    moved = args.out / Path(v.meta["midi_path"]).name
                    os.replace(v.meta["midi_path"], moved)
                    v.meta["midi_path"] = str(moved)
        except (EncodeError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    versions = []
    for v, f in zip(result.versions, files, strict=True):
        meta = dict(v.meta, file=f)
        midi = meta.pop("midi_path", None)
        meta.pop("plan", None)  # once, at the top
        if midi:
            meta["midi"] = Path(midi).name
        versions.append(meta)
    doc = {
        "song": str(args.song.resolve()),
        "region": [args.start, args.end],
        "seed": args.seed,
        "prompt": args.prompt,
        "plan": dict(plan.to_dict(), description=plan.describe(),
                     not_understood=list(plan.unknown_words)),
        "versions": versions,
        "timings": dict(result.timings, decode=round(decode_s, 4)),
        "notes": result.notes,
    }
    atomic_write_text(args.out / "result.json", json.dumps(doc, indent=2) + "\n")
    for v in result.versions:
        m = v.meta.get("metrics")
        if m:
            say(f"version {v.meta['index']}: seams {v.meta['seams']}, confidence "
                f"{v.meta['confidence']}, seam z {m['seam_z']}, beat phase "
                f"{m['beat_phase_ms']} ms, ΔLU {m['loudness_delta_lu']}")
        else:
            say(f"version {v.meta['index']}: {v.meta.get('notes_played', 0)} notes in "
                f"{v.meta.get('key', '?')}, in key {v.meta.get('in_key')}, "
                f"{v.meta.get('level_db_under_song')} dB under the song")
    written = files + [m["midi"] for m in versions if m.get("midi")]
    say(f"wrote {', '.join(written)} and result.json to {args.out}")
    return 0
