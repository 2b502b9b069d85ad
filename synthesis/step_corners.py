"""Read a traced path, at whole pixels, to the step corners of the curve.

The path of :func:`synthesis.step_trace.trace_path` is read to subpixel
precision (:func:`steps_from_path`): each flat run's level from the edges of
the anti-aliased line across it (median over its columns, which censor marks
do not move), made non-increasing in survival by pool-adjacent-violators
(Barlow et al. 1972), on a dotted line with the crossbars of '+' marks
unknown (dotted arm B of the bench, seeds 1/20/30: tube 1.06/1.08/0.56 % ->
0.88/0.70/0.56 %); each drop is placed, and plateaus narrower than a few
line widths refitted, by :mod:`synthesis.step_fit` (on a dashed line with
the gaps at the traced drops' corners bridged and, on a '--' line, the
levels of plateaus wider than three line widths kept as read: arm B of
"solid and dashed black", seeds 1/20/30, 0.75/0.35/0.37 % -> 0.40/0.35/0.37 %;
and drops seen only in part split where a second drop may hide; on a '--'
line, drops that show no ink put midway between the sights of their
levels: 'dashed colours' arm A within 0.5 % on 24 of seeds 1-30, was 21);
on a dotted line, drops hidden between two consecutive dots are put midway
between them (:mod:`synthesis.dotted_drops`); on a dashed line, the curve
in each blank between two dashes is one drop midway across it (R's lty = 2,
blanks of 4 line widths: R 'base bw' arm B within 0.5 % on 8 of seeds 4-15,
was 2; matplotlib's '--', blanks of 1.6: 'solid and dashed black' arm B on
24 of seeds 1-30, was 22, 'dashed colours' arm A on 27, was 25). This
module owns the
traced curve (:class:`StepCurve`), the reading of its levels and the rows
and pixels it covers (:func:`curve_rows`, :func:`curve_zone`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthesis.dashed_lines import (
    bridge_drop_corners,
    drops_on_dashes,
    hedge_dash_gaps,
    looks_dashed,
    looks_dotted,
)
from synthesis.dotted_drops import (
    dot_centres,
    dots_beside_marks,
    follow_dot_runs,
    hedge_between_dots,
    staircase_zone,
)
from synthesis.line_evidence import (
    SEEN,
    CurveEvidence,
    TraceSettings,
    band_coverage,
    column_spans,
)
from synthesis.step_fit import (
    bound_dashed_drops,
    drop_position,
    hedge_hidden_dashed_drops,
    honour_marks,
    refine_narrow,
    split_half_seen_drops,
    split_merged_plateaus,
)

#: On a '--' line, plateaus wider than this many line widths keep the level
#: read from their edges in the refit: the butt end of a drop's dash, a dash
#: gap from the corner, passes for the level's top edge and pulls a solid
#: drawing up (arm B of "solid and dashed black", seed 1, t = 4.7 months:
#: level 0.8 px up, the drop before it 3.8 px early).
DASHED_READ_WIDER = 3.0
#: Coverage below which a pixel is paper when reading a line's edges.
PAPER = 0.2


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
    mark_centres: np.ndarray | None = None,
) -> StepCurve | None:
    """Read the step corners of a traced path; ``None`` if the colour is never on it.

    The path ends at the last column where the curve's own colour covers it.
    Flat runs of the path are plateaus; their levels are read from the
    line's edges (:func:`_plateau_level`), made non-increasing in survival
    (:func:`_monotone`), on any line but a dotted one a run along marks'
    crossbars only folded into a level within a pixel of it
    (:func:`_fold_crossbar_runs`), and each drop is placed by
    :func:`~synthesis.step_fit.drop_position`; narrow plateaus are refitted
    (:func:`~synthesis.step_fit.refine_narrow`), on a dashed line to the
    coverage with the gaps at the traced drops' corners bridged
    (:func:`~synthesis.dashed_lines.bridge_drop_corners`), and then a dashed
    line's drops seen only in part are split
    (:func:`~synthesis.step_fit.split_half_seen_drops`) and a dotted line's
    levels and drops repaired to pass through the centres of its censor
    marks (``mark_centres``, :func:`~synthesis.step_fit.honour_marks`) and
    its drops hidden between two dots (or mark centres) hedged midway, or
    placed from the edge of their line beside a mark's bar
    (:func:`~synthesis.dotted_drops.hedge_between_dots`), the dots its
    marks hide in part fitted on their anti-diagonals
    (:func:`~synthesis.dotted_drops.dots_beside_marks`) and the curve read
    from runs of dots (:func:`~synthesis.dotted_drops.follow_dot_runs`), a '--' line's
    drops that show no ink hedged midway between the sights of their levels
    (:func:`~synthesis.step_fit.hedge_hidden_dashed_drops`; first, under '|'
    ticks, kept within the sights of their levels,
    :func:`~synthesis.step_fit.bound_dashed_drops`), its drops
    moved where the dash pattern drawn along the staircase meets a line
    (:func:`~synthesis.dashed_lines.drops_on_dashes`) and the curve
    in each blank between two dashes made one drop midway across it
    (:func:`~synthesis.dashed_lines.hedge_dash_gaps`), a solid line's
    tall drops beside narrow plateaus and its narrow plateaus tried as two
    (:func:`~synthesis.step_fit.split_merged_plateaus`).
    A drop that ends the curve, which the tracer has no reason to go down,
    is followed first (:func:`_final_drop`).
    A path that leaves the first column already below survival 1 (``start_row``)
    dropped within it: the curve starts at survival 1 and that drop is
    placed like the others, a fraction of a pixel after time 0.
    A first run at survival 1 whose line shows nowhere (under the frame and
    the other curve) is at survival 1, not where the ink hiding it puts it
    (1-2 px lower), and so are the runs after it that lie on the line drawn
    there (:func:`_on_start_line`) when their edges are not seen (a thick
    line's lower half under the frame, its upper half clipped, was read
    from the paper above the axes as a drop of 2.8 px: 'thick lines' seed
    21 arm B, 0.56 % -> 0.12 %); above survival 1 the line is clipped to the axes, so
    the paper there is not evidence against it (issue styles, seeds 1-30:
    'grid + jpeg + percent' 56 -> 58, 'open frame' 57 -> 58 of 60 curves
    within 0.5 %; 'jpeg' 56 -> 56, seed 28 gained and seed 1 lost). Unless
    the rows below the frame that its line would cover show paper at its
    end: it left survival 1 there, hidden, to where the next drop's line
    starts (:func:`_first_run_left_early`).
    """
    seen_own = band_coverage(evidence.own, path, settings) >= SEEN
    if not seen_own.any():
        return None
    last = int(np.nonzero(seen_own)[0][-1])
    path, drop_column = _final_drop(path, last, bridged, evidence.lines, settings, mark_centres)
    if drop_column is not None:
        seen_own = band_coverage(evidence.own, path, settings) >= SEEN
        # A drop to survival 0 ends on the x axis, whose pixels were removed:
        # its lower level shows nowhere, its line does. The path may have
        # moved down from before every column it saw its colour in.
        last = max(int(np.nonzero(seen_own)[0][-1]) if seen_own.any() else 0, drop_column)
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
    dashed = looks_dashed(path, evidence, settings)
    unknown = evidence.unknown()
    dotted = dashed and looks_dotted(path, evidence, settings)
    if dotted and evidence.crossbars is not None:
        # A '+' mark's crossbar fills the gaps of a dotted line: under it the
        # line may be drawn or not. (On a '--' line, whose gaps are rarer than
        # its dashes, the crossbar's pixels are better read as line.)
        unknown = unknown | evidence.crossbars
    combined = np.maximum(evidence.own, cover)
    top = round(float(start_row))
    # Above survival 1 the curve is clipped to the axes: paper there does not
    # say the line is absent.
    unknown = unknown.copy()
    unknown[:max(top, 0)] = True
    # A first run at survival 1 that shows nowhere lies under the frame and
    # the other curves: the ink hiding it does not tell its level, survival 1 does.
    on_start = _on_start_line(evidence.own, unknown, path, starts, ends, float(start_row), settings)
    levels = np.array([
        _plateau_level(evidence.own, unknown, combined, path[a], a, b, settings,
                       hidden_level=float(start_row) if first else None)
        for a, b, first in zip(starts, ends, on_start)
    ])
    if len(levels) > 1 and levels[0] == float(start_row):
        split = _first_run_left_early(evidence.own, unknown, path, float(start_row), ends[0], settings)
        if split is not None:
            column, level = split
            starts = np.concatenate([[0, column + 1], starts[1:]])
            ends = np.concatenate([[column], ends])
            levels = np.concatenate([[levels[0], level], levels[1:]])
    opens_low = path[0] > top + 1
    # Whether the first drop is drawn (else the curve is first seen below survival 1).
    start_hidden = opens_low and evidence.own[top + 1:path[0], :2].max(axis=1).mean() < 0.5
    if opens_low:
        starts, ends = np.concatenate([[0], starts]), np.concatenate([[-1], ends])
        levels = np.concatenate([[start_row], levels])
    weights = np.maximum(ends - starts + 1, 1)
    levels = _monotone(levels, weights)
    keep = np.concatenate([[True], np.diff(levels) > 0.3])
    if not dotted:
        weights, keep = _fold_crossbar_runs(levels, weights, keep, path, starts, ends, evidence.crossbars)
    group = np.cumsum(keep) - 1
    levels = np.array([np.average(levels[group == g], weights=weights[group == g])
                       for g in range(group[-1] + 1)])
    starts, ends = starts[keep], np.append(starts[keep][1:] - 1, last)
    fit = bridged if dashed else evidence.own
    drops = [
        drop_position(fit, unknown, combined, levels[k], levels[k + 1], starts[k], starts[k + 1],
                      ends[k + 1], settings, round_joins=not dashed)
        for k in range(len(levels) - 1)
    ]
    drops = np.array(drops, dtype=float)
    if dashed:
        # A drop's dash may end in a gap at the step's corner: the refit must
        # not count that gap as paper where a drop was traced.
        refit = bridge_drop_corners(fit, evidence, settings,
                                    _drop_bands(levels, drops, fit.shape, settings))
        levels, drops = refine_narrow(levels, drops, float(last), refit, unknown, settings,
                                      read_wider=None if dotted else DASHED_READ_WIDER,
                                      round_joins=False)
        levels, drops = split_half_seen_drops(levels, drops, evidence.own, unknown, evidence.marks,
                                              settings, long_dashes=not dotted)
        if dotted and mark_centres is not None and mark_centres.size:
            levels, drops = honour_marks(levels, drops, float(last), refit, evidence.own, unknown,
                                         evidence.marks, mark_centres, settings)
        if dotted:
            zone = staircase_zone(levels, drops, float(last), unknown.shape, settings.width + 2)
            # A dot that only borders another curve is a point of the curve as
            # well (run_dots), though its centre would not bound a drop's hedge.
            mark_pixels = evidence.mark_pixels()
            dots, run_dots = dot_centres(evidence.own, unknown, evidence.other, zone, settings, evidence.crossbars,
                                         mark_pixels)
            drops = hedge_between_dots(levels, drops, float(last), evidence.own, dots, settings,
                                       marks=mark_centres, bars=evidence.marks)
            if evidence.under_marks is not None and mark_centres is not None:
                extra = dots_beside_marks(evidence.own, evidence.under_marks, mark_pixels,
                                          evidence.crossbars, evidence.other, mark_centres, run_dots, zone,
                                          settings)
                run_dots = np.vstack([run_dots, extra])
            levels, drops = follow_dot_runs(levels, drops, run_dots, marks=mark_centres)
        else:
            drops = bound_dashed_drops(levels, drops, float(last), evidence.own, unknown,
                                       evidence.marks, mark_centres, settings)
            drops = hedge_hidden_dashed_drops(levels, drops, float(last), evidence.own, unknown,
                                              evidence.marks, mark_centres, settings)
            if settings.gap is not None:
                drops = drops_on_dashes(levels, drops, float(last), evidence.own, unknown, settings)
                levels, drops = hedge_dash_gaps(levels, drops, float(last), evidence.own, settings)
    else:
        levels, drops = refine_narrow(levels, drops, float(last), fit, unknown, settings)
        levels, drops = split_merged_plateaus(levels, drops, float(last), fit, unknown, settings)
    xs = np.repeat(np.concatenate([[0.0], drops, [float(last)]]), 2)[1:-1]
    ys = np.repeat(levels, 2)
    return StepCurve(
        corner_x=np.asarray(xs, dtype=float),
        corner_y=np.asarray(ys, dtype=float),
        start_hidden=bool(start_hidden),
        lost=column_spans(np.nonzero(lost[: last + 1])[0]),
        hidden=column_spans(np.nonzero(hidden[: last + 1])[0]),
        hidden_tail=tail,
        gap_share=float(1 - seen_own[: last + 1].mean()),
        line_width=settings.width,
    )


def _fold_crossbar_runs(levels: np.ndarray, weights: np.ndarray, keep: np.ndarray, path: np.ndarray,
                        starts: np.ndarray, ends: np.ndarray,
                        crossbars: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Fold a run of the path that lies wholly on marks' crossbars into a level within a pixel of it.

    A '+' mark's crossbar lies on the line, but is snapped to pixels apart
    from it: up to a pixel off (:data:`CROSSBAR_SNAP`). Where the path runs
    along crossbars only, a pixel from the line beside them, that run is no
    step of its own (two touching marks just after a drop, 'default' seed
    25 arm A: a 0.9 px step 3.7 px long, 0.28 %). Such a run (its path row
    on crossbar pixels in every column) is grouped with the neighbouring
    level nearer to it, if that one is within :data:`CROSSBAR_SNAP` and
    shows beyond the crossbars, and given no weight in the group's level
    (two runs on crossbars only, either may be the line: 'thin lines' seed
    13 arm A, a plateau read a pixel low and its drop 5 px late, 0.95 %,
    when the line's run was folded into the crossbar's). Not on a dotted
    line: there the crossbars fill its gaps, and are unknown (dotted arm B
    of 'dashed colours', seeds 4 and 11: 1.08 and 1.51 % with the rule,
    0.87 and 1.19 % without). On a '--' line, whose marks' bars meet it
    drawn, as on a solid one ('dashed colours' seed 21 arm A, a 0.6 px step
    on the crossbars after the drop at t = 17.4: 0.26 -> 0.16 %; with
    :func:`~synthesis.step_fit.split_half_seen_drops` reading a bar's end
    as the bar's, R 'base bw' seed 7 arm B 1.28 -> 1.08 %; '--' arms of
    matplotlib seeds 1-30 95 -> 95 of 120 within 0.5 %, none worse by more
    than 0.03 % of the axis). Runs are indexed from the first
    (``starts``/``ends``, ``-1`` for a first drop not drawn); ``keep``
    says which runs start a group (see :func:`steps_from_path`).
    """
    if crossbars is None:
        return weights, keep
    on_bars = np.array([a >= 0 and bool(crossbars[path[a:b + 1], np.arange(a, b + 1)].all())
                        for a, b in zip(starts, ends)])
    weights, keep = weights.astype(float), keep.copy()
    for k in np.nonzero(on_bars)[0]:
        if k == 0:
            continue
        above = levels[k] - levels[k - 1]
        below = levels[k + 1] - levels[k] if k + 1 < len(levels) else np.inf
        into = k - 1 if above <= below else k + 1
        # Two runs on crossbars alone: which one is the line cannot be told.
        if min(above, below) <= CROSSBAR_SNAP and not on_bars[into]:
            weights[k] = 0.0
            keep[max(k, into)] = False
    return weights, keep


