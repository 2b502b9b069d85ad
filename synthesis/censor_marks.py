"""Find the censor marks ('+', '|') of a curve colour.

Before tracing, marks are found by the shape of their vertical bar
(:func:`find_mark_bars`) and their bars left out of the evidence
(:meth:`MarkBars.remove_from`), so that they are not taken for drops nor
pull the reading of a level; the crossbars of '+' marks, which lie on the
line, are kept apart (:attr:`MarkBars.crossbars`): on a dotted line they
fill the gaps and are read as unknown; on a solid line, a crossbar's part
that overhangs a drop under its mark is left out with the bar. After
tracing, marks not found by shape are what sticks out above the traced
line (:func:`censor_marks`). This module owns both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from synthesis.dashed_lines import DASHED_GAP_SHARE
from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings
from synthesis.step_corners import StepCurve, curve_rows


@dataclass(frozen=True)
class MarkBars:
    """Censor marks found by their shape, before tracing.

    ``centres`` holds one (column, row) per mark, ``pixels`` the marks'
    pixels that stick out of the line they sit on, ``crossbars`` those of
    the horizontal bars of '+' marks, which lie on the line.
    """

    centres: np.ndarray
    pixels: np.ndarray
    crossbars: np.ndarray

    def remove_from(self, evidence: CurveEvidence) -> CurveEvidence:
        """The evidence without the marks' bars (the line through them stays).

        The bars are not ink to follow, and unknown when the line is read
        to a fraction of a pixel.
        """
        return CurveEvidence(
            own=np.where(self.pixels, 0.0, evidence.own).astype(np.float32),
            mask=evidence.mask & ~self.pixels, other=evidence.other, lines=evidence.lines,
            marks=self.pixels, crossbars=self.crossbars, cover_marks=evidence.cover_marks,
            under_marks=np.where(self.pixels, evidence.own, 0.0).astype(np.float32),
        )


def find_mark_bars(evidence: CurveEvidence, runs: ColumnRuns, settings: TraceSettings) -> MarkBars:
    """Find censor marks ('+', '|') by their vertical bar.

    All marks of a figure are drawn alike: their bars are the most common
    length among the colour's vertical runs that stick out of the line and,
    where no dash gap was measured, have a flat line through their middle
    on both sides (:func:`_crossed_in_the_middle`). Drop lines vary with the drop, but on
    a 1 px line many drops are a few pixels long: R's lwd = 1 figures have
    more 5-6 px drops than 12-13 px mark bars, so that the most common
    length of all runs was a drop's and no mark was found ('base thin' and
    'ggplot thin', R seeds 4-15: 12 of 24 arms B missed by 0.82-1.12 %, the
    last mark followed down as a final drop; 1 after, none with
    :func:`_overhangs`; no arm worse by more than 0.1 % of the axis). The crossed runs only tell which peak is
    the marks': its centre is where all long runs, marks beside drops among
    them, are most common within a pixel of theirs (:func:`_typical_length`;
    'overlapping arms' seed 1 arm A, whose crossed runs tied at 10 and 11
    px: 9 px drops taken for bars, 0.18 % -> 0.70 %, and back). On a colour with a
    measured dash gap the line beside a bar may lie in a gap and one curve's
    drop may cross the other's line: there all runs count, as before (R's
    'base bw' seed 8 arm B lost its dashed curve when only crossed runs
    counted). A bar of that length is a mark when the line
    runs through its middle on both sides; a drop line has the upper level
    on its left at the top and the lower level on its right at the bottom.
    A mark just before a drop shows the line on its left only: it is found
    too, and only its upper half left out (:func:`_half_to_keep`; 'solid
    and dashed black' seed 21 arm B, 0.92 % -> 0.28 %); one just after a
    drop, on the lower level, shows it on its right only, and only its
    lower half is left out, but not on a dotted line (:func:`_dotted`;
    'dashed colours' arm A within 0.5 % on seeds 1-30 / 43-72: 25 -> 27 /
    22 -> 24, no curve of its two styles worse by more than 0.1 % of the
    axis). A bar's pixels are left
    out a column either way, except a drop's line drawn there
    (:func:`_spare_drops_beside`; 'thin lines' seed 18 arm A, 1.77 % ->
    0.10 %). On a solid line (:func:`_empty_share`), a '+' crossbar's part
    that overhangs a drop under the mark is left out too
    (:func:`_leave_out_overhang`; a dashed line's levels may lie in a gap,
    so that only one of two overhanging crossbars would be left out:
    'dashed colours' seeds 1-30, 34 -> 31 of 60 curves within 0.5 % when
    the rule applied there). A bar that is no mark, the line centred on it
    on its left only and its crossbar's right arm over the lower level less
    than half a bar below (a drop hidden under it), has that arm left out
    on a dashed line (:func:`_leave_out_arm_over_level`). Found
    before tracing, the bars cannot be taken
    for drops (dotted lines show little else near a drop) nor pull the
    reading of a level. Two marks a pixel apart on two levels touch; their
    bars are told apart by the levels their runs are centred on
    (:func:`_split_levels`), and one mark's bar, left out, is not spared
    as a drop beside the other. A mark on the level below a drop under
    another mark (or above one) may have its bar's end on that mark's
    crossbar: where the crossbar was left out as overhanging, runs ending
    on it are cut there and taken as bars in a second pass
    (:func:`_cut_at_crossbars`; R's lwd = 1 figures: 'ggplot thin' seed 3
    arm B 1.13 % -> 0.08 %, 'base thin' seed 10 arm A 1.44 % -> 0.04 %).
    A bar's pixels beyond the line's band are left out, the band centred
    on the bar's middle, or, for a '|' tick on a dashed line (no crossbar,
    :func:`_crossbar_span`) with the line through it, on the line's rows read beside it
    (:func:`_line_row_through`): the bar snapped half a pixel off the line
    left a row of it in beside the line, a stub the fit read as a drop down
    to the tick (with '|' ticks, seeds 1-42 / 127-147 within 0.5 %: 'dashed
    colours' arm B 8 -> 10 / 2 -> 4, arm A 32 -> 32 / 15 -> 16; 'solid and
    dashed black', whose colour reads as solid, unchanged; no curve left
    0.5 %, seed 38 arm B of 'dashed colours' worse, 0.67 -> 1.08 %).
    ``runs`` are the vertical runs of ``evidence.mask``.
    """
    empty = MarkBars(np.empty((0, 2)), np.zeros_like(evidence.mask), np.zeros_like(evidence.mask))
    cols = np.concatenate([np.full(len(s), x) for x, s in enumerate(runs.starts)] or [[]]).astype(int)
    starts = np.concatenate(runs.starts or [[]]).astype(int)
    ends = np.concatenate(runs.ends or [[]]).astype(int)
    lengths = ends - starts + 1
    long = lengths >= settings.width + 3
    if long.sum() < MIN_MARK_RUNS:
        return empty
    typical = _typical_length(lengths[long])
    if settings.gap is None:
        crossed = long & _crossed_in_the_middle(evidence.own, cols, starts, ends, settings)
        if crossed.sum() < MIN_MARK_RUNS:
            return empty
        typical = _typical_length(lengths[long], near=_typical_length(lengths[crossed]))
    pick = long & (np.abs(lengths - typical) <= 1)
    if pick.sum() < MIN_MARK_RUNS:
        return empty
    solid = _empty_share(evidence) <= DASHED_GAP_SHARE
    dotted = not solid and _dotted(evidence.mask, settings)
    taken = _Taken.none(evidence.mask.shape)
    _take_bars(_split_levels(_bars(cols[pick], starts[pick], ends[pick]), settings), evidence, typical,
               settings, taken, solid, dotted)
    touching, starts, ends = _cut_at_crossbars(evidence.mask, taken, cols, starts, ends, typical, settings)
    _take_bars(_split_levels(_bars(cols[touching], starts[touching], ends[touching]), settings), evidence,
               typical, settings, taken, solid, dotted)
    if not taken.centres:
        return empty
    return MarkBars(np.array(taken.centres), taken.pixels, taken.crossbars)


@dataclass
class _Taken:
    """The marks found so far.

    A (column, row) centre each, the pixels left out, the crossbars, the
    crossbars' parts left out as overhanging a drop, the bars' columns.
    """

    centres: list[tuple[float, float]]
    pixels: np.ndarray
    crossbars: np.ndarray
    overhangs: np.ndarray
    bar_columns: np.ndarray

    @classmethod
    def none(cls, shape: tuple[int, int]) -> _Taken:
        return cls([], np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool),
                   np.zeros(shape[1], dtype=bool))


def _take_bars(bars: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]], evidence: CurveEvidence,
               typical: int, settings: TraceSettings, taken: _Taken, solid: bool, dotted: bool) -> None:
    """Take the bars that are marks (see :func:`find_mark_bars`): leave their pixels out, note their crossbars."""
    for bar in bars:
        bar_cols, bar_starts, bar_ends = bar
        centre = float(np.mean((bar_starts + bar_ends) / 2))
        left, right = int(bar_cols.min()), int(bar_cols.max())
        keep = _half_to_keep(evidence.own, bar, centre, typical, settings, after_drops=not dotted)
        if keep is None:
            if not solid and not dotted:
                _leave_out_arm_over_level(taken.pixels, evidence, centre, (left, right), typical / 2, settings)
            continue
        top, bottom = int(bar_starts.min()) - 1, int(bar_ends.max()) + 1
        rows = np.arange(max(top, 0), min(bottom, evidence.mask.shape[0] - 1) + 1)
        # Merged with the drop's line above it, the bar of a mark just after
        # a drop reads up to a pixel high: the line's band is kept as read
        # beside it ('dashed colours' seed 11 arm A, 0.21 % -> 0.87 % when not).
        if keep == -1:
            # The bar's top may be the drop's line: its lower end places it.
            centre = max(centre, _bottom_centre(bar, typical))
        # A '|' tick's bar and the line are snapped to pixels apart: its
        # middle may lie half a pixel off the line's, which left a row of
        # the bar above (or below) the line in as line (_line_row_through).
        # Not on a solid line, where a '+' beside a drop shows a short
        # crossbar ('thin lines' seed 42 arm B: 0.11 % -> 1.27 % when so).
        if keep == -1:
            cut = max(centre, _level_row_beside(evidence.own, centre, right + 1, 1, settings))
        elif not solid and _crossbar_span(evidence.own, centre, left, right,
                                          (bar_ends.max() - bar_starts.min()) / 2) is None:
            cut = _line_row_through(evidence.own, centre, left, right, settings)
        else:
            cut = centre
        outside = rows[(np.abs(rows - cut) > settings.width / 2 + 0.5) & (np.sign(rows - cut) != keep)]
        span = slice(max(left - 1, 0), right + 2)
        # A touching mark's bar, left out already, is no drop to spare.
        before = taken.pixels[:, span] & taken.bar_columns[span]
        taken.pixels[outside, span] = True
        _spare_drops_beside(taken.pixels, evidence.mask, centre, left, right, top, bottom, settings)
        taken.pixels[:, span] |= before
        taken.bar_columns[left:right + 1] = True
        # A '+' is as wide as its bar is tall (the bar's run, ``top`` and
        # ``bottom`` being the paper just beyond it).
        half = (bottom - top - 1) / 2
        crossbar = _mark_crossbar(taken.crossbars, evidence.own, centre, left, right, half, settings)
        if crossbar is not None and solid:
            _leave_out_overhang(taken.overhangs, evidence, centre, (left, right), crossbar, half, settings)
            reach = slice(crossbar[0], crossbar[1] + 1)
            taken.pixels[:, reach] |= taken.overhangs[:, reach]
        weight = evidence.own[max(top, 0):bottom + 1, left:right + 1].sum(axis=0)
        taken.centres.append((float((weight * np.arange(left, right + 1)).sum() / weight.sum()), centre))


def _cut_at_crossbars(mask: np.ndarray, taken: _Taken, cols: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      typical: int, settings: TraceSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs that end on a crossbar left out as overhanging, cut there: which runs, and every run's first and last row.

    A mark on a level about half a bar from another mark's (the level
    below a drop under that mark, or above it) has its bar's end on that
    mark's crossbar: its run is a bar and a line long, so it was not taken
    for a mark (or, a pixel longer only, was centred off the line through
    it), and read as a drop's line it put the drop at the mark (R's lwd = 1
    figures: 'base thin' seed 10 arm A, 1.44 %; 'ggplot thin' seed 3 arm
    B, 1.13 %). Where an end row of a run longer than ``typical`` (by up to
    a line width and 2 px) lies on a flat run (:func:`_flat_run`) of a
    crossbar left out as overhanging (:func:`_leave_out_overhang`) in a
    column beside it, those rows are cut off when what is left is a mark
    long (within a pixel). Only there: a drop's line from a level that a
    mark's crossbar, kept, lies on was cut too ('thin lines' seed 7 arm A,
    a drop just before a mark on the level below taken for the mark: 0.10
    % -> 1.06 %; with any level beside the run's end, seed 18 arm A 0.10 %
    -> 1.23 %).
    """
    starts, ends = starts.copy(), ends.copy()
    excess = ends - starts + 1 - typical
    touching = np.zeros(cols.size, dtype=bool)
    # The crossbars' parts left out as overhanging, and the rows cut off so far.
    line = taken.overhangs & taken.pixels
    longer = (excess >= 1) & (excess <= np.ceil(settings.width) + 2)
    candidates = np.nonzero(longer & ~taken.bar_columns[cols])[0]
    # A bar two columns wide is cut column by column: the rows cut off one
    # column are the line its neighbour ends on.
    cut = True
    while cut:
        cut = False
        for i in candidates[~touching[candidates]]:
            if _cut_one(line, cols[i], starts, ends, i, typical, settings):
                touching[i] = cut = True
    return touching, starts, ends


