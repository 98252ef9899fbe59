"""The local backend's one entry: read the prompt, then fill the region the way it asks.

`fill_region` parses the prompt (`plan.parse`): a "continue" plan (an empty or non-musical
prompt) goes to the engine's continuation fill, as before; any other plan to the session player
(`player.fill.fill_region`), which writes each version's part as MIDI into `midi_dir`. It is the
local server's default engine (`server/config.py` `DEFAULT_ENGINE`) and what
`inpaint-studio inpaint` runs, so both follow a prompt the same way.

The player needs the song's music map. It is looked up in the map cache
(`<cache>/musicmap/`, `musicmap.pipeline.analyze_cached`) keyed by the song file's bytes when
`song_path` is given (the key the editor stores a map under when the song is opened, so an
uploaded song the editor has mapped is a hit) or by the decoded samples otherwise; on a miss it
is analysed (a few seconds for a 4-minute song) and stored for the next job on the song.

The engine and the player are imported here, inside the call: the server's engine processes
import this module by name, and the continuation path never loads the player."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken


def fill_region(audio: Audio, start: float, end: float, *, prompt: str = "",
                midi_dir: str | os.PathLike[str] | None = None,
                song_path: str | os.PathLike[str] | None = None,
                map_cache_dir: str | os.PathLike[str] | None = None,
                **contract: Any) -> Any:
    """Fill [start, end] of `audio` as the prompt asks; returns the engine's `FillResult`.
    `contract`: the rest of what every engine takes (`seed`, `num_versions`, `token`,
    `progress`: see `engine.fill.fill_region`), passed on to the one that fills, unchanged.
    Versions played by the session player carry `meta["midi_path"]` (None without
    `midi_dir`), `meta["plan"]` and `meta["description"]`; continuation versions do not."""
    from inpaint_studio.player.plan import parse

    plan = parse(prompt)
    if plan.action == "continue":
        from inpaint_studio.engine.fill import fill_region as continuation

        return continuation(audio, start, end, prompt=prompt, **contract)
    from inpaint_studio.player.fill import PlayerError
    from inpaint_studio.player.fill import fill_region as play
    from inpaint_studio.player.render import (
        SoundFontMissing,
        SynthFailed,
        SynthMissing,
        find_fluidsynth,
        find_soundfont,
    )

    try:  # before the map's seconds of analysis: a job that cannot render fails at once
        find_fluidsynth()
        find_soundfont()
    except (SoundFontMissing, SynthMissing) as exc:
        raise PlayerError(str(exc)) from None
    clock = time.perf_counter()
    stages: set[str] = set()
    music_map = song_map(audio, song_path, map_cache_dir, contract.get("token", NEVER), stages)
    map_s = time.perf_counter() - clock
    try:
        result = play(audio, start, end, prompt=prompt, music_map=music_map, midi_dir=midi_dir,
                      plan=plan, **contract)
    except (SoundFontMissing, SynthMissing, SynthFailed) as exc:
        # The user's to fix (install the program or the SoundFont): said as such, not as a
        # crash of the engine.
        raise PlayerError(str(exc)) from None
    # The map was found or analysed here, not in the player: its time and where it came from.
    result.timings["map"] = round(map_s, 4)
    result.timings["map_from_cache"] = 1.0 if "cached" in stages else 0.0
    result.timings["total"] = round(result.timings.get("total", 0.0) + map_s, 4)
    return result


def song_map(audio: Audio, song_path: str | os.PathLike[str] | None = None,
             cache_dir: str | os.PathLike[str] | None = None, token: CancelToken = NEVER,
             stages: set[str] | None = None) -> Any:
    """The song's `MusicMap` from the map cache (by the file's bytes when `song_path` is
    given, else by the samples), analysed and stored on a miss. `stages` collects the
    analysis's progress stages ("cached" for a hit)."""
    from inpaint_studio.musicmap import cache, pipeline

    key = cache.file_key(song_path) if song_path and Path(song_path).is_file() else None
    seen = stages if stages is not None else set()
    return pipeline.analyze_cached(audio, cache_dir, token,
                                   lambda _f, stage: seen.add(stage), key=key)