#: Rows a '+' mark's crossbar may lie off the line it is drawn on: the two are
#: snapped to pixels apart, a pixel either way.
CROSSBAR_SNAP = 1.0


def _final_drop(path: np.ndarray, last: int, coverage: np.ndarray, lines: np.ndarray,
                settings: TraceSettings, mark_centres: np.ndarray | None = None) -> tuple[np.ndarray, int | None]:
    """The path with the drop that ends the curve followed down, and its column, if one is drawn.

    A curve whose last patient has an event ends in a drop to a plateau
    shorter than the line is wide. The tracer gains nothing by going down
    it (no columns follow that the lower row would explain), so the path
    runs on at the level above and the whole drop is lost (arm A of the
    bench's 'dashed colours', seed 3: a drop of 0.19 at t = 33 months,
    18.5 % of the axis). Where the colour's line (``coverage``, dash gaps
    bridged) runs down from the path's last seen column ``last``, within a
    line width after it or :data:`FINAL_REACH` line widths before it (a
    censor mark's crossbar may end the curve after its drop), gaps no
    longer than a dash gap, for more than :data:`FINAL_DROP` line widths,
    the path goes down it to the line's end ('thin lines', seed 3: the
    drop 6 px before the end of a mark's crossbar). The drop's column is
    returned whether or not the path already went down it: a drop to
    survival 0 ends on the x axis line, whose pixels were removed, so that
    the curve is seen there by its drop's line only ('thin lines' seeds 130
    and 137 arm B, whose last patient dies: 18.6 % and 22.2 % with the drop
    cut off, 0.10 % with it). A run that ends on a horizontal removed line
    (``lines``, :func:`_line_under`) is a drop to the axis or past it,
    however short, and ends on that line's middle row: to survival 0, or
    below a y axis that starts above 0 ('y axis from 0.2' seed 35 arm B,
    a drop of 8 px to the axis: 1.94 % when a path that could end stopped
    riding the axis line down there, 0.12 % with the rule). On a dashed
    line the first gap below the level may be longer by a mark's reach (a
    censor mark at the drop's top corner, taken out of the coverage, blanks
    the first dash's top), and a censor mark centred on the drop's line
    below its last ink, within that reach, is the level it ends on
    (:func:`_mark_ending_drop`; R's lty = 2 arm drawn beside a dotted one,
    seed 3: the drop lost, 18.6 %, before; 0.20 % with both).
    """
    w = settings.width
    width = coverage.shape[1]
    level = int(path[last])
    # The last column seen may be the end of a censor mark's crossbar after the drop.
    reach = int(np.ceil(FINAL_REACH * w)) + 2
    c0, c1 = max(last - reach, 0), min(last + int(np.ceil(w)) + 1, width - 1)
    below = coverage[level + settings.half + 1:, c0:c1 + 1]
    if below.size == 0:
        return path, None
    # A thin line between two columns covers each by less than half.
    inked = below.max(axis=1) >= SEEN
    # A censor mark at the drop's top corner, taken out of the coverage,
    # lengthens the first dash gap by its bar below the level.
    first_gap = settings.dash_gap + (reach if settings.gap is not None else 0)
    gap, bottom = 0, -1
    for i, on in enumerate(inked):
        if on:
            gap, bottom = 0, i
        else:
            gap += 1
            if gap > (first_gap if bottom < 0 else settings.dash_gap):
                break
    if bottom < 0:
        return path, None
    first = level + settings.half + 1
    run = coverage[first:first + bottom + 1, c0:c1 + 1]
    column = c0 + int(np.argmax(run.sum(axis=0)))
    # A run into the x axis line is a drop to the axis or below it, however short.
    axis = _line_under(lines, first + bottom + 1, column, settings)
    if axis is not None:
        end_row = round(axis)
    elif bottom + 1 <= FINAL_DROP * w:
        return path, None
    else:
        # The plateau the drop ends on, or a censor mark's crossbar on it,
        # runs wider than the drop's line; without either, the line's last
        # row is the bottom edge of that plateau. Rows further up than a
        # mark's bar reaches below its crossbar are wide with the bars of
        # marks left of the drop, hanging from the level above ('jpeg' seed
        # 137 arm B).
        wide = np.nonzero(run.sum(axis=1) >= w + 2)[0]
        wide = wide[wide >= bottom - FINAL_REACH * w]
        end_row = first + int(wide[-1]) if wide.size else first + bottom - settings.half
        mark_row = _mark_ending_drop(mark_centres, column, first + bottom, first_gap, w)
        if mark_row is not None:
            end_row = mark_row
    out = path.copy()
    out[column:] = np.maximum(out[column:], end_row)
    return out, column


