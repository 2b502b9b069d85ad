"""Where a risk-table interval's censorings go: their density and their placement.

Guyot et al. (2012) spread an interval's censorings evenly over it. Here
they follow a density linear within each interval, built from the censoring
hazard of the intervals with van Leer's (1977) limited slopes
(:func:`censoring_densities`); an even density (:data:`EVEN`) is Guyot's
spread. Where administrative censoring starts and after it, the density is
that of dropouts plus patients reaching the data cut-off, with a change
point inside the interval (:class:`TabulatedDensity`).
:func:`place_censorings` turns a count and a density into the censorings
of each bin between two points, or puts them at the censor marks drawn on
the curve when their times are given (Rogula et al. 2022), each mark
holding the censorings it stands for where marks merge (:func:`_per_mark`).

References
----------
Guyot et al. (2012) and Rogula et al. (2022) in full: see
:func:`synthesis.reconstruct.reconstruct_ipd`.

van Leer B. Towards the ultimate conservative difference scheme III.
J Comput Phys. 1977;23(3):263-275.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthesis.curve_input import CORNER_TIME_MARGIN
from synthesis.risk_grid import Grid

#: Guyot's even spread of censorings over an interval.
EVEN = (1.0, 1.0)
#: Fractions of an interval at which an administrative-censoring density is tabulated.
ADMIN_GRID = np.linspace(0.0, 1.0, 129)
#: Administrative censoring is read as starting in an interval whose censoring hazard is more than
#: this multiple of the one before, or clearly above it (see :func:`_rise_is_clear`), and no more than
#: the one after ...
JUMP = 2.0
#: ... and whose censoring survival, dropouts allowed for, falls below this (a tenth of those followed
#: reach the cut-off there): a few dropouts more than expected are not the start of it.
STARTS_BELOW = 0.9
#: A minimum follow-up read within this fraction of an interval's start is put at the start: one
#: interval's count sets it only to within about a sixth of the interval at 150 at risk.
NEAR_START = 1 / 3


@dataclass(frozen=True, eq=False)
class TabulatedDensity:
    """A density over an interval given by its share (cumulative, 0 to 1) at fractions ``u`` of it.

    Used where the density changes abruptly inside an interval (see
    :func:`_administrative_density`); between the tabulated fractions the
    share is linear.
    """

    u: np.ndarray
    share: np.ndarray


Density = tuple[float, float] | TabulatedDensity


@dataclass(frozen=True)
class Placement:
    """Where ``count`` censorings of the points lo..hi go.

    Without marks, the j-th of c goes at t_lo + (t_end - t_lo) u_j, where
    u_j is the j / (c + 1) quantile of a density over the interval that
    changes linearly from ``density[0]`` at its start to ``density[1]`` at
    its end (equal ends give Guyot's even spread), or of a tabulated one. With censor marks in the
    interval they go to the marks instead, each mark getting the censorings it
    stands for (see :func:`_per_mark`). The count is only
    a density: the walk keeps no more than are at risk, so it may exceed n,
    and nothing here grows with it.
    """

    per_bin: np.ndarray
    start: float = 0.0
    width: float = 0.0
    count: int = 0
    density: Density = EVEN
    first: np.ndarray | None = None
    marks: np.ndarray | None = None
    per_mark: np.ndarray | None = None
    mark_bins: np.ndarray | None = None

    def times(self, used: np.ndarray) -> np.ndarray:
        """The times of the censorings the walk kept, ``used`` per bin (the earliest of each bin)."""
        if self.marks is None:
            offset = np.arange(used.sum()) - np.repeat(np.cumsum(used) - used, used)
            rank = np.repeat(self.first, used) + offset
            return self.start + self.width * _quantile(rank / (self.count + 1), self.density)
        before = np.cumsum(self.per_mark) - self.per_mark
        bin_start = (np.cumsum(self.per_bin) - self.per_bin)[self.mark_bins]
        take = np.clip(used[self.mark_bins] - (before - bin_start), 0, self.per_mark)
        return np.repeat(self.marks, take)


def _share(u: np.ndarray, density: Density) -> np.ndarray:
    """Share of an interval's censorings before fraction ``u`` of it, for a density
    falling or rising linearly from ``density[0]`` at its start to ``density[1]`` at its end,
    or tabulated."""
    if isinstance(density, TabulatedDensity):
        return np.interp(u, density.u, density.share)
    head, tail = density
    return (head * u + (tail - head) * u**2 / 2) / ((head + tail) / 2)


def _quantile(q: np.ndarray, density: Density) -> np.ndarray:
    """Inverse of :func:`_share`: the fraction of the interval holding share ``q``."""
    if isinstance(density, TabulatedDensity):
        return np.interp(q, density.share, density.u)
    head, tail = density
    # The root in [0, 1] of (tail - head) u^2 / 2 + head u = q (head + tail) / 2, in the form
    # that stays exact for an even density (head = tail).
    rhs = q * (head + tail)
    return rhs / (head + np.sqrt(np.maximum(head**2 + rhs * (tail - head), 0.0)))


def _bin_edges(grid: Grid, lo: int, hi: int) -> np.ndarray:
    """Edges of the bins lo..hi: the interval's start, where each drop happens, the next point.

    Bin j holds the censorings removed after the events at point j. The drop
    from point j - 1 to point j is read off the straight line joining them:
    along it when the curve was clicked at points along the line, so on
    average at the midpoint, and a censoring in the second half of the gap
    was at risk for its events and goes to bin j, not j - 1; at point j
    itself when both corners of its step were given at one time (a step
    end). When both corners were clicked a little apart, the drop lies
    between the two corners, and either edge is within a click of it.
    """
    t = grid.time
    inner = np.where(grid.step_end[lo + 1 : hi + 1], t[lo + 1 : hi + 1], (t[lo:hi] + t[lo + 1 : hi + 1]) / 2)
    return np.concatenate(([t[lo]], inner, [t[hi + 1] if hi + 1 < t.size else np.inf]))


@dataclass(frozen=True)
class MarkLayout:
    """An interval's censor marks with what placing censorings at them needs, whatever their count.

    ``bins`` is the bin of each mark (see :func:`_bin_edges`), ``density``
    the censoring density at each mark scaled to a maximum of 1, and
    ``totals`` the censorings that the marks stand for at each ``scale`` of
    :data:`MARK_SCALES` (see :func:`_per_mark`).
    """

    marks: np.ndarray
    bins: np.ndarray
    density: np.ndarray
    totals: np.ndarray


#: Scales (expected censorings within one mark's width where the density is highest) at which the
#: censorings the marks stand for are tabulated; beyond the last, every mark holds its expectation.
MARK_SCALES = np.concatenate(([0.0], np.geomspace(1e-3, 1e3, 61)))


def edge_shares(grid: Grid, lo: int, hi: int, end: int, density: Density) -> np.ndarray | MarkLayout:
    """What placing the censorings between points ``lo`` and ``end`` needs, whatever their count.

    Without censor marks in the interval, the share of its censorings before
    each edge of the bins lo..hi; with them, the marks' layout
    (:class:`MarkLayout`). It is computed once per interval.
    """
    t = grid.time
    edges = _bin_edges(grid, lo, hi)
    if grid.marks is not None:
        # Marks at the end of the curve are its survivors, censored there anyway.
        marks = grid.marks[np.searchsorted(grid.marks, t[lo]) : np.searchsorted(grid.marks, t[end])]
        if marks.size:
            at_marks = _density_at((marks - t[lo]) / max(t[end] - t[lo], np.finfo(float).tiny), density)
            scaled = at_marks / at_marks.max() if at_marks.max() > 0 else np.ones(marks.size)
            totals = _expected_at_mark(MARK_SCALES[:, None] * scaled).sum(axis=1)
            # A mark is a censoring time read off the figure; it is at risk for the drops before it,
            # read along the line as the censorings without marks are (see _bin_edges).
            bins = np.searchsorted(edges, marks, side="right") - 1
            return MarkLayout(marks=marks, bins=bins, density=scaled, totals=totals)
    return _share(np.clip((edges - t[lo]) / max(t[end] - t[lo], np.finfo(float).tiny), 0.0, 1.0), density)


def place_censorings(
    grid: Grid, lo: int, hi: int, end: int, count: int, density: Density, share: np.ndarray | MarkLayout
) -> Placement:
    """Place ``count`` censorings between points ``lo`` and ``end`` into the bins lo..hi.

    ``share`` is what :func:`edge_shares` computed for the interval.
    """
    t = grid.time
    width = hi - lo + 1
    if count <= 0 or t[end] <= t[lo]:
        return Placement(per_bin=np.zeros(width, dtype=int), first=np.zeros(width, dtype=int))
    if isinstance(share, MarkLayout):
        per_mark = _per_mark(share, count)
        per_bin = np.bincount(share.bins, weights=per_mark, minlength=width).astype(int)
        return Placement(per_bin=per_bin, marks=share.marks, per_mark=per_mark, mark_bins=share.bins)
    span = t[end] - t[lo]
    # How many of the quantiles j / (count + 1), j = 1..count, lie before each edge.
    below = np.clip(np.ceil(share * (count + 1)) - 1, 0, count).astype(int)
    return Placement(
        per_bin=np.diff(below), start=float(t[lo]), width=span, count=count, density=density, first=below[:-1] + 1
    )


def _per_mark(layout: MarkLayout, count: int) -> np.ndarray:
    """Censorings at each of an interval's marks: each its expected number given that it was drawn.

    Marks closer than their width merge on the figure, so a mark stands for
    one censoring or more. With censorings falling as a Poisson process of
    the interval's density, a mark's width holds lam = s f(x) of them on
    average (f the density at the mark scaled to a maximum of 1, s unknown:
    the figure's mark width is not known), and a drawn mark stands for
    lam / (1 - exp(-lam)) of them: one where they are sparse, lam where they
    crowd. The scale s is the one at which these add up to ``count``
    (interpolated in :data:`MARK_SCALES`); the numbers are rounded so that
    they add up. Equal shares, the reading before, put the censorings hidden
    where marks crowd evenly across the interval, that is late where the
    density falls: on the benchmark with a risk table
    (``bench/bench_reconstruct.py``, section 2) the marks made the events
    error per arm at n = 10000 22.6 against 8.5 without them; read so, 4.5
    against 4.1 (with the smoothing of :mod:`synthesis.dense_curve`), and
    at n = 1000 0.94 against 0.97 (1.78 before). With fewer censorings than
    marks, marks are taken evenly across the interval.
    """
    size = layout.marks.size
    if count <= size:
        per_mark = np.zeros(size, dtype=int)
        per_mark[((np.arange(count) + 0.5) * size / max(count, 1)).astype(int)] = 1
        return per_mark
    totals = layout.totals
    if count < totals[-1]:
        scale = np.interp(count, totals, MARK_SCALES)
    else:
        # Beyond the table every mark holds about its expectation, lam.
        scale = MARK_SCALES[-1] + (count - totals[-1]) / layout.density.sum()
    # The densest mark has lam = scale > 0, so the weights add up to more than 0.
    weight = np.cumsum(_expected_at_mark(scale * layout.density) - 1.0)
    hidden = np.round(weight * ((count - size) / weight[-1])).astype(int)
    hidden[1:] -= hidden[:-1].copy()
    return 1 + hidden


def _expected_at_mark(lam: np.ndarray) -> np.ndarray:
    """lam / (1 - exp(-lam)): the mean of a Poisson count of mean lam, given that it is at least 1."""
    return np.divide(lam, -np.expm1(-lam), out=np.ones_like(lam), where=lam > 1e-12)


def _density_at(u: np.ndarray, density: Density) -> np.ndarray:
    """The density (up to a constant) at fractions ``u`` of its interval: the slope of :func:`_share`."""
    u = np.clip(u, 0.0, 1.0)
    if isinstance(density, TabulatedDensity):
        return np.interp(u, (density.u[1:] + density.u[:-1]) / 2, np.diff(density.share) / np.diff(density.u))
    head, tail = density
    return head + (tail - head) * u


def censoring_densities(
    time: np.ndarray, survival: np.ndarray, lower: list[int], n_risk: list[int], ends_empty: bool
) -> list[Density]:
    """Censoring density at the start and end of each risk-table interval, the last included.

    Each interval's censoring hazard (censorings per patient at risk per
    unit time) is first estimated from Guyot's first guess of its
    censorings, n_i S(T_i+1) / S(T_i) - n_i+1, over its width times its mean
    number at risk (a last interval that empties: down to the one patient
    left at the end; one that does not: its neighbour's hazard). Within the
    interval the hazard changes linearly, with the slope of the neighbouring
    hazards limited by van Leer's monotonized central limiter: no slope at a
    peak or a trough, and never steeper than twice the change to either
    neighbour, so a jump stays a jump instead of spreading into the
    intervals around it. The density at each end is the hazard there times
    the published number at risk there; a hazard steady from one interval
    to the next gives a density proportional to the number at risk. The
    first interval, and the one before administrative censoring starts, get
    no slope: there the change between hazards is the noise of a few
    rounded censorings, and before a rise the limiter could only ever tilt
    the censorings late.

    Three cases depart from the linear hazard (their measured gains are in
    ``bench/MEASUREMENTS.md``):

    - The interval that ends the follow-up (the last, one after which at
      most one patient is left, or one that ends at the curve's end to
      within the click jitter, :data:`synthesis.curve_input.CORNER_TIME_MARGIN`
      of its span) spreads its censoring times evenly among the patients
      still alive, a density proportional to S(t): there the censoring
      hazard rises without bound as the last patients reach the data
      cut-off, which no linear hazard follows.
    - Administrative censoring (patients reaching the data cut-off) starts
      at the minimum follow-up, on a risk-table time or inside an interval,
      and no linear profile places both right. So the first interval whose
      hazard jumps (more than :data:`JUMP` times the one before, or above it
      by more than two Poisson standard deviations of the censorings that
      hazard would give, :func:`_rise_is_clear`; no more than the one after;
      and losing over a tenth of those followed, :data:`STARTS_BELOW`), and
      the intervals after it up to the one that ends the follow-up, get the
      density of a dropout hazard plus the hazard 1 / (E - t) of reaching
      the cut-off E under uniform accrual, with its change point and level
      fitted to the interval's numbers at risk (:func:`_administrative_density`).
    - Without a risk table (one interval) the spread stays even, as Guyot's:
      with only n and the total events there is no trend to read.

    References
    ----------
    van Leer B. Towards the ultimate conservative difference scheme III.
    J Comput Phys. 1977;23(3):263-275.
    """
    count = len(lower)
    if count == 1:
        return [EVEN]
    ends = lower[1:] + [time.size - 1]
    n_end = [float(c) for c in n_risk[1:count]] + [float(survival[-1] > 0) if ends_empty else np.nan]
    hazard = np.full(count, np.nan)
    person_time = np.full(count, np.nan)
    for i, (lo, end) in enumerate(zip(lower, ends, strict=True)):
        if time[end] <= time[lo] or survival[lo] <= 0 or np.isnan(n_end[i]):
            continue
        leaving = n_risk[i] * survival[end] / survival[lo] - n_end[i]
        person_time[i] = (time[end] - time[lo]) * (n_risk[i] + n_end[i]) / 2
        hazard[i] = max(leaving, 0.0) / person_time[i]
    known = ~np.isnan(hazard)
    hazard = np.interp(np.arange(count), np.flatnonzero(known), hazard[known]) if known.any() else np.zeros(count)
    slope = _limited_slopes(hazard)
    densities = []
    dropout = None  # the censoring hazard before administrative censoring, once it has started
    # A risk time within the click jitter of the curve's end is at the data cut-off.
    cutoff = time[-1] - CORNER_TIME_MARGIN * (time[-1] - time[0])
    for i, (lo, end) in enumerate(zip(lower, ends, strict=True)):
        if i == count - 1 or n_end[i] <= 1 or time[end] >= cutoff:
            densities.append((float(survival[lo]), float(survival[end])) if survival[lo] > 0 else EVEN)
            continue
        admin = None
        # G(b) / G(a): the share of the patients alive at the interval's start that stay followed.
        kept = n_end[i] * survival[lo] / (n_risk[i] * survival[end]) if survival[end] > 0 else 0.0
        if dropout is not None:
            admin = _administrative_density(time, survival, lo, end, kept, dropout, begun=True)
        elif 0 < i and hazard[i + 1] >= hazard[i] > hazard[i - 1] and (
            hazard[i] > JUMP * hazard[i - 1] or _rise_is_clear(hazard[i - 1], hazard[i], person_time[i])
        ):
            admin = _administrative_density(time, survival, lo, end, kept, hazard[i - 1], begun=False)
            dropout = hazard[i - 1] if admin is not None else None
            if admin is not None:
                # The dropouts' hazard ends before the jump, as at the first interval: no slope from it.
                densities[i - 1] = _linear_density(hazard[i - 1], 0.0, n_risk[i - 1], n_end[i - 1])
        if admin is None:
            admin = _linear_density(hazard[i], slope[i], n_risk[i], n_end[i])
        densities.append(admin)
    return densities


def _rise_is_clear(before: float, hazard: float, person_time: float) -> bool:
    """Whether an interval's censorings exceed what the hazard before gives by over two Poisson sds.

    With ``person_time`` the interval's time at risk, the hazard before
    would give about e = ``before`` x ``person_time`` censorings, with a
    standard deviation of sqrt(e) (at least 1): a rise beyond twice that is
    not the noise of a steady dropout hazard guessed from rounded counts.
    """
    expected = before * person_time
    return bool(np.isfinite(person_time) and (hazard - before) * person_time > 2 * np.sqrt(max(expected, 1.0)))


def _linear_density(hazard: float, slope: float, n_start: float, n_end: float) -> tuple[float, float]:
    """Density at the start and end of an interval: the hazard changing by ``slope`` across it
    times the number at risk at each end (the two numbers at risk where the hazard is negative)."""
    head, tail = (hazard - slope / 2) * n_start, (hazard + slope / 2) * n_end
    return (float(head), float(tail)) if head + tail > 0 else (float(n_start), float(n_end))


def _administrative_density(
    time: np.ndarray, survival: np.ndarray, lo: int, end: int, ratio: float, dropout: float, *, begun: bool
) -> TabulatedDensity | None:
    """Censoring density of an interval where administrative censoring begins, or has begun.

    A departure from Guyot et al. (2012), whose censorings are spread
    evenly. Without censoring the number at risk would follow S(t); the
    censoring survival G(t) takes its share, so the censorings of the
    interval [a, b] have the density S(t) (-G'(t)) (S read off the
    digitized curve, its flat runs included), and the published numbers at
    risk give G(b) / G(a) = ``ratio`` = n_i+1 S(a) / (n_i S(b)). Dropouts
    leave at the hazard ``dropout`` (the interval's before the jump). With
    accrual uniform over time, from the minimum follow-up tau the patients
    still followed reach the data cut-off at the hazard 1 / (E - t), E the
    end of follow-up (the curve's last time): G(t) = exp(-dropout (t - a))
    (E - t) / (E - tau) after tau, so tau = E - (E - b) exp(-dropout
    (b - a)) / ``ratio``, one equation for one unknown; the density is the
    dropouts' alone before tau and jumps there. When tau falls within
    :data:`NEAR_START` of the start (the usual case, follow-up ending from
    a risk-table time on), or once administrative censoring has begun
    (``begun``), the hazard is dropout + w / (E - t) over the whole
    interval, w (1 under uniform accrual) read from the ratio:
    w = ln(G(b) / G(a)) / ln((E - b) / (E - a)) with the dropouts allowed
    for. Returns None (keep the linear density) when the ratio leaves no
    room for administrative censoring (below :data:`STARTS_BELOW` at its
    start). Tabulated at :data:`ADMIN_GRID`, the share integrated by the
    trapezoid rule.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier
    survival curves. BMC Med Res Methodol. 2012;12:9.
    """
    start, stop, cutoff = time[lo], time[end], time[-1]
    width = stop - start
    if width <= 0 or cutoff - stop <= 0 or not 0 < ratio:
        return None
    kept = ratio * np.exp(dropout * width)  # G(b) / G(a) once the dropouts are allowed for
    if kept >= (1 if begun else STARTS_BELOW):
        return None
    t = start + width * ADMIN_GRID
    tau, power = cutoff - (cutoff - stop) / kept, 1.0
    if begun or tau < start + width * NEAR_START:
        tau, power = start, np.log(kept) / np.log((cutoff - stop) / (cutoff - start))
    # -G'(t) up to a constant: dropout G before tau; (dropout + power / (E - t)) G after it.
    after = t >= tau
    remaining = np.where(after, ((cutoff - t) / (cutoff - tau)) ** power, 1.0) * np.exp(-dropout * (t - start))
    rate = dropout + np.where(after, power / (cutoff - t), 0.0)
    density = np.interp(t, time[lo : end + 1], survival[lo : end + 1]) * rate * remaining
    share = np.concatenate(([0.0], np.cumsum((density[1:] + density[:-1]) / 2)))
    if share[-1] <= 0:
        return None
    # A tiny even part keeps the share strictly increasing, so that it can be inverted.
    share = share / share[-1] + ADMIN_GRID * 1e-9
    return TabulatedDensity(u=ADMIN_GRID, share=share / share[-1])


def _limited_slopes(values: np.ndarray) -> np.ndarray:
    """Change of each interval's value across it: van Leer's monotonized central slope.

    The mean of the changes to the two neighbours, capped at twice the
    smaller of them, and 0 where they differ in sign (a peak or a trough)
    and at the two ends. With it the linear profiles never overshoot the
    neighbouring values, so the densities built on them stay non-negative.
    """
    step = np.diff(values)
    left = np.concatenate(([0.0], step))
    right = np.concatenate((step, [0.0]))
    central = (left + right) / 2
    capped = np.sign(central) * np.minimum(np.abs(central), 2 * np.minimum(np.abs(left), np.abs(right)))
    return np.where(left * right > 0, capped, 0.0)

