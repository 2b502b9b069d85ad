"""Hedge the drops of a dotted step curve between its dots.

A dotted (':') line is drawn as short dashes at a fixed spacing of arc
length; matplotlib's are squares a line width long. Whether a dot lies on
a flat run or on a drop, its centre of coverage is a point of the drawn
curve: on the bench's SYNTHETIC figures 90 % of the whole dots' centres
lie within 0.2 px of it (:func:`dot_centres`). Between two consecutive
dots, a gap of a dot spacing, the curve is not drawn, and where a drop
hides in such a gap the pixels do not tell where in it the drop is: a fit
takes one end, often the wrong one (a dot at a step's corner fits a flat
dot and a drop dot alike). :func:`hedge_between_dots` puts such a drop
midway between the last dot on the level above and the first dot on the
level below; as the gap is one dot spacing (7.4 px for a 2 pt line at
100 dpi), the drop is then within half of it of the true one, inside the
0.5 % tube of the issue's target wherever the drop is taller than that
tolerance. On 'dashed colours' arm B (seeds 1-60) four seeds of 60 move
inside 0.5 % (5: 0.56 -> 0.43 %, 25: 0.54 -> 0.40 %, 38: 0.56 -> 0.41 %,
57: 0.52 -> 0.32 %), three more come closer and none gets worse. The
centre of a censor mark drawn on the line is a point of the curve too
(:func:`~synthesis.step_fit.honour_marks`) and bounds a hidden drop as a
dot does: seeds 1-30 and 43-72, 24: 0.80 -> 0.54 %, 47: 0.82 -> 0.42 %,
69: 1.14 -> 0.95 %, none worse.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synthesis.line_evidence import TraceSettings

#: Coverage from which a pixel belongs to a dot (its anti-aliased edge included).
DOT_COVERAGE = 0.2
#: Summed coverage of a whole dot, in squared line widths (a ':' dot is one).
DOT_AREA = (0.6, 1.5)
#: Summed coverage (squared line widths) from which a dot bordering another
#: curve or an axis line shows whole: at most a fifth of it hidden. Dotted arm
#: B of 'dashed colours' drawn without marks, seeds 1-42, with
#: :func:`follow_dot_runs`: 38 within 0.5 % when such dots are left out, 40
#: from 0.9, 41 from 0.8.
BORDERING_DOT_AREA = 0.8
#: A dot's centre within this many pixels of a level lies on it.
ON_LEVEL = 1.0
#: Two dots are consecutive when the curve between them is at most this many
#: dot spacings long (the arc length between centres is one spacing).
CONSECUTIVE = 1.5


def dot_centres(own: np.ndarray, unknown: np.ndarray, other: np.ndarray, zone: np.ndarray,
                settings: TraceSettings, touching_area: float | None = None,
                marks: np.ndarray | None = None) -> np.ndarray:
    """Centres (column, row) of the whole dots of a line within ``zone``.

    A dot is a connected piece of the colour's coverage (from
    :data:`DOT_COVERAGE`) whose summed coverage is that of one square dot
    (:data:`DOT_AREA`); pieces next to unknown pixels (censor marks, axis
    lines) or to another curve's are left out, their centre not being the
    dot's, unless ``touching_area`` is given and their summed coverage is
    at least that many squared line widths: a dot that only borders the
    other pixels, none of it hidden. Not beside the pixels of censor marks
    (``marks``), whose bars' tips may be left in the coverage and would
    pull the centre.
    """
    w = settings.width
    pieces, n = ndimage.label((own >= DOT_COVERAGE) & zone)
    if n == 0:
        return np.empty((0, 2))
    index = np.arange(1, n + 1)
    area = ndimage.sum_labels(own, pieces, index)
    blocked = ndimage.binary_dilation(unknown | (other >= DOT_COVERAGE))
    touching = ndimage.maximum(blocked, pieces, index).astype(bool)
    whole = (area >= DOT_AREA[0] * w * w) & (area <= DOT_AREA[1] * w * w)
    if touching_area is None:
        whole &= ~touching
    else:
        near_marks = (np.zeros(n, dtype=bool) if marks is None
                      else ndimage.maximum(ndimage.binary_dilation(marks), pieces, index).astype(bool))
        whole &= ~touching | ((area >= touching_area * w * w) & ~near_marks)
    if not whole.any():
        return np.empty((0, 2))
    centres = np.array(ndimage.center_of_mass(own, pieces, index[whole]), dtype=float)
    return centres.reshape(-1, 2)[:, ::-1]


def staircase_zone(levels: np.ndarray, drops: np.ndarray, end: float, shape: tuple[int, int],
               pad: float) -> np.ndarray:
    """Pixels within ``pad`` of the step curve (its levels and drops) in each column."""
    x = np.arange(shape[1], dtype=float)
    upper = levels[np.searchsorted(drops, x - pad, side="right")]
    lower = levels[np.searchsorted(drops, x + pad, side="right")]
    rows = np.arange(shape[0], dtype=float)[:, None]
    return (rows >= upper[None, :] - pad) & (rows <= lower[None, :] + pad) & (x[None, :] <= end + pad)


def hedge_between_dots(levels: np.ndarray, drops: np.ndarray, end: float, own: np.ndarray,
                       centres: np.ndarray, settings: TraceSettings,
                       marks: np.ndarray | None = None, bars: np.ndarray | None = None) -> np.ndarray:
    """Each drop hidden between two consecutive dots moved midway between them.

    For drop ``j`` the last dot centre on level ``j`` and the first on level
    ``j + 1`` (within :data:`ON_LEVEL`, between the neighbouring drops) are
    taken; when the curve between them is at most :data:`CONSECUTIVE` dot
    spacings long (the spacing: the median arc length, ``x + y``, between
    successive centres), no dot lies on the drop's line and its line shows
    no ink between the two levels' lines, the drop goes midway between them.
    The centres of censor marks on the line (``marks``, column and row) are
    points of the curve and count as dots here (the spacing is the dots'
    alone): a mark's bars hide the line beside its centre, so that the last
    whole dot before a hidden drop may be further away than the mark.

    A drop under a mark's bar, a pixel or two off its centre, shows the
    edge of its line beside the bar (``bars``: the marks' pixels left out
    of ``own``): ink between the two levels' lines, no wider than a line,
    with the bar on one side. Its other edge is the line's, and the drop
    goes half a line width in from it (:func:`_drop_edge_beside_bar`)
    rather than where the fit put it, which reads the marks' crossbars as
    unknown and took the end of one of their arms ('dashed colours' seed 7
    arm B, t = 16.7 months: the drop 3.7 px late, under a cluster of two
    marks on the level above and one 4.5 px after it on the level below).
    Dotted arm B of 'dashed colours', within 0.5 % on seeds 1-30 / 43-72 /
    127-147: 9 -> 9 / 8 -> 9 / 4 -> 4 (seed 46: 0.92 -> 0.45 %; seed 7:
    1.43 -> 1.14 %, seed 140: 0.75 -> 0.56 %); no curve worse.
    """
    w = settings.width
    drops = np.asarray(drops, dtype=float).copy()
    if centres.shape[0] < 3:
        return drops
    spacing = float(np.median(np.diff(np.sort(centres[:, 0] + centres[:, 1]))))
    if marks is not None and marks.size:
        centres = np.vstack([centres, np.asarray(marks, dtype=float).reshape(-1, 2)])
    cx, cy = centres[:, 0], centres[:, 1]
    for j in range(len(drops)):
        upper, lower, x = levels[j], levels[j + 1], drops[j]
        before = drops[j - 1] if j > 0 else 0.0
        after = drops[j + 1] if j + 1 < len(drops) else end
        inside = (cx > before) & (cx < after)
        on_upper = inside & (np.abs(cy - upper) <= ON_LEVEL)
        on_lower = inside & (np.abs(cy - lower) <= ON_LEVEL)
        on_line = (cy > upper + ON_LEVEL) & (cy < lower - ON_LEVEL) & (np.abs(cx - x) <= w)
        if on_line.any() or not on_upper.any() or not on_lower.any():
            continue
        low, high = cx[on_upper].max(), cx[on_lower].min()
        if not low < high:
            continue
        edge = None if bars is None else _drop_edge_beside_bar(own, bars, upper, lower, low, high, w)
        if edge is not None:
            drops[j] = float(np.clip(edge, before + 0.25, after - 0.25))
            continue
        if (high - low) + (lower - upper) > CONSECUTIVE * spacing:
            continue
        if _line_shows(own, upper, lower, x, w):
            continue
        drops[j] = float(np.clip((low + high) / 2, before + 0.25, after - 0.25))
    return drops


def _drop_edge_beside_bar(own: np.ndarray, bars: np.ndarray, upper: float, lower: float, low: float,
                          high: float, w: float) -> float | None:
    """Column of a drop's line half hidden under a mark's bar, from its edge that shows.

    Between columns ``low`` and ``high`` (the last point of the curve on
    the ``upper`` level and the first on the ``lower`` one) the colour's
    ink between the two levels' lines can only be the drop's line, a line
    width ``w`` wide. Where it is no wider than that and a mark's bar
    (``bars``) borders it on one side only, the bar hides the rest of the
    line and the ink's edge on the other side is the line's own: the drop
    lies half a line width in from it. ``None`` otherwise.
    """
    rows = _rows_between(upper, lower, w, own.shape[0])
    c0, c1 = max(int(np.ceil(low)), 0), min(int(np.floor(high)), own.shape[1] - 1)
    if rows.size == 0 or c1 < c0:
        return None
    inked = c0 + np.flatnonzero((own[rows, c0:c1 + 1] >= 0.5).any(axis=0))
    if inked.size == 0 or inked[-1] - inked[0] + 1 > np.ceil(w):
        return None
    first, last = int(inked[0]), int(inked[-1])
    bar_left = first > 0 and bool(bars[rows, first - 1].any())
    bar_right = last + 1 < own.shape[1] and bool(bars[rows, last + 1].any())
    if bar_left == bar_right:
        return None
    # Pixel k covers [k - 0.5, k + 0.5]: the line's edge is the ink's outer pixel edge.
    return last + 0.5 - w / 2 if bar_left else first - 0.5 + w / 2


def _line_shows(own: np.ndarray, upper: float, lower: float, x: float, w: float) -> bool:
    """Whether the drop line at column ``x`` shows ink between the lines of its two levels."""
    rows = _rows_between(upper, lower, w, own.shape[0])
    band = np.arange(max(int(np.floor(x - w / 2 - 0.5)), 0),
                     min(int(np.ceil(x + w / 2 + 0.5)), own.shape[1] - 1) + 1)
    return bool(rows.size and band.size and (own[np.ix_(rows, band)] >= 0.5).any())


def _rows_between(upper: float, lower: float, w: float, height: int) -> np.ndarray:
    """Image rows between the lines (``w`` wide) of the levels ``upper`` and ``lower``: a drop's alone."""
    rows = np.arange(int(np.ceil(upper + w / 2 + 0.5)), int(np.floor(lower - w / 2 - 0.5)) + 1)
    return rows[(rows >= 0) & (rows < height)]


