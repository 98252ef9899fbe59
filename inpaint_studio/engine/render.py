"""Render a plan into a full-length version: source pieces (time-stretched by WSOLA where their
map is not 1:1), joined and spliced in with short correlation-aware crossfades, and gain-matched
to the loudness of the ORIGINAL region it replaces (overall, then its contour within ±6 dB)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy.signal import resample

from inpaint_studio.core.audio import Audio
from inpaint_studio.engine.loudness import FLOOR_LUFS, SongLevels, loudness, window_powers
from inpaint_studio.engine.plan import Plan
from inpaint_studio.engine.stretch import wsola
from inpaint_studio.engine.window import Window

SEAM_FADE = 0.060  # seconds, centred on a seam
JOIN_FADE = 0.030  # between pieces of the same source (continuous material)
STRETCH_SLACK = 0.003  # a copy is exact enough when the map drifts less than this over a piece
RESAMPLE_MAX = 0.003  # rate changes up to 0.3 % (5 cents) are resampled, larger ones WSOLA
CONTOUR_MAX_DB = 6.0
PARALLEL_FILL = 20.0  # s: fills at least this long stretch their pieces on two threads


def _source_audio(audio: Audio, s0: float, s1: float, out_len: int) -> np.ndarray:
    """`out_len` frames of the song's audio from s0 to s1 seconds, WSOLA-stretched if needed."""
    sr = audio.sample_rate
    span = s1 - s0
    if abs(span - out_len / sr) < STRETCH_SLACK:
        a = int(round(s0 * sr))
        return _take(audio.samples, a, out_len)
    margin = int(0.1 * sr)  # run-in for WSOLA / the FFT resampler's edges; trimmed after
    if abs(span * sr / out_len - 1.0) <= RESAMPLE_MAX:
        # a tiny rate change: resampling shifts pitch by < 5 cents, cleaner than WSOLA
        a = int(round(s0 * sr)) - margin
        src = _take(audio.samples, a, int(round(span * sr)) + 2 * margin)
        n_out = int(round(src.shape[1] * out_len / (span * sr)))
        y = resample(src, n_out, axis=1).astype(np.float32)
        start = int(round(margin * out_len / (span * sr)))
        return _fit(y[:, start : start + out_len], out_len)
    a = int(round(s0 * sr)) - margin
    n_in = int(round(span * sr)) + 2 * margin
    src = _take(audio.samples, a, n_in).astype(np.float32)
    speed = (span * sr) / out_len
    y = wsola(src, speed).astype(np.float32)  # audiotsm's WSOLA, as array operations
    start = int(round(margin / speed))
    return _fit(y[:, start : start + out_len], out_len)


def _take(x: np.ndarray, a: int, n: int) -> np.ndarray:
    """x[:, a:a+n], zero-padded where it runs off either end."""
    out = np.zeros((x.shape[0], n), np.float32)
    lo, hi = max(a, 0), min(a + n, x.shape[1])
    if hi > lo:
        out[:, lo - a : hi - a] = x[:, lo:hi]
    return out


def _fit(y: np.ndarray, n: int) -> np.ndarray:
    if y.shape[1] >= n:
        return y[:, :n]
    return np.pad(y, ((0, 0), (0, n - y.shape[1])))