def _cut_one(line: np.ndarray, col: int, starts: np.ndarray, ends: np.ndarray, i: int, typical: int,
             settings: TraceSettings) -> bool:
    """Cut run ``i`` where its end lies on a flat run of ``line`` beside it, if a mark's length is left."""
    for side in (col - 1, col + 1):
        if not 0 <= side < line.shape[1]:
            continue
        top, bottom = _flat_run(line[:, side], starts[i], settings), _flat_run(line[:, side], ends[i], settings)
        if top is not None and abs(ends[i] - top[1] - typical) <= 1:
            line[starts[i]:top[1] + 1, col] = True
            starts[i] = top[1] + 1
            return True
        if bottom is not None and abs(bottom[0] - starts[i] - typical) <= 1:
            line[bottom[0]:ends[i] + 1, col] = True
            ends[i] = bottom[0] - 1
            return True
    return False


def _typical_length(lengths: np.ndarray, near: int | None = None) -> int:
    """The most common of ``lengths``, a pixel either way counting too (anti-aliased ends).

    With ``near``, the most common within a pixel of it: the length of the
    runs crossed in the middle tells which peak is the marks', and all
    runs of about that length, marks beside drops among them, set where
    its centre lies.
    """
    counts = np.bincount(lengths)
    smoothed = counts + np.append(counts[1:], 0) + np.append(0, counts[:-1])
    if near is None:
        return int(np.argmax(smoothed))
    first = max(near - 1, 0)
    return first + int(np.argmax(smoothed[first:near + 2]))


