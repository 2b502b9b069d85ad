"""Follow a Kaplan-Meier step function through the coverage map of its colour.

A curve is traced as the cheapest path through the plot area from survival 1
at time 0 to the right edge (:func:`trace_path`), by dynamic programming over
columns (the shortest-path formulation of curve tracing; Montanari 1971,
Commun ACM 14:335). The path may stay at its row or go down within a column,
never up, because survival never increases: censor marks and text that
stick out above the curve, and the bars of marks below it (from which the
path could not climb back), are left aside by construction. A column costs
the line's missing coverage at the path's row (the line drawn as a band as
wide as the measured line width); a drop costs the missing coverage of the
rows it passes through, so drops go down the drawn vertical lines. Pixels of
other curves and of axis lines count as partial coverage, so a curve hidden
under another one, or under the frame at survival 1, is followed there.
Dash gaps are bridged by a grey closing as long as a dash gap.

The path, at whole pixels, is then read to subpixel precision
(:func:`steps_from_path`): each flat run's level from the edges of the
anti-aliased line across it (median over its columns, which censor marks do
not move), made non-increasing in survival by pool-adjacent-violators
(Barlow et al. 1972), and each drop placed where a drawn step with the
measured line width fits the pixels best. Censor marks are what sticks out
above the traced line (:func:`censor_marks`).

Two curves in one colour (a solid and a dashed arm, say) are traced as the
upper and the lower envelope of its ink and then sorted into the two curves
by their dash pattern, which may swap only where the envelopes meet
(:func:`split_by_dash_pattern`).

The column-scanning idea is that of SurvdigitizeR (Zhang et al. 2024, BMC
Med Res Methodol 24:147); the monotone path makes the step-function
constraint explicit.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """

    own: np.ndarray
    mask: np.ndarray
    other: np.ndarray
    lines: np.ndarray

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
    def slack(self) -> float:
        """Anti-aliasing and JPEG blur around a line (pixels)."""
        return max(2.0, 0.5 * self.width)

    @property
    def dash_gap(self) -> int:
        """Longest dash gap bridged: matplotlib's are 1.6-1.65 line widths."""
        return max(4, int(np.ceil(1.8 * self.width)) + 1)


def measure_line_width(own: np.ndarray, mask: np.ndarray) -> float:
    """Line width in pixels, to a fraction of a pixel.

    Where a column holds one flat run of the colour (the most common run
    height), its summed coverage is the width of the anti-aliased line.
    """
    runs = ColumnRuns.of(mask)
    heights = runs.heights()
    if heights.size == 0:
        return 1.0
    mode = int(np.bincount(heights.astype(int)).argmax())
    sums = np.vstack([np.zeros((1, own.shape[1])), np.cumsum(own, axis=0)])
    widths = []
    for x, (s, e) in enumerate(zip(runs.starts, runs.ends)):
        if s.size == 1 and e[0] - s[0] + 1 == mode:
            top, bottom = max(s[0] - 1, 0), min(e[0] + 2, own.shape[0])
            widths.append(sums[bottom, x] - sums[top, x])
    return float(np.median(widths)) if widths else float(mode)


def is_broken(mask: np.ndarray) -> bool:
    """Whether a colour is drawn dashed or dotted: over a fifth of its columns empty."""
    columns = np.nonzero(mask.any(axis=0))[0]
    if columns.size < 2:
        return False
    return 1 - columns.size / (columns[-1] - columns[0] + 1) > 0.2


def bridged_coverage(evidence: CurveEvidence, settings: TraceSettings) -> np.ndarray:
    """Own coverage with dash gaps filled in (grey closing along rows and along columns).

    Paper beyond the plot edge: a line near the edge is not bridged to its
    mirror image.
    """
    length = settings.dash_gap + 1
    closed = []
    for axis in (1, 0):
        grown = ndimage.maximum_filter1d(evidence.own, length, axis=axis, mode="constant", cval=0.0)
        closed.append(ndimage.minimum_filter1d(grown, length, axis=axis, mode="constant", cval=0.0))
    return np.maximum(evidence.own, BRIDGED_EVIDENCE * np.maximum(*closed))


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
    miss = 1.0 - np.maximum(own, HIDDEN_EVIDENCE * evidence.hidden_coverage())
    template = settings.template
    # Cost of a flat line at each row: its band's missing coverage (0-1).
    flat = ndimage.correlate1d(miss, template, axis=0, mode="constant", cval=1.0) / template.sum()
    down = np.cumsum(miss, axis=0, dtype=np.float64)
    height, width = miss.shape
    rows = np.arange(height)
    tie = (-TIE_BREAK if lowest else TIE_BREAK) * rows
    cost = np.full(height, np.inf)
    first = int(round(start_row))
    cost[max(first - 1, 0):min(first + 2, height)] = 0.0
    back = np.empty((width, height), dtype=np.int32)
    for x in range(width):
        # Going down from row a to row b in this column costs down[b] - down[a].
        entry = cost - down[:, x]
        best = np.minimum.accumulate(entry)
        source = np.maximum.accumulate(np.where(entry <= best, rows, 0))
        dropped = np.full(height, np.inf)
        dropped[1:] = down[1:, x] + DROP_PENALTY + best[:-1]
        take = dropped < cost
        back[x] = rows
        back[x, 1:][take[1:]] = source[:-1][take[1:]]
        cost = np.where(take, dropped, cost) + flat[:, x] + tie
    path = np.empty(width, dtype=np.int64)
    row = int(np.argmin(cost))
    for x in range(width - 1, -1, -1):
        path[x] = row
        row = back[x, row]
    return path