def _mark_ending_drop(mark_centres: np.ndarray | None, column: int, ink_end: int, reach: float,
                      w: float) -> int | None:
    """Row of a censor mark's centre on the drop's line, below its last ink by at most ``reach`` rows.

    A patient censored at the end of the last drop is marked there, and
    the mark's bar, taken out of the coverage, hides the drop's last rows;
    the mark's centre is on the level the drop ends on.
    """
    if mark_centres is None or not mark_centres.size:
        return None
    x, y = mark_centres[:, 0], mark_centres[:, 1]
    below = (np.abs(x - column) <= w) & (y > ink_end) & (y <= ink_end + reach)
    return round(float(y[below].max())) if below.any() else None


def _line_under(lines: np.ndarray, row: int, column: int, settings: TraceSettings) -> float | None:
    """Middle row of a horizontal removed line starting at ``row`` (or the row below it) under ``column``.

    Horizontal: its rows are removed line pixels across the drop's column
    and a line width and 2 px either side (a vertical grid line is not);
    at most a line width and 2 px tall (the drop's anti-aliased end may
    leave a pixel of paper above it).
    """
    side = int(np.ceil(settings.width)) + 2
    cols = slice(max(column - side, 0), min(column + side, lines.shape[1] - 1) + 1)
    across = lines[:, cols].all(axis=1)
    for top in (row, row + 1):
        if 0 <= top < lines.shape[0] and across[top]:
            rows = top + np.cumprod(across[top:top + side + 1]).sum()
            return None if rows - top > side else (top + rows - 1) / 2
    return None


