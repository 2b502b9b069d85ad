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

Where no dot is hidden between whole dots, the curve is read from the dots
alone (:func:`follow_dot_runs`), and the dots that censor marks hide in
part are fitted where the dot spacing puts them and join those runs
(:func:`dots_beside_marks`): dotted arm B of 'dashed colours' within 0.5 %
on seeds 1-42 12 -> 36, on never-tuned seeds 211-231 6 -> 16.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy import ndimage

from synthesis.line_evidence import TraceSettings, pixel_share

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
                settings: TraceSettings, crossbars: np.ndarray | None = None,
                marks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Centres (column, row) of the whole dots of a line within ``zone``; and of those with the dots bordering others.

    A dot is a connected piece of the colour's coverage (from
    :data:`DOT_COVERAGE`) whose summed coverage is that of one square dot
    (:data:`DOT_AREA`); pieces next to unknown pixels (censor marks, axis
    lines) or to another curve's are left out of the first set, their centre
    not being the dot's. The paper in a '+' mark's crossbar box
    (``crossbars``, unknown on a dotted line as its ink may hide the line) is
    known: a dot beside it is whole (a dot touching the crossbar's ink joins
    its piece, too large to be a dot). Part of the gain of
    :func:`dots_beside_marks`. The second set adds the pieces next to
    unknown or other pixels whose summed coverage is at least
    :data:`BORDERING_DOT_AREA` squared line widths: dots that only border
    them, none of it hidden; not beside the pixels of censor marks
    (``marks``), whose bars' tips may be left in the coverage and would pull
    the centre. One labelling serves both sets.
    """
    w = settings.width
    pieces, n = ndimage.label((own >= DOT_COVERAGE) & zone)
    if n == 0:
        return np.empty((0, 2)), np.empty((0, 2))
    index = np.arange(1, n + 1)
    area = ndimage.sum_labels(own, pieces, index)
    if crossbars is not None:
        unknown = unknown & ~(crossbars & (own < DOT_COVERAGE))
    blocked = ndimage.binary_dilation(unknown | (other >= DOT_COVERAGE))
    touching = ndimage.maximum(blocked, pieces, index).astype(bool)
    sized = (area >= DOT_AREA[0] * w * w) & (area <= DOT_AREA[1] * w * w)
    near_marks = (np.zeros(n, dtype=bool) if marks is None
                  else ndimage.maximum(ndimage.binary_dilation(marks), pieces, index).astype(bool))
    kept = sized & (~touching | ((area >= BORDERING_DOT_AREA * w * w) & ~near_marks))
    if not kept.any():
        return np.empty((0, 2)), np.empty((0, 2))
    centres = np.array(ndimage.center_of_mass(own, pieces, index[kept]), dtype=float).reshape(-1, 2)[:, ::-1]
    return centres[~touching[kept]], centres


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
    for (x_before, _), (x, y) in pairwise(run):
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


#: Vertical runs of ink longer than this many line widths, at a mark, are its bar.
BAR_RUN = 2.0
#: A row of a crossbar's box inked (from 0.5) across this share of it is the crossbar's.
CROSSBAR_ROW = 0.8
#: Step (px) of the search for a dot's centre along its anti-diagonal.
SEARCH_STEP = 0.05
#: A dot is read beside a mark when its best fit leaves at most this share of the
#: squared visible coverage unexplained.
FIT_SHARE = 0.1
#: Least visible coverage (squared line widths) of a dot read beside a mark.
SEEN_INK = 0.2
#: Widest spread (px of column) of the centres that fit within :data:`FIT_SLACK` of the best.
SPREAD = 1.6
#: Cost above the best's (a share of the squared visible coverage) still counted as fitting.
FIT_SLACK = 0.1
#: Arc lengths (line widths) from a dot's centre to a step's corner inside it, tried by :func:`_fit_dot`.
CORNER_SHIFTS = (-0.4, -0.25, -0.1, 0.1, 0.25, 0.4)


def dots_beside_marks(own: np.ndarray, under_marks: np.ndarray, marks: np.ndarray, crossbars: np.ndarray | None,
                      other: np.ndarray, mark_centres: np.ndarray, dots: np.ndarray, zone: np.ndarray,
                      settings: TraceSettings) -> np.ndarray:
    """Centres (column, row) of the dots beside censor marks, fitted to what shows of them.

    :func:`dot_centres` leaves out every piece beside a mark, so that a
    run of dots (:func:`follow_dot_runs`) breaks at each mark and the traced
    fit decides there, where a '+' mark's bars hide the drop beside it. But
    a dot's place is known but for one number: matplotlib draws a ':' line's
    dots one spacing of arc length apart, and on a staircase (moves right
    and down only) arc length is ``x + y``, so each dot's centre lies on an
    anti-diagonal ``x + y = place`` of a lattice read from the whole dots
    either side of the mark (:func:`_lattice_near`). Along it, the centre
    is the one whose dot, drawn as a square a line width ``w`` wide (on a
    level or a drop) or bent at a step's corner (:func:`_dot_cover`), best
    explains the pixels that show (:func:`_fit_dot`): the colour's coverage
    as drawn (``own`` with the marks' pixels, ``under_marks``, put back)
    within half a spacing of the anti-diagonal, but for the marks' bars
    (:func:`_bar_pixels`), their crossbars' rows (:func:`_crossbar_rows`)
    and other curves (``marks``: the marks' pixels, crossbars included).
    The ink a bar's edge leaves beside it, or a level's
    edge above and below a crossbar, places the dot. Dots at lattice places
    a whole dot (in ``dots``) holds are not fitted again.

    Dotted arm B of SYNTHETIC 'dashed colours' figures, within 0.5 % on
    seeds 1-42 / 127-147: 16 -> 32 / 6 -> 15, none worse (with the whole dots beside a
    crossbar's paper kept, :func:`dot_centres`).
    """
    w = settings.width
    if dots.shape[0] < RUN_DOTS or mark_centres is None or mark_centres.size == 0:
        return np.empty((0, 2))
    raw = np.maximum(own, under_marks)
    hidden = _bar_pixels(raw, marks, w) | (other >= 0.5)
    if crossbars is not None:
        hidden |= _crossbar_rows(raw, crossbars)
    along = np.sort(dots[:, 0] + dots[:, 1])
    spacing = float(np.median(np.diff(along)))
    found, tried = [], []
    for mx, my in np.asarray(mark_centres, dtype=float).reshape(-1, 2):
        for place in _lattice_near(along, spacing, mx + my, w):
            # Marks close together share lattice places: each is fitted once.
            if any(abs(place - t) < spacing / 2 for t in tried):
                continue
            tried.append(place)
            centre = _fit_dot(raw, hidden, zone, place, spacing, (mx, my), w)
            if centre is not None:
                found.append(centre)
    return np.array(found, dtype=float).reshape(-1, 2)


def _crossbar_rows(raw: np.ndarray, crossbars: np.ndarray) -> np.ndarray:
    """Inked pixels of the rows of each crossbar's box that the crossbar inks across.

    A box (``crossbars``) is the line's band at the mark, wider than the
    crossbar (1.67 px for matplotlib's '+' at 1.2 pt): the rows of it inked
    (from 0.5) across :data:`CROSSBAR_ROW` of its width are the crossbar's,
    and a level's dot shows in the rows beside them.
    """
    inked = raw >= DOT_COVERAGE
    boxes, _ = ndimage.label(crossbars)
    rows = np.zeros_like(crossbars)
    for k, box in enumerate(ndimage.find_objects(boxes), start=1):
        inside = boxes[box] == k
        share = ((raw[box] >= 0.5) & inside).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
        rows[box] |= inside & inked[box] & (share >= CROSSBAR_ROW)[:, None]
    return rows


def _bar_pixels(raw: np.ndarray, region: np.ndarray, w: float) -> np.ndarray:
    """Pixels at the marks (``region``, a pixel around) in a vertical run of ink over :data:`BAR_RUN` line widths.

    A dotted line's runs are a dot long (a line width, a pixel more
    anti-aliased); a mark's bar is several: the pixels beside it, left out
    of ``own`` with it, are a dot's.
    """
    runs, n = ndimage.label(raw >= DOT_COVERAGE, structure=[[0, 1, 0], [0, 1, 0], [0, 1, 0]])
    if n == 0:
        return np.zeros_like(region)
    lengths = ndimage.sum_labels(np.ones_like(raw), runs, np.arange(1, n + 1))
    long = np.concatenate([[False], lengths > BAR_RUN * w])
    return long[runs] & ndimage.binary_dilation(region)


def _lattice_near(along: np.ndarray, spacing: float, a: float, w: float) -> list[float]:
    """Dot places (``x + y``) within a spacing and two line widths of ``a`` that no whole dot holds.

    The lattice runs through the whole dots' places (``along``, sorted)
    either side of ``a``, its step the gap between them over the dots it
    spans (the median ``spacing`` on one side only).
    """
    before, after = along[along <= a], along[along > a]
    if before.size and after.size:
        n = max(round((after[0] - before[-1]) / spacing), 1)
        step, origin = (after[0] - before[-1]) / n, before[-1]
    else:
        step, origin = spacing, before[-1] if before.size else after[0]
    k = np.arange(np.floor((a - spacing - 2 * w - origin) / step),
                  np.ceil((a + spacing + 2 * w - origin) / step) + 1)
    places = origin + k * step
    taken = np.abs(places[:, None] - along[None, :]).min(axis=1) < spacing / 2
    return [float(p) for p in places[~taken]]


def _fit_dot(raw: np.ndarray, hidden: np.ndarray, zone: np.ndarray, place: float, spacing: float,
             mark: tuple[float, float], w: float) -> tuple[float, float] | None:
    """Centre of the dot at ``x + y = place`` that best explains the pixels that show, if one does.

    The centres tried lie on the anti-diagonal within a spacing and two line
    widths of the ``mark`` and in ``zone`` (a point of the curve is near the
    traced one), every :data:`SEARCH_STEP` px, each with every shape of
    :func:`_dot_shapes`; the cost is the squared difference between the
    shape's coverage and ``raw`` over the pixels in ``zone`` within half a
    spacing of the anti-diagonal (the dot's alone) and not ``hidden``. The
    best is taken when at least :data:`SEEN_INK` of ink shows there, it
    leaves at most :data:`FIT_SHARE` of the squared coverage unexplained
    and the centres fitting nearly as well (:data:`FIT_SLACK`) span at most
    :data:`SPREAD` columns: a dot whose ends are both hidden may lie
    anywhere along its level.
    """
    mx, my = mark
    reach = spacing + 2 * w
    x0, x1 = max(int(np.floor(mx - reach - w)), 0), min(int(np.ceil(mx + reach + w)), raw.shape[1] - 1)
    y0, y1 = max(int(np.floor(my - reach - w)), 0), min(int(np.ceil(my + reach + w)), raw.shape[0] - 1)
    if x1 <= x0 or y1 <= y0:
        return None
    xs, ys = np.arange(x0, x1 + 1, dtype=float), np.arange(y0, y1 + 1, dtype=float)
    seen_raw = raw[y0:y1 + 1, x0:x1 + 1]
    band = np.abs(xs[None, :] + ys[:, None] - place) <= spacing / 2
    seen = band & ~hidden[y0:y1 + 1, x0:x1 + 1] & zone[y0:y1 + 1, x0:x1 + 1]
    if float((seen_raw * seen).sum()) < SEEN_INK * w * w:
        return None
    px = np.arange(mx - reach, mx + reach + SEARCH_STEP, SEARCH_STEP)
    py = place - px
    on = zone[np.clip(np.rint(py).astype(int), 0, zone.shape[0] - 1),
              np.clip(np.rint(px).astype(int), 0, zone.shape[1] - 1)]
    px, py = px[on], py[on]
    if px.size == 0:
        return None
    # Only the pixels that show count: drawn over them alone, as a list.
    rows, cols = np.nonzero(seen)
    values = seen_raw[rows, cols]
    unexplained = float((values ** 2).sum())
    costs = [((_dot_cover(xs[cols], ys[rows], px, py, w, *shape) - values[None]) ** 2).sum(axis=1)
             for shape in _dot_shapes(w)]
    best = min(float(c.min()) for c in costs)
    if best > FIT_SHARE * unexplained:
        return None
    fitting = np.concatenate([px[c <= best + FIT_SLACK * unexplained] for c in costs])
    if fitting.max() - fitting.min() > SPREAD:
        return None
    x = float(next(px[int(np.argmin(c))] for c in costs if float(c.min()) == best))
    return x, place - x


def _dot_shapes(w: float) -> list[tuple[str, float]]:
    """The shapes a dot may take: a square (on a level or a drop), or bent at a corner ``d`` px of arc along."""
    shifts = [f * w for f in CORNER_SHIFTS]
    return [("square", 0.0)] + [(kind, d) for kind in ("top", "bottom") for d in shifts]


def _dot_cover(xs: np.ndarray, ys: np.ndarray, px: np.ndarray, py: np.ndarray, w: float, kind: str,
               d: float) -> np.ndarray:
    """Coverage of the pixels at ``xs``, ``ys`` (paired) by a dot centred on the curve at each (``px``, ``py``).

    ``kind`` is ``"square"`` (the dot on a level or a drop, butt-capped),
    ``"top"`` (a level's end and the drop from it) or ``"bottom"`` (a
    drop's end and the level after it), the corner ``d`` px of arc after
    the centre (before it for negative ``d``).
    """
    h = w / 2
    if kind == "square":
        return _rect(xs, ys, px - h, px + h, py - h, py + h)
    if kind == "top":
        # After the centre the corner ends the level the centre is on; before it, the drop starts there.
        cx, cy = (px + d, py) if d > 0 else (px, py + d)
    else:
        cx, cy = (px, py + d) if d > 0 else (px + d, py)
    # Arc lengths of the dot before and after its corner.
    a, b = h + d, h - d
    if kind == "top":
        first = _rect(xs, ys, cx - a, cx, cy - h, cy + h)
        second = _rect(xs, ys, cx - h, cx + h, cy, cy + b)
        both = _rect(xs, ys, np.maximum(cx - a, cx - h), cx, cy, cy + min(b, h))
        join = _rect(xs, ys, cx, cx + h, cy - h, cy)
    else:
        first = _rect(xs, ys, cx - h, cx + h, cy - a, cy)
        second = _rect(xs, ys, cx, cx + b, cy - h, cy + h)
        both = _rect(xs, ys, cx, cx + min(b, h), np.maximum(cy - a, cy - h), cy)
        join = _rect(xs, ys, cx - h, cx, cy, cy + h)
    # matplotlib's round join fills a quarter disc at the corner's outer side.
    return np.clip(first + second - both + np.pi / 4 * join, 0.0, 1.0)


def _rect(xs: np.ndarray, ys: np.ndarray, left, right, top, bottom) -> np.ndarray:
    """Coverage of the pixels at ``xs``, ``ys`` (paired) by each rectangle: (rectangles, pixels).

    A pixel spans half a pixel either side of its index.
    """
    left, right, top, bottom = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float))
                                                     for v in (left, right, top, bottom)))
    tall = pixel_share(ys[None, :], top[:, None], bottom[:, None])
    return tall * pixel_share(xs[None, :], left[:, None], right[:, None])
