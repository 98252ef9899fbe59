"""The local session player, headless: it turns a prompt into a plan (`plan.parse`), composes
parts on the song's musical map (`compose.compose`), writes them as a standard MIDI file
(`midi`), renders them with a General MIDI SoundFont and splices them into the song
(`render`); `fill.fill_region` does all of it in the engine's result shape. No model weights,
no Qt; imports `core`, `musicmap` and the engine's result value types only.

    from inpaint_studio.player import parse
    plan = parse("Add a soft guitar solo here")
    plan.describe()  # "Will add: soft nylon guitar solo over the region, song kept underneath"
    if plan.action != "continue":
        from inpaint_studio.player.fill import fill_region
        result = fill_region(audio, start, end, seed=0, num_versions=2, plan=plan,
                             music_map=m, midi_dir=job_folder)"""

from inpaint_studio.player.plan import Part, Plan, parse

__all__ = ["Part", "Plan", "parse"]
