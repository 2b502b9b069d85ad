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
another one, or under the frame at survival 1, is followed there. For a
dashed line, gaps between its pieces are bridged (:func:`bridged_coverage`).
Censor marks ('+', '|') are found by their shape before tracing
(:func:`find_mark_bars`) and their bars left out.

The path, at whole pixels, is then read to subpixel precision
(:func:`steps_from_path`): each flat run's level from the edges of the
anti-aliased line across it (median over its columns, which censor marks do
not move), made non-increasing in survival by pool-adjacent-violators
(Barlow et al. 1972); each drop is placed where a drawn step with the
measured line width fits the pixels best, and plateaus narrower than a few
line widths are refitted with their drops to a drawing of the curve. Marks
not found by shape are what sticks out above the traced line
(:func:`censor_marks`).

Two curves in one colour (a solid and a dashed arm, say) are traced as a
first path and a second one that treats the first one's line as another
curve's; their upper and lower envelopes are sorted into the two curves by
their dash pattern, which may swap only where the envelopes meet
(:func:`split_by_dash_pattern`).

The column-scanning idea is that of SurvdigitizeR (Zhang et al. 2024, BMC
Med Res Methodol 24:147); the monotone path makes the step-function
constraint explicit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import ndimage

#: Evidence of a pixel of another curve or of an axis line (1 = the curve's
#: own colour): enough to follow a curve hidden there, never preferred to it.
HIDDEN_EVIDENCE = 0.5
#: Evidence of a pixel filled in by bridging a dash gap.
BRIDGED_EVIDENCE = 0.9
#: Cost of starting a drop, in columns of entirely missing line: keeps one
#: drop in one piece and noise from making drops.
DROP_PENALTY = 0.5
#: Prefer, between paths of equal cost, the higher one (or the lower one for
#: the lower envelope): a drop inside a gap is put where the curve shows again.
TIE_BREAK = 1e-9
#: Share of the line's band covered from which the line counts as seen.
SEEN = 0.35
#: Coverage below which a pixel is paper when reading a line's edges.
PAPER = 0.2
#: A dashed line leaves more than this share of its columns empty (matplotlib
#: "--": about 0.3; solid: none).
DASHED_GAP_SHARE = 0.06


@dataclass
class ColumnRuns:
    """Vertical runs of ``True`` pixels per column: ``starts[x]``, ``ends[x]`` (inclusive)."""

    starts: list[np.ndarray]
    ends: list[np.ndarray]

    @classmethod
    def of(cls, mask: np.ndarray) -> ColumnRuns:
        # Column-major and contiguous, so that runs come out sorted by column.
        padded = np.zeros((mask.shape[1], mask.shape[0] + 2), dtype=np.int8)
        padded[:, 1:-1] = mask.T
        edges = np.diff(padded, axis=1)
        xs, ys = np.nonzero(edges)
        rising = edges[xs, ys] == 1
        columns = np.arange(1, mask.shape[1])
        starts = np.split(ys[rising], np.searchsorted(xs[rising], columns))
        ends = np.split(ys[~rising] - 1, np.searchsorted(xs[~rising], columns))
        return cls(starts, ends)

    def heights(self) -> np.ndarray:
        return np.concatenate([e - s + 1 for s, e in zip(self.starts, self.ends)] or [[]])


@dataclass(frozen=True)
class CurveEvidence:
    """What the plot area shows of one curve colour (plot-area pixels).

    Attributes
    ----------
    own : numpy.ndarray
        Coverage (0-1, float) of each pixel by the curve's colour, anti-aliased
        edges included.
    mask : numpy.ndarray
        Pixels of the curve's colour at full strength (bool).
    other : numpy.ndarray
        Coverage by the other curve colours.
    lines : numpy.ndarray
        Pixels of axis, frame and grid lines that were removed (bool).
    marks : numpy.ndarray, optional
        Pixels of censor marks taken out of ``own`` (bool): not ink to follow,
        and unknown when the line is read to a fraction of a pixel.
    """

    own: np.ndarray
    mask: np.ndarray
    other: np.ndarray
    lines: np.ndarray
    marks: np.ndarray | None = None

    def unknown(self) -> np.ndarray:
        """Pixels whose coverage by the curve cannot be read: hidden, or a mark's."""
        hidden = self.hidden_coverage >= 0.5
        return hidden if self.marks is None else hidden | self.marks

    @cached_property
    def hidden_coverage(self) -> np.ndarray:
        """Coverage by anything that may hide the curve: other curves and axis lines."""
        return np.maximum(self.other, self.lines.astype(np.float32))


@dataclass(frozen=True)
class TraceSettings:
    """Pixel sizes derived from the measured line width ``width`` (may be fractional)."""

    width: float

    @property
    def half(self) -> int:
        """Rows a flat line covers on each side of its centre row."""
        return max(0, int(np.ceil(self.width / 2 - 0.5)))

    @property
    def template(self) -> np.ndarray:
        """Coverage of the rows of a flat line centred on a row (its band)."""
        k = np.arange(-self.half, self.half + 1)
        return np.clip(self.width / 2 + 0.5 - np.abs(k), 0.0, 1.0)

    @property
    def dash_gap(self) -> int:
        """Longest dash gap bridged: matplotlib's are 1.6-1.65 line widths."""
        return max(4, int(np.ceil(1.8 * self.width)) + 1)


