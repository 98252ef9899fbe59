"""The local session player through the local backend's route (`player/route.py`, what the
local server runs): "Add a soft guitar solo here" over an 8-s and a 30-s region of a 4-minute
song, both versions, each rendered by the `fluidsynth` program with FluidR3 GM (so every
render's SoundFont load is included), the part written as MIDI. Timed twice per region: with
the song's music map analysed (a fresh map cache) and with the map from the cache (the second
run, the editor's usual case once the song is open). Also the map analysis alone, and the
part's figures from `player.score` as the route stored them in each version's meta: share of
note-time in key, chord tones on strong beats, the largest on-grid error before humanising, and
the part's level under the song (the plan's "soft" is 6–15 dB under).

The song: the first Wesnoth track (apt `wesnoth-1.16-music`, real recordings) of at least
4 minutes, cut to 240 s; a synthesised song (core/synth) where it is not installed. The timing
goals (≤ 2 s / ≤ 5 s on two cores) are for a quiet machine: the load average is reported
beside them. Needs apt `fluidsynth fluid-soundfont-gm`. PLAYER_SONG=path picks another song."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from common import figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inpaint_studio.core.audio import Audio  # noqa: E402
from inpaint_studio.core.decode import load_audio, probe  # noqa: E402

WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
PROMPT = "Add a soft guitar solo here"
SONG_S = 240.0
REGIONS = ((8.0, 2.0), (30.0, 5.0))  # region length, goal (s)
START = 96.0


def song() -> tuple[Audio, str]:
    chosen = os.environ.get("PLAYER_SONG")
    candidates = [Path(chosen)] if chosen else sorted(WESNOTH.glob("*.ogg"))
    for path in candidates:
        if not chosen and (probe(path).declared_duration or SONG_S) < SONG_S:
            continue
        audio = load_audio(path)
        if audio.duration >= SONG_S:
            n = int(SONG_S * audio.sample_rate)
            return Audio(audio.samples[:, :n].copy(), audio.sample_rate), path.name
    from inpaint_studio.core.synth import synth_song

    return synth_song(SONG_S, bpm=112.0, seed=7), "synthesised (wesnoth-1.16-music missing)"


def run() -> Iterator[dict]:
    from inpaint_studio.player.render import find_fluidsynth, find_soundfont
    from inpaint_studio.player.route import fill_region, song_map

    find_fluidsynth(), find_soundfont()  # a missing program or SoundFont says its package
    audio, name = song()
    print(f"# player: {name}, {audio.duration:.0f} s, load average "
          f"{os.getloadavg()[0]:.2f} (2 cores: >2 means the figures are slowed)",
          file=sys.stderr)
    yield figure("player.load_average_1min", os.getloadavg()[0], "", "reported", None)
    with tempfile.TemporaryDirectory(prefix="bench-player-") as tmp:
        t0 = time.perf_counter()
        song_map(audio, None, Path(tmp) / "map-alone")
        yield figure("player.map_analysis_s", time.perf_counter() - t0, "s", "reported", None)
        for length, goal in REGIONS:
            cache = Path(tmp) / f"cache-{int(length)}"  # fresh: the first run analyses
            results = {}
            for label in ("uncached_map", "cached_map"):
                midi = Path(tmp) / f"midi-{int(length)}-{label}"
                t0 = time.perf_counter()
                result = fill_region(audio, START, START + length, seed=0, num_versions=2,
                                     prompt=PROMPT, midi_dir=midi, map_cache_dir=cache)
                took = time.perf_counter() - t0
                results[label] = result
                cached = result.timings.get("map_from_cache") == 1.0
                if cached != (label == "cached_map"):
                    raise RuntimeError(f"the {label} run's map was "
                                       f"{'' if cached else 'not '}from the cache")
                yield figure(f"player.{int(length)}s.{label}_s", took, "s", f"<= {goal}",
                             took <= goal)
                for part in ("map", "version_1", "version_2"):
                    yield figure(f"player.{int(length)}s.{label}.{part}_s",
                                 result.timings.get(part, 0.0), "s", "reported", None)
            versions = results["cached_map"].versions
            worst = {
                "in_key": min(v.meta["in_key"] for v in versions),
                "chord_tones_on_strong_beats": min(v.meta["chord_tones_on_strong_beats"]
                                                   for v in versions),
                "grid_error_s": max(v.meta["grid_error_s"] for v in versions),
            }
            levels = [v.meta["level_db_under_song"] for v in versions]
            yield figure(f"player.{int(length)}s.in_key", worst["in_key"], "share",
                         ">= 0.9", worst["in_key"] >= 0.9)
            yield figure(f"player.{int(length)}s.chord_tones_on_strong_beats",
                         worst["chord_tones_on_strong_beats"], "share", ">= 0.7",
                         worst["chord_tones_on_strong_beats"] >= 0.7)
            yield figure(f"player.{int(length)}s.grid_error_ms", 1000 * worst["grid_error_s"],
                         "ms", "<= 20", worst["grid_error_s"] <= 0.020)
            yield figure(f"player.{int(length)}s.level_under_song_db", max(levels), "dB",
                         "-15..-6 (soft)", all(-15.0 <= x <= -6.0 for x in levels))
            yield figure(f"player.{int(length)}s.midi_files",
                         len(list((Path(tmp) / f"midi-{int(length)}-cached_map").glob("*.mid"))),
                         "files", "== 2",
                         len(list((Path(tmp) / f"midi-{int(length)}-cached_map").glob("*.mid")))
                         == 2)
        print(f"# player: key {versions[0].meta['key']}, load average now "
              f"{os.getloadavg()[0]:.2f}", file=sys.stderr)