def _crossed_in_the_middle(own: np.ndarray, cols: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                           settings: TraceSettings) -> np.ndarray:
    """Which vertical runs have a flat line through their middle on both sides, as a mark's bar has.

    Flat as in :func:`_line_beside`: covering the middle row, paper half a
    line and 2 px above and below (coverage of at least 0.5, so that a 1 px
    line straddling two rows counts on the row it covers most). Looked for
    in the columns beside the run's up to a dash gap and the line's width
    away, past the other columns of an anti-aliased bar. A drop line has its
    levels at its ends and paper beside its middle. Vectorised over the runs.
    """
    centre = (starts + ends) / 2
    lo, hi = np.floor(centre).astype(int), np.ceil(centre).astype(int)
    clear = settings.width / 2 + 2
    above, below = np.round(centre - clear).astype(int), np.round(centre + clear).astype(int)
    height, n_cols = own.shape
    inside = (above >= 0) & (below < height)
    above, below = np.clip(above, 0, height - 1), np.clip(below, 0, height - 1)
    reach = settings.dash_gap + int(np.ceil(settings.width)) + 2
    sides = []
    for side in (-1, 1):
        found = np.zeros(cols.size, dtype=bool)
        for step in range(1, reach + 1):
            col = cols + side * step
            ok = (col >= 0) & (col < n_cols)
            col = np.clip(col, 0, n_cols - 1)
            line = np.maximum(own[lo, col], own[hi, col]) >= 0.5
            found |= ok & line & (own[above, col] < 0.5) & (own[below, col] < 0.5)
        sides.append(found)
    return inside & sides[0] & sides[1]