def measure_line_width(own: np.ndarray, runs: ColumnRuns) -> float:
    """Line width in pixels, to a fraction of a pixel.

    Where a column holds one flat run of the colour (``runs``, the most
    common run height), its summed coverage, a pixel either side included,
    is the width of the anti-aliased line.
    """
    heights = runs.heights()
    if heights.size == 0:
        return 1.0
    mode = int(np.bincount(heights.astype(int)).argmax())
    single = [(x, s[0]) for x, (s, e) in enumerate(zip(runs.starts, runs.ends))
              if s.size == 1 and e[0] - s[0] + 1 == mode]
    if not single:
        return float(mode)
    cols, tops = np.array(single).T
    rows = np.clip(tops[:, None] + np.arange(-1, mode + 1)[None, :], 0, own.shape[0] - 1)
    return float(np.median(own[rows, cols[:, None]].sum(axis=1)))


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
    miss = 1.0 - np.maximum(own, HIDDEN_EVIDENCE * evidence.hidden_coverage)
    template = settings.template
    # Cost of a flat line at each row: its band's missing coverage (0-1).
    flat = ndimage.correlate1d(miss, template, axis=0, mode="constant", cval=1.0) / template.sum()
    height, width = miss.shape
    rows = np.arange(height)
    # Column-major copies: each step of the loop reads one contiguous column.
    flat = np.ascontiguousarray((flat + (-TIE_BREAK if lowest else TIE_BREAK) * rows[:, None]).T)
    down = np.cumsum(np.ascontiguousarray(miss.T, dtype=np.float64), axis=1)
    cost = np.full(height, np.inf)
    first = round(float(start_row))
    cost[max(first - 1, 0):min(first + 2, height)] = 0.0
    entries = np.empty((width, height))
    drops = np.empty((width, height), dtype=bool)
    dropped = np.full(height, np.inf)
    for x in range(width):
        # Going down from row a to row b in this column costs down[b] - down[a].
        entry = np.subtract(cost, down[x], out=entries[x])
        best = np.minimum.accumulate(entry)
        np.add(down[x, 1:], best[:-1], out=dropped[1:])
        dropped[1:] += DROP_PENALTY
        np.less(dropped, cost, out=drops[x])
        np.minimum(dropped, cost, out=cost)
        cost += flat[x]
    path = np.empty(width, dtype=np.int64)
    row = int(np.argmin(cost))
    for x in range(width - 1, -1, -1):
        path[x] = row
        if drops[x, row]:
            # The drop came from the lowest row with the cheapest entry above ``row``.
            row = row - 1 - int(np.argmin(entries[x, :row][::-1]))
    return path


