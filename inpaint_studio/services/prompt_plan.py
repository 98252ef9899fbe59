"""What the local session player will do with a prompt, in the musician's words, for the job form.

`preview(prompt)` parses the prompt with the player's own parser (`player.plan.parse`: pure
Python, no Qt, a fraction of a millisecond) and returns the lines the form shows under the prompt
when the backend is the local one: the plan ("Will add: soft nylon guitar solo over the region,
song kept underneath"), the words it did not understand and its notes (lyrics cannot be sung, the
nearest General MIDI instrument). The cloud backend follows the prompt itself: the form shows
nothing from here then."""

from __future__ import annotations

from dataclasses import dataclass

CONTINUE_TEXT = ("Will fill the region with the song's own material: the prompt names no "
                 "instrument, style or feel for the local player to play.")
# The parser's note for a "continue" plan says what CONTINUE_TEXT says: not repeated.
_CONTINUE_NOTE = "No instrument, style or feel recognised"


@dataclass(frozen=True)
class PlanPreview:
    """The lines shown for one prompt: `plan` (one sentence), `not_understood` (the words the
    player did not understand, in order) and `notes`; `action` is the plan's ("add", "replace",
    "restyle" or "continue")."""

    action: str
    plan: str
    not_understood: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        out = [self.plan]
        if self.not_understood:
            out.append("Not understood: " + ", ".join(self.not_understood))
        out.extend(f"Note: {n}" for n in self.notes)
        return out

    @property
    def text(self) -> str:
        return "\n".join(self.lines())


def preview(prompt: str) -> PlanPreview | None:
    """The local player's plan for `prompt` in words; None for an empty prompt."""
    if not prompt.strip():
        return None
    # imported on first use: the form is built before the first paint, which loads only what
    # the window needs (tests/test_first_paint.py)
    from inpaint_studio.player.plan import parse

    plan = parse(prompt)
    unknown = tuple(dict.fromkeys(plan.unknown_words))
    if plan.action == "continue":
        notes = tuple(n for n in plan.notes if not n.startswith(_CONTINUE_NOTE))
        return PlanPreview("continue", CONTINUE_TEXT, unknown, notes)
    return PlanPreview(plan.action, plan.describe(), unknown, tuple(plan.notes))