#: Line widths before the last seen column searched for the final drop
#: (matplotlib's '+' of size 7 reaches 3.5 widths of a 1 pt line).
FINAL_REACH = 4.0
#: A run down from the curve's end longer than this many line widths is its last drop
#: (a censor mark's bar, taken out before tracing, is not in the coverage).
FINAL_DROP = 3.0


def _drop_bands(levels: np.ndarray, drops: np.ndarray, shape: tuple[int, int],
                settings: TraceSettings) -> np.ndarray:
    """Pixels of the traced drops' lines: each drop's column band between its two levels."""
    bands = np.zeros(shape, dtype=bool)
    half = settings.width / 2 + 0.5
    for k, x in enumerate(drops):
        bands[int(np.floor(levels[k])):int(np.ceil(levels[k + 1])) + 1,
              max(int(np.floor(x - half)), 0):int(np.ceil(x + half)) + 1] = True
    return bands


def _hidden_tail(path: np.ndarray, seen_other: np.ndarray, last: int) -> tuple[int, int] | None:
    """Columns after the curve's end where it may go on at its last row under another curve."""
    after = np.arange(last + 1, path.size)
    on = after[(path[after] == path[last]) & seen_other[after]]
    if on.size == 0 or on[0] > last + 2:
        return None
    span = column_spans(on)[0]
    return span