def trace_two_paths(
    evidence: CurveEvidence, start_row: float, settings: TraceSettings, bridged: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest path, and a second one for a colour that may carry two curves.

    The first path follows the drawn pixels, and the dash-bridged ones
    (:func:`bridged_coverage`) only if it leaves gaps like a dashed line:
    bridging would also fill the notches of a thick solid staircase. The
    second path is traced with the first one's line counted as another
    curve's (followable, never preferred), so it takes a second line where
    there is one and shares the first elsewhere; away from the first line,
    dash gaps are bridged for it. The pointwise upper and lower rows of the
    two (the envelopes) are monotone again.
    """
    first = trace_path(evidence, start_row, settings)
    if looks_dashed(first, evidence, settings):
        first = trace_path(evidence, start_row, settings, coverage=bridged)
    zone = _path_zone(first, evidence.own.shape, settings)
    rest = CurveEvidence(
        own=np.where(zone, 0.0, evidence.own).astype(np.float32), mask=evidence.mask & ~zone,
        other=np.maximum(evidence.other, np.where(zone, bridged, 0.0)).astype(np.float32),
        lines=evidence.lines,
    )
    second = trace_path(rest, start_row, settings, coverage=np.where(zone, 0.0, bridged),
                        lowest=True)
    return first, second


def looks_dashed(path: np.ndarray, evidence: CurveEvidence, settings: TraceSettings) -> bool:
    """Whether the line along a path leaves gaps where nothing hides it (a dashed line)."""
    seen = band_coverage(evidence.own, path, settings) >= SEEN
    if not seen.any():
        return False
    end = np.nonzero(seen)[0][-1] + 1
    free = band_coverage(evidence.hidden_coverage(), path, settings)[:end] < SEEN
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

    ``corner_x``/``corner_y`` are the step corners (two per drop), ``censor_x``
    the columns of censor marks, ``lost`` and ``hidden`` the column spans where
    the curve was not seen and where it was followed under another curve,
    ``hidden_tail`` where it may go on hidden after it was last seen.
    """

    corner_x: np.ndarray
    corner_y: np.ndarray
    censor_x: np.ndarray
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
) -> StepCurve | None:
    """Read the step corners of a traced path; ``None`` if the colour is never on it.

    The path ends at the last column where the curve's own colour covers it.
    Flat runs of the path are plateaus; their levels are read from the
    line's edges (:func:`_plateau_level`), made non-increasing in survival
    (:func:`_monotone`) and each drop is placed by :func:`_drop_position`.
    """
    seen_own = band_coverage(evidence.own, path, settings) >= SEEN
    if not seen_own.any():
        return None
    last = int(np.nonzero(seen_own)[0][-1])
    seen_bridged = band_coverage(bridged, path, settings) >= SEEN
    seen_other = band_coverage(evidence.other, path, settings) >= SEEN
    seen_line = band_coverage(evidence.lines.astype(np.float32), path, settings) >= SEEN
    hidden = ~seen_bridged & seen_other
    lost = ~seen_bridged & ~seen_other & ~seen_line
    tail = _hidden_tail(path, seen_other, last)

    path = path[: last + 1]
    breaks = np.nonzero(np.diff(path))[0] + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks - 1, [last]])
    levels = np.array([
        _plateau_level(evidence, path[a], a, b, settings) for a, b in zip(starts, ends)
    ])
    weights = ends - starts + 1
    levels = _monotone(levels, weights)
    keep = np.concatenate([[True], np.diff(levels) > 0.3])
    group = np.cumsum(keep) - 1
    levels = np.array([np.average(levels[group == g], weights=weights[group == g])
                       for g in range(group[-1] + 1)])
    starts, ends = starts[keep], np.append(starts[keep][1:] - 1, last)
    hidden_cover = evidence.hidden_coverage()
    fit = bridged if looks_dashed(path, evidence, settings) else evidence.own
    drops = [
        _drop_position(fit, hidden_cover, levels[k], levels[k + 1], starts[k], starts[k + 1],
                       ends[k + 1], settings)
        for k in range(len(levels) - 1)
    ]
    xs = np.repeat(np.concatenate([[0.0], drops, [float(last)]]), 2)[1:-1]
    ys = np.repeat(levels, 2)
    return StepCurve(
        corner_x=np.asarray(xs, dtype=float),
        corner_y=np.asarray(ys, dtype=float),
        censor_x=np.empty(0),
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


def _plateau_level(evidence: CurveEvidence, row: int, a: int, b: int,
                   settings: TraceSettings) -> float:
    """Subpixel row of a flat run at ``row`` over columns ``a..b``.

    In each column the line's top edge lies ``S`` pixels of coverage above
    the bottom of row ``row`` (``S`` summed from paper above down to that
    row), and likewise its bottom edge; the centre is half a line width
    from either. A column counts for an edge only with paper beyond it, so
    censor marks' bars, the drop lines at the run's ends and other curves or
    axis lines over the line leave it out; the median over columns is the
    level. Columns next to a drop give one edge only; from both edges the
    line width cancels out. A run hidden all along is read from the ink
    that hides it.
    """
    edge = settings.half + 2
    inset = settings.half + 1
    if b - a >= 2 * inset + 2:
        a, b = a + inset, b - inset
    cover = evidence.hidden_coverage()
    for coverage, unknown in ((evidence.own, cover >= 0.5), (np.maximum(evidence.own, cover), None)):
        top, bottom = _edge_levels(coverage, unknown, row, a, b, edge, settings.width)
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


def _drop_position(coverage: np.ndarray, hidden: np.ndarray, upper: float, lower: float,
                   upper_start: int, lower_start: int, lower_end: int,
                   settings: TraceSettings) -> float:
    """Column of the vertical line between two levels: the best-fitting drawn step.

    A step drawn with line width ``w`` covers the upper level up to ``x + w/2``,
    the lower level from ``x - w/2`` and the column band ``x -+ w/2`` between
    them. Candidate ``x`` every quarter pixel around the traced drop; the one
    whose drawing differs least (sum of squares) from the coverage is taken.
    Pixels covered by other curves or axis lines (``hidden``) are unknown and
    left out, unless the step is hidden entirely: then it is fitted to the
    ink that hides it. Marks and neighbouring drops add the same misfit to
    every candidate unless they overlap the step itself.
    """
    w = settings.width
    reach = int(np.ceil(w)) + 3
    left = max(upper_start, lower_start - reach)
    right = min(lower_end, lower_start + reach)
    top = max(int(np.floor(upper - w / 2)) - 1, 0)
    bottom = min(int(np.ceil(lower + w / 2)) + 1, coverage.shape[0] - 1)
    if right - left < 2:
        return lower_start - 0.5
    window = coverage[top:bottom + 1, left:right + 1].astype(np.float64)
    cover = hidden[top:bottom + 1, left:right + 1]
    weight = ((window > 0) | (cover < 0.5)).astype(np.float64)
    if not (window > 0.5).any():
        window, weight = np.maximum(window, cover), np.ones_like(window)
    cols = np.arange(left, right + 1, dtype=float)
    rows = np.arange(top, bottom + 1, dtype=float)
    candidates = np.arange(left + 0.5, right - 0.5 + 1e-9, 0.25)
    band_up = _overlap(rows, upper - w / 2, upper + w / 2)[:, None]
    band_low = _overlap(rows, lower - w / 2, lower + w / 2)[:, None]
    span = _overlap(rows, upper, lower)[:, None]
    misfit = []
    for x in candidates:
        drawn = np.maximum.reduce([
            band_up * _overlap(cols, -np.inf, x + w / 2)[None, :],
            band_low * _overlap(cols, x - w / 2, np.inf)[None, :],
            span * _overlap(cols, x - w / 2, x + w / 2)[None, :],
        ])
        misfit.append((weight * (window - drawn) ** 2).sum())
    misfit = np.array(misfit)
    best = np.nonzero(misfit <= misfit.min() + 1e-9)[0]
    return float(candidates[best].mean())


def _overlap(centres: np.ndarray, low: float, high: float) -> np.ndarray:
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
        count = int(round((last - first + 1) / typical)) if typical > 0 else 1
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