def trace_curves(
    evidence: CurveEvidence, start_row: float, settings: TraceSettings
) -> tuple[list[np.ndarray], np.ndarray]:
    """Paths of the curve, or the two curves, drawn in one colour.

    The first path follows the drawn pixels, and the dash-bridged ones
    (:func:`bridged_coverage`) only if it leaves gaps like a dashed line:
    bridging would also fill the notches of a thick solid staircase. When
    the colour has ink away from that path over
    :data:`MIN_SECOND_CURVE_SHARE` of the width, a second path is traced
    with the first one's line counted as another curve's (followable, never
    preferred), so it takes a second line where there is one and shares the
    first elsewhere; away from the first line, dash gaps are bridged for it.
    If the two part for long enough (:func:`_two_curves`), their upper and
    lower envelopes are sorted into two curves by
    :func:`split_by_dash_pattern`.

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
    if looks_dashed(first, evidence, settings):
        bridged = bridged_coverage(evidence, settings)
        first = trace_path(evidence, start_row, settings, coverage=bridged)
    zone = _path_zone(first, evidence.own.shape, settings)
    away = (evidence.mask & ~zone).any(axis=0).sum()
    if away < MIN_SECOND_CURVE_SHARE * first.size:
        return [first], bridged
    if bridged is evidence.own:
        bridged = bridged_coverage(evidence, settings)
    rest = CurveEvidence(
        own=np.where(zone, 0.0, evidence.own).astype(np.float32), mask=evidence.mask & ~zone,
        other=np.maximum(evidence.other, np.where(zone, bridged, 0.0)).astype(np.float32),
        lines=evidence.lines, marks=evidence.marks,
    )
    second = trace_path(rest, start_row, settings, coverage=np.where(zone, 0.0, bridged),
                        lowest=True)
    upper, lower = np.minimum(first, second), np.maximum(first, second)
    if not _two_curves(upper, lower, evidence, settings):
        return [first], bridged
    return list(split_by_dash_pattern(upper, lower, evidence.own, settings)), bridged


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


def looks_dashed(path: np.ndarray, evidence: CurveEvidence, settings: TraceSettings) -> bool:
    """Whether the line along a path leaves gaps where nothing hides it (a dashed line)."""
    seen = band_coverage(evidence.own, path, settings) >= SEEN
    if not seen.any():
        return False
    end = np.nonzero(seen)[0][-1] + 1
    free = band_coverage(evidence.hidden_coverage, path, settings)[:end] < SEEN
    return free.sum() > 0 and 1 - seen[:end][free].mean() > DASHED_GAP_SHARE


def _path_zone(path: np.ndarray, shape: tuple[int, int], settings: TraceSettings) -> np.ndarray:
    """Pixels of the line along a traced path, its drops included."""
    reach = settings.half + 1
    padded = np.concatenate([np.full(reach, path[0]), path, np.full(reach, path[-1])])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    rows = np.arange(shape[0])[:, None]
    return (rows >= windows.min(axis=1)[None, :] - reach) & (rows <= windows.max(axis=1)[None, :] + reach)


def band_coverage(coverage: np.ndarray, path: np.ndarray, settings: TraceSettings) -> np.ndarray:
    """Share of the line's band covered at the path's row, per column."""
    template = settings.template
    rows = path[None, :] + np.arange(-settings.half, settings.half + 1)[:, None]
    inside = (rows >= 0) & (rows < coverage.shape[0])
    cols = np.broadcast_to(np.arange(path.size), rows.shape)
    values = np.where(inside, coverage[np.clip(rows, 0, coverage.shape[0] - 1), cols], 0.0)
    return (template[:, None] * values).sum(axis=0) / template.sum()


@dataclass(frozen=True)
class StepCurve:
    """A traced curve in plot-area pixels.

    ``corner_x``/``corner_y`` are the step corners (two per drop),
    ``start_hidden`` says that the first drop, from survival 1, was not
    drawn, ``lost`` and ``hidden`` are the column spans where the curve was
    not seen and where it was followed under another curve, ``hidden_tail``
    where it may go on hidden after it was last seen.
    """

    corner_x: np.ndarray
    corner_y: np.ndarray
    start_hidden: bool
    lost: list[tuple[int, int]]
    hidden: list[tuple[int, int]]
    hidden_tail: tuple[int, int] | None
    gap_share: float
    line_width: float


def steps_from_path(
    path: np.ndarray,
    evidence: CurveEvidence,
    settings: TraceSettings,
    bridged: np.ndarray,
    start_row: float,
) -> StepCurve | None:
    """Read the step corners of a traced path; ``None`` if the colour is never on it.

    The path ends at the last column where the curve's own colour covers it.
    Flat runs of the path are plateaus; their levels are read from the
    line's edges (:func:`_plateau_level`), made non-increasing in survival
    (:func:`_monotone`) and each drop is placed by :func:`_drop_position`.
    A path that leaves the first column already below survival 1 (``start_row``)
    dropped within it: the curve starts at survival 1 and that drop is
    placed like the others, a fraction of a pixel after time 0.
    """
    seen_own = band_coverage(evidence.own, path, settings) >= SEEN
    if not seen_own.any():
        return None
    last = int(np.nonzero(seen_own)[0][-1])
    seen_bridged = band_coverage(bridged, path, settings) >= SEEN
    seen_other = band_coverage(evidence.other, path, settings) >= SEEN
    seen_line = band_coverage(evidence.lines.astype(np.float32), path, settings) >= SEEN
    hidden = ~seen_bridged & seen_other
    # At survival 1 the curve runs under the top of the frame, as expected.
    lost = ~seen_bridged & ~seen_other & ~seen_line & (path > round(start_row) + 1)
    tail = _hidden_tail(path, seen_other, last)

    path = path[: last + 1]
    breaks = np.nonzero(np.diff(path))[0] + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks - 1, [last]])
    cover = evidence.hidden_coverage
    unknown = evidence.unknown()
    combined = np.maximum(evidence.own, cover)
    levels = np.array([
        _plateau_level(evidence.own, unknown, combined, path[a], a, b, settings)
        for a, b in zip(starts, ends)
    ])
    top = round(float(start_row))
    opens_low = path[0] > top + 1
    # Whether the first drop is drawn (else the curve is first seen below survival 1).
    start_hidden = opens_low and evidence.own[top + 1:path[0], :2].max(axis=1).mean() < 0.5
    if opens_low:
        starts, ends = np.concatenate([[0], starts]), np.concatenate([[-1], ends])
        levels = np.concatenate([[start_row], levels])
    weights = np.maximum(ends - starts + 1, 1)
    levels = _monotone(levels, weights)
    keep = np.concatenate([[True], np.diff(levels) > 0.3])
    group = np.cumsum(keep) - 1
    levels = np.array([np.average(levels[group == g], weights=weights[group == g])
                       for g in range(group[-1] + 1)])
    starts, ends = starts[keep], np.append(starts[keep][1:] - 1, last)
    dashed = looks_dashed(path, evidence, settings)
    fit = bridged if dashed else evidence.own
    drops = [
        _drop_position(fit, unknown, combined, levels[k], levels[k + 1], starts[k], starts[k + 1],
                       ends[k + 1], settings)
        for k in range(len(levels) - 1)
    ]
    levels, drops = _refine_narrow(levels, np.array(drops, dtype=float), float(last), fit,
                                   unknown, settings)
    if not dashed:
        levels, drops = _split_merged_drops(levels, drops, float(last), fit, unknown, settings)
    xs = np.repeat(np.concatenate([[0.0], drops, [float(last)]]), 2)[1:-1]
    ys = np.repeat(levels, 2)
    return StepCurve(
        corner_x=np.asarray(xs, dtype=float),
        corner_y=np.asarray(ys, dtype=float),
        start_hidden=bool(start_hidden),
        lost=_spans(np.nonzero(lost[: last + 1])[0]),
        hidden=_spans(np.nonzero(hidden[: last + 1])[0]),
        hidden_tail=tail,
        gap_share=float(1 - seen_own[: last + 1].mean()),
        line_width=settings.width,
    )


def _hidden_tail(path: np.ndarray, seen_other: np.ndarray, last: int) -> tuple[int, int] | None:
    """Columns after the curve's end where it may go on at its last row under another curve."""
    after = np.arange(last + 1, path.size)
    on = after[(path[after] == path[last]) & seen_other[after]]
    if on.size == 0 or on[0] > last + 2:
        return None
    span = _spans(on)[0]
    return span