def _on_start_line(own: np.ndarray, unknown: np.ndarray, path: np.ndarray, starts: np.ndarray,
                   ends: np.ndarray, start_row: float, settings: TraceSettings) -> np.ndarray:
    """Which of the first runs of the path may lie on the line drawn at survival 1.

    The first run does when it is at most a row below the frame's row
    (``start_row``), as before. A run after it does too when its row lies
    more than a row but within half a line width below survival 1, on the
    line drawn there, and no column of it shows paper (neither the colour
    nor anything hiding it) between the frame and its row: a thick line's
    lower half shows under the frame, its upper half clipped to the axes,
    while the top edge of a lower level's line has paper above it ('thick
    lines' seed 25 arm A, a drop at t = 0.02 months to 2.3 px under the
    band's last row). A later run on the row just below the frame has no
    row between to tell the two apart, and is read as before ('solid and
    dashed black' seed 55 arm B, 0.77 % -> 0.91 % when it was put at
    survival 1).
    """
    top = round(start_row)
    band = start_row + settings.width / 2
    first = np.zeros(len(starts), dtype=bool)
    first[0] = path[0] <= top + 1
    for k in range(1, len(starts)):
        if not first[k - 1] or not top + 1 < path[starts[k]] <= band:
            break
        rows, cols = slice(top + 1, int(path[starts[k]])), slice(starts[k], ends[k] + 1)
        first[k] = not ((own[rows, cols] < PAPER) & ~unknown[rows, cols]).any()
    return first