def follow_dot_runs(levels: np.ndarray, drops: np.ndarray, centres: np.ndarray,
                    marks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The curve along each run of consecutive whole dots, read from the dots alone.

    A whole dot's centre is a point of the curve, and where no dot is
    hidden between two (their centres one spacing of arc length, ``x + y``,
    apart: at most :data:`CONSECUTIVE` of them) the curve between them is
    known but for where in the gap a drop lies. Along a run of at least
    :data:`RUN_DOTS` such dots the curve is read from them: successive dots
    within :data:`SAME_LEVEL` rows of a level lie on it (the level is their
    mean row), and a dot off it starts a new level, the drop placed midway
    between it and the dot before. A drop is then within half the dots'
    horizontal distance of the truth, under a dot spacing (7.4 px for
    matplotlib's ':' at 2 pt and 100 dpi) less the drop's height: inside
    the issue's 0.5 % tube. Whether a square dot lies on a level or on a
    drop, which the traced fit has to guess, no longer matters: read as a
    level of its own, it is an intermediate level a fraction of the tube
    long. Outside the runs (before the first dot, under censor marks, where
    another curve hides dots) the traced ``levels`` and ``drops`` stay; the
    result is made non-increasing in survival, and levels within
    :data:`MERGE_ROWS` of the one before are merged. The centres of censor
    marks on the line (``marks``, column and row) are points of the curve
    and join runs as dots do (the spacing is the dots' alone).

    Dotted arm B of SYNTHETIC 'dashed colours' figures, within 0.5 % on
    seeds 1-42: 12 -> 16 (none worse; every other style unchanged); drawn
    without censor marks, 25 -> 41 (with the dots that border the other
    curve, :data:`BORDERING_DOT_AREA`; 38 without).
    """
    if centres.shape[0] < RUN_DOTS:
        return levels, drops
    spacing = float(np.median(np.diff(np.sort(centres[:, 0] + centres[:, 1]))))
    if marks is not None and marks.size:
        centres = np.vstack([centres, np.asarray(marks, dtype=float).reshape(-1, 2)])
    dots = centres[np.argsort(centres[:, 0] + centres[:, 1])]
    along = dots[:, 0] + dots[:, 1]
    # Right-continuous steps: level ys[k] from column xs[k] on.
    xs = np.concatenate([[-np.inf], np.asarray(drops, dtype=float)])
    ys = np.asarray(levels, dtype=float).copy()
    for run in _dot_runs(dots, along, spacing):
        first, last = run[0, 0], run[-1, 0]
        run_x, run_y = _read_run(run)
        after = ys[np.searchsorted(xs, last, side="right") - 1]
        left, right = xs < first, xs > last
        xs = np.concatenate([xs[left], run_x, [last], xs[right]])
        ys = np.concatenate([ys[left], run_y, [after], ys[right]])
    ys = np.maximum.accumulate(ys)
    return _merge_close_levels(xs, ys)


#: Fewest consecutive whole dots read on their own by :func:`follow_dot_runs`.
RUN_DOTS = 3
#: A dot within this many rows of the mean of a level's dots lies on it.
SAME_LEVEL = 0.8
#: Successive levels closer than this (rows) are one.
MERGE_ROWS = 0.3
#: Rows or columns a dot may lie above or left of the one before it (its
#: centre read a fraction of a pixel off) and still follow it on the curve.
BACKSLIDE = 0.8


def _dot_runs(dots: np.ndarray, along: np.ndarray, spacing: float) -> list[np.ndarray]:
    """Runs of at least :data:`RUN_DOTS` successive dots with none hidden between them."""
    follows = ((np.diff(along) <= CONSECUTIVE * spacing)
               & (np.diff(dots[:, 0]) >= -BACKSLIDE) & (np.diff(dots[:, 1]) >= -BACKSLIDE))
    breaks = np.flatnonzero(~follows) + 1
    return [run for run in np.split(dots, breaks) if run.shape[0] >= RUN_DOTS]


def _read_run(run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps (start column, level) of the curve through a run of dots (column, row)."""
    starts, members = [float(run[0, 0])], [[float(run[0, 1])]]
    for (x_before, _), (x, y) in zip(run[:-1], run[1:]):
        if abs(y - np.mean(members[-1])) <= SAME_LEVEL:
            members[-1].append(float(y))
        elif (x_before + x) / 2 <= starts[-1]:
            # A dot off its level but not right of the level's first: that level has no length.
            members[-1] = [float(y)]
        else:
            starts.append((x_before + x) / 2)
            members.append([float(y)])
    return np.array(starts), np.array([np.mean(m) for m in members])


def _merge_close_levels(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels and drops of steps ``xs``/``ys`` (``xs[0]`` is ``-inf``), levels within :data:`MERGE_ROWS` merged."""
    keep = np.concatenate([[True], np.diff(ys) > MERGE_ROWS])
    return ys[keep], xs[keep][1:]