def _plateau_level(own: np.ndarray, unknown: np.ndarray, combined: np.ndarray, row: int,
                   a: int, b: int, settings: TraceSettings) -> float:
    """Subpixel row of a flat run at ``row`` over columns ``a..b``.

    In each column the line's top edge lies ``S`` pixels of coverage above
    the bottom of row ``row`` (``S`` summed from paper above down to that
    row), and likewise its bottom edge; the centre is half a line width
    from either. A column counts for an edge only with paper beyond it, so
    censor marks' bars, the drop lines at the run's ends and ``unknown``
    pixels (other curves or axis lines over the line) leave it out; the
    median over columns is the level. Columns next to a drop give one edge
    only; from both edges the line width cancels out. A run hidden all along
    is read from the ink that hides it (``combined``).
    """
    edge = settings.half + 2
    inset = settings.half + 1
    if b - a >= 2 * inset + 2:
        a, b = a + inset, b - inset
    for coverage, hidden in ((own, unknown), (combined, None)):
        top, bottom = _edge_levels(coverage, hidden, row, a, b, edge, settings.width)
        both = ~np.isnan(top) & ~np.isnan(bottom)
        if both.any():
            return float(np.median((top[both] + bottom[both]) / 2))
        tops, bottoms = top[~np.isnan(top)], bottom[~np.isnan(bottom)]
        if tops.size and bottoms.size:
            return float((np.median(tops) + np.median(bottoms)) / 2)
        if tops.size or bottoms.size:
            return float(np.median(tops if tops.size else bottoms))
    return float(row)


def _edge_levels(coverage: np.ndarray, unknown: np.ndarray | None, row: int, a: int, b: int,
                 edge: int, width: float):
    """Line centre per column read from its top and from its bottom edge (NaN: unreadable).

    ``unknown`` pixels (covered by something else) make the half of the
    window they are in unreadable.
    """
    lo, hi = row - edge, row + edge
    if lo < 0 or hi >= coverage.shape[0]:
        nan = np.full(b - a + 1, np.nan)
        return nan, nan
    window = coverage[lo:hi + 1, a:b + 1].astype(np.float64)
    above = window[: edge + 1].sum(axis=0)  # rows lo..row
    below = window[edge:].sum(axis=0)  # rows row..hi
    # The edge is readable with paper beyond it and the line crossing ``row``.
    top_ok = (window[0] < PAPER) & (above > 0.3) & (above < width - 0.3)
    bottom_ok = (window[-1] < PAPER) & (below > 0.3) & (below < width - 0.3)
    if unknown is not None:
        hidden = unknown[lo:hi + 1, a:b + 1]
        top_ok &= ~hidden[: edge + 1].any(axis=0)
        bottom_ok &= ~hidden[edge:].any(axis=0)
    top = np.where(top_ok, row + 0.5 + width / 2 - above, np.nan)
    bottom = np.where(bottom_ok, row - 0.5 - width / 2 + below, np.nan)
    return top, bottom


def _drop_position(coverage: np.ndarray, unknown: np.ndarray, combined: np.ndarray,
                   upper: float, lower: float, upper_start: int, lower_start: int,
                   lower_end: int, settings: TraceSettings) -> float:
    """Column of the vertical line between two levels: the best-fitting drawn step.

    A step drawn with line width ``w`` covers the upper level up to ``x + w/2``,
    the lower level from ``x - w/2`` and the column band ``x -+ w/2`` between
    them. Candidate ``x`` every quarter pixel around the traced drop; the one
    whose drawing differs least (sum of squares) from the coverage is taken.
    ``unknown`` pixels (under other curves or axis lines, or censor marks')
    are left out, unless the step is hidden entirely: then it is fitted to
    the ``combined`` ink that hides it. Marks and neighbouring drops add the same misfit to
    every candidate unless they overlap the step itself.
    """
    w = settings.width
    reach = int(np.ceil(w)) + 3
    left = max(upper_start, lower_start - reach)
    right = min(lower_end, lower_start + reach)
    top = max(int(np.floor(upper - w / 2)) - 1, 0)
    bottom = min(int(np.ceil(lower + w / 2)) + 1, coverage.shape[0] - 1)
    if right - left < 2:
        # Between the last column of the upper level and the first of the lower.
        return max(lower_start - 0.5, upper_start + 0.5)
    box = (slice(top, bottom + 1), slice(left, right + 1))
    window = coverage[box].astype(np.float64)
    weight = (~unknown[box]).astype(np.float64)
    if not (window > 0.5).any():
        window, weight = combined[box].astype(np.float64), np.ones_like(window)
    cols = np.arange(left, right + 1, dtype=float)[None, :]
    rows = np.arange(top, bottom + 1, dtype=float)
    candidates = np.arange(left + 0.5, right - 0.5 + 1e-9, 0.25)[:, None]
    band_up = _overlap(rows, upper - w / 2, upper + w / 2)[None, :, None]
    band_low = _overlap(rows, lower - w / 2, lower + w / 2)[None, :, None]
    span = _overlap(rows, upper, lower)[None, :, None]
    # Drawn steps for every candidate at once: candidate x row x column.
    drawn = np.maximum(np.maximum(
        band_up * _overlap(cols, -np.inf, candidates + w / 2)[:, None, :],
        band_low * _overlap(cols, candidates - w / 2, np.inf)[:, None, :]),
        span * _overlap(cols, candidates - w / 2, candidates + w / 2)[:, None, :])
    misfit = (weight[None] * (window[None] - drawn) ** 2).sum(axis=(1, 2))
    best = np.nonzero(misfit <= misfit.min() + 1e-9)[0]
    return float(candidates[best, 0].mean())


