"""The local session player, headless: it turns a prompt into a plan (`plan.parse`), composes
parts on the song's musical map (`compose.compose`), writes them as a standard MIDI file
(`midi`), renders them with a General MIDI SoundFont and splices them into the song
(`render`). No model weights, no Qt; imports `core` and value types of `musicmap` only."""

from inpaint_studio.player.plan import Part, Plan, parse

__all__ = ["Part", "Plan", "parse"]
