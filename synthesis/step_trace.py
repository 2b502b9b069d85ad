"""Follow a Kaplan-Meier step function through the coverage map of its colour.

A curve is traced as the cheapest path through the plot area from survival 1
at time 0 to the right edge (:func:`trace_path`), by dynamic programming over
columns (the shortest-path formulation of curve tracing; Montanari 1971,
Commun ACM 14:335). The path may stay at its row or go down within a column,
never up, because survival never increases: text and marks that stick out
above the curve, and the bars of marks below it (from which the path could
not climb back), are left aside by construction. A column costs the line's
missing coverage at the path's row (the line drawn as a band as wide as the
measured line width); a drop costs the missing coverage of the rows it
passes through, so drops go down the drawn vertical lines. Pixels of other
curves and of axis lines count as partial coverage, so a curve hidden under
another one, or under the frame at survival 1, is followed there; the bars
of the other curves' censor marks count half that (:data:`COVER_MARK_SHARE`):
a curve hidden under another runs along its line, through the middle of its
marks, and an equal cost over their ends held the level above a step of
the covering curve until the hidden curve showed again ('overlapping arms'
arm A, seeds 1-30 and 43-72: 57 -> 58 of 60 within 0.5 %, seed 56 0.85 ->
0.15 %). The path may end where the curve does (:func:`_ended_cost`):
after that it is flat and pays as if hidden where its colour shows nowhere
near, so that a line of another curve is no cheaper to run along than the
curve's own last drops.

Two curves in one colour (a solid and a dashed arm, say) are traced as a
first path and a second one that treats the first one's line as another
curve's (:func:`trace_curves`); each is then read with the other's line as
another curve's (:func:`evidence_per_curve`).

This module owns the path tracing; the pieces it builds on, and those
that read its result, live beside it:

- :mod:`synthesis.line_evidence`: the pixel evidence of a colour and the
  line width;
- :mod:`synthesis.dashed_lines`: dash gaps bridged, two curves of one
  colour sorted by their dash pattern;
- :mod:`synthesis.censor_marks`: censor marks found by shape before
  tracing and above the traced line after it;
- :mod:`synthesis.step_corners`: the path read to subpixel step corners;
- :mod:`synthesis.step_fit`: drops and narrow plateaus fitted to a drawing
  of the step curve.

The column-scanning idea is that of SurvdigitizeR (Zhang et al. 2024, BMC
Med Res Methodol 24:147); the monotone path makes the step-function
constraint explicit.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import ndimage

from synthesis.dashed_lines import bridged_coverage, looks_dashed, split_by_dash_pattern
from synthesis.line_evidence import (
    SEEN,
    CurveEvidence,
    TraceSettings,
    band_coverage,
    path_zone,
)

#: Evidence of a pixel of another curve or of an axis line (1 = the curve's
#: own colour): enough to follow a curve hidden there, never preferred to it.
HIDDEN_EVIDENCE = 0.5
#: Share of :data:`HIDDEN_EVIDENCE` that a bar of another curve's censor mark
#: gives: it may hide the curve, but a hidden curve runs along the other
#: curve's line, through the middle of its marks, not along their ends.
COVER_MARK_SHARE = 0.5
#: Cost of starting a drop, in columns of entirely missing line: keeps one
#: drop in one piece and noise from making drops.
DROP_PENALTY = 0.5
#: Prefer, between paths of equal cost, the higher one (or the lower one for
#: the lower envelope): a drop inside a gap is put where the curve shows again.
TIE_BREAK = 1e-9


def trace_path(
    evidence: CurveEvidence,
    start_row: float,
    settings: TraceSettings,
    *,
    coverage: np.ndarray | None = None,
    lowest: bool = False,
) -> np.ndarray:
    """Row of the curve in every column: the cheapest monotone path.

    Parameters
    ----------
    evidence : CurveEvidence
    start_row : float
        Row of survival 1; the path starts within a pixel of it.
    settings : TraceSettings
    coverage : numpy.ndarray, optional
        The curve's coverage to follow, if not ``evidence.own`` (e.g. with
        dash gaps bridged).
    lowest : bool
        Between paths of equal cost take the lowest, not the highest.

    Returns
    -------
    numpy.ndarray
        Integer row per column, non-decreasing (survival never rises).
    """
    own = evidence.own if coverage is None else coverage
    hidden = evidence.hidden_coverage
    if evidence.cover_marks is not None:
        hidden = np.maximum(np.where(evidence.cover_marks, COVER_MARK_SHARE * evidence.other,
                                     evidence.other), evidence.lines)
    miss = 1.0 - np.maximum(own, HIDDEN_EVIDENCE * hidden)
    template = settings.template
    # Cost of a flat line at each row: its band's missing coverage (0-1).
    flat = ndimage.correlate1d(miss, template, axis=0, mode="constant", cval=1.0) / template.sum()
    height, width = miss.shape
    rows = np.arange(height)
    # Column-major copies: each step of the loop reads one contiguous column.
    flat = np.ascontiguousarray((flat + (-TIE_BREAK if lowest else TIE_BREAK) * rows[:, None]).T)
    down = np.cumsum(np.ascontiguousarray(miss.T, dtype=np.float64), axis=1)
    ended_cost = _ended_cost(own, settings)
    cost = np.full(height, np.inf)
    first = round(float(start_row))
    cost[max(first - 1, 0):min(first + 2, height)] = 0.0
    entries = np.empty((width, height))
    drops = np.empty((width, height), dtype=bool)
    dropped = np.full(height, np.inf)
    # The curve's end: from there on the path is flat and costs ended_cost per column.
    ended = np.full(height, np.inf)
    ends = np.empty((width, height), dtype=bool)
    for x in range(width):
        np.less(cost, ended, out=ends[x])
        np.minimum(cost, ended, out=ended)
        ended += ended_cost[x]
        # Going down from row a to row b in this column costs down[b] - down[a].
        entry = np.subtract(cost, down[x], out=entries[x])
        best = np.minimum.accumulate(entry)
        np.add(down[x, 1:], best[:-1], out=dropped[1:])
        dropped[1:] += DROP_PENALTY
        np.less(dropped, cost, out=drops[x])
        np.minimum(dropped, cost, out=cost)
        cost += flat[x]
    path = np.empty(width, dtype=np.int64)
    row = int(np.argmin(np.minimum(cost, ended)))
    after_end = ended[row] < cost[row]
    for x in range(width - 1, -1, -1):
        path[x] = row
        if after_end:
            # Flat back to the column where the curve ended.
            after_end = not ends[x, row]
            continue
        if drops[x, row]:
            # The drop came from the lowest row with the cheapest entry above ``row``.
            row = row - 1 - int(np.argmin(entries[x, :row][::-1]))
    return path


def _ended_cost(own: np.ndarray, settings: TraceSettings) -> np.ndarray:
    """Cost per column of a path that has ended: 1 where the colour shows near, else as hidden.

    A Kaplan-Meier curve ends at its last follow-up; after that its colour
    shows nowhere. A path that ends pays for the columns where the colour
    still shows (within a dash gap, so that a dashed or dotted line's gaps
    count as shown) as if it missed them all, and elsewhere what a path
    along another curve pays (``1 - HIDDEN_EVIDENCE``): so the path no
    longer rides another curve's line after its own has ended, instead of
    going down its own last drops ('overlapping arms' seed 131 arm B: three
    drops 4 px apart just before the end, the path kept on the other arm's
    line at the level above them: 16.4 % -> 0.12 %; every style, seeds
    1-42, no curve changed by more than 0.001 with
    :func:`~synthesis.step_corners._final_drop`'s rules that go with it).
    """
    shows = (own >= SEEN).any(axis=0)
    near = ndimage.maximum_filter1d(shows, 2 * settings.dash_gap + 1, mode="constant")
    return np.where(near, 1.0, 1.0 - HIDDEN_EVIDENCE)


def trace_curves(
    evidence: CurveEvidence, start_row: float, settings: TraceSettings
) -> tuple[list[np.ndarray], np.ndarray]:
    """Paths of the curve, or the two curves, drawn in one colour.

    The first path follows the drawn pixels, and the dash-bridged ones
    (:func:`~synthesis.dashed_lines.bridged_coverage`) only if it leaves
    gaps like a dashed line or sees its colour in fewer than half of the
    colour's columns (:func:`_misses_its_colour`: it stayed on the frame
    above a dotted line): bridging would also fill the notches of a
    thick solid staircase. When
    the colour has ink away from that path over
    :data:`MIN_SECOND_CURVE_SHARE` of the width, a second path is traced
    with the first one's line counted as another curve's (followable, never
    preferred), so it takes a second line where there is one and shares the
    first elsewhere; away from the first line, dash gaps are bridged for it.
    Either path, if it still sees its ink in fewer than half of the columns
    that hold it, ran along the frame and is traced again without it
    (:func:`_retraced_off_the_frame`). If the two part for long enough (:func:`_two_curves`), their upper and
    lower envelopes are sorted into two curves by
    :func:`~synthesis.dashed_lines.split_by_dash_pattern`.

    Returns
    -------
    paths : list of numpy.ndarray
        One row per column for each curve.
    coverage : numpy.ndarray
        The own coverage with dash gaps bridged where it was needed (else
        the drawn coverage).
    """
    bridged = evidence.own
    first = trace_path(evidence, start_row, settings)
    if looks_dashed(first, evidence, settings) or _misses_its_colour(first, evidence, settings):
        bridged = bridged_coverage(evidence, settings)
        first = trace_path(evidence, start_row, settings, coverage=bridged)
    first = _retraced_off_the_frame(first, evidence, start_row, settings, bridged)
    zone = path_zone(first, evidence.own.shape, settings)
    away = (evidence.mask & ~zone).any(axis=0).sum()
    if away < MIN_SECOND_CURVE_SHARE * first.size:
        return [first], bridged
    if bridged is evidence.own:
        bridged = bridged_coverage(evidence, settings)
    rest = CurveEvidence(
        own=np.where(zone, 0.0, evidence.own).astype(np.float32), mask=evidence.mask & ~zone,
        other=np.maximum(evidence.other, np.where(zone, bridged, 0.0)).astype(np.float32),
        lines=evidence.lines, marks=evidence.marks, crossbars=evidence.crossbars,
        cover_marks=evidence.cover_marks, under_marks=evidence.under_marks,
    )
    away_coverage = np.where(zone, 0.0, bridged)
    second = trace_path(rest, start_row, settings, coverage=away_coverage, lowest=True)
    second = _retraced_off_the_frame(second, rest, start_row, settings, away_coverage, lowest=True)
    upper, lower = np.minimum(first, second), np.maximum(first, second)
    if not _two_curves(upper, lower, evidence, settings):
        return [first], bridged
    return list(split_by_dash_pattern(upper, lower, evidence.own, settings,
                                      hidden=evidence.hidden_coverage, traced=first)), bridged


def evidence_per_curve(evidence: CurveEvidence, paths: list[np.ndarray], bridged: np.ndarray,
                       settings: TraceSettings) -> list[tuple[CurveEvidence, np.ndarray]]:
    """The evidence, and the bridged coverage, each curve of a colour is read from.

    For two curves of one colour, each is read with the other's line,
    away from its own, counted as another curve's (as the second path was
    traced in :func:`trace_curves`): its pixels are then unknown, not ink
    of this curve that the fits of :mod:`synthesis.step_fit` would try to
    explain.
    """
    if len(paths) < 2:
        return [(evidence, bridged)] * len(paths)
    zones = [path_zone(p, evidence.own.shape, settings) for p in paths]
    apart = []
    for k, zone in enumerate(zones):
        others = np.logical_or.reduce([z for i, z in enumerate(zones) if i != k]) & ~zone
        apart.append((CurveEvidence(
            own=np.where(others, 0.0, evidence.own).astype(np.float32),
            mask=evidence.mask & ~others,
            other=np.maximum(evidence.other, np.where(others, evidence.own, 0.0)).astype(np.float32),
            lines=evidence.lines, marks=evidence.marks, crossbars=evidence.crossbars,
            cover_marks=evidence.cover_marks, under_marks=evidence.under_marks,
        ), np.where(others, 0.0, bridged)))
    return apart


def _retraced_off_the_frame(path: np.ndarray, evidence: CurveEvidence, start_row: float,
                            settings: TraceSettings, coverage: np.ndarray, *, lowest: bool = False) -> np.ndarray:
    """The path, traced again with the axis lines not hiding the curve if it missed its colour.

    A path that sees its ink in fewer than half of the columns holding it
    (:func:`_misses_its_colour`) followed a line drawn at survival 1 (R's
    frame), not the curve: the frame costs only half a missing line per
    column and no drops. A 1 px line that straddles two rows costs nearly
    as much per column as a hidden line (0.47 against 0.59 for 'base thin'
    R seed 7 arm B), and its drops more once the censor marks' bars are
    left out (no curve; 0.05 % traced again). A second path ran along it
    instead of a dashed arm whose gaps are longer than those bridged
    (R 'base bw' seed 7, an arm ending at 28 of 36 months: not found, arm B
    37 %; 1.3 % traced again).
    """
    if not _misses_its_colour(path, evidence, settings):
        return path
    return trace_path(replace(evidence, lines=np.zeros_like(evidence.lines)), start_row, settings,
                      coverage=coverage, lowest=lowest)


def _misses_its_colour(path: np.ndarray, evidence: CurveEvidence, settings: TraceSettings) -> bool:
    """Whether a path sees its colour in fewer than half the columns that hold the colour.

    A dotted line covers about a third of its band (':' dots 2.8 px every
    7.4 px for a 2 pt line at 100 dpi): its missing coverage costs more per column than
    the frame line at survival 1 (:data:`HIDDEN_EVIDENCE`), so a path that
    has not left the frame before the first dot may never leave it
    (arm B of the bench's 'dashed colours' on 8 of seeds 2-12: no curve).
    Such a path sees its own colour nowhere; the dots, bridged, are then
    followed.
    """
    seen = band_coverage(evidence.own, path, settings) >= SEEN
    return seen.sum() < MIN_SEEN_SHARE * evidence.mask.any(axis=0).sum()


#: A path follows its colour when it sees it in this share of the colour's columns.
MIN_SEEN_SHARE = 0.5
#: Two curves of one colour are apart, both drawn, over this share of the plot width.
MIN_SECOND_CURVE_SHARE = 0.15


def _two_curves(upper: np.ndarray, lower: np.ndarray, evidence: CurveEvidence,
                settings: TraceSettings) -> bool:
    """Whether the colour carries two curves: its upper and lower envelopes part.

    For one curve both envelopes follow the same line. Two curves are apart,
    each on a drawn line, over at least :data:`MIN_SECOND_CURVE_SHARE` of the width.
    """
    apart = lower - upper > settings.width + 2
    on_upper = band_coverage(evidence.own, upper, settings) >= SEEN
    on_lower = band_coverage(evidence.own, lower, settings) >= SEEN
    return (apart & on_upper & on_lower).sum() >= MIN_SECOND_CURVE_SHARE * upper.size