def _refine_narrow(levels: np.ndarray, drops: np.ndarray, end: float, coverage: np.ndarray,
                   unknown: np.ndarray, settings: TraceSettings) -> tuple[np.ndarray, np.ndarray]:
    """Refit narrow plateaus and their drops to a drawing of the step curve.

    Where plateaus are narrower than a few line widths (events close
    together, a thick line) their lines run into one another and the drop
    lines; their edges show only in part. Each such plateau's level, then
    each drop beside it, is moved to where the step curve drawn with the
    measured line width (:func:`_pieces`) fits the pixels best, by coordinate
    descent (two sweeps). Drawn ink on paper costs fully, ink left
    unexplained (a censor mark, another curve) little, unknown pixels
    nothing.
    """
    w = settings.width
    starts = np.concatenate([[0.0], drops])
    stops = np.concatenate([drops, [end]])
    # The first plateau is survival 1, often under the frame: neither it nor
    # its drop is refitted.
    narrow = np.nonzero(stops - starts < NARROW_PLATEAU * w + 4)[0]
    narrow = narrow[narrow > 0]
    if narrow.size == 0:
        return levels, drops
    levels, drops = levels.copy(), drops.copy()
    steps = np.arange(-w / 2, w / 2 + 1e-9, 0.25)
    for _ in range(2):
        for k in narrow:
            low = levels[k - 1] + 0.5 if k > 0 else -np.inf
            high = levels[k + 1] - 0.5 if k + 1 < len(levels) else np.inf
            options = levels[k] + steps
            options = options[(options > low) & (options < high)]
            levels[k] = _best_fit(levels, drops, end, coverage, unknown, w, k, options, "level")
        for j in sorted({d for k in narrow for d in (k - 1, k) if 0 < d < len(drops)}):
            low = drops[j - 1] + 0.25 if j > 0 else 0.25
            high = drops[j + 1] - 0.25 if j + 1 < len(drops) else end
            options = drops[j] + np.arange(-w, w + 1e-9, 0.25)
            options = options[(options >= low) & (options <= high)]
            drops[j] = _best_fit(levels, drops, end, coverage, unknown, w, j, options, "drop")
    return levels, drops


def _split_merged_drops(levels: np.ndarray, drops: np.ndarray, end: float, coverage: np.ndarray,
                        unknown: np.ndarray, settings: TraceSettings) -> tuple[np.ndarray, np.ndarray]:
    """Split a drop in two where a staircase narrower than the line was traced as one.

    Under a thick line, a plateau shorter than the line is wide sits inside
    the drops' lines around it; the traced path may step over it, leaving
    one tall drop. For each drop taller than :data:`SPLIT_HEIGHT` line
    widths beside a narrow plateau, the two-step drawing (a level between,
    its two drops refitted as in :func:`_refine_narrow`) replaces the one
    step where it fits the pixels better by more than :data:`SPLIT_GAIN`.
    """
    w = settings.width
    j = 0
    while j < len(drops):
        upper, lower = levels[j], levels[j + 1]
        widths = np.diff(np.concatenate([[0.0], drops, [end]]))
        narrow = min(widths[j], widths[j + 1]) < NARROW_PLATEAU * w + 4
        if lower - upper <= SPLIT_HEIGHT * w or not narrow or j == 0:
            j += 1
            continue
        x = drops[j]
        cols = np.arange(max(int(np.floor(x - 2 * w - 2)), 0),
                         min(int(np.ceil(x + 2 * w + 2)), coverage.shape[1] - 1) + 1).astype(float)
        rows = np.arange(max(int(np.floor(upper - w)), 0),
                         min(int(np.ceil(lower + w)), coverage.shape[0] - 1) + 1).astype(float)
        one = _window_misfit(levels, drops, end, coverage, unknown, w, rows, cols)
        if one <= SPLIT_GAIN:
            # Misfit cannot go below zero: no split could save enough.
            j += 1
            continue
        best = None
        for offset in (w / 4, w / 2, 3 * w / 4):
            trial_levels = np.insert(levels, j + 1, (upper + lower) / 2)
            trial_drops = np.insert(drops, j + 1, x + offset)
            trial_drops[j] = x - offset
            for _ in range(2):
                options = trial_levels[j + 1] + np.arange(-w / 2, w / 2 + 1e-9, 0.25)
                options = options[(options > upper + 1) & (options < lower - 1)]
                trial_levels[j + 1] = _best_fit(trial_levels, trial_drops, end, coverage, unknown, w,
                                                j + 1, options, "level")
                for d in (j, j + 1):
                    low = trial_drops[d - 1] + 0.25 if d > 0 else 0.25
                    high = trial_drops[d + 1] - 0.25 if d + 1 < len(trial_drops) else end
                    options = trial_drops[d] + np.arange(-w / 2, w / 2 + 1e-9, 0.25)
                    options = options[(options >= low) & (options <= high)]
                    trial_drops[d] = _best_fit(trial_levels, trial_drops, end, coverage, unknown, w,
                                               d, options, "drop")
            two = _window_misfit(trial_levels, trial_drops, end, coverage, unknown, w, rows, cols)
            if best is None or two < best[0]:
                best = (two, trial_levels, trial_drops)
        if best is not None and best[0] < one - SPLIT_GAIN:
            levels, drops = best[1], best[2]
            j += 2
        else:
            j += 1
    return levels, drops


#: A drop taller than this many line widths may be two steps traced as one.
SPLIT_HEIGHT = 1.6
#: Misfit (squared coverage) a split must save.
SPLIT_GAIN = 2.0


def _window_misfit(levels, drops, end, coverage, unknown, w, rows, cols) -> float:
    """Misfit of the drawn step curve to the pixels ``rows`` x ``cols``, as :func:`_best_fit` counts it."""
    pieces = _pieces(levels, drops, 0.0, end, w)
    near = (pieces[:, 1] >= cols[0] - 1) & (pieces[:, 0] <= cols[-1] + 1) & (
        pieces[:, 3] >= rows[0] - 1) & (pieces[:, 2] <= rows[-1] + 1)
    drawn = _render_each(pieces[near][None], rows, cols)[0]
    box = np.ix_(rows.astype(int), cols.astype(int))
    error = drawn - coverage[box]
    weight = (~unknown[box]).astype(np.float64)
    return float((weight * np.where(error > 0, error, -UNEXPLAINED_INK * error) ** 2).sum())


