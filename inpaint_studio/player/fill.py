"""The player's entry point, shaped like the engine's: `fill_region(audio, start, end, …)`
returns an `engine.result.FillResult` whose versions carry the whole song with the region
replaced and a JSON-serialisable `meta` (the plan, the MIDI file's path, levels, figures).

Only for plans that are not "continue": the caller (the local server) parses the prompt with
`plan.parse` first and sends "continue" plans to `engine.fill.fill_region` as before. Versions
differ by seed (1, 2, …) and, where the prompt named no instrument or role, by the second
version trading the lead role's instrument for the next one the style offers."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from inpaint_studio.core.audio import Audio
from inpaint_studio.core.cancel import NEVER, CancelToken
from inpaint_studio.engine.result import FillResult, FillVersion
from inpaint_studio.player.compose import Harmony, compose
from inpaint_studio.player.midi import write_midi
from inpaint_studio.player.plan import Plan, parse
from inpaint_studio.player.render import render
from inpaint_studio.player.score import chord_tones_on_strong_beats, in_key, max_grid_error

ENGINE_NAME = "local-session-player"


class PlayerError(ValueError):
    """A region the player cannot fill; the message is for the user."""


def fill_region(
    audio: Audio,
    start: float,
    end: float,
    *,
    seed: int = 0,
    num_versions: int = 2,
    prompt: str = "",
    token: CancelToken = NEVER,
    progress: Callable[[float], None] | None = None,
    music_map=None,
    midi_dir: str | Path | None = None,
    plan: Plan | None = None,
) -> FillResult:
    """Compose, render and splice `num_versions` versions of the prompt's parts over
    [start, end]. `music_map` is the song's `MusicMap` (analysed here when None); each
    version's MIDI file goes to `midi_dir` (no MIDI file when None)."""
    report = progress or (lambda _f: None)
    plan = plan or parse(prompt)
    if plan.action == "continue":
        raise PlayerError("The prompt asks for no instrument or style: use the continuation "
                          "fill.")
    if not (0 <= start < end <= audio.duration + 1e-6):
        raise PlayerError(f"The region {start:.2f}–{end:.2f} s is not inside the song.")
    if not 1 <= num_versions <= 4:
        raise PlayerError("Ask for between 1 and 4 versions.")
    timings: dict[str, float] = {}
    clock = t_all = time.perf_counter()
    report(0.0)
    if music_map is None:
        from inpaint_studio.musicmap import analyze

        music_map = analyze(audio, token)
    harmony = Harmony.from_map(music_map, start, end)
    now = time.perf_counter()
    timings["map"] = round(now - clock, 4)
    clock = now
    report(0.3)
    versions = []
    for i in range(num_versions):
        token.raise_if_cancelled()
        take_seed = int(seed) + i + 1
        notes = compose(plan, harmony, start, end, seed=take_seed)
        out = render(audio, plan, notes, start, end, token=token)
        midi_path = None
        if midi_dir is not None:
            midi_path = str(write_midi(Path(midi_dir) / f"version_{i + 1}.mid", notes, harmony,
                                       {k: f"{p.instrument} {p.role}"
                                        for k, p in enumerate(plan.parts)}))
        notes_text = list(plan.notes)
        if not music_map.steady_beat:
            notes_text.append("No steady beat was found: the part is played on a 120-bpm grid.")
        versions.append(FillVersion(out.audio, {
            "engine": ENGINE_NAME,
            "method": "session-player",
            "seed": take_seed,
            "index": i + 1,
            "replaced": [round(start, 4), round(end, 4)],
            "seams": [round(start, 4), round(end, 4)],
            "plan": plan.to_dict(),
            "description": plan.describe(),
            "midi_path": midi_path,
            "notes_played": len(notes),
            "key": harmony.key,
            "map_key": getattr(music_map, "key", None),
            "in_key": round(in_key(notes, harmony), 4),
            "chord_tones_on_strong_beats": round(chord_tones_on_strong_beats(notes, harmony), 4),
            "grid_error_s": round(max_grid_error(notes, harmony), 4),
            "level_db_under_song": round(out.relative_db, 2),
            "gain_db": round(out.gain_db, 2),
            "peak": round(out.peak, 4),
            "confidence": "ok" if music_map.steady_beat else "low",
            "notes": notes_text,
        }))
        now = time.perf_counter()
        timings[f"version_{i + 1}"] = round(now - clock, 4)
        clock = now
        report(0.3 + 0.7 * (i + 1) / num_versions)
    timings["total"] = round(time.perf_counter() - t_all, 4)
    return FillResult(versions, timings, [plan.describe(), *plan.notes])