def _empty_share(evidence: CurveEvidence) -> float:
    """Share of the columns from the colour's first to its last where the colour shows nowhere.

    A dashed or dotted line leaves such columns: 0.09-0.12 ('--') and
    0.23-0.32 (':') of them in 'dashed colours' seeds 1-3; a solid one
    none, or up to 0.05 where another curve hides it ('jpeg' seeds 1-3).
    """
    inked = evidence.mask.any(axis=0)
    if not inked.any():
        return 0.0
    first, last = np.nonzero(inked)[0][[0, -1]]
    return float(1 - inked[first:last + 1].mean())


def _dotted(mask: np.ndarray, settings: TraceSettings) -> bool:
    """Whether the colour's pieces are dots: the typical one at most two line widths wide.

    The rule of :func:`~synthesis.dashed_lines.looks_dotted`, on the
    colour's connected pieces before tracing: the median piece is 1.06-1.08
    line widths wide for matplotlib's ':', 2.9-4.0 for '--' and 2.1-2.5
    for a solid and a '--' line in one colour ('dashed colours' and 'solid
    and dashed black', seeds 1-28 by 3).
    """
    pieces, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return False
    widths = [found[1].stop - found[1].start for found in ndimage.find_objects(pieces)]
    return float(np.median(widths)) <= 2 * settings.width


def _spare_drops_beside(pixels: np.ndarray, mask: np.ndarray, centre: float, left: int, right: int,
                        top: int, bottom: int, settings: TraceSettings) -> None:
    """Keep a drop's line in the columns either side of a mark's bar.

    The bar is left out a column either way for its blurred edges; a column
    whose ink runs on beyond the mark (``top`` and ``bottom`` being the
    paper just beyond it) by more than 2 rows is a drop drawn beside the
    mark, and cut there it ends short of its level ('thin lines' seed 18
    arm A, a mark a pixel after a drop: the lower level read 9 px high;
    seed 23 arm A, 1.14 % -> 0.11 %). Its half of the column on the drop's
    side is kept. Up to 2 rows is the bar of a neighbouring mark on a level
    a pixel or two away. Runs beyond by more than half a bar only: seed 23
    not mended (its drop runs 5 rows beyond a 13-row mark); beyond at all:
    the same on 'thin lines' seeds 1-30. A drop that ends within the bar
    (a 5 px drop beside a 13 px bar) fills the column from the line into
    one half of the bar's rows, the bar's blurred edge both halves alike:
    on a solid line, a column inked from the line into one half for more
    than 2 rows, the other half paper, is a drop (:func:`_one_sided`;
    'thin lines' seeds 25 and 39 arm A, 0.87 % and 1.12 % -> 0.11 % and
    0.10 %). Not where a dash gap was measured: 'base bw' R seed 1 arm B
    went 0.25 % -> 1.01 % (its levels may lie in a gap).
    """
    rows = np.arange(mask.shape[0])
    off_line = np.abs(rows - centre) > settings.width / 2 + 0.5
    upper, lower = off_line & (rows > top) & (rows < centre), off_line & (rows > centre) & (rows < bottom)
    solid = settings.gap is None
    for col in (left - 1, right + 1):
        if not 0 <= col < mask.shape[1]:
            continue
        column = mask[:, col]
        if _run_beyond(column, top, -1) > DROP_BEYOND_MARK or solid and _one_sided(column, upper, lower):
            pixels[rows < centre, col] = False
        if _run_beyond(column, bottom, 1) > DROP_BEYOND_MARK or solid and _one_sided(column, lower, upper):
            pixels[rows > centre, col] = False


def _one_sided(column: np.ndarray, half: np.ndarray, mirror: np.ndarray) -> bool:
    """Whether a drop leaves the line into ``half`` of a bar's rows, the ``mirror`` half being paper.

    A bar's blurred edge is alike above and below the line it crosses; a
    drop beside the bar runs from the line into one half only, for more
    than :data:`DROP_BEYOND_MARK` rows.
    """
    rows = np.nonzero(half)[0]
    if rows.size <= DROP_BEYOND_MARK or column[mirror].any():
        return False
    # From the line outwards: the drop starts at the line.
    outwards = column[rows] if rows[0] > np.nonzero(mirror)[0].max(initial=-1) else column[rows][::-1]
    return bool(outwards[:DROP_BEYOND_MARK + 1].all())


#: Rows a column beside a mark's bar must run on beyond it to be a drop.
DROP_BEYOND_MARK = 2


def _run_beyond(column: np.ndarray, row: int, step: int) -> int:
    """How many rows from ``row`` on (going ``step``) the column is inked without a break."""
    count = 0
    while 0 <= row < column.size and column[row]:
        count += 1
        row += step
    return count


def _crossbar_span(own: np.ndarray, centre: float, left: int, right: int, half: float) -> tuple[int, int] | None:
    """First and last column of a mark's crossbar, ``half`` pixels either side of its bar (columns ``left``-``right``).

    ``None`` unless the colour covers the centre rows across at least
    :data:`CROSSBAR_SHARE` of them: a '|' mark has no crossbar.
    """
    middle = (left + right) / 2
    first, last = max(int(np.floor(middle - half)), 0), min(int(np.ceil(middle + half)), own.shape[1] - 1)
    rows = slice(int(np.floor(centre)), int(np.ceil(centre)) + 1)
    if (own[rows, first:last + 1].max(axis=0) >= 0.5).mean() < CROSSBAR_SHARE:
        return None
    return first, last