#: Plateaus narrower than this many line widths (plus 4 pixels) are refitted.
NARROW_PLATEAU = 3.0
#: Weight of ink the drawing leaves unexplained, relative to drawn ink on paper.
UNEXPLAINED_INK = 0.3
#: Plateaus either side of a refitted one that are drawn with it.
NEARBY = 4


def _best_fit(levels, drops, end, coverage, unknown, w, index, options, what) -> float:
    """The option for one level or drop whose drawing misfits the pixels least.

    The curve's other pieces are drawn once; the pieces that move with the
    option (a plateau and its two drops, or a drop and its two plateaus)
    are drawn for all options at once.
    """
    current = levels[index] if what == "level" else drops[index]
    if options.size == 0:
        return current
    if what == "level":
        x_lo = drops[index - 1] if index > 0 else 0.0
        x_hi = drops[index] if index < len(drops) else end
        y_lo = levels[index - 1] if index > 0 else levels[index]
        y_hi = levels[index + 1] if index + 1 < len(levels) else levels[index]
    else:
        x_lo, x_hi = options.min(), options.max()
        y_lo, y_hi = levels[index], levels[index + 1]
    y_lo, y_hi = min(y_lo, options.min()), max(y_hi, options.max())
    margin = w / 2 + 1
    cols = np.arange(max(int(np.floor(x_lo - margin)), 0),
                     min(int(np.ceil(x_hi + margin)), coverage.shape[1] - 1) + 1).astype(float)
    rows = np.arange(max(int(np.floor(y_lo - margin)), 0),
                     min(int(np.ceil(y_hi + margin)), coverage.shape[0] - 1) + 1).astype(float)
    if cols.size == 0 or rows.size == 0:
        return current
    box = np.ix_(rows.astype(int), cols.astype(int))
    seen = coverage[box].astype(np.float64)
    weight = (~unknown[box]).astype(np.float64)
    # Only the nearby plateaus and drops can reach the window.
    lo, hi = max(index - NEARBY, 0), min(index + NEARBY + 1, len(levels))
    pieces = _pieces(levels[lo:hi], drops[lo:hi - 1], drops[lo - 1] if lo > 0 else -np.inf,
                     drops[hi - 1] if hi < len(levels) else end, w)
    moving = _moving(hi - lo, index - lo, what)
    still = np.ones(len(pieces), dtype=bool)
    still[moving] = False
    still &= (pieces[:, 1] >= cols[0] - 1) & (pieces[:, 0] <= cols[-1] + 1) & (
        pieces[:, 3] >= rows[0] - 1) & (pieces[:, 2] <= rows[-1] + 1)
    trial = np.repeat(pieces[moving][None], options.size, axis=0)  # option x piece x (x0, x1, y0, y1)
    half = w / 2
    if what == "level":
        # The plateau's band, the bottom of the drop in and the top of the drop out.
        trial[:, 0, 2], trial[:, 0, 3] = options - half, options + half
        if index > 0:
            trial[:, 1, 3] = options
        if index < len(drops):
            trial[:, -1, 2] = options
    else:
        # The drop's column band, the end of the plateau before and the start of the one after.
        trial[:, 0, 0], trial[:, 0, 1] = options - half, options + half
        trial[:, 1, 1] = options + half
        trial[:, 2, 0] = options - half
    drawn = _render_each(trial, rows, cols)
    if still.any():
        np.maximum(drawn, _render_each(pieces[still][None], rows, cols), out=drawn)
    error = drawn - seen[None]
    misfit = (weight[None] * np.where(error > 0, error, -UNEXPLAINED_INK * error) ** 2).sum(axis=(1, 2))
    best = np.nonzero(misfit <= misfit.min() + 1e-9)[0]
    return float(options[best].mean())


def _pieces(levels: np.ndarray, drops: np.ndarray, start: float, end: float, w: float) -> np.ndarray:
    """The drawn step curve as rectangles (x0, x1, y0, y1): plateaus, then drops.

    ``levels`` run from ``start`` to ``end`` with ``drops`` between them.

    Each plateau is a band ``w`` tall from half a line width before its
    drop in to half a line width after its drop out (square joins), each
    drop a column band ``w`` wide between its two levels.
    """
    half = w / 2
    starts = np.concatenate([[start], drops])
    stops = np.concatenate([drops, [end]])
    plateaus = np.column_stack([starts - half, stops + half, levels - half, levels + half])
    verticals = np.column_stack([drops - half, drops + half, levels[:-1], levels[1:]])
    return np.vstack([plateaus, verticals])


def _moving(n_levels: int, index: int, what: str) -> list[int]:
    """Rows of :func:`_pieces` that move with a level (plateau, drop in, drop out) or a drop."""
    if what == "level":
        moving = [index]
        if index > 0:
            moving.append(n_levels + index - 1)
        if index < n_levels - 1:
            moving.append(n_levels + index)
        return moving
    return [n_levels + index, index, index + 1]


