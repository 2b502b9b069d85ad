"""Fit drops and narrow plateaus to a drawing of the step curve.

A step curve drawn with the measured line width is a set of rectangles:
plateaus as bands a line width tall, drops as column bands a line width
wide (:func:`_pieces`), rendered with exact pixel coverage, its corners
rounded as renderers draw joins (discs a line width across, :func:`_joins`)
on a solid line; a dashed line's are drawn square (its dashes have butt
caps, cut square where a dash ends at a corner). This module owns the
fits of that drawing to the pixels, each taking, among candidate
positions a quarter pixel apart, the one whose drawing differs least
(sum of squares) from the pixels: the column of each drop
(:func:`drop_position`), narrow plateaus refitted with their drops by
coordinate descent (:func:`refine_narrow`), and, on a solid line, a tall
drop beside a narrow plateau or a narrow plateau tried as two steps, best
first, only where the line is wider or taller than one line width
(:func:`split_merged_plateaus`; 'thick lines' within 0.5 % on 59 of the
60 curves of seeds 1-30, was 53). On a dashed line, a drop whose upper part
the pixels do not show is split where a second drop may hide, midway between
the extremes the pixels allow (:func:`split_half_seen_drops`), and a drop
whose line shows no ink at all (in a dash gap, under a mark's bar) is put
midway between the last sight of the level above and the first of the
level below, when those are at most a dash gap apart
(:func:`hedge_hidden_dashed_drops`; '--' arm A of 'dashed colours' within
0.5 % on 24 of seeds 1-30, was 21, and 9 of held-out seeds 31-42, was 8),
the ends of the bars of marks drawn side by side not being read as the
drop's line ('--' arm B of 'solid and dashed black' within 0.5 % on 17 of
seeds 43-72, was 14, and 8 of held-out seeds 31-42, was 7).
On a dotted line, the curve is made to pass through the centres of the
censor marks on it (:func:`honour_marks`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from synthesis.line_evidence import TraceSettings, pixel_share


def drop_position(coverage: np.ndarray, unknown: np.ndarray, combined: np.ndarray,
                  upper: float, lower: float, upper_start: int, lower_start: int,
                  lower_end: int, settings: TraceSettings, round_joins: bool = True) -> float:
    """Column of the vertical line between two levels: the best-fitting drawn step.

    A step drawn with line width ``w`` covers the upper level up to ``x``,
    the lower level from ``x``, the column band ``x -+ w/2`` between them
    and the discs of its two round joins (:func:`_joins`); with
    ``round_joins`` false (a dashed line, :func:`_pieces`) the levels run on
    to ``x -+ w/2`` instead, square. Candidate ``x`` every quarter pixel
    around the traced drop; the one
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
    band_up = pixel_share(rows, upper - w / 2, upper + w / 2)[None, :, None]
    band_low = pixel_share(rows, lower - w / 2, lower + w / 2)[None, :, None]
    span = pixel_share(rows, upper, lower)[None, :, None]
    # Drawn steps for every candidate at once: candidate x row x column,
    # the corners as round joins (:func:`_joins`) or square.
    reach = 0.0 if round_joins else w / 2
    drawn = np.maximum(np.maximum(
        band_up * pixel_share(cols, -np.inf, candidates + reach)[:, None, :],
        band_low * pixel_share(cols, candidates - reach, np.inf)[:, None, :]),
        span * pixel_share(cols, candidates - w / 2, candidates + w / 2)[:, None, :])
    if round_joins:
        corners = np.stack([np.repeat(candidates, 2, axis=1),
                            np.broadcast_to([upper, lower], (len(candidates), 2))], axis=-1)
        np.maximum(drawn, _render_each(np.empty((len(candidates), 0, 4)), rows, cols[0], corners, w),
                   out=drawn)
    misfit = (weight[None] * (window[None] - drawn) ** 2).sum(axis=(1, 2))
    best = np.nonzero(misfit <= misfit.min() + 1e-9)[0]
    return float(candidates[best, 0].mean())