def _first_run_left_early(own: np.ndarray, unknown: np.ndarray, path: np.ndarray, start_row: float,
                          end: int, settings: TraceSettings) -> tuple[int, float] | None:
    """Where a first run hidden at survival 1 was left, and the level it went to.

    The first run is put at survival 1 when its line shows nowhere, being
    under the frame and the other curve. Below the frame's row, though, a
    line at survival 1 covers more than half of each row within half a line
    width of its centre: where those rows show paper (neither the colour nor
    anything hiding it) for a line width or more at the run's end, the
    column where the path goes down included (a drop from survival 1 there
    would ink those rows across its line's width), the curve
    had left survival 1 already, by a drop hidden under the y axis and the
    other curve, to the level the next drop's line starts at (its top ink
    row, plus half a line width). Returns the run's last hidden column and
    that level, or ``None`` ('grid + jpeg + percent' seed 35 arm A: a drop
    to 0.9917 at t = 0.02 months hidden under the y axis and arm B's first
    drop was read as a plateau at survival 1 up to t = 0.23, 0.83 %;
    'risk table' seed 33 arm A, a drop at t = 0.17 hidden under arm B's
    first drop, paper in two columns of the run and in the column the path
    goes down in: 0.83 % -> 0.17 %).
    """
    w = settings.width
    top = round(start_row)
    rows = np.arange(top + 1, int(np.ceil(start_row + w / 2)))
    rows = rows[np.abs(rows - start_row) < w / 2]
    if rows.size == 0 or end + 1 >= path.size:
        return None
    # The column where the path goes down counts too: a drop from survival 1
    # there would ink these rows across its line's width.
    jump = end + 1
    paper = (own[rows, : jump + 1] < PAPER).all(axis=0) & ~unknown[rows, : jump + 1].any(axis=0)
    hidden = np.nonzero(~paper)[0]
    # Column 0 lies under the y axis line at least.
    column = int(hidden[-1]) if hidden.size else 0
    if jump - column < np.ceil(w):
        return None
    # The next drop's line, drawn a line width either side of the run's end.
    cols = slice(column + 1, min(end + int(np.ceil(w)) + 1, own.shape[1]))
    inked = np.nonzero((own[top + 1:int(path[end + 1]) + 1, cols] >= 0.5).any(axis=1))[0]
    if inked.size == 0:
        return None
    return column, float(top + 1 + inked[0] - 0.5 + w / 2)


def _plateau_level(own: np.ndarray, unknown: np.ndarray, combined: np.ndarray, row: int,
                   a: int, b: int, settings: TraceSettings,
                   hidden_level: float | None = None) -> float:
    """Subpixel row of a flat run at ``row`` over columns ``a..b``.

    In each column the line's top edge lies ``S`` pixels of coverage above
    the bottom of row ``row`` (``S`` summed from paper above down to that
    row), and likewise its bottom edge; the centre is half a line width
    from either. A column counts for an edge only with paper beyond it, so
    censor marks' bars, the drop lines at the run's ends and ``unknown``
    pixels (other curves or axis lines over the line) leave it out; the
    median over columns is the level. Columns next to a drop give one edge
    only; from both edges the line width cancels out. A run hidden all along
    is at ``hidden_level`` if given, else read from the ink that hides it
    (``combined``).
    """
    edge = settings.half + 2
    inset = settings.half + 1
    if b - a >= 2 * inset + 2:
        a, b = a + inset, b - inset
    for coverage, hidden in ((own, unknown), (combined, None)):
        if hidden is None and hidden_level is not None:
            return hidden_level
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