def _mark_crossbar(crossbars: np.ndarray, own: np.ndarray, centre: float, left: int, right: int,
                   half: float, settings: TraceSettings) -> tuple[int, int] | None:
    """Set the pixels of a '+' mark's crossbar, if the mark has one; return its first and last column.

    A '+' is as wide as tall: its crossbar spans ``half`` pixels either side
    of the bar and covers the line's band at the mark's centre (a pixel
    either way, the two bars being snapped to pixels separately). It has
    one where the colour covers the centre rows across most of that span
    (:data:`CROSSBAR_SHARE`; '|' marks on a dotted line leave the gaps open).
    """
    span = _crossbar_span(own, centre, left, right, half)
    if span is None:
        return None
    first, last = span
    top = max(int(np.floor(centre - settings.width / 2 - 0.5)), 0)
    bottom = int(np.ceil(centre + settings.width / 2 + 0.5))
    crossbars[top:bottom + 1, first:last + 1] = True
    return first, last


def _leave_out_overhang(pixels: np.ndarray, evidence: CurveEvidence, centre: float, bar: tuple[int, int],
                        crossbar: tuple[int, int], half: float, settings: TraceSettings) -> None:
    """Leave out the part of a '+' mark's crossbar that overhangs a drop.

    A '+' drawn on a drop, or less than half a bar (``half``) from it, has
    part of its crossbar beyond the drop, on the level the curve has left:
    right of the mark the curve is lower, left of it higher. Drawn as wide
    as the line, that part was followed as the line and the drop put at the
    crossbar's end, up to half a bar late or early ('thin lines' seed 17
    arm A, a mark on the level below a drop 4 px before it: 0.92 % ->
    0.16 %). In a column of the crossbar (``crossbar``: its first and last)
    beside the bar (``bar``: its first and last column) where the crossbar
    is a flat run and the colour shows another flat run below it (right of
    the bar) or above it (left), within the bar's reach (half a bar from
    the mark's centre: the drop between them lies under the mark; or
    farther, where a column of the bar or one beside it is inked from the
    crossbar to that run, the drop's line running on past the bar's end,
    :func:`_drop_down_bar`), that run is the curve's other level and the
    crossbar's run is left out with the mark (R's lwd = 1 lines: 'ggplot
    thin' seed 3 arm A, a 7 px drop under a mark 12 px tall, 1.22 % ->
    0.07 %). Where a mark's bar crosses that level within half a bar, the
    run may be that mark's crossbar, reaching over the drop from the other
    side: which of the two overhangs is told by the marks' order and by the
    bar the drop passes down (:func:`_overhangs`). Marks 1-2 px apart on two levels merge into
    one shape that :func:`find_mark_bars` does not take for marks, so this
    is not a test of found marks only ('thin lines' seeds 1-30: 56 of 60
    curves within 0.5 % before, 50 when such runs count, 57 when not; seeds
    43-72: arm A 26 -> 29 of 30, held-out seeds 31-42: arm A 7 -> 10 of 12).
    """
    mask = evidence.mask
    first, last = crossbar
    for cols, below in ((range(bar[1] + 1, last + 1), True), (range(first, bar[0]), False)):
        for col in cols:
            run = _crossbar_run(mask[:, col], centre, settings)
            beyond = None if run is None else _next_run(mask[:, col], run, below)
            level = None if beyond is None else _flat_run(mask[:, col], beyond, settings)
            if level is None:
                continue
            middle = (level[0] + level[1]) / 2
            # The crossbar's own run, not the bar's centre, is where its line lies (a drop under the
            # bar lengthens it and moves its centre off the line).
            line = ((run[0] + run[1]) / 2, bar)
            under = abs(middle - centre) <= half or _drop_down_bar(mask, bar, line[0], middle)
            if under and _overhangs(evidence.own, mask, line, (middle, col), half, settings.width):
                pixels[run[0]:run[1] + 1, col] = True


def _drop_down_bar(mask: np.ndarray, bar: tuple[int, int], row: float, other: float) -> bool:
    """Whether a column of a mark's bar, or one beside it, is inked from ``row`` to the ``other`` level.

    A drop taller than half the bar, drawn under the mark, runs on past the
    bar's end to its lower level: the ink in the bar's columns shows it.
    """
    top, bottom = sorted((int(np.round(row)), int(np.round(other))))
    cols = slice(max(bar[0] - 1, 0), bar[1] + 2)
    return bool(mask[top:bottom + 1, cols].all(axis=0).any())