def _render_each(pieces: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Coverage of the pixels ``rows`` x ``cols`` by rectangles (x0, x1, y0, y1).

    ``pieces`` is a stack of rectangle sets (set x piece x 4); one image per set.
    """
    across = _overlap(cols[None, None, :], pieces[..., 0:1], pieces[..., 1:2])
    down = _overlap(rows[None, None, :], pieces[..., 2:3], pieces[..., 3:4])
    return (down[..., :, None] * across[..., None, :]).max(axis=1)


def _overlap(centres: np.ndarray, low, high) -> np.ndarray:
    """Share of each unit pixel centred at ``centres`` inside ``[low, high]``."""
    return np.clip(np.minimum(centres + 0.5, high) - np.maximum(centres - 0.5, low), 0.0, 1.0)


def _monotone(levels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Non-decreasing rows (survival never rises) closest to ``levels``.

    Pool-adjacent-violators with each plateau weighted by its number of
    columns: a subpixel reading that puts a narrow plateau a fraction of a
    pixel above the one before it is pooled with it.
    """
    blocks: list[list[float]] = []  # [weighted mean, weight, count]
    for level, weight in zip(levels, weights):
        blocks.append([float(level), float(weight), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            value, w, n = blocks.pop()
            blocks[-1] = [
                (blocks[-1][0] * blocks[-1][1] + value * w) / (blocks[-1][1] + w),
                blocks[-1][1] + w,
                blocks[-1][2] + n,
            ]
    return np.concatenate([np.full(int(n), value) for value, _, n in blocks])


def _spans(columns: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive column indices grouped as (first, last)."""
    if columns.size == 0:
        return []
    breaks = np.nonzero(np.diff(columns) > 1)[0]
    firsts = np.concatenate([[columns[0]], columns[breaks + 1]])
    lasts = np.concatenate([columns[breaks], [columns[-1]]])
    return [(int(a), int(b)) for a, b in zip(firsts, lasts)]


def curve_rows(step: StepCurve, n_cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Highest and lowest row of the drawn curve per column (NaN past its end).

    A column within half a line width of a drop holds both levels.
    """
    x = np.arange(n_cols, dtype=float)
    reach = step.line_width / 2 + 1
    xs, ys = step.corner_x, step.corner_y
    index_low = np.searchsorted(xs, x - reach, side="right") - 1
    index_high = np.searchsorted(xs, x + reach, side="right") - 1
    upper = ys[np.clip(index_low, 0, len(ys) - 1)]
    lower = ys[np.clip(index_high, 0, len(ys) - 1)]
    outside = x > xs[-1] + reach
    return np.where(outside, np.nan, upper), np.where(outside, np.nan, lower)


@dataclass(frozen=True)
class MarkBars:
    """Censor marks found by their shape, before tracing.

    ``centres`` holds one (column, row) per mark, ``pixels`` the marks'
    pixels that stick out of the line they sit on.
    """

    centres: np.ndarray
    pixels: np.ndarray

    def remove_from(self, evidence: CurveEvidence) -> CurveEvidence:
        """The evidence without the marks' bars (the line through them stays).

        The bars are not ink to follow, and unknown when the line is read
        to a fraction of a pixel.
        """
        return CurveEvidence(
            own=np.where(self.pixels, 0.0, evidence.own).astype(np.float32),
            mask=evidence.mask & ~self.pixels, other=evidence.other, lines=evidence.lines,
            marks=self.pixels,
        )


def find_mark_bars(evidence: CurveEvidence, runs: ColumnRuns, settings: TraceSettings) -> MarkBars:
    """Find censor marks ('+', '|') by their vertical bar.

    All marks of a figure are drawn alike: their bars are the most common
    length among the colour's vertical runs that stick out of the line (drop
    lines vary with the drop). A bar of that length is a mark when the line
    runs through its middle on both sides; a drop line has the upper level
    on its left at the top and the lower level on its right at the bottom.
    Found before tracing, the bars cannot be taken for drops (dotted lines
    show little else near a drop) nor pull the reading of a level. ``runs``
    are the vertical runs of ``evidence.mask``.
    """
    empty = MarkBars(np.empty((0, 2)), np.zeros_like(evidence.mask))
    cols = np.concatenate([np.full(len(s), x) for x, s in enumerate(runs.starts)] or [[]]).astype(int)
    starts = np.concatenate(runs.starts or [[]]).astype(int)
    ends = np.concatenate(runs.ends or [[]]).astype(int)
    lengths = ends - starts + 1
    long = lengths >= settings.width + 3
    if long.sum() < MIN_MARK_RUNS:
        return empty
    counts = np.bincount(lengths[long])
    smoothed = counts + np.append(counts[1:], 0) + np.append(0, counts[:-1])
    typical = int(np.argmax(smoothed))
    pick = long & (np.abs(lengths - typical) <= 1)
    if pick.sum() < MIN_MARK_RUNS:
        return empty
    centres, pixels = [], np.zeros_like(evidence.mask)
    for bar in _bars(cols[pick], starts[pick], ends[pick]):
        bar_cols, bar_starts, bar_ends = bar
        centre = float(np.mean((bar_starts + bar_ends) / 2))
        left, right = int(bar_cols.min()), int(bar_cols.max())
        if not (_line_beside(evidence.own, centre, left, -1, settings)
                and _line_beside(evidence.own, centre, right, 1, settings)):
            continue
        top, bottom = int(bar_starts.min()) - 1, int(bar_ends.max()) + 1
        rows = np.arange(max(top, 0), min(bottom, evidence.mask.shape[0] - 1) + 1)
        outside = rows[np.abs(rows - centre) > settings.width / 2 + 0.5]
        span = slice(max(left - 1, 0), right + 2)
        pixels[outside, span] = True
        weight = evidence.own[max(top, 0):bottom + 1, left:right + 1].sum(axis=0)
        centres.append((float((weight * np.arange(left, right + 1)).sum() / weight.sum()), centre))
    if not centres:
        return empty
    return MarkBars(np.array(centres), pixels)


#: Fewest vertical runs of one length that make a set of censor marks.
MIN_MARK_RUNS = 6


def _bars(cols: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """Group runs of adjacent columns that overlap into bars."""
    order = np.argsort(cols, kind="stable")
    cols, starts, ends = cols[order], starts[order], ends[order]
    groups: list[list[int]] = []
    for i in range(cols.size):
        for group in groups[-3:]:
            j = group[-1]
            if cols[i] - cols[j] == 1 and starts[i] <= ends[j] and ends[i] >= starts[j]:
                group.append(i)
                break
        else:
            groups.append([i])
    for group in groups:
        yield cols[group], starts[group], ends[group]


def _line_beside(own: np.ndarray, centre: float, edge: int, side: int, settings: TraceSettings) -> bool:
    """Whether a flat line at ``centre`` shows within a dash gap beside column ``edge``.

    Flat: covering the centre row and with paper just above and below, which
    the bar of a neighbouring mark or a drop line does not have.
    """
    # Bars and crossbars are snapped to pixels separately: a pixel either way.
    clear = settings.width / 2 + 2
    lo, hi = int(np.floor(centre)), int(np.ceil(centre))
    above, below = round(float(centre - clear)), round(float(centre + clear))
    if above < 0 or below >= own.shape[0]:
        return False
    reach = settings.dash_gap + 2
    cols = np.arange(edge + side, edge + side * (reach + 1), side)
    cols = cols[(cols >= 0) & (cols < own.shape[1])]
    if cols.size == 0:
        return False
    flat = (own[lo:hi + 1, cols].max(axis=0) >= 0.5) & (own[above, cols] < 0.5) & (own[below, cols] < 0.5)
    return bool(flat.any())


def curve_zone(step: StepCurve, shape: tuple[int, int]) -> np.ndarray:
    """Pixels the drawn curve covers, widened by the blur around its line."""
    upper, lower = curve_rows(step, shape[1])
    pad = step.line_width / 2 + 1.5
    rows = np.arange(shape[0])[:, None]
    with np.errstate(invalid="ignore"):
        return (rows >= upper[None, :] - pad) & (rows <= lower[None, :] + pad)


def censor_marks(mask: np.ndarray, own: np.ndarray, step: StepCurve, settings: TraceSettings,
                 exclude: np.ndarray | None = None) -> np.ndarray:
    """Columns of the censor marks on a traced curve.

    A censor mark ('+', '|') sticks out above the line; a drop never does.
    Pixels of the colour within reach above the line (its band widened by
    the blur), touching it, are grouped into connected pieces; each piece is
    a mark at its coverage-weighted centre column, and a piece several marks
    wide (marks drawn side by side) is split evenly.

    Parameters
    ----------
    exclude : numpy.ndarray, optional
        Pixels of another curve of the same colour, not to be taken for marks.
    """
    height, n_cols = mask.shape
    upper, _ = curve_rows(step, n_cols)
    band_top = upper - settings.width / 2 - 1.5
    reach = max(8.0, 3 * settings.width)
    rows = np.arange(height)[:, None]
    zone = (rows < band_top[None, :]) & (rows >= band_top[None, :] - reach)
    above = mask & zone
    if exclude is not None:
        above &= ~exclude
    pieces, n = ndimage.label(above, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return np.empty(0)
    marks, widths = [], []
    for k, found in enumerate(ndimage.find_objects(pieces), start=1):
        ys, xs = found
        piece = pieces[found] == k
        cols = np.arange(xs.start, xs.stop)
        # Touching the line: its lowest pixel sits just above the band.
        lowest = ys.start + np.max(np.nonzero(piece)[0])
        if lowest < np.nanmin(band_top[cols]) - 2 or ys.stop - ys.start < 2:
            continue
        weight = (own[found] * piece).sum(axis=0)
        marks.append(((weight * cols).sum() / weight.sum(), xs.start, xs.stop - 1))
        widths.append(xs.stop - xs.start)
    if not marks:
        return np.empty(0)
    typical = float(np.median(widths))
    columns = []
    for centre, first, last in marks:
        count = round(float((last - first + 1) / typical)) if typical > 0 else 1
        if count <= 1:
            columns.append(centre)
        else:
            part = (last - first + 1) / count
            columns += [first - 0.5 + part * (i + 0.5) for i in range(count)]
    return np.sort(np.array(columns, dtype=float))


def split_by_dash_pattern(
    upper: np.ndarray, lower: np.ndarray, own: np.ndarray, settings: TraceSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Sort the two envelopes of a colour's ink into its two curves.

    Where the envelopes are apart, each is one curve; which one may change
    only where they meet or drop past each other (two curves crossing). A
    dashed curve leaves gaps along its path and a solid one does not: per
    stretch between meeting points, the difference in gap columns is the
    evidence, and a two-state Viterbi pass (Forney 1973, Proc IEEE 61:268)
    assigns the stretches, a change of identity costing
    :data:`SWITCH_GAPS` gap columns. Only columns where both curves are
    still drawn count.

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
    apart = lower - upper > settings.width + 2
    # A crossing: the upper envelope drops onto or past the lower one's old row.
    crossing = np.zeros_like(apart)
    crossing[1:] = (np.diff(upper) > 0) & (np.diff(lower) > 0) & (upper[1:] >= lower[:-1] - 2)
    stretches = _spans(np.nonzero(apart & ~crossing)[0])
    stretches = [(a, min(b, drawn)) for a, b in stretches if a <= drawn]
    if not stretches:
        return upper, lower
    # Positive: the upper envelope has more gaps (is the dashed curve) there.
    evidence = np.array([
        float(seen_lower[a:b + 1].sum() - seen_upper[a:b + 1].sum()) for a, b in stretches
    ])
    states = _two_state_viterbi(evidence, SWITCH_GAPS)
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


#: Gap columns of evidence a change of identity between two stretches costs.
SWITCH_GAPS = 3.0


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