def refine_narrow(levels: np.ndarray, drops: np.ndarray, end: float, coverage: np.ndarray,
                  unknown: np.ndarray, settings: TraceSettings,
                  read_wider: float | None = None,
                  round_joins: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Refit narrow plateaus and their drops to a drawing of the step curve.

    Where plateaus are narrower than a few line widths (events close
    together, a thick line) their lines run into one another and the drop
    lines; their edges show only in part. Each such plateau's level, then
    each drop beside it, is moved to where the step curve drawn with the
    measured line width (:func:`_pieces`) fits the pixels best, by coordinate
    descent (two sweeps). Drawn ink on paper costs fully, ink left
    unexplained (a censor mark, another curve) little, unknown pixels
    nothing. Plateaus wider than ``read_wider`` line widths keep the level
    read from their edges (only their drops are refitted). ``round_joins``
    false draws the corners square (:func:`_pieces`): a dashed line.
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
    # Where the first sweep settled, the second fits the same drawing again.
    memo: dict = {}
    for _ in range(2):
        for k in narrow:
            if read_wider is not None and stops[k] - starts[k] > read_wider * w:
                continue
            low = levels[k - 1] + 0.5 if k > 0 else -np.inf
            high = levels[k + 1] - 0.5 if k + 1 < len(levels) else np.inf
            options = levels[k] + steps
            options = options[(options > low) & (options < high)]
            levels[k] = _best_fit(levels, drops, end, coverage, unknown, w, k, options, "level",
                                  joins=round_joins, memo=memo)
        for j in sorted({d for k in narrow for d in (k - 1, k) if 0 < d < len(drops)}):
            low = drops[j - 1] + 0.25 if j > 0 else 0.25
            high = drops[j + 1] - 0.25 if j + 1 < len(drops) else end
            options = drops[j] + np.arange(-w, w + 1e-9, 0.25)
            options = options[(options >= low) & (options <= high)]
            drops[j] = _best_fit(levels, drops, end, coverage, unknown, w, j, options, "drop",
                                 joins=round_joins, memo=memo)
    return levels, drops


def split_merged_plateaus(levels: np.ndarray, drops: np.ndarray, end: float, coverage: np.ndarray,
                          unknown: np.ndarray, settings: TraceSettings) -> tuple[np.ndarray, np.ndarray]:
    """Split tall drops and narrow plateaus in two where a staircase was traced with fewer steps.

    Under a thick line, a staircase of plateaus about a line width wide and
    drops about a line width tall is a diagonal band: the traced path may
    step over a narrow plateau, leaving one tall drop, or run flat across a
    drop, leaving one plateau at a level between two. Both are tried as two
    steps, drops by :func:`_drop_split` and narrow plateaus by
    :func:`_plateau_split`, best first (:func:`_split_best_first`): a wrong
    level misfits the drawing of its neighbours too, which a split beside it
    can absorb in part, so the split that saves the most misfit is made
    first. Only drops whose line is wider, and plateaus whose line is
    taller, than one line width by :data:`HIDDEN_STEP` are tried
    (:func:`_drop_line_width`, :func:`_level_line_height`). 'thick lines'
    (4.86 px), seeds 1-30: 59 of 60 curves within 0.5 % (was 53 with drops
    only, drawn with square corners).
    """
    return _split_best_first(levels, drops, end, coverage, unknown, settings)


def _split_best_first(levels, drops, end, coverage, unknown, settings):
    """Make the splits of drops and plateaus that save more than :data:`SPLIT_GAIN`, the largest saving first.

    Every candidate's saving is estimated once (a plateau's split refitted
    with one sweep, ``quick``); after a split, the estimates of the
    candidates within two steps of it are stale (farther ones draw outside
    its window) and are made again only when one comes out on top, the new
    level and drop's at once. The best estimate is computed in full on the
    current curve before the split is made, and made only if it still
    saves the most. Estimating every candidate in full, three placements
    each, made digitizing 3-4 times slower ('thick lines' 0.57 -> 2.3 s).
    Fits and window misfits are remembered by what they read
    (:func:`_best_fit`, :func:`_window_misfit`): the curves come out the
    same to the bit, and digitizing 'thick lines' seed 1 takes 0.65 s of
    CPU, was 0.77 s (with the refits of :func:`refine_narrow` remembered
    too and join discs drawn from their nearest centre, :func:`_render_each`).
    """
    # The same drawing is fitted again and again: the full split repeats
    # its quick estimate's first sweep, a drop's split its estimate, and a
    # split leaves the fits farther along the curve as they were.
    memo: dict = {}

    def split(kind, index, quick):
        if kind == "drop":
            return _drop_split(levels, drops, end, coverage, unknown, settings, index, memo)
        return _plateau_split(levels, drops, end, coverage, unknown, settings, index,
                              sweeps=1 if quick else 2, memo=memo)

    def gain(kind, index):
        found = split(kind, index, quick=True)
        return found[0] if found is not None else -np.inf

    kinds = ("drop", "plateau")
    gains = {(kind, i): gain(kind, i) for kind in kinds
             for i in range(len(drops) if kind == "drop" else len(levels))}
    stale = set()
    for _ in range(12 * len(levels)):
        if not gains:
            break
        key = max(gains, key=gains.get)
        if gains[key] <= SPLIT_GAIN:
            break
        if key in stale:
            stale.discard(key)
            gains[key] = gain(*key)
            continue
        found = split(*key, quick=False)
        fresh = found[0] if found is not None else -np.inf
        rest = max((g for k, g in gains.items() if k != key), default=-np.inf)
        if fresh <= SPLIT_GAIN or fresh < rest:
            gains[key] = fresh
            continue
        levels, drops = found[1], found[2]
        # The new level and drop: a drop split inserts both after drop j,
        # a plateau split the level after plateau k and the drop before it.
        first_new = {"drop": key[1] + 1 if key[0] == "drop" else key[1], "plateau": key[1] + 1}
        count = {"drop": len(drops), "plateau": len(levels)}
        moved = {_renumbered(k, first_new): g for k, g in gains.items()}
        stale = {_renumbered(k, first_new) for k in stale}
        near = [(kind, i) for kind in kinds for i in range(first_new[kind] - 2, first_new[kind] + 3)
                if 0 <= i < count[kind]]
        for candidate in near:
            if candidate in moved:
                stale.add(candidate)
            else:
                moved[candidate] = gain(*candidate)
        gains = moved
    return levels, drops


def _renumbered(key: tuple[str, int], first_new: dict[str, int]) -> tuple[str, int]:
    """A split candidate's key after a split inserted the drop and level numbered ``first_new``."""
    kind, i = key
    return kind, i + 1 if i >= first_new[kind] else i


def _drop_split(levels, drops, end, coverage, unknown, settings, j, memo=None):
    """The best drawing of drop ``j`` as two, with the misfit it saves; ``None`` if not tried.

    Only drops taller than :data:`SPLIT_HEIGHT` line widths beside a narrow
    plateau, bar the first, are tried. The two drops are put a quarter,
    half or three quarters of a line width either side of the traced one,
    a level midway between; the one that fits best (:func:`_best_placed`)
    is refitted as in :func:`refine_narrow`. The two drops stay between the drops either side (a split before the
    previous drop drew a curve going back in time: 'grid + jpeg +
    percent', arm B, seed 4, 1.79 % -> 0.15 %).
    """
    w = settings.width
    if not 1 <= j < len(drops):
        return None
    upper, lower = levels[j], levels[j + 1]
    widths = np.diff(np.concatenate([[0.0], drops, [end]]))
    narrow = min(widths[j], widths[j + 1]) < NARROW_PLATEAU * w + 4
    if lower - upper <= SPLIT_HEIGHT * w or not narrow:
        return None
    x = drops[j]
    if _drop_line_width(coverage, unknown, upper, lower, x, w) < w + HIDDEN_STEP:
        # One drop's line: no plateau hides in it.
        return None
    cols = np.arange(max(int(np.floor(x - 2 * w - 2)), 0),
                     min(int(np.ceil(x + 2 * w + 2)), coverage.shape[1] - 1) + 1).astype(float)
    rows = np.arange(max(int(np.floor(upper - w)), 0),
                     min(int(np.ceil(lower + w)), coverage.shape[0] - 1) + 1).astype(float)
    one = _window_misfit(levels, drops, end, coverage, unknown, w, rows, cols, memo=memo)
    if one <= SPLIT_GAIN:
        # Misfit cannot go below zero: no split could save enough.
        return None
    before = drops[j - 1] + 0.25
    after = (drops[j + 1] if j + 1 < len(drops) else end) - 0.25
    placed = []
    for offset in (w / 4, w / 2, 3 * w / 4):
        # The two drops stay between their neighbours: a drop before the
        # previous one draws a curve that goes back in time.
        first, second = max(x - offset, before), min(x + offset, after)
        if first >= second:
            continue
        trial_drops = np.insert(drops, j + 1, second)
        trial_drops[j] = first
        placed.append((np.insert(levels, j + 1, (upper + lower) / 2), trial_drops))
    placed = _best_placed(placed, end, coverage, unknown, w, rows, cols, memo)
    best = None
    for trial_levels, trial_drops in placed:
        # The new level keeps a pixel from the two it lies between.
        trial_levels, trial_drops = _refit(trial_levels, trial_drops, end, coverage, unknown, w,
                                           [j + 1], [j, j + 1], memo=memo, level_margin=1.0)
        two = _window_misfit(trial_levels, trial_drops, end, coverage, unknown, w, rows, cols,
                             memo=memo)
        if best is None or one - two > best[0]:
            best = (one - two, trial_levels, trial_drops)
    return best


def _plateau_split(levels, drops, end, coverage, unknown, settings, k, sweeps=2, memo=None):
    """The best drawing of plateau ``k`` as two, with the misfit it saves; ``None`` if not tried.

    A drop is put inside the plateau at a third, half or two thirds of its
    width, its two levels half a line width either side of the traced one,
    and the one that fits best (:func:`_best_placed`) has both levels and
    the three drops refitted as in :func:`refine_narrow` (``sweeps``
    times). Misfits are counted around the plateau
    (:func:`_window_misfit`). Only narrow plateaus, bar the first, with room
    for a drop of a line width between their neighbours' levels, are tried.
    """
    w = settings.width
    if not 1 <= k < len(levels):
        return None
    a = drops[k - 1]
    b = drops[k] if k < len(drops) else end
    upper = levels[k - 1] + 0.5
    lower = levels[k + 1] - 0.5 if k + 1 < len(levels) else np.inf
    if b - a >= NARROW_PLATEAU * w + 4 or lower - upper < w:
        return None
    if _level_line_height(coverage, unknown, levels[k - 1], lower + 0.5, a, b, w) < w + HIDDEN_STEP:
        # One level's line: no drop hides in it.
        return None
    cols = np.arange(max(int(np.floor(a - w - 2)), 0),
                     min(int(np.ceil(b + w + 2)), coverage.shape[1] - 1) + 1).astype(float)
    rows = np.arange(max(int(np.floor(levels[k - 1] - w)), 0),
                     min(int(np.ceil(min(lower, levels[k] + 2 * w) + w)), coverage.shape[0] - 1)
                     + 1).astype(float)
    one = _window_misfit(levels, drops, end, coverage, unknown, w, rows, cols, memo=memo)
    if one <= SPLIT_GAIN:
        # Misfit cannot go below zero: no split could save enough.
        return None
    trial_levels = np.insert(levels, k + 1, levels[k] + w / 2)
    trial_levels[k] = levels[k] - w / 2
    trial_levels[k:k + 2] = np.clip(trial_levels[k:k + 2], upper, lower)
    placed = [(trial_levels, np.insert(drops, k, a + share * (b - a))) for share in (1 / 3, 1 / 2, 2 / 3)]
    placed = _best_placed(placed, end, coverage, unknown, w, rows, cols, memo)
    best = None
    for trial_levels, trial_drops in placed:
        # The first drop, from survival 1 under the frame, is not refitted
        # (as in :func:`refine_narrow`): moved, it went 4 px late ('grid +
        # jpeg + percent' seed 2 arm B, 0.19 -> 0.91 %).
        trial_levels, trial_drops = _refit(trial_levels, trial_drops, end, coverage, unknown, w,
                                           [k, k + 1], [d for d in (k - 1, k, k + 1) if d > 0],
                                           sweeps=sweeps, memo=memo)
        two = _window_misfit(trial_levels, trial_drops, end, coverage, unknown, w, rows, cols,
                             memo=memo)
        if best is None or one - two > best[0]:
            best = (one - two, trial_levels, trial_drops)
    return best


def _refit(levels, drops, end, coverage, unknown, w, free_levels, free_drops, sweeps=2, memo=None,
           level_margin=0.5):
    """Levels then drops refitted in turn, ``sweeps`` times, each within half a line width (:func:`refine_narrow`).

    A level stays more than ``level_margin`` pixels from the levels either side.
    """
    levels, drops = levels.copy(), drops.copy()
    free_drops = [d for d in free_drops if 0 <= d < len(drops)]
    for _ in range(sweeps):
        for k in free_levels:
            low = levels[k - 1] + level_margin if k > 0 else -np.inf
            high = levels[k + 1] - level_margin if k + 1 < len(levels) else np.inf
            options = levels[k] + np.arange(-w / 2, w / 2 + 1e-9, 0.25)
            options = options[(options > low) & (options < high)]
            levels[k] = _best_fit(levels, drops, end, coverage, unknown, w, k, options, "level",
                                  memo=memo)
        for d in free_drops:
            low = drops[d - 1] + 0.25 if d > 0 else 0.25
            high = drops[d + 1] - 0.25 if d + 1 < len(drops) else end
            options = drops[d] + np.arange(-w / 2, w / 2 + 1e-9, 0.25)
            options = options[(options >= low) & (options <= high)]
            drops[d] = _best_fit(levels, drops, end, coverage, unknown, w, d, options, "drop",
                                 memo=memo)
    return levels, drops


def _drop_line_width(coverage, unknown, upper, lower, x, w) -> float:
    """Width of the ink of a drop's line, over the rows only its line crosses.

    The rows wholly between the bands of the two levels hold the drop's
    line alone; the ink's widest extent across them, as coverage summed
    over the columns of its largest value in any of those rows, is ``w``
    for one drop, and ``w`` plus the plateau between for two drops less
    than a line width apart traced as one (their lines shifted sideways by
    that plateau, which itself crosses these rows). 0 (not tried) when no
    row lies wholly between the bands (a drop at most a line width and a
    pixel tall); ``inf`` (tried) where pixels of those rows are unknown
    (marks, other curves).
    """
    r0, r1 = int(np.ceil(upper + w / 2 + 0.5)), int(np.floor(lower - w / 2 - 0.5))
    c0, c1 = max(int(np.floor(x - w - 2)), 0), min(int(np.ceil(x + w + 2)), coverage.shape[1] - 1)
    if r1 < r0 or r0 < 0 or r1 >= coverage.shape[0]:
        return 0.0
    if unknown[r0:r1 + 1, c0:c1 + 1].any():
        return np.inf
    return float(coverage[r0:r1 + 1, c0:c1 + 1].max(axis=0).sum())


def _level_line_height(coverage, unknown, upper, lower, a, b, w) -> float:
    """Height of the ink of a plateau's line, over the columns only its line crosses.

    As :func:`_drop_line_width`, across: over the columns wholly between
    the lines of the plateau's two drops (at ``a`` and ``b``), and the rows
    between the levels either side (``upper``, ``lower``), the ink's
    tallest extent is ``w`` for one level, and ``w`` plus the drop between
    for two levels traced as one. ``inf`` (possibly two) when no column
    lies wholly between the drops' lines or other ink covers the window.
    """
    c0, c1 = max(int(np.ceil(a + w / 2 + 0.5)), 0), min(int(np.floor(b - w / 2 - 0.5)), coverage.shape[1] - 1)
    r0 = max(int(np.ceil(upper + w / 2 + 0.5)), 0)
    r1 = min(int(np.floor(lower - w / 2 - 0.5)) if np.isfinite(lower) else coverage.shape[0] - 1,
             coverage.shape[0] - 1)
    if c1 < c0 or r1 < r0 or unknown[r0:r1 + 1, c0:c1 + 1].any():
        return np.inf
    return float(coverage[r0:r1 + 1, c0:c1 + 1].max(axis=1).sum())


def _best_placed(placed, end, coverage, unknown, w, rows, cols, memo=None) -> list:
    """Of the trial curves ``placed``, the one whose drawing misfits the pixels ``rows`` x ``cols`` least."""
    if not placed:
        return placed
    misfits = [_window_misfit(lv, dr, end, coverage, unknown, w, rows, cols, memo=memo)
               for lv, dr in placed]
    return [placed[int(np.argmin(misfits))]]


#: A drop taller than this many line widths may be two steps traced as one:
#: the level read over the lower plateau lies between the two lower levels,
#: so a merged pair of drops 1-1.5 line widths tall each is traced about
#: 1.5 line widths tall ('thick lines', 4.86 px, arm B, seeds 5/16/22:
#: 7.1-7.3 px, tube 0.50 % each with 1.6; 0.27/0.21/0.20 % with 1.0).
SPLIT_HEIGHT = 1.0
#: Width (pixels) beyond a line width by which the ink of a drop's line must
#: be wider to be tried as two drops: half a pixel, the least plateau
#: between two drops that the quarter-pixel candidates can place apart
#: from one drop by more than rounding.
HIDDEN_STEP = 0.5
#: Misfit (squared coverage) a split must save: one pixel's worth of ink.
#: It was 2.0 while corners were drawn square, which alone misfit a 3.5 pt
#: staircase by about one pixel per drop (7.3 over the four drops of
#: test_step_drawing_has_round_joins_like_the_renderer, 0.45 drawn round).
SPLIT_GAIN = 1.0


def _window_misfit(levels, drops, end, coverage, unknown, w, rows, cols, joins=True,
                   memo: dict | None = None) -> float:
    """Misfit of the drawn step curve to the pixels ``rows`` x ``cols``, as :func:`_best_fit` counts it.

    With a ``memo`` (for one ``coverage``, ``unknown`` and ``w``), a
    window whose drawn pieces were scored before is not drawn again.
    """
    pieces = _pieces(levels, drops, 0.0, end, w, joins)
    joins = _joins(levels, drops) if joins else np.empty((0, 2))
    near = (pieces[:, 1] >= cols[0] - 1) & (pieces[:, 0] <= cols[-1] + 1) & (
        pieces[:, 3] >= rows[0] - 1) & (pieces[:, 2] <= rows[-1] + 1)
    pieces, joins = pieces[near], _near_joins(joins, rows, cols, w)
    key = None
    if memo is not None:
        # The misfit is a function of exactly these: the drawn pieces and
        # joins near the window, and the window.
        key = ("window", pieces.tobytes(), joins.tobytes(), rows[0], rows[-1], cols[0], cols[-1])
        if key in memo:
            return memo[key]
    drawn = _render_each(pieces[None], rows, cols, joins[None], w)[0]
    box = _box(rows, cols)
    error = drawn - coverage[box]
    weight = (~unknown[box]).astype(np.float64)
    misfit = float(_misfit(error, weight).sum())
    if key is not None:
        memo[key] = misfit
    return misfit


def _misfit(error: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each pixel's misfit, from drawn less seen coverage ``error`` (overwritten when it is a fresh array).

    Ink drawn on paper costs its square, ink left unexplained
    :data:`UNEXPLAINED_INK` of it (the larger of ``error`` and
    ``-UNEXPLAINED_INK * error`` is the one that applies), unknown pixels
    (``weight`` 0) nothing.
    """
    cost = np.maximum(error, -UNEXPLAINED_INK * error)
    np.multiply(cost, cost, out=cost)
    return np.multiply(cost, weight, out=cost)


#: Plateaus narrower than this many line widths (plus 4 pixels) are refitted.
NARROW_PLATEAU = 3.0
#: Weight of ink the drawing leaves unexplained, relative to drawn ink on paper.
UNEXPLAINED_INK = 0.3
#: Plateaus either side of a refitted one that are drawn with it.
NEARBY = 4


def _best_fit(levels, drops, end, coverage, unknown, w, index, options, what, joins=True,
              memo: dict | None = None) -> float:
    """The option for one level or drop whose drawing misfits the pixels least.

    The curve's other pieces are drawn once; the pieces that move with the
    option (a plateau and its two drops, or a drop and its two plateaus)
    are drawn for all options at once; ``joins`` false draws square
    corners (:func:`_pieces`). With a ``memo`` (for one ``coverage``,
    ``unknown`` and ``w``), a fit whose :data:`NEARBY` plateaus and drops
    were fitted before is not made again.
    """
    current = levels[index] if what == "level" else drops[index]
    if options.size == 0:
        return current
    lo, hi = max(index - NEARBY, 0), min(index + NEARBY + 1, len(levels))
    key = None
    if memo is not None:
        # The fit reads only the plateaus lo..hi-1, the drops around them
        # (``end`` after the last plateau) and the options.
        key = ("fit", what, joins, index - lo, lo > 0, hi == len(levels),
               end if hi == len(levels) else None, levels[lo:hi].tobytes(),
               drops[max(lo - 1, 0):hi].tobytes(), options.tobytes())
        if key in memo:
            return memo[key]
    best = _fitted(levels, drops, end, coverage, unknown, w, index, options, what, joins, lo, hi)
    if key is not None:
        memo[key] = best
    return best


def _fitted(levels, drops, end, coverage, unknown, w, index, options, what, joins, lo, hi) -> float:
    """:func:`_best_fit` made, drawing the plateaus ``lo`` to ``hi`` - 1 and their drops."""
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
        return levels[index] if what == "level" else drops[index]
    box = _box(rows, cols)
    seen = coverage[box].astype(np.float64)
    weight = (~unknown[box]).astype(np.float64)
    # Only the nearby plateaus and drops (lo..hi) can reach the window.
    pieces = _pieces(levels[lo:hi], drops[lo:hi - 1], drops[lo - 1] if lo > 0 else -np.inf,
                     drops[hi - 1] if hi < len(levels) else end, w, joins)
    round_joins = joins
    joins = _joins(levels[lo:hi], drops[lo:hi - 1]) if round_joins else np.empty((0, 2))
    moving = _moving(hi - lo, index - lo, what)
    moving_joins = _moving_joins(hi - lo, index - lo, what) if round_joins else []
    still = np.ones(len(pieces), dtype=bool)
    still[moving] = False
    still &= (pieces[:, 1] >= cols[0] - 1) & (pieces[:, 0] <= cols[-1] + 1) & (
        pieces[:, 3] >= rows[0] - 1) & (pieces[:, 2] <= rows[-1] + 1)
    fixed = np.ones(len(joins), dtype=bool)
    fixed[moving_joins] = False
    still_joins = joins[fixed]
    trial = np.repeat(pieces[moving][None], options.size, axis=0)  # option x piece x (x0, x1, y0, y1)
    trial_joins = np.repeat(joins[moving_joins][None], options.size, axis=0)  # option x join x (x, y)
    half = w / 2
    if what == "level":
        # The plateau's band, the bottom of the drop in and the top of the drop out,
        # the joins at both ends of the plateau.
        trial[:, 0, 2], trial[:, 0, 3] = options - half, options + half
        if index > 0:
            trial[:, 1, 3] = options
        if index < len(drops):
            trial[:, -1, 2] = options
        trial_joins[:, :, 1] = options[:, None]
    else:
        # The drop's column band, the end of the plateau before and the start
        # of the one after, the joins at both ends of the drop.
        trial[:, 0, 0], trial[:, 0, 1] = options - half, options + half
        reach = 0.0 if round_joins else half
        trial[:, 1, 1] = options + reach
        trial[:, 2, 0] = options - reach
        trial_joins[:, :, 0] = options[:, None]
    drawn = _render_each(trial, rows, cols, trial_joins, w)
    still_joins = _near_joins(still_joins, rows, cols, w)
    if still.any() or still_joins.size:
        np.maximum(drawn, _render_each(pieces[still][None], rows, cols, still_joins[None], w), out=drawn)
    error = np.subtract(drawn, seen[None], out=drawn)
    misfit = _misfit(error, weight).sum(axis=(1, 2))
    best = np.nonzero(misfit <= misfit.min() + 1e-9)[0]
    return float(options[best].mean())


def _box(rows: np.ndarray, cols: np.ndarray) -> tuple[slice, slice]:
    """The pixels ``rows`` x ``cols`` (runs of consecutive integers) as slices: a view, not a copy."""
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def _pieces(levels: np.ndarray, drops: np.ndarray, start: float, end: float, w: float,
            round_joins: bool = True) -> np.ndarray:
    """The drawn step curve as rectangles (x0, x1, y0, y1): plateaus, then drops.

    ``levels`` run from ``start`` to ``end`` with ``drops`` between them.

    Each plateau is a band ``w`` tall from its drop in to its drop out, each
    drop a column band ``w`` wide between its two levels; the first plateau
    starts and the last ends half a line width out (projecting caps). The
    corners are the round joins of :func:`_joins`. With ``round_joins``
    false every plateau runs on half a line width past its drops (square
    corners): the drops and corners of a dashed line are drawn by dashes
    with butt caps, cut square where a dash ends near a corner, which the
    round join model drew as ink over the gap (made 'dashed' curves worse).
    """
    half = w / 2
    reach = 0.0 if round_joins else half
    n = len(levels)
    pieces = np.empty((2 * n - 1, 4))
    plateaus, verticals = pieces[:n], pieces[n:]
    plateaus[0, 0], plateaus[1:, 0] = start - half, drops - reach
    plateaus[:-1, 1], plateaus[-1, 1] = drops + reach, end + half
    plateaus[:, 2], plateaus[:, 3] = levels - half, levels + half
    verticals[:, 0], verticals[:, 1] = drops - half, drops + half
    verticals[:, 2], verticals[:, 3] = levels[:-1], levels[1:]
    return pieces


def _joins(levels: np.ndarray, drops: np.ndarray) -> np.ndarray:
    """Centres (x, y) of the round joins of the step curve: two per drop, top then bottom.

    A stroked path is drawn with its corners as discs a line width across
    (round joins, the default of matplotlib's Agg renderer and of R's
    graphics): the outer corner of each bend, square in the union of the
    plateau and drop bands, is rounded off. A staircase whose plateaus are
    about a line width wide is mostly such corners: drawn square, the
    staircase of 'thick lines' (4.86 px) misfit its pixels more than a
    wrong one with a plateau missing (seeds 2, 5, 21, 29: 9.7/9.8/9.5/11.5
    against 9.4/7.8/6.7/4.7); 20 random staircases rendered by matplotlib
    at 3.5 pt misfit 139 drawn square and 9 drawn with round joins.
    """
    joins = np.empty((2 * len(drops), 2))
    joins[:, 0] = np.repeat(drops, 2)
    joins[0::2, 1], joins[1::2, 1] = levels[:-1], levels[1:]
    return joins


def _moving_joins(n_levels: int, index: int, what: str) -> list[int]:
    """Rows of :func:`_joins` that move with a level (its two ends) or a drop (its top and bottom)."""
    if what == "level":
        moving = []
        if index > 0:
            moving.append(2 * (index - 1) + 1)
        if index < n_levels - 1:
            moving.append(2 * index)
        return moving
    return [2 * index, 2 * index + 1]


def _near_joins(joins: np.ndarray, rows: np.ndarray, cols: np.ndarray, w: float) -> np.ndarray:
    """The joins whose discs can reach the pixels ``rows`` x ``cols``."""
    reach = w / 2 + 1
    near = (joins[:, 0] >= cols[0] - reach) & (joins[:, 0] <= cols[-1] + reach) & (
        joins[:, 1] >= rows[0] - reach) & (joins[:, 1] <= rows[-1] + reach)
    return joins[near]


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


def _render_each(pieces: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 joins: np.ndarray | None = None, w: float = 0.0) -> np.ndarray:
    """Coverage of the pixels ``rows`` x ``cols`` by rectangles (x0, x1, y0, y1) and join discs.

    ``pieces`` is a stack of rectangle sets (set x piece x 4), ``joins`` of
    disc centres (set x join x 2, discs ``w`` across); one image per set.
    A disc covers a pixel by its depth inside the disc's edge plus half a
    pixel, clipped to 0-1 (the usual anti-aliasing by signed distance).
    """
    across = pixel_share(cols[None, None, :], pieces[..., 0:1], pieces[..., 1:2])
    down = pixel_share(rows[None, None, :], pieces[..., 2:3], pieces[..., 3:4])
    drawn = (down[..., :, None] * across[..., None, :]).max(axis=1, initial=0.0)
    if joins is not None and joins.shape[1]:
        dx = cols[None, None, None, :] - joins[..., 0, None, None]
        dy = rows[None, None, :, None] - joins[..., 1, None, None]
        # The nearest centre covers deepest: the square root and the
        # subtraction, rounded, are monotone, so taking them after the
        # minimum over discs gives the same values, one disc's cost.
        depth = w / 2 + 0.5 - np.sqrt((dx * dx + dy * dy).min(axis=1))
        np.maximum(drawn, np.minimum(depth, 1.0), out=drawn)
    return drawn


def split_half_seen_drops(levels: np.ndarray, drops: np.ndarray, own: np.ndarray,
                          unknown: np.ndarray, marks: np.ndarray | None,
                          settings: TraceSettings, *,
                          long_dashes: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Split a dashed drop whose upper part is not seen into two steps, hedged between the pixels.

    On a dashed or dotted line, a drop's line may show only below a dash
    gap or below a censor mark's removed pixels, while the level above it
    was last seen well before it: a second drop (events close together) may
    hide there, its short plateau in the same gap, and the pixels cannot
    tell where. Fitted as one drop, the miss is the whole hidden drop
    (t = 11.3 and 12.4 months on seed 1, 1.0 %). Such a drop becomes two:
    the hidden one midway between the last sight of the upper level
    (:func:`_last_seen`) and the seen drop, to a level midway between
    the extremes the pixels allow (a line width below the upper level, and
    half a line width below the top of the seen drop line). Whether there
    was one drop or two, the miss is then at most half of what the pixels
    leave open, sideways and in height.

    Only drops taller than two line widths (plus 2 px) are split, and only
    where the upper level was last seen more than a line width before the
    drop. On a '--' line (``long_dashes``) a censor mark's bar meets a
    level drawn, so ink that only continues a mark's removed bar, narrower
    than a drop's line (:func:`_drop_line_ink`), is the bar's end, not the
    drop's line: R 'base bw' seed 7 arm B, t = 16.7, the vertical bar of
    the mark on the level below, split there, 1.28 % in that half month;
    unsplit, the drop is hedged between the marks
    (:func:`hedge_hidden_dashed_drops`), 0.5 %. On a ':' line that ink may
    be the drop's last dot ('dashed colours' seed 1, dotted arm B: 0.75 %,
    1.06 % with the bar's end left out).
    """
    w = settings.width
    levels, drops = list(levels), list(drops)
    # On a '--' line a mark's bar meets the line drawn, not a gap: ink
    # continuing the bar is the bar's (on a ':' line it may be the drop's dot).
    arms = marks if long_dashes else None
    clusters = None if arms is None else _side_by_side_marks(arms)
    for j in range(len(drops) - 1, -1, -1):
        upper, lower, x = levels[j], levels[j + 1], drops[j]
        if lower - upper < 2 * w + 2:
            continue
        band = np.arange(max(round(x - w / 2 + 0.5), 0),
                         min(round(x + w / 2 - 0.5), own.shape[1] - 1) + 1)
        # Rows of the drop line apart from the bands of its two levels.
        rows = np.arange(int(np.ceil(upper + w / 2 + 0.5)), int(np.floor(lower - w / 2 - 0.5)) + 1)
        if band.size == 0 or rows.size == 0:
            continue
        inked = _drop_line_ink(own, arms, clusters, rows, int(band[0]), int(band[-1]), w).any(axis=1)
        if inked[0] or not inked.any():
            continue
        left = _last_seen(own, unknown, marks, upper, drops[j - 1] if j > 0 else 0.0, x, w)
        if x - left < w:
            continue
        middle = (upper + w + rows[np.argmax(inked)] + w / 2) / 2
        if middle > lower - w:
            continue
        levels.insert(j + 1, middle)
        drops.insert(j, (left + x) / 2)
    return np.array(levels), np.array(drops)


def hedge_hidden_dashed_drops(levels: np.ndarray, drops: np.ndarray, end: float, own: np.ndarray,
                              unknown: np.ndarray, marks: np.ndarray | None,
                              centres: np.ndarray | None, settings: TraceSettings) -> np.ndarray:
    """Each drop of a '--' line that shows no ink at all moved midway between the pixels' bounds.

    A dashed line's drop may fall in a dash gap or under a '+' mark's bar:
    no ink of the drop's line shows between its two levels. The fit then
    has nothing to go on but the unknown pixels of the marks, which cost
    nothing, and the crossbar of a mark on the upper level, which reads as
    that level running on; it put such drops 3.7-4.1 px late ('dashed
    colours' seeds 12 and 6, arm A; 'solid and dashed black' seed 6, arm B),
    beyond the 0.5 % time tolerance (3.3 px). The pixels bound the drop
    (:func:`_hidden_drop_bounds`): after the last sight of the upper level,
    before the first sight of the lower one. Where no ink of the colour
    shows between the two levels' lines over that whole span
    (:func:`_ink_between`), the drop goes midway, as
    :func:`~synthesis.dotted_drops.hedge_between_dots` does between the
    dots of a ':' line: the miss is then at most half the span. Spans wider
    than a dash gap (``settings.dash_gap``) are left to the fit: more than
    one drop may hide there, and midway missed by up to 3.8 px ('dashed
    colours' seeds 55, 58 and 63, arm A).

    Within 0.5 % ('--' arms, seeds 1-30 / 43-72 / held-out 31-42): arm A
    of 'dashed colours' 21 -> 24 / 20 -> 21 / 8 -> 9, arm B of 'solid and
    dashed black' 17 -> 18 / 12 -> 13 / 7 -> 7; no curve got worse. The
    ends of the bars of marks drawn side by side, together as wide as a
    drop's line, are not read as one (:func:`_side_by_side_marks`): arm B
    of 'solid and dashed black' on seeds 43-72, 14 -> 17 (seeds 49, 53, 56:
    0.89/0.79/1.00 % -> 0.25/0.21/0.31 %); on seeds 1-30 no curve changed
    by more than 0.05 % of the axis, but the drops at t = 10.1 months (seed
    8, arm B) and 13.5 months ('dashed colours' seed 21, arm A) came within
    0.5 % (the curves miss elsewhere); held-out seeds 31-42: arm B of
    'solid and dashed black' 7 -> 8 (seed 32, 0.93 -> 0.30 %), arm A of
    'dashed colours' 9 -> 9, no curve worse. The curve's first level is
    sighted at column 0, where every curve starts at survival 1, even if it
    never shows (under the frame, or the other arm drawn in the same
    colour): R 'base bw' seed 12 arm B, three drops in the first 4 px read
    as one drop 4 px late, 0.91 -> 0.33 %; no matplotlib '--' arm of seeds
    1-30 moved.
    """
    w = settings.width
    drops = np.asarray(drops, dtype=float).copy()
    if centres is None:
        centres = np.empty((0, 2))
    clusters = None if marks is None else _side_by_side_marks(marks)
    for j in range(len(drops)):
        upper, lower = levels[j], levels[j + 1]
        before = drops[j - 1] if j > 0 else 0.0
        after = drops[j + 1] if j + 1 < len(drops) else end
        bounds = _hidden_drop_bounds(own, unknown, marks, centres, upper, lower, before, after, w,
                                     first=j == 0)
        if bounds is None:
            continue
        left, right = bounds
        # Wider than a dash gap, more than one drop may hide there.
        if right - left > settings.dash_gap:
            continue
        shows = _ink_between(own, marks, clusters, upper, lower, left - w / 2, right + w / 2, w)
        if shows is None or shows:
            continue
        drops[j] = float(np.clip((left + right) / 2, before + 0.25, after - 0.25))
    return drops


def bound_dashed_drops(levels: np.ndarray, drops: np.ndarray, end: float, own: np.ndarray,
                       unknown: np.ndarray, marks: np.ndarray | None, centres: np.ndarray | None,
                       settings: TraceSettings) -> np.ndarray:
    """Each drop of a '--' line with '|' ticks that the fit put outside its levels' sights moved to the nearer bound.

    A '|' tick on the level below a drop reaches up past the level above
    (a mark 9.7 px tall, drops of 4-5 px): its bar, left out as unknown,
    hides where that level's line would run on, and a dash gap (4.4 px)
    hides the columns between the drop and the tick. The fit then drew the
    level above on to the tick and the drop down its bar, 3-5 px late
    ('dashed colours' with '|' ticks, arm A, seeds 2 and 8: 0.65 / 0.60 %;
    0.45 / 0.40 % so).
    The level below showing flat left of the tick says the drop came
    before: the drop is kept within the bounds the two levels' flat
    sights and marks set (:func:`_hidden_drop_bounds`, where beside a '|'
    tick the flat columns all count: ``crossbars`` false), clipped to the
    nearer one. Only where the curve's marks are '|' ticks
    (:func:`marks_crossed`): beside a '+' the crossbar looks like the
    level, and the '+' styles moved by up to 0.17 % of the axis, none
    across 0.5 %, when the rule applied there too.
    Within 0.5 % with '|' ticks: 'dashed colours' arm A, seeds 1-42,
    30 -> 32; 'solid and dashed black' arm B 28 -> 29 (seeds 127-147:
    12 -> 13); no curve left 0.5 %, none worse by more than 0.16 % of the axis.
    """
    drops = np.asarray(drops, dtype=float).copy()
    if centres is None:
        centres = np.empty((0, 2))
    if marks_crossed(own, centres):
        return drops
    for j in range(len(drops)):
        before = drops[j - 1] if j > 0 else 0.0
        after = drops[j + 1] if j + 1 < len(drops) else end
        bounds = _hidden_drop_bounds(own, unknown, marks, centres, levels[j], levels[j + 1], before, after,
                                     settings.width, first=j == 0, crossbars=False)
        if bounds is not None:
            drops[j] = float(np.clip(np.clip(drops[j], *bounds), before + 0.25, after - 0.25))
    return drops


def marks_crossed(own: np.ndarray, centres: np.ndarray) -> bool:
    """Whether a curve's censor marks are '+' (crossed), not '|' ticks, from the ink beside their bars.

    A '+' crossbar inks its mark's row across the columns beside the bar
    (:data:`CROSSBAR_SIDE_COLUMNS`), even over a dash gap; beside a '|' tick
    a dashed line leaves a third of them empty. Marks are '+' when at least
    :data:`CROSSBAR_FILL` of those columns show ink (at least half a pixel)
    within a row of a mark's centre (``centres``, column and row; the
    benchmark's '--' curves: 0.99-1.0 with '+', 0.43-0.74 with '|'). With
    no marks, ``True``: the rules for '+' marks apply, as before.
    """
    if centres.size == 0:
        return True
    height, width = own.shape
    rows = np.clip(np.round(centres[:, 1]).astype(int), 1, height - 2)
    cols = np.round(centres[:, 0]).astype(int)[:, None] + CROSSBAR_SIDE_COLUMNS[None, :]
    inside = (cols >= 0) & (cols < width)
    cols = np.clip(cols, 0, width - 1)
    band = np.maximum.reduce([own[rows[:, None] + d, cols] for d in (-1, 0, 1)])
    return bool((band[inside] >= 0.5).mean() >= CROSSBAR_FILL)


#: Columns beside a mark's centre (pixels) that a '+' crossbar covers and its
#: bar does not: the benchmark's marks reach 4.9 px either way, bars 1 px.
CROSSBAR_SIDE_COLUMNS = np.array([-4, -3, -2, 2, 3, 4])
#: Share of those columns inked at the mark's row from which marks are '+'.
CROSSBAR_FILL = 0.9


def _hidden_drop_bounds(own: np.ndarray, unknown: np.ndarray, marks: np.ndarray | None,
                        centres: np.ndarray, upper: float, lower: float, before: float,
                        after: float, w: float, *, first: bool = False,
                        crossbars: bool = True) -> tuple[float, float] | None:
    """Earliest and latest column of a drop whose line is hidden, from what shows of its levels.

    The upper level's line reaches half a line width past the drop, the
    lower one's half a line width before it: a column where the upper level
    shows flat (:func:`_level_seen`) is at most ``x + w/2``, one where the
    lower level does at least ``x - w/2`` (the hidden drop line being no
    ink, a flat column may lie on it). A censor mark is a point of the
    curve: one centred (``centres``, column and row) within
    :data:`MARK_TOLERANCE` of a level is on it. So is column 0 of the
    curve's ``first`` level (survival 1 at time 0). ``None`` unless both levels
    are seen between ``before`` and ``after``, the upper one first.
    ``crossbars`` false: the marks are '|' ticks (:func:`_level_seen`).
    """
    cols = np.arange(max(int(np.ceil(before)), 0), min(int(np.floor(after)), own.shape[1] - 1) + 1)
    if cols.size == 0:
        return None
    flat_up = _level_seen(own, unknown, marks, upper, cols, w, crossbars)[0]
    flat_low = _level_seen(own, unknown, marks, lower, cols, w, crossbars)[0]
    cx, cy = centres[:, 0], centres[:, 1]
    # A mark centred on the drop before, within half a line width, may be on either level of it.
    on_up = cx[(cx > before - w / 2) & (cx < after) & (np.abs(cy - upper) <= MARK_TOLERANCE)]
    on_low = cx[(cx > before) & (cx < after) & (np.abs(cy - lower) <= MARK_TOLERANCE)]
    sights_up = np.concatenate([cols[flat_up] - w / 2, on_up, [0.0] if first else []])
    if sights_up.size == 0:
        return None
    left = float(sights_up.max())
    sights_low = np.concatenate([cols[flat_low] + w / 2, on_low])
    sights_low = sights_low[sights_low > left]
    if sights_low.size == 0:
        return None
    return left, float(sights_low.min())


def _ink_between(own: np.ndarray, marks: np.ndarray | None, clusters: np.ndarray | None,
                 upper: float, lower: float, x0: float, x1: float, w: float) -> bool | None:
    """Whether a drop's line shows between the lines of two levels in columns ``x0``-``x1``.

    Any of the colour's ink there counts, except a censor mark's: a mark's
    bar is taken out of ``own`` (``marks``) except where it crosses a line,
    and its ends left next to the removed pixels, in the same column, count
    only if they are as wide as a drop's line (:data:`DROP_LINE_ACROSS`; a
    bar is drawn thinner), and never next to the bars of marks drawn side
    by side (``clusters``, :func:`_side_by_side_marks`), which together are
    as wide as a drop's line. ``None`` when no row lies between the two
    lines (a drop no taller than the line is wide): its line could not show
    apart from theirs.
    """
    rows = np.arange(int(np.ceil(upper + w / 2 + 0.5)), int(np.floor(lower - w / 2 - 0.5)) + 1)
    rows = rows[(rows >= 0) & (rows < own.shape[0])]
    c0, c1 = max(int(np.floor(x0)), 0), min(int(np.ceil(x1)), own.shape[1] - 1)
    if rows.size == 0 or c1 < c0:
        return None
    return bool(_drop_line_ink(own, marks, clusters, rows, c0, c1, w).any())


def _drop_line_ink(own: np.ndarray, marks: np.ndarray | None, clusters: np.ndarray | None,
                   rows: np.ndarray, c0: int, c1: int, w: float) -> np.ndarray:
    """The pixels of ``rows`` x columns ``c0``-``c1`` inked by the colour and not by a censor mark.

    See :func:`_ink_between`: a mark's bar is taken out of ``own`` (``marks``)
    except where it crosses a line; the ink left next to its removed pixels,
    in the same column, counts only if it is as wide as a drop's line and
    not beside marks drawn side by side (``clusters``).
    """
    ink = own[rows, c0:c1 + 1] >= 0.5
    if marks is None or not ink.any():
        return ink
    up, down = np.clip(rows - 1, 0, None), np.clip(rows + 1, None, own.shape[0] - 1)
    by_mark = marks[up, c0:c1 + 1] | marks[rows, c0:c1 + 1] | marks[down, c0:c1 + 1]
    by_cluster = np.zeros_like(by_mark) if clusters is None else (
        clusters[up, c0:c1 + 1] | clusters[rows, c0:c1 + 1] | clusters[down, c0:c1 + 1])
    # Coverage summed across a line width, centred on each pixel.
    reach = int(np.ceil(w / 2))
    lo, hi = max(c0 - reach, 0), min(c1 + reach, own.shape[1] - 1)
    across = ndimage.uniform_filter1d(own[rows, lo:hi + 1].astype(np.float64), 2 * reach + 1,
                                      axis=1, mode="constant") * (2 * reach + 1)
    wide = across[:, c0 - lo:c1 - lo + 1] >= DROP_LINE_ACROSS * w
    return ink & (~by_mark | (wide & ~by_cluster))


#: A drop's line covers a row by a line width across; ink beside a censor
#: mark's bar counts as a drop's line from this share of that (the tests'
#: bars, 0.6 line widths, sum to 0.6 of it).
DROP_LINE_ACROSS = 0.8


def _side_by_side_marks(marks: np.ndarray) -> np.ndarray:
    """The removed pixels of censor marks drawn side by side, a bar wider than one mark's.

    All marks of a figure are drawn alike, so the most common width (in
    columns) of the pieces of removed mark pixels is one mark's bar, padded
    a column either way (:func:`~synthesis.censor_marks.find_mark_bars`):
    4 columns for the tests' bars of 0.6 line widths. Wider pieces are
    marks a fraction of a bar apart, whose bars together are as wide as a
    drop's line (two marks 0.7 px apart: 5 columns, 'dashed colours' seed
    21 arm A, t = 13.5 months; 1.7 px apart: 6 columns, 'solid and dashed
    black' seed 8 arm B, t = 10.2 months).
    """
    pieces, n = ndimage.label(marks, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return np.zeros_like(marks)
    widths = np.array([found[1].stop - found[1].start for found in ndimage.find_objects(pieces)])
    one_mark = int(np.bincount(widths).argmax())
    wide = np.concatenate([[False], widths > one_mark])
    return wide[pieces]


def _last_seen(own: np.ndarray, unknown: np.ndarray, marks: np.ndarray | None, level: float,
               start: float, stop: float, w: float) -> float:
    """Earliest column a drop from ``level`` can be at, from what shows of the level before ``stop``.

    A column showing the level flat (:func:`_level_seen`) holds no drop
    line, which is half a line width wide; a censor mark on the level marks
    a time before the drop.
    """
    cols = np.arange(max(int(np.ceil(start)), 0), min(int(np.floor(stop)), own.shape[1] - 1) + 1)
    earliest = start
    if cols.size:
        flat, mark = _level_seen(own, unknown, marks, level, cols, w)
        if flat.any():
            earliest = max(earliest, cols[flat].max() + w / 2 - 0.5)
        if mark.any():
            earliest = max(earliest, float(cols[mark].max()))
    return earliest + 0.25


def _level_seen(own: np.ndarray, unknown: np.ndarray, marks: np.ndarray | None, level: float,
                cols: np.ndarray, w: float, crossbars: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Columns where a line at ``level`` shows flat, and columns of censor marks on it.

    Flat: the level's centre row inked, paper just above and below it
    (a drop line or a mark's bar has ink there). A censor mark's crossbar
    is flat too and reaches as far sideways as its bar reaches up and down:
    columns within that reach of a bar across the level (ink, or a mark's
    removed pixels, both above and below the line) are not counted as flat.
    Only marks stick out above a line, so such a bar is a mark on the level.
    Marks drawn without crossbars (``crossbars`` false: '|' ticks,
    :func:`marks_crossed`) have no flat ink beside their bars: there the
    flat columns all count.
    """
    height, width = own.shape
    clear = w / 2 + 1.5
    centre, above, below = round(float(level)), round(float(level - clear)), round(float(level + clear))
    none = np.zeros(cols.size, dtype=bool)
    if above < 0 or below >= height:
        return none, none
    paper = (own[[above, below]][:, cols] < 0.5) & ~unknown[[above, below]][:, cols]
    flat = (own[centre, cols] >= 0.5) & paper.all(axis=0)
    reach = int(np.ceil(4 * clear))
    c0, c1 = max(int(cols[0]) - reach, 0), min(int(cols[-1]) + reach + 1, width)
    bars = own[:, c0:c1] >= 0.5
    if marks is not None:
        # A mark's removed pixels pad its bar by a column either side.
        lo, hi = max(c0 - 1, 0), min(c1 + 1, width)
        removed = marks[:, lo:hi]
        inner = np.zeros_like(removed)
        inner[:, 1:-1] = removed[:, :-2] & removed[:, 1:-1] & removed[:, 2:]
        bars |= inner[:, c0 - lo:c0 - lo + c1 - c0]
    # Rows of bar beyond the line's clear band, counted outwards from it.
    up_run = np.cumprod(bars[max(above - reach, 0):above + 1][::-1], axis=0).sum(axis=0)
    down_run = np.cumprod(bars[below:below + reach + 1], axis=0).sum(axis=0)
    crossing = (up_run > 0) & (down_run > 0) & bars[centre]
    if not crossing.any():
        return flat, none
    # The bar's shorter arm, from the level to its last row (a pixel more
    # with anti-aliasing): the crossbar reaches as far.
    half = np.minimum(below + down_run[crossing] - 1 - level, level - above + up_run[crossing] - 1) + 1
    bar_cols = np.nonzero(crossing)[0] + c0
    if not crossbars:
        return flat, np.isin(cols, bar_cols)
    near = (np.abs(cols[:, None] - bar_cols[None, :]) <= half[None, :]).any(axis=1)
    return flat & ~near, np.isin(cols, bar_cols)


def honour_marks(levels: np.ndarray, drops: np.ndarray, end: float, coverage: np.ndarray,
                 own: np.ndarray, unknown: np.ndarray, marks: np.ndarray | None, centres: np.ndarray,
                 settings: TraceSettings) -> tuple[np.ndarray, np.ndarray]:
    """Make the step curve pass through the centres of the censor marks on it.

    A '+' or '|' mark is drawn centred on the curve at its censor time, so
    its centre (found by :func:`~synthesis.censor_marks.find_mark_bars`) is
    a point of the curve. Where the fitted level at a mark's column misses
    its centre row by more than :data:`MARK_TOLERANCE`, the fit is wrong
    there: on a dotted line the mark's bar hides the drop beside it, or the
    few dots of a short plateau were read as a level between two. A mark
    below the level, on a level of its own, has the drop into it hedged
    (:func:`_hedged_drop`). Otherwise the candidate repairs that put the
    mark on the curve (:func:`_mark_repairs`: the plateau re-read near the
    mark's row, alone or with the drop on the mark's side; the drop before
    it moved after the mark, or the one after it before the mark, when the
    mark is on that level; a new plateau at the mark's row, its drop after
    the mark; drops tried within :data:`REPAIR_REACH` line widths of the
    mark, :func:`_near`) are each fitted as in :func:`refine_narrow` and the one whose
    drawing misfits the pixels least (:func:`_window_misfit`) is taken.
    Marks further than :data:`MARK_REACH` line widths from the level, or
    on the first plateau (survival 1), are left alone. Dotted arm B of the
    bench's 'dashed colours' (seeds 1, 20, 30): 0.88/0.70/0.56 % ->
    0.75/0.50/0.56 % of the axis range.
    """
    w = settings.width
    levels, drops = np.asarray(levels, dtype=float), np.asarray(drops, dtype=float)
    for cx, cy in sorted(map(tuple, centres)):
        if not 0 <= cx <= end:
            continue
        k = int(np.searchsorted(drops, cx, side="right"))
        miss = levels[k] - cy
        if k == 0 or abs(miss) <= MARK_TOLERANCE or abs(miss) > MARK_REACH * w:
            continue
        hedged = _hedged_drop(levels, drops, own, unknown, marks, cx, cy, k, w)
        if hedged is not None:
            levels, drops = hedged
            continue
        candidates = _mark_repairs(levels, drops, end, coverage, unknown, cx, cy, k, w)
        if not candidates:
            continue
        x0 = drops[k - 1] - w - 2
        x1 = (drops[k] if k < len(drops) else end) + w + 2
        cols = np.arange(max(int(np.floor(x0)), 0), min(int(np.ceil(x1)), coverage.shape[1] - 1) + 1)
        y0 = levels[k - 1] - w - 1
        y1 = (levels[k + 1] if k + 1 < len(levels) else levels[k]) + w + 1
        rows = np.arange(max(int(np.floor(y0)), 0), min(int(np.ceil(y1)), coverage.shape[0] - 1) + 1)
        if cols.size == 0 or rows.size == 0:
            continue
        scored = [(_window_misfit(lv, dr, end, coverage, unknown, w, rows.astype(float),
                                  cols.astype(float), joins=False), i)
                  for i, (lv, dr) in enumerate(candidates)]
        levels, drops = candidates[min(scored)[1]]
    return levels, drops


#: A curve passes within this many pixels of the centre of a censor mark on it
#: (mark centres are read to half a pixel, the level to a fraction of one).
MARK_TOLERANCE = 1.0
#: Marks further than this many line widths from the fitted level are not repaired.
MARK_REACH = 3.0


def _hedged_drop(levels, drops, own, unknown, marks, cx, cy, k, w):
    """A mark below its plateau's level, on a level of its own: the drop into it hedged.

    The drop to the mark's level lies between the last sight of the level
    above (:func:`_last_seen`) and the mark; the mark's bar may hide it and
    a dotted line's gaps do not tell. As in :func:`split_half_seen_drops`
    it is put midway, the plateau's level re-read at the mark's row.
    ``None`` when the mark is not below the level or the drop is seen.
    """
    if cy <= levels[k] or (k + 1 < len(levels) and abs(levels[k + 1] - cy) <= MARK_TOLERANCE):
        return None
    start = drops[k - 2] if k > 1 else 0.0
    left = max(_last_seen(own, unknown, marks, levels[k - 1], start, cx, w), drops[k - 1])
    if cx - left < 1.0:
        return None
    levels, drops = levels.copy(), drops.copy()
    levels[k] = min(cy, levels[k + 1] - 0.5) if k + 1 < len(levels) else cy
    drops[k - 1] = (left + cx) / 2
    return levels, drops


def _on_mark(levels, drops, cx, cy) -> bool:
    """Whether the step curve's level at column ``cx`` is within the tolerance of row ``cy``."""
    k = int(np.searchsorted(drops, cx, side="right"))
    return abs(levels[k] - cy) <= MARK_TOLERANCE


def _near(options: np.ndarray, cx: float, w: float) -> np.ndarray:
    """The candidate drop columns within :data:`REPAIR_REACH` line widths of a mark at ``cx``.

    A drop beside a mark is repaired near it; candidates along the whole
    plateau cost time as the plateau's length squared (3.2 s for one figure,
    'dashed colours' seed 23: a drop after the last mark tried over 200 px).
    """
    return options[np.abs(options - cx) <= REPAIR_REACH * w]


#: Line widths from a censor mark within which the drops beside it are refitted.
REPAIR_REACH = 10.0


def _mark_repairs(levels, drops, end, coverage, unknown, cx, cy, k, w) -> list:
    """Fitted step curves that pass through the mark at (``cx``, ``cy``) on plateau ``k``."""
    out = []
    shifts = np.arange(-MARK_TOLERANCE, MARK_TOLERANCE + 1e-9, 0.25)
    has_next = k + 1 < len(levels)
    low = levels[k - 1] + 0.5
    # The plateau re-read near the mark's row.
    lv = levels.copy()
    options = cy + shifts
    options = options[(options > low) & (options < (levels[k + 1] - 0.5 if has_next else np.inf))]
    if options.size:
        lv[k] = _best_fit(lv, drops, end, coverage, unknown, w, k, options, "level", joins=False)
        out.append((lv, drops.copy()))
    # The mark on the level before: its drop after the mark.
    if abs(levels[k - 1] - cy) <= MARK_TOLERANCE:
        dr = drops.copy()
        options = _near(np.arange(cx + 0.25, (drops[k] if k < len(drops) else end) - 0.25 + 1e-9, 0.25),
                        cx, w)
        if options.size:
            dr[k - 1] = _best_fit(levels, dr, end, coverage, unknown, w, k - 1, options, "drop", joins=False)
            out.append((levels.copy(), dr))
    # The mark on the level after: the next drop before the mark.
    if has_next and abs(levels[k + 1] - cy) <= MARK_TOLERANCE:
        dr = drops.copy()
        options = _near(np.arange(drops[k - 1] + 0.25, cx - 0.25 + 1e-9, 0.25), cx, w)
        if options.size:
            dr[k] = _best_fit(levels, dr, end, coverage, unknown, w, k, options, "drop", joins=False)
            out.append((levels.copy(), dr))
    # The plateau re-read at the mark's row and its drop on the mark's side
    # moved: the level beyond that drop runs on to the mark.
    if k + 1 < len(levels) or cy > levels[k]:
        lv, dr = levels.copy(), drops.copy()
        if cy > levels[k]:
            drop, lo, hi = k - 1, (drops[k - 2] if k > 1 else 0.0) + 0.25, cx - 0.25
        else:
            drop, lo, hi = k, cx + 0.25, (drops[k + 1] if k + 1 < len(drops) else end) - 0.25
        options = cy + shifts
        options = options[(options > low) & (options < (levels[k + 1] - 0.5 if has_next else np.inf))]
        drop_options = _near(np.arange(lo, hi + 1e-9, 0.25), cx, w)
        if options.size and drop_options.size:
            for _ in range(2):
                lv[k] = _best_fit(lv, dr, end, coverage, unknown, w, k, options, "level", joins=False)
                dr[drop] = _best_fit(lv, dr, end, coverage, unknown, w, drop, drop_options, "drop", joins=False)
            out.append((lv, dr))
    # A mark above the level: a new plateau at the mark's row, its drop
    # after the mark. The traced level, often read between the two, is
    # refitted with them. (A mark below the level has its drop hedged by
    # :func:`_hedged_drop`: fitted, it went 4.5 px early on seed 20.)
    after = drops[k] if k < len(drops) else end
    drop_options = _near(np.arange(cx + 0.25, after - 0.25 + 1e-9, 0.25), cx, w)
    if cy < levels[k] and drop_options.size:
        lv, dr = np.insert(levels, k, cy), np.insert(drops, k, (cx + after) / 2)
        for _ in range(3):
            for index, around, reach in ((k, cy, MARK_TOLERANCE), (k + 1, levels[k], w)):
                options = around + np.arange(-reach, reach + 1e-9, 0.25)
                above = lv[index - 1] + 0.5
                below = lv[index + 1] - 0.5 if index + 1 < len(lv) else np.inf
                options = options[(options > above) & (options < below)]
                lv[index] = _best_fit(lv, dr, end, coverage, unknown, w, index, options, "level", joins=False)
            dr[k] = _best_fit(lv, dr, end, coverage, unknown, w, k, drop_options, "drop", joins=False)
        out.append((lv, dr))
    return [c for c in out if _on_mark(c[0], c[1], cx, cy)]