def fade_curves(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fade-out for a, fade-in for b) over their overlap: linear where the two sides correlate
    (they add coherently), equal-power where they do not (they add in power)."""
    n = a.shape[1]
    x = (np.arange(n) + 0.5) / max(n, 1)
    am, bm = a.mean(axis=0), b.mean(axis=0)
    denom = float(np.linalg.norm(am) * np.linalg.norm(bm))
    rho = float(am @ bm / denom) if denom > 1e-12 else 0.0
    if rho > 0.5:
        return (1.0 - x).astype(np.float32), x.astype(np.float32)
    return np.cos(0.5 * np.pi * x).astype(np.float32), np.sin(0.5 * np.pi * x).astype(np.float32)


def assemble_fill(audio: Audio, plan: Plan) -> tuple[np.ndarray, int]:
    """The fill over [first seam - fade/2, last seam + fade/2] and its first frame index."""
    sr = audio.sample_rate
    h = int(round(SEAM_FADE / 2 * sr))
    a0 = int(round(plan.start * sr)) - h
    a1 = int(round(plan.end * sr)) + h
    fill = np.zeros((audio.channels, a1 - a0), np.float32)
    spans = []  # each piece's frames in the fill: it overlaps its neighbours by half a fade
    for i, p in enumerate(plan.pieces):
        # a join (same source), or a seam between sources
        same_source = i > 0 and plan.pieces[i - 1].part == p.part
        hl = int(round((JOIN_FADE if same_source else SEAM_FADE) / 2 * sr)) if i else h
        nxt_same = i + 1 < len(plan.pieces) and plan.pieces[i + 1].part == p.part
        hr = int(round((JOIN_FADE if nxt_same else SEAM_FADE) / 2 * sr))
        spans.append((int(round(p.t0 * sr)) - hl, int(round(p.t1 * sr)) + hr))

    def piece_audio(k: int) -> np.ndarray:
        p, (b0, b1) = plan.pieces[k], spans[k]
        return _source_audio(audio, float(p.source(b0 / sr)), float(p.source(b1 / sr)), b1 - b0)

    # the pieces are stretched independently: a long fill's on both cores (the FFTs run outside
    # the GIL), joined in order, so the fill is the same as one piece after another. A short
    # fill gains little, and a second thread's malloc arena would add ~40 MB to the peak of an
    # 8-s region of a 10-minute song (at the 600-MB goal)
    if a1 - a0 >= PARALLEL_FILL * sr:
        with ThreadPoolExecutor(max_workers=2) as pool:
            pieces = list(pool.map(piece_audio, range(len(plan.pieces))))
    else:
        pieces = [piece_audio(k) for k in range(len(plan.pieces))]
    prev: tuple[np.ndarray, int] | None = None  # (audio, first frame) of the previous piece
    for (b0, b1), y in zip(spans, pieces, strict=True):
        if prev is None:
            fill[:, b0 - a0 : b1 - a0] = y
        else:
            py, pstart = prev
            ov = (pstart + py.shape[1]) - b0  # frames of overlap with what is already there
            ov = max(0, min(ov, y.shape[1]))
            fo, fi = fade_curves(fill[:, b0 - a0 : b0 - a0 + ov], y[:, :ov])
            fill[:, b0 - a0 : b0 - a0 + ov] = fill[:, b0 - a0 : b0 - a0 + ov] * fo + y[:, :ov] * fi
            fill[:, b0 - a0 + ov : b1 - a0] = y[:, ov:]
        prev = (y, b0)
    return fill, a0


def match_gain(audio: Audio, fill: np.ndarray, a0: int, t0: float, t1: float,
               levels: SongLevels | None = None) -> float:
    """Scale `fill` in place so its loudness over [t0, t1] equals the original's there (or the
    surrounding context's, if the original region is silent), then follow the original's
    loudness contour within ±3 dB. Returns the overall gain in dB. `levels`: the original's
    loudness figures, shared by the takes of one fill."""
    sr = audio.sample_rate
    i0, i1 = int(t0 * sr), int(t1 * sr)
    levels = levels if levels is not None else SongLevels(audio.samples, sr)
    ref = levels.span(i0, i1)
    if ref <= FLOOR_LUFS + 10:  # a silent region: match the music around it instead
        ref = levels.context(i0, i1, i1 - i0)
    own = loudness(fill[:, i0 - a0 : i1 - a0], sr)
    if own <= FLOOR_LUFS or ref <= FLOOR_LUFS:
        return 0.0
    g_db = float(np.clip(ref - own, -20.0, 20.0))
    fill *= np.float32(10 ** (g_db / 20))
    if _match_contour(audio, fill, a0, i0, i1, levels):  # the contour moved the level: match again
        again = float(np.clip(ref - loudness(fill[:, i0 - a0 : i1 - a0], sr), -6.0, 6.0))
        fill *= np.float32(10 ** (again / 20))
        g_db += again
    _follow_edge(audio, fill, a0, i0, i1)
    _soft_limit(fill)
    return g_db


def _follow_edge(audio: Audio, fill: np.ndarray, a0: int, i0: int, i1: int) -> None:
    """A region at the song's very start or end has no seam there to hide: what the song does
    at that edge (its final decay into silence, a sparse intro) is kept in the level. Where the
    fill is much louder than the original (100 ms blocks: from 3 dB louder, fully from 9 dB) it
    is brought down to the original's level there (only down), so an ending still fades out as
    the song did and an intro does not start at full strength."""
    sr = audio.sample_rate
    edge = int(0.1 * sr)
    if i0 > edge and i1 < audio.frames - edge:
        return
    win = sr // 10
    n = (i1 - i0) // win
    if n < 2:
        return
    o = audio.samples[:, i0 : i0 + n * win].mean(axis=0, dtype=np.float64).reshape(n, win)
    f = fill[:, i0 - a0 : i0 - a0 + n * win].mean(axis=0, dtype=np.float64).reshape(n, win)
    po, pf = (o * o).mean(axis=1), (f * f).mean(axis=1)
    r = 10 * np.log10((po + 1e-12) / (pf + 1e-12))  # dB the original is below the fill
    # 0 within 3 dB, the original's own level beyond 9 dB (a decay into silence is followed to
    # the end), continuous between
    g = np.where(r >= -3.0, 0.0, np.where(r <= -9.0, r, 1.5 * (r + 3.0)))
    if not np.any(g < 0):
        return
    g = np.convolve(np.pad(g, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    g = np.minimum(g, 0.0)
    centres = i0 + np.arange(n) * win + win // 2
    # the gain reaches the region's first/last block only away from a seam: 0 dB at a seam
    xs = np.concatenate([[i0], centres, [i1]]) if i0 > edge else np.concatenate([centres, [i1]])
    gs = np.concatenate([[0.0], g, [g[-1]]]) if i0 > edge else np.concatenate([g, [g[-1]]])
    if i1 < audio.frames - edge:  # the region's right end is a seam: back to 0 dB there
        gs[-1] = 0.0
    curve = np.interp(np.arange(fill.shape[1]) + a0, xs, gs)
    fill *= (10 ** (curve / 20)).astype(np.float32)


def _soft_limit(x: np.ndarray, knee: float = 0.9) -> None:
    """Bend peaks above `knee` smoothly toward 1.0 in place (only the loudest samples change;
    scaling the whole fill down would undo the loudness match)."""
    over = np.abs(x) > knee
    if over.any():
        v = x[over]
        room = 0.999 - knee
        x[over] = np.sign(v) * (knee + room * np.tanh((np.abs(v) - knee) / room))


def _match_contour(audio: Audio, fill: np.ndarray, a0: int, i0: int, i1: int,
                   levels: SongLevels | None = None) -> bool:
    """A gain curve (K-weighted, 400 ms windows like momentary loudness) bringing the fill's
    level toward the original region's, so the level on both sides of each seam is the
    original's there too. Returns False when the region is too short for a contour."""
    sr = audio.sample_rate
    win, hop = int(0.4 * sr), sr // 10
    if i1 - i0 < 3 * win:
        return False
    lead = min(i0, i0 - a0, int(0.1 * sr))  # let the filters settle before the region
    levels = levels if levels is not None else SongLevels(audio.samples, sr)
    po = levels.powers(i0, i1, lead, win, hop)
    pf = window_powers(fill[:, i0 - lead - a0 : i1 - a0].mean(axis=0), sr, lead, win, hop)
    starts = np.arange(len(po)) * hop
    g = np.clip(10 * np.log10((po + 1e-12) / (pf + 1e-12)), -CONTOUR_MAX_DB, CONTOUR_MAX_DB)
    g -= np.median(g)  # the overall level is already matched; keep only the shape
    g = np.convolve(np.pad(g, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    centres = i0 + starts + win // 2
    curve = np.interp(np.arange(fill.shape[1]) + a0, centres, g)
    fill *= (10 ** (curve / 20)).astype(np.float32)
    return True


def splice(audio: Audio, fill: np.ndarray, a0: int, plan: Plan) -> Audio:
    """A full-length copy of `audio` with `fill` crossfaded in at the plan's first/last seam."""
    sr = audio.sample_rate
    out = audio.samples.copy()
    h = int(round(SEAM_FADE / 2 * sr))
    n = fill.shape[1]
    lo, hi = a0, a0 + n
    # a fill that starts before the song's first frame (a region at 0 s) has no left seam, one
    # that runs past its last frame no right seam: it is copied in up to that edge
    at_start, at_end = lo < 0, hi > audio.frames
    body_lo = 0 if at_start else lo + 2 * h
    body_hi = audio.frames if at_end else hi - 2 * h
    out[:, body_lo:body_hi] = fill[:, body_lo - lo : body_hi - lo]
    if not at_start:  # left seam: fill[0:2h] overlaps the original
        fo, fi = fade_curves(out[:, lo : lo + 2 * h], fill[:, : 2 * h])
        out[:, lo : lo + 2 * h] = out[:, lo : lo + 2 * h] * fo + fill[:, : 2 * h] * fi
    if not at_end:  # right seam: the last 2h frames
        fo, fi = fade_curves(fill[:, n - 2 * h :], out[:, hi - 2 * h : hi])
        out[:, hi - 2 * h : hi] = fill[:, n - 2 * h :] * fo + out[:, hi - 2 * h : hi] * fi
    return Audio(out, sr)


def render_fill(audio: Audio, plan: Plan, levels: SongLevels | None = None,
                ) -> tuple[np.ndarray, int, float]:
    """(gain-matched fill, its first frame, overall gain in dB): all a version needs besides
    the song, which `splice` (the whole version) or `splice_window` (a stretch) adds."""
    fill, a0 = assemble_fill(audio, plan)
    g_db = match_gain(audio, fill, a0, plan.start, plan.end, levels)
    return fill, a0, g_db


def splice_window(audio: Audio, fill: np.ndarray, a0: int, plan: Plan, margin: float) -> Window:
    """The version from `margin` seconds before the fill to `margin` after it (clipped to the
    song), without a copy of the rest of the song: what the engine measures."""
    sr = audio.sample_rate
    lo = max(0, a0 - int(margin * sr))
    hi = min(audio.frames, a0 + fill.shape[1] + int(margin * sr))
    part = splice(Audio(audio.samples[:, lo:hi], sr), fill, a0 - lo, plan)
    return Window(part.samples, sr, lo, audio.frames)


def render(audio: Audio, plan: Plan) -> tuple[Audio, float]:
    """(full-length version, overall gain applied in dB)."""
    fill, a0, g_db = render_fill(audio, plan)
    return splice(audio, fill, a0, plan), g_db
