"""Dashed lines: measuring and bridging their gaps, telling them apart, sorting two curves by dash.

A colour's dash gap is measured in the image (:func:`measure_dash_gap`:
R's lty = 2 leaves 7 px, matplotlib's '--' 4.5 px at the benchmark's
sizes), not assumed. For a dashed line, gaps between its pieces are
bridged along the line's direction (:func:`bridged_coverage`, up to
:attr:`~synthesis.line_evidence.TraceSettings.dash_gap`) so that the
tracer can follow it, and
for the fits of the steps also where a drop's dash meets the level at a
step's corner (:func:`bridge_drop_corners`); :func:`looks_dashed` says
whether a traced line leaves such gaps. Two curves
in one colour (a solid and a dashed arm, say) are sorted into the two
curves by their dash pattern, which may swap only where their envelopes
meet (:func:`split_by_dash_pattern`, a two-state Viterbi pass; Forney 1973,
Proc IEEE 61:268), the dash phase along ``x + y`` (:func:`dash_phase`)
saying per pixel where the dashed one must leave a gap. On a dashed line,
whose blanks hide whole steps (R's lty = 2) or a short plateau or drop
(matplotlib's '--'), the curve in each blank is one drop midway between
where it enters and leaves it (:func:`hedge_dash_gaps`); before that, each
drop goes where the dash pattern drawn along the staircase falls on a line
as thick as the curve's, not on paper or a censor mark's thinner bar
(:func:`drops_on_dashes`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synthesis.line_evidence import (
    SEEN,
    CurveEvidence,
    TraceSettings,
    band_coverage,
    column_spans,
    path_zone,
)
from synthesis.step_fit import DROP_LINE_ACROSS

#: Evidence of a pixel filled in by bridging a dash gap.
BRIDGED_EVIDENCE = 0.9
#: A dashed line leaves more than this share of its columns empty (matplotlib
#: "--": about 0.3; solid: none).
DASHED_GAP_SHARE = 0.06
#: Columns a drop is tried at by :func:`drops_on_dashes`, this far apart (pixels).
DROP_STEP = 0.25
#: Surely drawn points of a dashed line on no line that moving a drop must save.
DASH_MISSES = 2
#: Width (pixels) of the run of columns with the fewest misses from which
#: moving a drop may save a single one: wider than half a pixel, the
#: rounding of one point to a pixel.
DASH_MISS_SPAN = 0.75


def bridged_coverage(evidence: CurveEvidence, settings: TraceSettings) -> np.ndarray:
    """Own coverage with dash gaps filled in, along the line's direction only.

    A grey closing along rows joins flat pieces (at most a line width tall:
    dashes of a flat stretch, dots), one along columns joins narrow pieces
    (dashes of a drop, dots), each with zero padding so that a line near the
    plot edge is not joined to its mirror image. A drop line is not flat and
    a flat line not narrow, so the notches of a staircase stay open.
    """
    length = settings.dash_gap + 1
    thin = settings.width + 1
    closed = []
    for axis, runs_axis in ((1, 0), (0, 1)):
        # Pieces whose extent across the bridging direction is at most a line width.
        piece = evidence.mask & (_run_lengths(evidence.mask, runs_axis) <= thin)
        # Their anti-aliased edges across the bridging direction belong to them.
        grown_piece = ndimage.maximum_filter1d(piece.view(np.uint8), 3, axis=runs_axis)
        anchor = np.where(grown_piece > 0, evidence.own, 0.0)
        grown = ndimage.maximum_filter1d(anchor, length, axis=axis, mode="constant", cval=0.0)
        closed.append(ndimage.minimum_filter1d(grown, length, axis=axis, mode="constant", cval=0.0))
    return np.maximum(evidence.own, BRIDGED_EVIDENCE * np.maximum(*closed))


def bridge_drop_corners(coverage: np.ndarray, evidence: CurveEvidence, settings: TraceSettings,
                        near: np.ndarray) -> np.ndarray:
    """Coverage with the dash gap at a step's corner closed, where a drop's dash ends or starts.

    A drop's dash that ends (or starts) within a dash gap of the level it
    meets leaves a gap at the step's corner that :func:`bridged_coverage`
    does not close, the level's line being neither narrow nor flat there.
    A fit comparing a drawing of the steps with the pixels
    (:mod:`synthesis.step_fit`) counts a drop drawn over that gap as ink on
    paper and pushes it aside, onto pixels unknown under a censor mark
    (t = 18.1 months on seed 1: 4 px, 1.14 % of the axis). Within ``near``
    (the traced drops' column bands), a pixel is filled in when a drop's
    dash lies within a dash gap above it and any of the colour's ink within
    one below, or the other way round. A drop's dash is a piece at most a
    line width wide and at least two tall: dots (':') are as wide as tall
    and do not anchor.
    """
    length = settings.dash_gap + 1
    thin = settings.width + 1
    dash = evidence.mask & (_run_lengths(evidence.mask, 1) <= thin) & (
        _run_lengths(evidence.mask, 0) >= 2 * settings.width)
    # The dash's anti-aliased edges across it belong to it.
    grown = ndimage.maximum_filter1d(dash.view(np.uint8), 3, axis=1)
    anchor = np.where(grown > 0, evidence.own, 0.0)
    above, below = _nearest_within(anchor, length, 1), _nearest_within(anchor, length, -1)
    ink_above = _nearest_within(evidence.own, length, 1)
    ink_below = _nearest_within(evidence.own, length, -1)
    corner = np.maximum(np.minimum(above, ink_below), np.minimum(ink_above, below))
    return np.where(near, np.maximum(coverage, BRIDGED_EVIDENCE * corner), coverage)


def _nearest_within(values: np.ndarray, length: int, side: int) -> np.ndarray:
    """Largest value within ``length`` rows above (``side`` 1) or below (-1) each pixel, not its own."""
    height = values.shape[0]
    padded = np.zeros((height + 2 * length, values.shape[1]), dtype=values.dtype)
    padded[length:-length] = values
    out = np.zeros_like(values)
    for k in range(1, length + 1):
        np.maximum(out, padded[length - side * k:length - side * k + height], out=out)
    return out


def _run_lengths(mask: np.ndarray, axis: int) -> np.ndarray:
    """Length of the run of ``True`` along ``axis`` that each pixel belongs to."""
    line = np.zeros((3, 3), dtype=bool)
    if axis == 0:
        line[:, 1] = True
    else:
        line[1, :] = True
    runs, n = ndimage.label(mask, structure=line)
    sizes = np.bincount(runs.ravel(), minlength=n + 1)
    sizes[0] = 0
    return sizes[runs]


def measure_dash_gap(mask: np.ndarray, width: float) -> float | None:
    """Gap length (pixels) of a colour's dashed line, read from its flat stretches.

    A break is a gap in a row of the colour between two pieces of a flat
    line (each at most a line width tall and at least one long), with no
    ink of the colour within a line width above or below it: a break of the
    line itself, not a step of a staircase nor a space between letters. The
    dash gap is the longest break length seen at least :data:`MIN_DASH_GAPS`
    times within a pixel (a dash's end falls at a fraction of a pixel), as
    the mean of those breaks; shorter breaks are dash gaps that a censor
    mark's crossbar splits. A line with fewer such breaks is solid
    (``None``). matplotlib's '--' at 2 pt and 100 dpi leaves breaks of
    about 4.5 px (1.6 line widths), R's lty = 2 at lwd = 2 and 110 dpi
    about 7 px (4 line widths, 9.2 px, less the anti-aliased dash ends).
    """
    thin = width + 1
    edges = np.diff(np.pad(mask.view(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1] - 1
    long_enough = ends - starts + 1 >= width
    # Runs come out row by row, left to right: a run and the next one in its row.
    pair = (rows[1:] == rows[:-1]) & long_enough[:-1] & long_enough[1:] & (
        starts[1:] - ends[:-1] - 1 <= MAX_DASH_GAP * width)
    row, left, right = rows[:-1][pair], ends[:-1][pair], starts[1:][pair]
    gap = right - left - 1
    is_break = (_clear_between(mask, row, left, right, int(np.ceil(width)))
                & (_vertical_runs(mask, row, left, thin) <= thin)
                & (_vertical_runs(mask, row, right, thin) <= thin))
    counts = np.pad(np.bincount(gap[is_break], minlength=1), 1)
    within_a_pixel = counts[:-2] + counts[1:-1] + counts[2:]
    common = np.nonzero(within_a_pixel >= MIN_DASH_GAPS)[0]
    if common.size == 0:
        return None
    typical = is_break & (np.abs(gap - common[-1]) <= 1)
    return float(gap[typical].mean())


def _clear_between(mask: np.ndarray, row: np.ndarray, left: np.ndarray, right: np.ndarray,
                   reach: int) -> np.ndarray:
    """Whether no pixel of ``mask`` lies strictly between columns ``left`` and ``right`` within ``reach`` rows of ``row``."""
    if row.size == 0:
        return np.zeros(0, dtype=bool)
    padded = np.pad(mask, ((reach, reach), (0, 0)))
    unique, which = np.unique(row, return_inverse=True)
    band = np.zeros((unique.size, mask.shape[1]), dtype=bool)
    for k in range(2 * reach + 1):
        band |= padded[unique + k]
    ink = np.cumsum(band, axis=1, dtype=np.int32)
    return ink[which, right - 1] - ink[which, left] == 0


def _vertical_runs(mask: np.ndarray, row: np.ndarray, col: np.ndarray, limit: float) -> np.ndarray:
    """Length of the vertical run of ``mask`` through each pixel (``row``, ``col``); above ``limit`` if longer."""
    reach = int(np.ceil(limit))
    padded = np.pad(mask, ((reach, reach), (0, 0)))
    window = padded[row[:, None] + np.arange(2 * reach + 1)[None, :], col[:, None]]
    up = np.cumprod(window[:, reach - 1::-1], axis=1).sum(axis=1)
    down = np.cumprod(window[:, reach + 1:], axis=1).sum(axis=1)
    return window[:, reach] * (1 + up + down)


#: A dash gap is read from at least this many breaks of one length (within a pixel).
MIN_DASH_GAPS = 4
#: Longest dash gap looked for, in line widths (R's lty = 2: 4; matplotlib's '--': 1.6).
MAX_DASH_GAP = 6


def looks_dashed(path: np.ndarray, evidence: CurveEvidence, settings: TraceSettings) -> bool:
    """Whether the line along a path leaves gaps where nothing hides it (a dashed line).

    A column whose band an axis or grid line crosses at all is not free: a
    curve that runs along the x axis line of a survival axis starting above
    0, at or just below its lowest value, shows a pixel row above that line
    here and there, and the columns between, where a third of its band is
    the axis line, were counted as gaps ('y axis from 0.2' seeds 48, 53 and
    62 arm B: read as dashed, a solid drop at t = 11-12 months was hedged
    8 px off, 1.1-1.2 %).
    """
    seen = band_coverage(evidence.own, path, settings) >= SEEN
    if not seen.any():
        return False
    end = np.nonzero(seen)[0][-1] + 1
    free = (band_coverage(evidence.hidden_coverage, path, settings)[:end] < SEEN) & (
        band_coverage(evidence.lines.astype(np.float32), path, settings)[:end] == 0)
    return free.sum() > 0 and 1 - seen[:end][free].mean() > DASHED_GAP_SHARE


def looks_dotted(path: np.ndarray, evidence: CurveEvidence, settings: TraceSettings) -> bool:
    """Whether a dashed line's pieces along a path are dots: the typical one at most two line widths long.

    matplotlib's ':' dots are about a line width long, its '--' dashes 3.7.
    """
    seen = band_coverage(evidence.own, path, settings) >= SEEN
    runs = [b - a + 1 for a, b in column_spans(np.nonzero(seen)[0])]
    return bool(runs) and float(np.median(runs)) <= 2 * settings.width


def split_by_dash_pattern(
    upper: np.ndarray, lower: np.ndarray, own: np.ndarray, settings: TraceSettings,
    hidden: np.ndarray | None = None, traced: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sort the two envelopes of a colour's ink into its two curves.

    Where the envelopes are more than a line width apart, so that the bands
    of their lines do not overlap, each is one curve; which one may change
    only where they meet or drop past each other (two curves crossing). A
    dashed curve leaves gaps along its path and a solid one does not: per
    stretch between meeting points, the difference in gap columns, plus the
    pixels where the dash phase puts a gap that are blank or inked on either
    envelope (:func:`_phase_votes`), is the evidence, and a two-state
    Viterbi pass (Forney 1973, Proc IEEE 61:268) assigns the stretches, a
    change of identity costing :data:`SWITCH_GAPS` gap columns; a stretch
    with no evidence either way keeps the path traced first in one curve
    (:func:`_keep_traced`). Only columns where both curves are still drawn
    count. The gap columns alone missed a
    dashed curve whose gaps fall on its drops or under the other curve near
    the start: the arms swapped up to their first crossing on 'solid and
    dashed black' seeds 23, 44 and 67 (3.2, 1.4, 1.0 % on the solid arm;
    0.1 % each with the phase votes). Envelopes a line width and 2 px apart
    were required at first: where both arms' first drops lie closer, the
    columns before their first crossing took the state of the stretch after
    it, the arms swapped there although the upper line showed its dash
    gaps ('solid and dashed black' seed 3: 0.83 / 0.78 % on arms A / B;
    0.17 / 0.38 % with the bands apart, the other seeds of 1-30 and 43-72
    unchanged).

    Parameters
    ----------
    upper, lower : numpy.ndarray
        Rows per column of the colour's upper and lower envelopes.
    own : numpy.ndarray
        The colour's coverage.
    settings : TraceSettings
    hidden : numpy.ndarray, optional
        Coverage by other curves and axis lines: a blank there is no gap.
    traced : numpy.ndarray, optional
        Rows per column of a path traced as one curve (the first path of
        :func:`synthesis.step_trace.trace_curves`): a stretch without dash
        evidence either way keeps it in one curve (:func:`_keep_traced`).

    Returns
    -------
    tuple of numpy.ndarray
        Rows per column of the curve with more gaps (the dashed one; the
        upper envelope at the start when neither is), then of the other.
    """
    seen_upper = band_coverage(own, upper, settings) >= SEEN
    seen_lower = band_coverage(own, lower, settings) >= SEEN
    if not seen_upper.any() or not seen_lower.any():
        return upper, lower
    drawn = min(np.nonzero(seen_upper)[0][-1], np.nonzero(seen_lower)[0][-1])
    # Bands a line width tall, more than that apart: each sees its own line only.
    apart = lower - upper > settings.width
    # A crossing: the upper envelope drops onto or past the lower one's old row.
    crossing = np.zeros_like(apart)
    crossing[1:] = (np.diff(upper) > 0) & (np.diff(lower) > 0) & (upper[1:] >= lower[:-1] - 2)
    stretches = column_spans(np.nonzero(apart & ~crossing)[0])
    stretches = [(a, min(b, drawn)) for a, b in stretches if a <= drawn]
    if not stretches:
        return upper, lower
    # Positive: the upper envelope has more gaps (is the dashed curve) there.
    votes = _phase_votes(upper, lower, own, hidden, settings)
    evidence = np.array([
        float(seen_lower[a:b + 1].sum() - seen_upper[a:b + 1].sum() + votes[a:b + 1].sum())
        for a, b in stretches
    ])
    states = _two_state_viterbi(evidence, SWITCH_GAPS)
    if traced is not None:
        silent = np.array([evidence[i] == 0 and (seen_upper & seen_lower)[a:b + 1].all()
                           for i, (a, b) in enumerate(stretches)])
        states = _keep_traced(states, stretches, silent, upper, traced)
    # Each column takes the state of its stretch, or of the next one between stretches.
    state = np.full(upper.size, states[-1])
    begin = 0
    for (_, b), s in zip(stretches, states):
        state[begin:b + 1] = s
        begin = b + 1
    swap = state == 1
    first, second = upper.copy(), lower.copy()
    first[swap], second[swap] = lower[swap], upper[swap]
    return np.maximum.accumulate(first), np.maximum.accumulate(second)


def dash_phase(own: np.ndarray, settings: TraceSettings) -> tuple[float, float]:
    """Period and phase of a colour's dash pattern along its step curves.

    Along a step curve (right and down only) the length of line drawn
    from a pixel ``(x, y)`` back to the curve's start is ``x + y`` less a
    constant, whatever the steps in between, so a dashed curve's dash
    phase is a function of ``x + y`` alone; each curve crosses each
    anti-diagonal ``x + y = k`` once. The colour's ink summed along the
    anti-diagonals is therefore constant for a solid curve and periodic for
    a dashed one: the strongest period between 3 and 12 line widths of
    that sum (detrended), with the phase of its Fourier component
    (a periodogram; Schuster 1898, Terr Magn 3:13), gives the dash pattern.
    matplotlib's "--" (5.3 line widths) comes out at 14.72 px for a 2 pt
    line at 100 dpi on seeds 1-30 and 43-72 (14.72-14.74 px; true 14.72).

    Returns
    -------
    tuple of float
        Period in pixels of ``x + y`` and phase ``theta``: the dash is
        drawn where ``cos(2 pi (x + y) / period + theta)`` is high.
    """
    rows, cols = np.nonzero(own > 0)
    sums = np.bincount(rows + cols, weights=own[rows, cols])
    # Curves ending or marks change the sum slowly; the dashes change it within a period.
    trend = ndimage.uniform_filter1d(sums, int(12 * settings.width) + 1, mode="nearest")
    # Zero-padded: periods near 15 px are resolved to 0.003 px.
    spectrum = np.fft.rfft(sums - trend, PERIODOGRAM_LENGTH)
    frequency = np.fft.rfftfreq(PERIODOGRAM_LENGTH)
    allowed = (frequency >= 1 / (12 * settings.width)) & (frequency <= 1 / (3 * settings.width))
    best = int(np.argmax(np.where(allowed, np.abs(spectrum), 0.0)))
    return float(1 / frequency[best]), float(np.angle(spectrum[best]))


#: Length the anti-diagonal sums are padded to: a period of 15 px is read to 0.003 px.
PERIODOGRAM_LENGTH = 1 << 16


def hedge_dash_gaps(levels: np.ndarray, drops: np.ndarray, end: float, own: np.ndarray,
                    settings: TraceSettings) -> tuple[np.ndarray, np.ndarray]:
    """The step curve in each blank between two dashes of a long-dash line: one drop midway.

    A dashed line leaves blanks the measured dash gap (``settings.gap``)
    long along its path, and the path's length from its start to a pixel
    ``(x, y)`` is ``x + y`` less a constant, corners included (R runs its
    dash pattern on along a curve's polyline and restarts it nowhere), so
    the blanks are the stretches of ``x + y`` centred where the dash phase
    (:func:`dash_phase`) is opposite the dashes. Where the curve enters a
    blank at ``(x0, y0)`` and leaves it at ``(x1, y1)`` below and to the
    right, any staircase between the two points fits the pixels (and has
    the same length); the fits put its drops where the ink shows again or
    where the dash ended, up to the whole blank (9 px for R's lty = 2 at
    lwd = 2 and 110 dpi) from the true drop. One drop from ``y0`` to
    ``y1`` at ``(x0 + x1) / 2`` misses any staircase in the blank by at
    most half its width sideways (a minimax choice, as
    :func:`~synthesis.step_fit.hedge_hidden_dashed_drops` makes for drops
    that show no ink at all). The blank is ``settings.gap`` long, centred
    where ``cos(2 pi (x + y) / period + theta) = -1``.

    R's 'base bw' figures (lty = 2 arm B): within 0.5 % on 8 of seeds 4-15,
    was 2 (seed 5: 0.76 -> 0.21 %, a drop's dash ending mid-drop had the
    rest of the drop put 5.8 px late, where the level shows again); the
    fixtures, seeds 1-3: 0.98 / 0.66 / 0.87 -> 0.25 / 0.20 / 0.83 %;
    held-out seeds 16-27: 8 of 12, was 3, none worse. matplotlib's '--'
    leaves blanks of 1.6 line widths (4.4 px at 2 pt and 100 dpi), in which
    a plateau shorter than the blank, or a drop's lower part and the next
    plateau's start, show no ink: the fits put a corner anywhere in the
    blank, 3-5 px from the true one ('solid and dashed black' arm B, seed
    22, t = 6.3 months: the plateau at 0.69 read 3.1 px low, 0.59 %; 0.27 %
    hedged). Hedged too: arm B of 'solid and dashed black' within 0.5 % on
    24 of seeds 1-30, was 22, arm A of 'dashed colours' on 27, was 25; the
    sum of both arms' misses over those seeds 0.243 -> 0.192; seeds 43-72:
    20 and 24, were 17 and 22; held-out seeds 31-42: 8 and 9 of 12, were 6
    and 9. Where a censor mark has already put the fitted drop 3 px from
    the true one, the hedge may move part of it further (worst: seed 66,
    arm B, 0.37 -> 0.78 %); leaving out blanks near marks lost more than
    it saved (seeds 1-30 and 43-72, both arms: 92 curves within 0.5 %,
    against 95 hedged everywhere and 86 unhedged).
    R's figures (``tests/reference/r_figures``) are unchanged.

    Returns
    -------
    tuple of numpy.ndarray
        Levels and drops with each blank's corners replaced.
    """
    period, theta = dash_phase(own, settings)
    xs = np.repeat(np.concatenate([[0.0], drops, [end]]), 2)[1:-1]
    ys = np.repeat(np.asarray(levels, dtype=float), 2)
    along = xs + ys
    half = settings.gap / 2
    # Blank centres: where the phase is opposite the dashes, cos(2 pi s / period + theta) = -1.
    offset = (0.5 - theta / (2 * np.pi)) * period
    centres = offset + period * np.arange(np.ceil((along[0] - offset) / period),
                                          np.floor((along[-1] - offset) / period) + 1)
    out_x, out_y = [], []
    kept = 0
    for c in centres:
        s0, s1 = c - half, c + half
        if s0 <= along[0] or s1 >= along[-1]:
            continue
        x0, y0 = _point_at(xs, ys, along, s0)
        x1, y1 = _point_at(xs, ys, along, s1)
        if x1 - x0 < 1e-6 or y1 - y0 < 1e-6:
            continue
        before = np.arange(kept, int(np.searchsorted(along, s0, side="right")))
        out_x += [*xs[before], x0, (x0 + x1) / 2, (x0 + x1) / 2, x1]
        out_y += [*ys[before], y0, y0, y1, y1]
        kept = int(np.searchsorted(along, s1, side="left"))
    out_x += list(xs[kept:])
    out_y += list(ys[kept:])
    return _steps_of(np.array(out_x), np.array(out_y))


def _point_at(xs: np.ndarray, ys: np.ndarray, along: np.ndarray, s: float) -> tuple[float, float]:
    """Point of the staircase through corners ``xs``, ``ys`` where ``x + y`` is ``s``."""
    k = int(np.searchsorted(along, s, side="right")) - 1
    step = s - along[k]
    if ys[k + 1] > ys[k]:
        return float(xs[k]), float(ys[k] + step)
    return float(xs[k] + step), float(ys[k])


def _steps_of(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels and drops of a staircase through the corners ``xs``, ``ys`` (right and down only)."""
    levels, drops = [ys[0]], []
    for k in range(1, xs.size):
        if ys[k] > levels[-1] + 1e-9:
            if drops and abs(xs[k] - drops[-1]) < 1e-9:
                levels[-1] = ys[k]
            else:
                drops.append(float(xs[k]))
                levels.append(float(ys[k]))
    return np.array(levels), np.array(drops)


def _phase_votes(upper: np.ndarray, lower: np.ndarray, own: np.ndarray, hidden: np.ndarray | None,
                 settings: TraceSettings) -> np.ndarray:
    """Per column, evidence that the upper envelope is the dashed curve, from the dash phase.

    Where the dash pattern (:func:`dash_phase`) puts a gap (the third of
    the period farthest from the dashes), a pixel of a path that is
    inked says that the path is the solid curve, and one left blank, and
    not hidden by another curve or an axis line, says it is the dashed one.
    Pixels on the other path's line say nothing. One vote per pixel, in
    gap columns' units: a gap of matplotlib's "--" (1.6 line widths) is
    about 4 px of either.
    """
    period, theta = dash_phase(own, settings)
    votes = np.zeros(upper.size)
    for path, other, sign in ((upper, lower, 1.0), (lower, upper, -1.0)):
        cols, rows, level = _path_pixels(path)
        gap = np.cos(2 * np.pi * (cols + rows) / period + theta) < -0.5
        free = ~path_zone(other, own.shape, settings)[rows, cols]
        level_seen = band_coverage(own, path, settings)[cols] >= SEEN
        # A drop's pixel is its vertical line's, which may stand a column aside of the path.
        left, right = np.maximum(cols - 1, 0), np.minimum(cols + 1, own.shape[1] - 1)
        drop_seen = np.maximum(np.maximum(own[rows, left], own[rows, right]), own[rows, cols]) >= SEEN
        inked = np.where(level, level_seen, drop_seen)
        blank = ~inked if hidden is None else ~inked & (hidden[rows, cols] < 0.5)
        vote = np.where(inked, -1.0, np.where(blank, 1.0, 0.0)) * (gap & free)
        votes += sign * np.bincount(cols, weights=vote, minlength=upper.size)
    return votes


def _path_pixels(path: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns and rows of a path's pixels, its drops' included, and which are on a level."""
    tops = np.concatenate([[path[0]], path[:-1] + 1])
    tops = np.minimum(tops, path)
    counts = path - tops + 1
    cols = np.repeat(np.arange(path.size), counts)
    rows = np.repeat(tops, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    return cols, rows, rows == path[cols]


#: Gap columns of evidence a change of identity between two stretches costs.
SWITCH_GAPS = 3.0


def _keep_traced(states: list[int], stretches: list[tuple[int, int]], silent: np.ndarray,
                 upper: np.ndarray, traced: np.ndarray) -> list[int]:
    """States of the silent stretches taken from a path traced as one curve.

    A stretch is silent when both envelopes are drawn in every column and
    the dash phase votes cancel: neither shows a gap the other does not
    (two curves tangled within a few pixels). The Viterbi pass carries the
    state of the neighbouring stretches over, which may hand one curve's
    plateau to the other. The traced path followed one curve there as the
    cheapest monotone line (:func:`synthesis.step_trace.trace_path`); the
    stretches with evidence say which curve it is (the one it runs on over
    most of their columns), and the silent stretches are set so that it
    stays that curve. R 'base bw' seed 7: the two arms cross twice in the
    first 13 columns; the solid arm took the dashed one's plateau there
    (0.74 %; 0.03 % kept on the traced path). A stretch where an envelope
    is hidden (on the frame at survival 1) or blank is not silent: the
    traced path may leave a curve hidden there for the other's ink
    ('solid and dashed black' seed 44, arm A: 1.43 % if it were kept).
    With the dash blanks hedged (:func:`hedge_dash_gaps`), 'solid and
    dashed black' seeds 1-42: arm B seed 28 0.65 -> 0.34 %, no other curve
    changed by more than 0.05 % of the axis; seeds 43-72: seed 54 arm A
    0.25 -> 0.11 %, arm B 0.62 -> 0.48 %, seed 55 arm B 1.00 -> 0.77 %.
    (Before that hedge, arm B seed 7 went 0.29 -> 0.51 % and seed 37 0.52
    -> 1.01 %; with it both are unchanged, at 0.16 % and 0.52 %.) R 'base
    bw' seed 25 (a held-out R figure): 0.61 / 0.61 -> 0.05 / 0.29 % on
    arms A / B.
    """
    on_upper = np.array([np.mean(traced[a:b + 1] == upper[a:b + 1]) >= 0.5 for a, b in stretches])
    sizes = np.array([b - a + 1 for a, b in stretches])
    heard = ~silent
    if not heard.any() or heard.all():
        return states
    # State 0 puts the dashed curve on the upper envelope: the traced path is dashed where it is
    # on the upper envelope in state 0 or on the lower one in state 1.
    dashed = on_upper ^ (np.array(states) == 1)
    traced_dashed = sizes[heard & dashed].sum() > sizes[heard & ~dashed].sum()
    return [s if h else int(u ^ traced_dashed) for s, h, u in zip(states, heard, on_upper)]


def _two_state_viterbi(evidence: np.ndarray, switch: float) -> list[int]:
    """States (0: the first curve is the upper envelope; 1: the lower) per stretch.

    State 0 costs the evidence against the upper envelope being the dashed
    curve, state 1 the evidence for it; changing state costs ``switch``.
    """
    emit = np.column_stack([np.maximum(-evidence, 0), np.maximum(evidence, 0)])
    cost = emit[0].copy()
    back = []
    for e in emit[1:]:
        stay, swap = cost, cost[::-1] + switch
        back.append(swap < stay)
        cost = np.minimum(stay, swap) + e
    states = [int(np.argmin(cost))]
    for swapped in reversed(back):
        states.append(1 - states[-1] if swapped[states[-1]] else states[-1])
    return states[::-1]


def drops_on_dashes(levels: np.ndarray, drops: np.ndarray, end: float, own: np.ndarray,
                    unknown: np.ndarray, settings: TraceSettings) -> np.ndarray:
    """Each drop of a '--' line moved where the dash pattern, drawn along the staircase, shows.

    Along a step curve the dash phase is a function of ``x + y``
    (:func:`dash_phase`), and every staircase between two neighbouring
    drops has the same length, so the points where the line must be drawn
    lie at the same values of ``x + y`` whatever the drop's column; the
    column only decides which pixels they fall on. A point is surely drawn
    within half a dash (the period less the measured gap) of a dash's
    centre, less a pixel of anti-aliasing. Each surely drawn point, a pixel
    apart, that falls on no line (:func:`_thick_as_a_line`) and on no unknown
    pixel is a miss; the drop goes to the column with the fewest misses
    (of those, the one nearest the fitted drop), if that saves at least
    :data:`DASH_MISSES` of them.

    A censor mark's '+' just after a drop has its left arm on the lower
    level, over the upper level's dash gap: the fits read the arm as the
    lower level and put the drop at the previous one, its line then
    passing through the dash gap, 4-5 px early ('solid and dashed black'
    arm B, seed 27 at t = 11.7 months, seed 70 at 17.8 months). Drawn
    there, the dash after the gap falls on the arm, which is a mark's bar,
    thinner than a line (0.6 line widths: no line). Within 0.5 % on
    seeds 1-30 / 43-72: arm B of 'solid and dashed black' 26 -> 27 / 21
    -> 24 (seeds 27, 55, 66, 70: 0.84 / 0.77 / 0.78 / 1.24 % -> 0.24 /
    0.34 / 0.31 / 0.25 %), arm A of 'dashed colours' 30 -> 30; no curve
    worse by more than 0.1 % of the axis; held-out seeds 31-42: arm B of
    'solid and dashed black' 8 -> 8, arm A of 'dashed colours' 10 -> 11
    (seed 40: 0.58 -> 0.16 %); every style, seeds 1-42: 1802 -> 1804 of
    1848 curves, none worse by more than 0.1 % of the axis; R's 'base bw'
    figures (lty = 2, dev and held-out seeds) unchanged. With a single
    miss enough, seed 62 arm B (0.25 -> 0.66 %) and 'dashed colours' seed
    29 arm A (0.12 -> 0.62 %) moved: a fitted level or drop is read to
    about a pixel, which may put one drawn point on paper. On fresh seeds
    85-105 the count is unchanged: 'dashed colours' arm A seeds 100 and 102
    come within (1.00 / 0.90 -> 0.15 / 0.32 %), its seed 89 and arm B of
    'solid and dashed black' seed 92 fall out (0.28 / 0.39 -> 1.05 / 1.01
    %): each a drop that :func:`~synthesis.step_fit.split_half_seen_drops`
    had split in two under a mark, the rule moving the split's first half
    by a pixel, across the tube's edge.

    A move that saves a single miss is made too where the columns with the
    fewest misses, around the one chosen, span :data:`DASH_MISS_SPAN` or
    more (:func:`_span_of_run`): then the saving does not hinge on how one
    point rounds to a pixel. A drop under a '+' mark's vertical bar ('dashed
    colours' seed 140, arm A, t = 15.0 months) was hedged midway between
    the last sight of its upper level, where a dash of that level ended, and
    the mark's crossbar on the lower level: 2.8 px early, where the drop's
    next dash would show beside the bar on paper (one miss); every column
    from 278.5 to 282.5 misses one fewer, and the drop goes to the nearest,
    278.5 (the true drop: 280.3; 0.65 -> 0.26 %). Within 0.5 % on seeds 127-147: arm A of 'dashed colours' 15
    -> 17, arm B of 'solid and dashed black' 12 -> 14 (seeds 134 A, 142 B,
    136 B: 0.79 / 0.76 / 0.69 -> 0.42 / 0.26 / 0.49 %; seed 144 B, out
    before, 0.61 -> 0.75 %); seeds 1-42, every style: no curve moved by
    0.1 % of the axis; R's figures unchanged. A single column was enough to
    move the first drops of 'dashed colours' seeds 29 and 135 arm A, where
    arm B's dots cross the curve (0.12 / 0.17 -> 0.62 / 0.85 %); the runs
    there are at most 0.25 px wide, 0.5 px gave the same counts as 0.75 px
    on seeds 1-42 and 127-147, 1 px lost seed 134.

    Returns
    -------
    numpy.ndarray
        The drops, each moved or not.
    """
    period, theta = dash_phase(own, settings)
    sure = (period - settings.gap) / 2 - 1.0
    level_line, drop_line = _thick_as_a_line(own, settings)
    seen = (level_line | unknown, drop_line | unknown)
    drops = np.asarray(drops, dtype=float).copy()
    for j in range(len(drops)):
        before = drops[j - 1] if j > 0 else 0.0
        after = drops[j + 1] if j + 1 < len(drops) else end
        upper, lower = float(levels[j]), float(levels[j + 1])
        along = np.arange(np.ceil(before + upper) + 1, np.floor(after + lower))
        # Distance along the line from the nearest dash's centre, in pixels.
        offset = (np.mod(along / period + theta / (2 * np.pi) + 0.5, 1.0) - 0.5) * period
        along = along[np.abs(offset) < sure]
        columns = np.arange(before + DROP_STEP, after - DROP_STEP + 1e-9, DROP_STEP)
        if along.size == 0 or columns.size == 0:
            continue
        misses = _dash_misses(along, columns, upper, lower, seen)
        fewest = np.flatnonzero(misses == misses.min())
        best = fewest[np.argmin(np.abs(columns[fewest] - drops[j]))]
        here = int(np.argmin(np.abs(columns - drops[j])))
        saved = misses[here] - misses[best]
        if saved >= DASH_MISSES or (saved >= 1 and _span_of_run(fewest, best, columns) >= DASH_MISS_SPAN):
            drops[j] = float(columns[best])
    return drops


def _span_of_run(members: np.ndarray, member: int, columns: np.ndarray) -> float:
    """Width (pixels) of the run of consecutive indices in ``members`` that holds ``member``, in ``columns``."""
    first, last = next((a, b) for a, b in column_spans(members) if a <= member <= b)
    return float(columns[last] - columns[first])


def _thick_as_a_line(own: np.ndarray, settings: TraceSettings) -> tuple[np.ndarray, np.ndarray]:
    """Pixels where a flat line, and where a vertical one, could be drawn: as thick as a line.

    The colour's coverage summed across a line width, centred on each pixel
    (down a column for a flat line, along a row for a drop's), reaches
    :data:`~synthesis.step_fit.DROP_LINE_ACROSS` line widths; a censor
    mark's bar (0.6 line widths) alone does not.
    """
    reach = int(np.ceil(settings.width / 2))
    size = 2 * reach + 1
    needed = DROP_LINE_ACROSS * settings.width
    coverage = own.astype(np.float64)
    return tuple(ndimage.uniform_filter1d(coverage, size, axis=axis, mode="constant") * size >= needed
                 for axis in (0, 1))


def _dash_misses(along: np.ndarray, columns: np.ndarray, upper: float, lower: float,
                 seen: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per drop column, the points at ``along`` (``x + y``) that fall on nothing seen.

    The staircase runs at ``upper`` up to the column, down it, and at
    ``lower`` after it. A point on a level counts as seen if ``seen[0]``
    holds within a row of it (the level is read to about a pixel), one on
    the drop if ``seen[1]`` holds within a column.
    """
    height, width = seen[0].shape
    s, x = along[None, :], columns[:, None]
    on_upper, on_lower = s <= x + upper, s >= x + lower
    flat = on_upper | on_lower
    px = np.where(on_upper, s - upper, np.where(on_lower, s - lower, x))
    py = np.where(on_upper, upper, np.where(on_lower, lower, s - x))
    rows, cols = np.rint(py).astype(int), np.rint(px).astype(int)
    hit = np.zeros(rows.shape, dtype=bool)
    for k in (-1, 0, 1):
        r = np.clip(rows + np.where(flat, k, 0), 0, height - 1)
        c = np.clip(cols + np.where(flat, 0, k), 0, width - 1)
        hit |= np.where(flat, seen[0][r, c], seen[1][r, c])
    return (~hit).sum(axis=1)