def _overhangs(own: np.ndarray, mask: np.ndarray, mark: tuple[float, tuple[int, int]],
               level: tuple[float, int], half: float, width: float) -> bool:
    """Whether a mark's crossbar overhangs a drop in a column where the curve's other level shows.

    ``mark`` is the middle row of the crossbar's run and the bar's first
    and last column, ``level`` the other level's middle row and the
    column. Yes when no other mark's bar crosses that level within half a
    bar (``half``) of the column. Else the level there may be that mark's
    crossbar, and which of the two overhangs is told, where it can be, as
    follows. A Kaplan-Meier curve's marks on the upper level lie before
    the drop and those on the lower level after it: where the other mark's
    bar lies between this one's and the column, the drop lies before the
    column (after it, on the left), and the crossbar overhangs ('thin
    lines' seed 19 arm B, marks a pixel either side of a 5 px drop: 1.03 %
    -> 0.12 %). Where it lies beyond the column, the drop is between the
    two marks, and where no drop line shows between them, under one of
    their bars. The bar it passes down has more coverage in its half
    towards the other level than in the mirror half (:func:`_drop_ink`: the
    blurred edges of a drop line, wider than a mark's bar), the other bar
    none: that mark's crossbar overhangs ('thin lines' seed 34 arm B, the
    drop under the lower mark 5 px after the upper one: 0.89 % -> 0.11 %).
    Where both bars or neither show more, it cannot be told and the
    crossbar is kept, as before: the two marks' centres are measured to a
    pixel, and half a pixel off, a line's own blurred edges differ in the
    two halves ('open frame, legend above' seeds 15 and 29 arm B). R's
    lwd = 1 figures, seeds 4-15: 138 -> 140 of 144 arms within 0.5 %
    ('ggplot thin' arm B 11 -> 12, arm A 11 -> 12); 'thin lines' and 'open
    frame, legend above' seeds 1-42: no curve worse by more than 0.1 % of
    the axis than before the marks' bar length was measured among crossed
    runs.
    """
    (centre, bar), (middle, col) = mark, level
    below = col > bar[1]
    near = slice(max(int(np.floor(col - half)), 0), int(np.ceil(col + half)) + 1)
    crossing = near.start + np.nonzero(_bars_across(mask[:, near], middle, half))[0]
    if crossing.size == 0:
        return True
    between = (crossing > bar[1]) & (crossing < col) if below else (crossing < bar[0]) & (crossing > col)
    if between.any():
        return True
    # The other mark's bar nearest the column, and its blurred edges.
    nearest = int(crossing.min() if below else crossing.max())
    others = _adjacent(crossing, nearest)
    own_ink = _drop_ink(own, range(bar[0] - 1, bar[1] + 2), centre, middle, width)
    other_ink = _drop_ink(own, range(others[0] - 1, others[1] + 2), middle, centre, width)
    return own_ink > 0 >= other_ink


def _adjacent(columns: np.ndarray, column: int) -> tuple[int, int]:
    """First and last of the run of consecutive ``columns`` (sorted) that holds ``column``."""
    first = last = column
    while first - 1 in columns:
        first -= 1
    while last + 1 in columns:
        last += 1
    return first, last


def _drop_ink(own: np.ndarray, cols: range, centre: float, other: float, width: float) -> float:
    """Coverage of a bar's columns between its line and the ``other`` level, less that of the mirror rows.

    The bar's own line is alike in both halves and cancels; the other
    level's line, with its blurred edge a pixel further, lies in one half
    only, and its rows are not counted.
    """
    band = width / 2 + 0.5
    step = 1 if other > centre else -1
    rows = np.arange(int(np.round(centre)), int(np.round(other)) + step, step)
    rows = rows[(np.abs(rows - centre) > band) & (np.abs(rows - other) > band + 1)]
    mirror = np.round(2 * centre - rows).astype(int)
    cols = [c for c in cols if 0 <= c < own.shape[1]]
    inside = (mirror >= 0) & (mirror < own.shape[0])
    if not inside.any() or not cols:
        return 0.0
    return float(own[np.ix_(rows[inside], cols)].sum() - own[np.ix_(mirror[inside], cols)].sum())


def _crossbar_run(column: np.ndarray, centre: float, settings: TraceSettings) -> tuple[int, int] | None:
    """The flat run of a crossbar whose mark is centred on row ``centre`` (see :func:`_flat_run`).

    Through the row nearest the centre, else the other row next to it: the
    bar and the line are snapped to pixels apart, and a line a pixel wide
    may lie in either ('thin lines' seed 3 arm A: a bar centred on row
    173.5, its crossbar in row 173 only).
    """
    near = round(centre)
    other = int(np.floor(centre)) if near != np.floor(centre) else int(np.ceil(centre))
    run = _flat_run(column, near, settings)
    return run if run is not None or other == near else _flat_run(column, other, settings)


def _flat_run(column: np.ndarray, row: int, settings: TraceSettings) -> tuple[int, int] | None:
    """The run of ink through ``row`` (its first and last row) if it is no taller than a line."""
    if not 0 <= row < column.size or not column[row]:
        return None
    first, last = row - _run_beyond(column, row, -1) + 1, row + _run_beyond(column, row, 1) - 1
    return (first, last) if last - first + 1 <= np.ceil(settings.width) + 1 else None


def _next_run(column: np.ndarray, run: tuple[int, int], below: bool) -> int | None:
    """A row of the next run of ink below (or above) ``run`` in the column, nearest to it."""
    if below:
        inked = np.nonzero(column[run[1] + 1:])[0]
        return int(run[1] + 1 + inked[0]) if inked.size else None
    inked = np.nonzero(column[:run[0]])[0]
    return int(inked[-1]) if inked.size else None


def _bars_across(mask: np.ndarray, row: float, half: float) -> np.ndarray:
    """Which columns of ``mask`` are inked across ``row`` as a mark's bar is.

    Inked from ``half`` above the row to ``half`` below it, a pixel short
    at either end (a bar and the line it crosses are snapped to pixels
    apart).
    """
    top, bottom = int(np.ceil(row - half + 1)), int(np.floor(row + half - 1))
    if top < 0 or bottom >= mask.shape[0]:
        return np.zeros(mask.shape[1], dtype=bool)
    return mask[top:bottom + 1].all(axis=0)


#: Share of a '+' mark's width its crossbar covers, a drop beside it cutting it short.
CROSSBAR_SHARE = 0.8


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


