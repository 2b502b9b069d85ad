"""Follow one Kaplan-Meier step function through a binary mask of its colour.

The tracer walks the plot column by column. In each column the curve is a
vertical run of pixels: as tall as the line is wide on a flat stretch, taller
where the curve drops or where a censor mark crosses it. Because survival
never increases, the curve in the next column cannot lie above the band it
occupies now, which is what keeps the tracer off text, legends and other
curves. Where its own colour is missing the tracer bridges short gaps (dashed
lines), follows the ink of other curves where it is hidden under them, and
reports longer gaps instead of inventing a path.

Censor ticks are cut out of the runs before tracing
(:func:`strip_censor_marks`): a tick sticks out above the curve, a drop
never does. Afterwards plateau heights are made non-increasing in survival
by weighted pooling (pool-adjacent-violators; Barlow et al. 1972) and each
drop is moved onto the vertical line that joins its two levels
(:func:`refine_drops`).

This is the column-scanning idea of SurvdigitizeR (Zhang et al. 2024, BMC
Med Res Methodol 24:147) with the step-function constraint made explicit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

FLAT, TALL, GAP, LOST = "flat", "tall", "gap", "lost"
HIDDEN_FLAT, HIDDEN_TALL = "hidden flat", "hidden tall"


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


@dataclass
class Trace:
    """What the tracer saw in each column it visited (plot-area coordinates)."""

    start_level: float = 0.0
    x: list[int] = field(default_factory=list)
    top: list[float] = field(default_factory=list)
    bottom: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)

    def add(self, x: int, top: float, bottom: float, kind: str) -> None:
        self.x.append(x)
        self.top.append(top)
        self.bottom.append(bottom)
        self.kind.append(kind)


@dataclass(frozen=True)
class TraceSettings:
    """Pixel sizes derived from the line width ``width`` of one curve.

    ``broken`` says the colour is drawn dashed or dotted (many empty columns),
    so that a drop may show as a column of separate dots.
    """

    width: float
    broken: bool = False
    look_ahead_columns: int | None = None

    @property
    def tall(self) -> float:
        """Runs taller than this are drops or censor marks, not flat line."""
        return self.width + max(2.0, 0.5 * self.width)

    @property
    def slack(self) -> float:
        """How far outside its band the next column may be (anti-aliasing, JPEG)."""
        return max(2.0, 0.5 * self.width)

    @property
    def dash_gap(self) -> float:
        """Longest gap of a dashed or dotted line (matplotlib: 1.65 x line width in pt)."""
        return max(4.0, 2.6 * self.width)

    @property
    def look_ahead(self) -> int:
        """Columns to look ahead across a gap (a dash gap unless set)."""
        if self.look_ahead_columns is not None:
            return self.look_ahead_columns
        return int(np.ceil(self.dash_gap)) + 2


def trace_step_curve(
    runs: ColumnRuns,
    ink_runs: ColumnRuns,
    flat_runs: ColumnRuns,
    *,
    start_level: float,
    settings: TraceSettings,
    lowest: bool = False,
    keep_level: bool = False,
) -> Trace:
    """Walk the columns left to right; see the module docstring.

    Parameters
    ----------
    runs : ColumnRuns
        Runs of the curve's own colour.
    ink_runs : ColumnRuns
        Runs of every curve colour, used where the curve is hidden.
    flat_runs : ColumnRuns
        Runs of the own colour's horizontal strokes (see :func:`horizontal_strokes`).
    start_level : float
        Row where the curve starts (survival 1 at time 0).
    settings : TraceSettings
        Sizes derived from the line width.
    lowest : bool
        Follow the lowest of several same-coloured curves instead of the top one.
    keep_level : bool
        The colour carries two curves: at a drop, the top trace stays with the
        one that goes on at the old level.
    """
    width = settings.width
    level = reach = start_level
    trace = Trace(start_level=start_level)
    n_cols = len(runs.starts)
    x = 0
    while x < n_cols:
        band_top = level - width / 2 - settings.slack
        band_bottom = reach + width / 2 + settings.slack
        # After a drop line the curve continues at its foot, not on the
        # anti-aliased end of the old level.
        prefer = reach if reach > level + width else None
        run, own = _pick(runs, x, band_top, band_bottom, lowest, prefer, width, keep_level), True
        if run is None:
            run = _dropped_in_gap(runs, x, band_top, band_bottom, settings)
        # A dash gap: the curve shows again soon, in the band or just below it.
        if run is None and _seen_soon(runs, x, band_top, band_bottom + settings.dash_gap, settings):
            trace.add(x, level, reach, GAP)
            x += 1
            continue
        if run is None:
            run, own = _pick(ink_runs, x, band_top, band_bottom, lowest, prefer, width, keep_level), False
        if run is None:
            if _seen_soon(ink_runs, x, band_top, band_bottom, settings):
                trace.add(x, level, reach, GAP)
                x += 1
                continue
            found = _reacquire(flat_runs, x, band_top)
            if found is None:
                break
            for gap_x in range(x, found[0]):
                trace.add(gap_x, level, reach, LOST)
            x, reach = found[0], max(reach, found[1] - width / 2)
            continue
        top, bottom = run
        if lowest or not keep_level:
            # With two curves in one colour the piece below the top one may be
            # the other curve; the lowest trace wants it anyway.
            bottom = _extend_dashed(runs if own else ink_runs, x, top, bottom, settings)
        if bottom - top + 1 > settings.tall:
            trace.add(x, top, bottom, TALL if own else HIDDEN_TALL)
            # The lowest trace and dotted lines (whose strokes are mostly marks'
            # bars) take the bottom of the run as the foot.
            if lowest or settings.broken:
                foot = bottom - width / 2
            else:
                foot = _foot(flat_runs, x, top, bottom, level, settings)
            reach = max(reach, foot)
        else:
            centre = (top + bottom) / 2
            trace.add(x, top, bottom, FLAT if own else HIDDEN_FLAT)
            level = reach = centre if own else max(level, centre)
        x += 1
    return trace


def _foot(flat_runs: ColumnRuns, x: int, top: float, bottom: float, level: float, settings) -> float:
    """Row the curve continues at after a tall run: its lowest horizontal stroke.

    A censor tick has a horizontal stroke only where the curve crosses it, a
    drop line also at its foot; without strokes (dashes) the bottom is used.
    """
    starts, ends = flat_runs.starts[x], flat_runs.ends[x]
    inside = np.nonzero((starts >= top) & (ends <= bottom))[0]
    if inside.size:
        foot = float(starts[inside[-1]] + ends[inside[-1]]) / 2
        if foot > level + settings.slack:
            return foot
    if top < level - settings.width / 2 - settings.slack:
        return level
    return bottom - settings.width / 2


def horizontal_strokes(mask: np.ndarray, width: float) -> np.ndarray:
    """Pixels of horizontal runs longer than a vertical line is wide."""
    length = int(np.ceil(width)) + 2
    return ndimage.binary_opening(mask, structure=np.ones((1, length), dtype=bool))


def _reacquire(flat_runs: ColumnRuns, x: int, band_top: float):
    """First column from ``x`` on with a horizontal stroke not above the band.

    Strokes, not any pixel: axis ticks and text below the curve are not the
    curve coming back.
    """
    runs = flat_runs
    for col in range(x, len(runs.starts)):
        ok = np.nonzero(runs.ends[col] >= band_top)[0]
        if ok.size:
            return col, float(runs.starts[col][ok[0]])
    return None


def _pick(
    runs: ColumnRuns, x: int, band_top: float, band_bottom: float, lowest: bool,
    prefer: float | None = None, width: float = 1.0, keep_level: bool = False,
):
    """The run in the band: the top (or lowest) one, or the one nearest ``prefer``.

    With ``keep_level`` (a colour carrying two curves) the top trace keeps
    to a full-width line at the old level even after a drop: that is the
    other curve going on.
    """
    starts, ends = runs.starts[x], runs.ends[x]
    ok = np.nonzero((ends >= band_top) & (starts <= band_bottom))[0]
    if ok.size == 0:
        return None
    full_top = ends[ok[0]] - starts[ok[0]] + 1 >= width - 0.5
    if prefer is not None and not (keep_level and not lowest and full_top and ok.size > 1):
        # Distance from ``prefer`` to each run (0 when the run covers it).
        gap = np.maximum(starts[ok] - prefer, 0) + np.maximum(prefer - ends[ok], 0)
        if gap.min() > 2 * width + 2:
            # Only pieces at the old level: a mark's bar or the end of the old
            # line; the curve went down and shows again after a gap.
            return None
        i = ok[np.argmin(gap)]
    else:
        i = ok[-1] if lowest else ok[0]
    return float(starts[i]), float(ends[i])


def _seen_soon(runs: ColumnRuns, x: int, band_top: float, band_bottom: float, settings) -> bool:
    """Whether the band has pixels again within a dash gap to the right."""
    last = min(len(runs.starts), x + settings.look_ahead + 1)
    return any(
        _pick(runs, col, band_top, band_bottom, False) is not None for col in range(x + 1, last)
    )


def _dropped_in_gap(runs: ColumnRuns, x: int, band_top: float, band_bottom: float, settings):
    """A run just below the band, where a short drop fell into a dash gap.

    Not when the band has pixels again in the next two columns: then the run
    below is a stray (a mark's bar, anti-aliasing) and the curve goes on.
    """
    soon = TraceSettings(settings.width, look_ahead_columns=2)
    if _seen_soon(runs, x, band_top, band_bottom, soon):
        return None
    starts, ends = runs.starts[x], runs.ends[x]
    below = np.nonzero((starts > band_bottom) & (starts <= band_bottom + settings.dash_gap))[0]
    if below.size:
        return float(starts[below[0]]), float(ends[below[0]])
    return None


def _extend_dashed(runs: ColumnRuns, x: int, top: float, bottom: float, settings) -> float:
    """Join the pieces of a dashed vertical drop into one run.

    Only pieces at least a line width tall count: the thin horizontal bar of
    a '+' censor mark just below the curve is not part of a drop. A flat
    piece starts a drop when a dash of a drop line (a tall piece) follows, or
    in dotted lines (whose drops are columns of dots); a flat piece below a
    flat one may be another curve.
    """
    # Dots of a dotted line come out a pixel thinner than the line when anti-aliased.
    piece = settings.width - 1 if settings.broken else settings.width
    flat = bottom - top + 1 <= settings.tall and not settings.broken
    starts, ends = runs.starts[x], runs.ends[x]
    for s, e in zip(starts, ends):
        if s > bottom and s - bottom - 1 <= settings.dash_gap and e - s + 1 >= piece:
            if flat and e - s + 1 <= settings.tall:
                break
            bottom, flat = float(e), False
    return bottom


def is_broken(mask: np.ndarray) -> bool:
    """Whether a colour is drawn dashed or dotted: over a fifth of its columns empty."""
    columns = np.nonzero(mask.any(axis=0))[0]
    if columns.size < 2:
        return False
    return 1 - columns.size / (columns[-1] - columns[0] + 1) > 0.2


def line_width(runs: ColumnRuns) -> float:
    """Typical thickness of a flat stretch: the most common run height."""
    heights = runs.heights()
    if heights.size == 0:
        return 1.0
    return float(np.bincount(heights.astype(int)).argmax())


@dataclass(frozen=True)
class StepCurve:
    """A traced curve in plot-area pixels.

    ``corner_x``/``corner_y`` are the step corners (two per drop), ``censor_x``
    the columns of censor marks, ``lost`` and ``hidden`` the column spans where
    the curve was not seen and where it was followed under another curve.
    """

    corner_x: np.ndarray
    corner_y: np.ndarray
    censor_x: np.ndarray
    lost: list[tuple[int, int]]
    hidden: list[tuple[int, int]]
    hidden_tail: tuple[int, int] | None
    gap_share: float
    line_width: float


def steps_from_trace(trace: Trace, settings: TraceSettings) -> StepCurve | None:
    """Turn the per-column record into step corners and censor marks.

    Flat columns at the same height (within one pixel or a third of the line
    width, to absorb anti-aliasing and JPEG noise) form a plateau at their
    mean height; the drop between two plateaus sits at the centre of the
    tall columns between them (the vertical line), or half-way across a short
    gap, or at the reappearance after a long gap. A tall cluster that rises
    above its plateau is a censor mark. Plateaus are then made non-increasing
    in survival (see :func:`_monotone`).
    """
    kinds = np.array(trace.kind)
    own = np.nonzero(np.isin(kinds, [FLAT, TALL]))[0]
    if own.size == 0:
        return None
    last = own[-1]
    tail = [i for i in range(last + 1, len(kinds)) if kinds[i] in (HIDDEN_FLAT, HIDDEN_TALL)]
    hidden_tail = (trace.x[tail[0]], trace.x[tail[-1]]) if tail else None
    jitter = max(1.0, settings.width / 3)
    plateaus: list[list] = []  # [start_x, last_x, sum of centres, count]
    censor_x: list[float] = []
    cluster: list[int] = []  # record indices of the tall columns since the last flat one
    lost_since = False
    for i in range(last + 1):
        kind, x = kinds[i], trace.x[i]
        if kind in (TALL, HIDDEN_TALL):
            if cluster and x != trace.x[cluster[-1]] + 1:
                cluster = []
            cluster.append(i)
            continue
        if kind == LOST:
            lost_since = True
            continue
        if kind == GAP:
            continue
        centre = (trace.top[i] + trace.bottom[i]) / 2
        if not plateaus and cluster:
            # Drops right at the start: the staircase starts from survival 1.
            plateaus.append([trace.x[cluster[0]], trace.x[cluster[0]], trace.start_level, 1])
        level = _level(plateaus[-1]) if plateaus else centre
        if plateaus and cluster:
            censor_x += _staircase(trace, cluster, plateaus, settings, jitter)
            level = _level(plateaus[-1])
            cluster = []
        if plateaus and abs(centre - level) <= jitter and not lost_since:
            plateaus[-1][1] = x
            plateaus[-1][2] += centre
            plateaus[-1][3] += 1
        else:
            if not plateaus:
                start = x
            elif lost_since:
                start = x - 0.5
            else:
                start = (plateaus[-1][1] + x) / 2
            plateaus.append([start, x, centre, 1])
        cluster = []
        lost_since = False
    if not plateaus:
        return None
    levels = _monotone([_level(p) for p in plateaus], [p[3] for p in plateaus])
    xs, ys = [], []
    for k, plateau in enumerate(plateaus):
        end = plateaus[k + 1][0] if k + 1 < len(plateaus) else plateau[1]
        if ys and levels[k] == ys[-1]:
            xs[-1] = end
            continue
        xs += [plateau[0], end]
        ys += [levels[k], levels[k]]
    kinds_upto = kinds[: last + 1]
    xs_upto = np.array(trace.x[: last + 1])
    n_gap = int(np.isin(kinds_upto, [GAP, LOST]).sum())
    return StepCurve(
        corner_x=np.array(xs, dtype=float),
        corner_y=np.array(ys, dtype=float),
        censor_x=np.array(censor_x, dtype=float),
        lost=_spans(xs_upto[kinds_upto == LOST]),
        hidden=_spans(xs_upto[np.isin(kinds_upto, [HIDDEN_FLAT, HIDDEN_TALL])]),
        hidden_tail=hidden_tail,
        gap_share=n_gap / max(1, last + 1),
        line_width=settings.width,
    )


def _monotone(levels: list[float], weights: list[float]) -> np.ndarray:
    """Non-decreasing rows (survival never rises) closest to ``levels``.

    Pool-adjacent-violators with each plateau weighted by its number of
    columns: a one-column foot read too low (a censor tick taken for a drop)
    mostly gives way to the longer plateau after it, instead of dragging it
    down as a running maximum would.
    """
    blocks: list[list[float]] = []  # [weighted mean, weight, count]
    for level, weight in zip(levels, weights):
        blocks.append([level, float(weight), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            value, w, n = blocks.pop()
            blocks[-1] = [
                (blocks[-1][0] * blocks[-1][1] + value * w) / (blocks[-1][1] + w),
                blocks[-1][1] + w,
                blocks[-1][2] + n,
            ]
    return np.concatenate([np.full(n, value) for value, _, n in blocks])


def _level(plateau: list) -> float:
    """Mean row of a plateau (its members differ by less than the jitter)."""
    return plateau[2] / plateau[3]


def _staircase(trace: Trace, cluster: list[int], plateaus: list, settings, jitter: float) -> list:
    """Read the drops and censor marks of a run of tall columns; return the marks.

    A column whose run rises above the current level is a censor tick (its
    foot says nothing about the level). In the other columns the foot
    (bottom minus half the line width) is the level right of the column:
    events close together draw a staircase whose steps are narrower than the
    line, and a new level starts half a line width right of the first column
    reaching it (the centre of its drop line).
    """
    ticks: list[int] = []
    recent = [(trace.x[cluster[0]] - 1, _level(plateaus[-1]))]
    for i in cluster:
        current = _level(plateaus[-1])
        x = trace.x[i]
        # The drop line of a step a line width back still shows above the
        # current level; only rising above that is a tick.
        before = min(lvl for col, lvl in recent if col >= x - settings.width - 1) if any(
            col >= x - settings.width - 1 for col, _ in recent) else current
        recent.append((x, current))
        if trace.kind[i] == TALL and trace.top[i] < before - settings.width / 2 - settings.slack:
            ticks.append(x)
            continue
        if trace.kind[i] == HIDDEN_TALL:
            # Followed along another curve, whose drop may go deeper than this
            # one's: only the top of the run (the level just left) is shared.
            level = trace.top[i] + settings.width / 2
            start = max(x - (settings.width - 1) / 2, plateaus[-1][0])
        else:
            level = trace.bottom[i] - settings.width / 2
            start = min(x + (settings.width - 1) / 2, trace.x[cluster[-1]])
        if level > current + jitter:
            plateaus.append([start, x, level, 1])
    marks = []
    for first, last in _spans(np.array(ticks, dtype=int)):
        marks.append((first + last) / 2)
    return marks


def _spans(columns: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive column indices grouped as (first, last)."""
    if columns.size == 0:
        return []
    breaks = np.nonzero(np.diff(columns) > 1)[0]
    firsts = np.concatenate([[columns[0]], columns[breaks + 1]])
    lasts = np.concatenate([columns[breaks], [columns[-1]]])
    return [(int(a), int(b)) for a, b in zip(firsts, lasts)]


def strip_censor_marks(
    runs: ColumnRuns, flat_runs: ColumnRuns, settings: TraceSettings
) -> tuple[ColumnRuns, np.ndarray]:
    """Cut censor ticks out of the runs; return the cleaned runs and the ticks.

    The ticks are an array of (column, row of the curve) pairs.

    A tick crosses the curve and sticks out above it, which a drop never
    does (a drop starts at the curve and goes down). The part of a run above
    the curve's horizontal stroke, and as much below it, is the tick; what
    reaches further down is a drop and is kept.
    """
    starts_out, ends_out, ticks = [], [], []
    for x in range(len(runs.starts)):
        starts, ends = runs.starts[x].astype(float), runs.ends[x].astype(float)
        f_starts, f_ends = flat_runs.starts[x], flat_runs.ends[x]
        for k in range(len(starts)):
            if ends[k] - starts[k] + 1 <= settings.tall:
                continue
            inside = np.nonzero((f_starts >= starts[k]) & (f_ends <= ends[k]))[0]
            if inside.size == 0:
                continue
            line_top, line_bottom = f_starts[inside[0]], f_ends[inside[0]]
            above = line_top - starts[k]
            if above <= settings.slack or ends[k] - line_bottom < above - settings.slack:
                continue
            ticks.append((x, (line_top + line_bottom) / 2))
            starts[k] = line_top
            if ends[k] <= line_bottom + above + 1:
                ends[k] = line_bottom
        starts_out.append(starts)
        ends_out.append(ends)
    return ColumnRuns(starts_out, ends_out), np.array(ticks, dtype=float).reshape(-1, 2)


def tick_centres(ticks: np.ndarray) -> np.ndarray:
    """One (column, row) per mark: adjacent tick columns at one height are one mark."""
    marks: list[list[float]] = []
    for x, y in ticks:
        if marks and x - marks[-1][1] <= 1 and abs(y - marks[-1][2]) <= 2:
            marks[-1][1] = x
        else:
            marks.append([x, x, y])
    return np.array([((a + b) / 2, y) for a, b, y in marks], dtype=float).reshape(-1, 2)


def refine_drops(step: StepCurve, runs: ColumnRuns, settings: TraceSettings) -> StepCurve:
    """Move each drop onto the vertical line that joins its two levels.

    Censor marks right beside a drop blur where it is (a '+' bar reaches
    past it); the drop line is the one column band whose pixels cover the
    whole stretch between the two levels, which a tick on either level only
    does when the drop is shorter than the tick, and which, unlike a tick,
    does not stick out past both levels. Narrow plateaus are re-read first
    (:func:`_relevel_narrow`).
    """
    reach = int(np.ceil(settings.dash_gap)) + 2
    xs, ys = step.corner_x.copy(), _relevel_narrow(step.corner_x, step.corner_y, runs, reach, settings)
    for k in range(1, len(xs) - 1, 2):
        upper, lower = ys[k], ys[k + 1]
        low_x = xs[k - 1] if k > 1 else 0
        high_x = xs[k + 2] if k + 2 < len(xs) else xs[k] + reach
        columns = range(max(int(xs[k]) - reach, 0), min(int(xs[k]) + reach + 1, len(runs.starts)))
        # First the rows a drop line covers and a flat line at either level
        # does not (a drop less than half a line width is not told from the
        # flat line); a dashed drop has gaps, so then only its middle.
        half = settings.width / 2
        for margin, shortest in ((0.5, half + 1), (half + 1, settings.width + 4)):
            if lower - upper < shortest:
                continue
            centre = _covering_centre(runs, columns, upper, lower, margin, xs[k], settings)
            if centre is not None:
                xs[k] = xs[k + 1] = float(np.clip(centre, low_x, high_x))
                break
    return StepCurve(
        corner_x=xs, corner_y=ys, censor_x=step.censor_x, lost=step.lost, hidden=step.hidden,
        hidden_tail=step.hidden_tail, gap_share=step.gap_share, line_width=step.line_width,
    )


def _covering_centre(runs: ColumnRuns, columns, upper: float, lower: float, margin: float,
                     near: float, settings: TraceSettings) -> float | None:
    """Centre of the column band covering ``upper + margin`` to ``lower - margin``.

    Of several bands, one that does not stick out past the two levels (a
    censor mark's bar does) and then the one nearest ``near`` is taken.
    """
    covering, overhang = [], {}
    for col in columns:
        hit = (runs.starts[col] <= upper + margin) & (runs.ends[col] >= lower - margin)
        if np.any(hit):
            covering.append(col)
            i = np.argmax(hit)
            overhang[col] = max(upper - settings.width / 2 - runs.starts[col][i], 0) + max(
                runs.ends[col][i] - lower - settings.width / 2, 0)
    if not covering:
        return None
    groups = _spans(np.array(covering))
    clean = [g for g in groups if min(overhang[c] for c in range(g[0], g[1] + 1)) <= settings.slack]
    return min(((a + b) / 2 for a, b in clean or groups), key=lambda c: abs(c - near))


def _relevel_narrow(xs: np.ndarray, ys: np.ndarray, runs: ColumnRuns, narrow: int, settings) -> np.ndarray:
    """Re-read the level of each narrow plateau from the bottom edge of its line.

    Between a drop and censor marks beside it, a plateau a few columns wide
    is read from runs that also hold the marks' bars, which pull its centre
    up. The line's bottom edge is not moved by a bar that only reaches down
    to it, so the highest bottom edge (less half a line width) in the
    plateau's columns is its level: used when that is lower by at most a
    line width and leaves a drop to the next level.
    """
    ys = ys.copy()
    below = (settings.width - 1) / 2
    for i in range(2, len(xs) - 2, 2):
        start, end, level = xs[i], xs[i + 1], ys[i]
        if end - start > narrow:
            continue
        read = []
        for col in range(int(np.ceil(start)), min(int(end) + 1, len(runs.starts))):
            ends, starts = runs.ends[col], runs.starts[col]
            band = np.nonzero((ends >= level - settings.width) & (starts <= level + settings.width))[0]
            if band.size:
                read.append(ends[band[0]] - below)
        # Down by at most a line width (a bar's pull), and not onto the next
        # level: that would take away the drop to it.
        if read and level < min(read) <= min(level + settings.width, ys[i + 2] - settings.width / 2 - 1):
            ys[i] = ys[i + 1] = min(read)
    return ys
