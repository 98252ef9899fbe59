"""Where keeping a version must splice so that what is kept is what was heard.

A version may depart from the song a little outside the region it was made for: the local engine
moves its seams up to two beats outward to hide them under the music, and an AI service may
blend into the song early. Spliced at the region's edges, such a version would be cut in the middle
of its own material, at an instant nobody auditioned. `heard_span` widens the region to where the
version really departs from the song (and rejoins it), when that is close by, so the splice's
crossfades fall where version and song agree and the version's own seams are kept as they
were heard."""

from __future__ import annotations

from inpaint_studio.core.align import changed_spans
from inpaint_studio.core.audio import Audio

MAX_EXTEND_S = 2.5  # a version that differs further out than this is not widened for
_MARGIN_S = 0.08  # before the detected change: its fade-in (and the detector's frame) with it
_WINDOW_PAD_S = 0.5  # looked at beyond MAX_EXTEND_S, to tell "ends here" from "goes on"


def heard_span(song: Audio, version: Audio, start: float, end: float, *, left: bool = True,
               right: bool = True, max_extend_s: float = MAX_EXTEND_S) -> tuple[float, float]:
    """`(start, end)` widened at the `left` / `right` edge to where `version` (on the song's
    timeline, same rate and channels) departs from `song`, when the change it makes across that
    edge begins (or ends) within `max_extend_s` of it; otherwise that edge stays. Cheap: only
    the audio around the region is compared."""
    if song.sample_rate != version.sample_rate or song.channels != version.channels:
        raise ValueError("conform the version to the song's rate and channels first")
    rate = song.sample_rate
    pad = max_extend_s + _WINDOW_PAD_S
    lo = max(0, int((start - pad) * rate))
    hi = min(song.frames, version.frames, int((end + pad) * rate))
    if hi - lo < rate:
        return start, end
    t0, t1 = lo / rate, hi / rate
    spans = [(a + t0, b + t0) for a, b in changed_spans(
        Audio(song.samples[:, lo:hi], rate), Audio(version.samples[:, lo:hi], rate))]
    new_start, new_end = start, end
    for a, b in spans:
        if left and a < start < b and start - a <= max_extend_s and a > t0 + 0.05:
            new_start = max(0.0, a - _MARGIN_S)
        if right and a < end < b and b - end <= max_extend_s and b < t1 - 0.05:
            new_end = min(song.frames / rate, b + _MARGIN_S)
    return new_start, new_end