def _split_levels(bars: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
                  settings: TraceSettings) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Split a bar whose columns' runs are centred on two levels into one bar per level.

    Two marks drawn a pixel or two apart on two levels (a narrow
    plateau's and the next level's) touch: their bars, each a mark long,
    overlap in adjacent columns and are grouped as one, which then shows
    the line through neither middle and is no mark. Left in, it is a drop
    line from the upper level the trace takes past the plateau ('thin
    lines' seed 13 arm A: a plateau 7 px wide lost). Adjacent columns
    whose runs' middles lie more than a line width and a pixel apart (two
    levels; the blur moves one bar's ends by a pixel at most) start a new
    bar. With :func:`_crossbar_run`, arm A within 0.5 % on seeds 1-30 /
    43-72: 'thin lines' 27 -> 29 / 29 -> 30, 'open frame, legend above'
    28 -> 30 / 28 -> 29; 'solid and dashed black' arm B 21 -> 21 / 16 -> 17;
    'risk table' unchanged; no curve of these styles worse by more than
    0.1 % of the axis.
    """
    for bar_cols, bar_starts, bar_ends in bars:
        middles = (bar_starts + bar_ends) / 2
        cuts = np.nonzero(np.abs(np.diff(middles)) > settings.width + 1)[0] + 1
        for part in np.split(np.arange(bar_cols.size), cuts):
            yield bar_cols[part], bar_starts[part], bar_ends[part]


def _line_beside(own: np.ndarray, centre: float, edge: int, side: int, settings: TraceSettings) -> bool:
    """Whether a flat line at ``centre`` shows within a dash gap beside column ``edge``.

    Flat: covering the centre row and with paper just above and below, which
    the bar of a neighbouring mark or a drop line does not have
    (:func:`_level_row_beside` finds it).
    """
    return _level_row_beside(own, centre, edge, side, settings) is not None


def _half_to_keep(own: np.ndarray, bar: tuple[np.ndarray, np.ndarray, np.ndarray], centre: float,
                  typical: int, settings: TraceSettings, after_drops: bool = True) -> int | None:
    """Which half of a mark's bar to keep: 0 neither, 1 the lower, -1 the upper; None: not a mark.

    A mark shows the line through its middle on both sides. A mark drawn
    just before a drop shows the line on its left only, the drop leaving
    the line downwards on its right: it is a mark too when its bar is one
    mark long (``typical``, so not two marks on two levels) and the line on
    its left is centred on it (:func:`_centred_level_beside`), and only its
    upper half is left out, the lower half being possibly drawn over the
    drop's line. Left in, the upper half reads as a drop reaching the line
    at the mark, from as high above as half a bar.

    The mirror case, a mark just after a drop (on the lower level, the
    drop's line reaching the line at the mark from above on its left, the
    line on its right only), has its lower half left out
    (:func:`_after_drop`). Left in, the lower half reads as a second drop
    at the mark, as deep as half a bar: where the next level lies less than
    half a bar below, the level between was lost ('dashed colours' seed 24
    arm A, t = 10.5-11.2 months, 0.88 % -> 0.18 %). The bar's top may run
    on into the drop's line: such a mark is centred half a bar above its
    lower end (:func:`_bottom_centre`), and may be longer than one mark
    (seed 21 arm A, centred 1.4 px high: 1.09 % -> 0.26 %). Not on a
    dotted line (``after_drops`` False): there a drop after the mark does
    not show as a line beside it, and the lower half may be drawn over it (dotted arm
    B of 'dashed colours' seeds 5 and 52, 0.43/0.46 % -> 0.87/1.16 %).
    """
    bar_cols, bar_starts, bar_ends = bar
    left, right = int(bar_cols.min()), int(bar_cols.max())
    one_mark = int(bar_ends.max()) - int(bar_starts.min()) + 1 <= typical + 1
    if not _line_beside(own, centre, left, -1, settings):
        low = max(centre, _bottom_centre(bar, typical))
        return -1 if after_drops and _after_drop(own, low, left, right, settings) else None
    if _line_beside(own, centre, right, 1, settings):
        return 0
    centred = _centred_level_beside(own, centre, left, -1, settings)
    return 1 if one_mark and centred and _drop_beside(own, centre, right, 1, settings) else None


def _leave_out_arm_over_level(pixels: np.ndarray, evidence: CurveEvidence, centre: float,
                              bar: tuple[int, int], half: float, settings: TraceSettings) -> None:
    """Leave out the right arm of a '+' crossbar that lies over the lower level, the drop under the bar.

    A mark drawn on a plateau narrower than itself, or with the drop less
    than a line width right of its bar, hides the drop under its bar: its
    right arm then runs on over the lower level, less than half a bar
    (``half``) below, so that neither the line nor a drop line shows
    beside the bar and it is not taken for a mark (:func:`_half_to_keep`).
    The bar, with the line centred on it on its left
    (:func:`_centred_level_beside`), is left in as a drop line (it may
    hold the drop into the plateau too); in the columns within the arm's
    reach right of the bar (``bar``: its first and last column) where the arm is
    a flat run at ``centre`` and the next run below it is flat and centred
    within ``half`` below, the arm's run is left out. Followed as the
    line, it put the drop at its end, up to half a bar late ('dashed
    colours' seed 2 arm A, three marks on a 4 px plateau: 0.58 % -> 0.29 %;
    no other curve of its two dashed styles changed on seeds 1-72).

    The run below the arm may instead be the left arm of a mark on the
    lower level drawn just after a drop that shows right of the bar: then
    the arm is the line and leaving it out puts the drop at the bar.
    :func:`_leave_out_overhang` tells the two apart on a solid line by the
    marks' order and the ink of the drop, which 4 px apart levels leave
    none of; this rule cannot, and is kept to dashed lines, where it was
    measured: on a solid line it moved 'jpeg' seed 61 arm A's drop 5 px
    early (0.14 % -> 0.88 %), the lower mark 5 px after the upper one.
    """
    left, right = bar
    if not _centred_level_beside(evidence.own, centre, left, -1, settings):
        return
    mask = evidence.mask
    for col in range(right + 1, min(int(np.ceil(right + half)), mask.shape[1] - 1) + 1):
        run = _crossbar_run(mask[:, col], centre, settings)
        beyond = None if run is None else _next_run(mask[:, col], run, True)
        level = None if beyond is None else _flat_run(mask[:, col], beyond, settings)
        if level is not None and (level[0] + level[1]) / 2 - centre <= half:
            pixels[run[0]:run[1] + 1, col] = True


def _bottom_centre(bar: tuple[np.ndarray, np.ndarray, np.ndarray], typical: int) -> float:
    """The centre of a mark's bar from its lower end, half a bar (``typical`` rows) above it."""
    return float(bar[2].max()) - (typical - 1) / 2


def _after_drop(own: np.ndarray, centre: float, left: int, right: int, settings: TraceSettings) -> bool:
    """Whether a mark's bar (columns ``left``-``right``) sits on a level just after a drop, none after it.

    A drop reaches the line at ``centre`` from above within 3 columns left
    of the bar (:func:`_drop_beside`), and the flat line on the bar's right
    is centred on it, looked for from the second column right of the bar
    on: the column next to a drop's line on a dashed line, where a dash
    ends at the corner below it, is the line's anti-aliased edge and passes
    as flat ('solid and dashed black' seed 5: two drop lines of the '--'
    arm taken for marks). No drop leaves the line downwards within 3
    columns right of the bar: then the lower half may be drawn over it.
    """
    return (_centred_level_beside(own, centre, right + 1, 1, settings)
            and _drop_beside(own, centre, left, -1, settings)
            and not _drop_beside(own, centre, right, 1, settings))


def _centred_level_beside(own: np.ndarray, centre: float, edge: int, side: int,
                          settings: TraceSettings) -> bool:
    """Whether the flat line nearest column ``edge`` on ``side`` (-1 left, 1 right) is centred on ``centre``.

    Within a pixel of it (:func:`_level_row_beside`). A drop in a
    staircase of short plateaus passes :func:`_line_beside` on the plateau
    left of it, whose line lies 1.5-2 px above the drop's middle.
    """
    row = _level_row_beside(own, centre, edge, side, settings)
    return row is not None and abs(row - centre) <= 1.0


def _level_row_beside(own: np.ndarray, centre: float, edge: int, side: int,
                      settings: TraceSettings) -> float | None:
    """Row of the flat line nearest column ``edge`` on ``side`` at the height of ``centre``; ``None``: none.

    Flat as in :func:`_line_beside`, looked for within a dash gap and 2 px
    of ``edge``; its row is coverage-weighted over the line's band.
    """
    # Bars and crossbars are snapped to pixels separately: a pixel either way.
    clear = settings.width / 2 + 2
    lo, hi = int(np.floor(centre)), int(np.ceil(centre))
    above, below = round(float(centre - clear)), round(float(centre + clear))
    if above < 0 or below >= own.shape[0]:
        return None
    cols = edge + side * np.arange(1, settings.dash_gap + 3)
    cols = cols[(cols >= 0) & (cols < own.shape[1])]
    flat = (own[lo:hi + 1, cols].max(axis=0, initial=0.0) >= 0.5) & (own[above, cols] < 0.5) & (own[below, cols] < 0.5)
    if not flat.any():
        return None
    rows = np.arange(above + 1, below)
    weight = own[rows, cols[np.argmax(flat)]]
    return float((weight * rows).sum() / weight.sum())


def _line_row_through(own: np.ndarray, centre: float, left: int, right: int, settings: TraceSettings) -> float:
    """Row of the line through a '|' tick's bar: the mean of the flat line's rows read either side, else ``centre``.

    Read by :func:`_level_row_beside` within a dash gap of the bar, and
    only within :data:`LINE_THROUGH_REACH` of the bar's middle (a
    neighbouring level's line is farther).
    """
    rows = [_level_row_beside(own, centre, edge, side, settings) for edge, side in ((left, -1), (right, 1))]
    rows = [r for r in rows if r is not None and abs(r - centre) <= LINE_THROUGH_REACH]
    return float(np.mean(rows)) if rows else centre


#: Farthest (pixels) the line read beside a tick may lie from its bar's middle.
LINE_THROUGH_REACH = 1.0


def _drop_beside(own: np.ndarray, centre: float, edge: int, side: int, settings: TraceSettings) -> bool:
    """Whether a drop meets the line at ``centre`` within 3 columns of ``edge`` on ``side``.

    Right of ``edge`` (``side`` 1) a drop leaving the line downwards, left
    of it (-1) one reaching it from above: such a column is inked from the
    line's middle row to beyond its band below (above).
    """
    reach = int(np.ceil(settings.width / 2 + 2))
    if side > 0:
        first, last = int(np.floor(centre)), int(np.round(centre)) + reach
    else:
        first, last = int(np.round(centre)) - reach, int(np.ceil(centre))
    if first < 0 or last >= own.shape[0]:
        return False
    cols = edge + side * np.arange(1, 4)
    cols = cols[(cols >= 0) & (cols < own.shape[1])]
    return bool((own[first:last + 1, cols] >= 0.5).all(axis=0).any())


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
