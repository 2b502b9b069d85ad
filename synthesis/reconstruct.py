"""Pseudo individual patient data from a published Kaplan-Meier curve.

The algorithm of Guyot et al. (2012) rebuilds, from the digitized points of a
Kaplan-Meier curve and the numbers at risk printed under it, a set of event
and censoring times whose Kaplan-Meier estimate retraces the published curve
and whose numbers at risk match the published ones. Its three variants are
kept: a full numbers-at-risk table; only the number at the start; each with or
without the total number of events.

Beyond the R packages that implement it (IPDfromKM, reconstructKM), this
module places censorings at the censor marks drawn on the curve when their
times are given, instead of spreading them uniformly over each interval, and
it never loops without end where Guyot's adjustment oscillates between two
censoring counts.

:func:`reconstruct_ipd` runs the steps, each in its own module: the points
smoothed where the curve is a near-continuous line
(:mod:`synthesis.dense_curve`), the grid of points with the risk-table
times on it (:mod:`synthesis.risk_grid`), where
each interval's censorings go (:mod:`synthesis.censoring_spread`), Guyot's
per-interval fit (:mod:`synthesis.interval_fit`), and the result with its
diagnostics (:mod:`synthesis.reconstruct_result`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from synthesis.censoring_spread import Density, censoring_densities
from synthesis.curve_input import (
    CORNER_TIME_MARGIN,
    CleanCurve,
    clean_at_risk,
    clean_censor_times,
    clean_curve,
)
from synthesis.dense_curve import NEIGHBOURS, smooth_dense_points
from synthesis.errors import InvalidInputError
from synthesis.interval_fit import fit_interval, last_interval_guess, marks_guess
from synthesis.reconstruct_result import (
    AT_MARKS,
    UNIFORM,
    Reconstruction,
    at_risk_check,
    summarise_arms,
)
from synthesis.risk_grid import Grid, Points, risk_grid

#: What other modules, pages and tests import from here; the result and the
#: per-arm summaries live in :mod:`synthesis.reconstruct_result`.
__all__ = ["AT_MARKS", "UNIFORM", "Reconstruction", "reconstruct_ipd", "summarise_arms"]


#: Where the curve ends with a drop to 0, the points of that drop are those
#: below this fraction of the level before it (a death among ten at risk
#: drops the curve by a tenth).
FINAL_DROP_BELOW = 0.9


def reconstruct_ipd(
    curve: pd.DataFrame,
    at_risk: pd.DataFrame | None = None,
    n_start: int | None = None,
    total_events: int | None = None,
    censor_times: Iterable[float] | None = None,
    *,
    percent: bool | None = None,
) -> Reconstruction:
    """Rebuild pseudo individual patient data from a digitized Kaplan-Meier curve.

    Parameters
    ----------
    curve : pandas.DataFrame
        Digitized points with columns ``time, survival`` (survival as a
        fraction, or in percent: detected, or forced with ``percent``).
        Cleaned first (see :func:`synthesis.curve_input.clean_curve`).
    at_risk : pandas.DataFrame, optional
        Numbers at risk with columns ``time, n_risk``, first row at time 0.
    n_start : int, optional
        Number of patients at the start, when there is no risk table.
    total_events : int, optional
        Total number of events in the arm, if reported.
    censor_times : iterable of float, optional
        Times of the censor marks on the curve (digitized or typed). Each
        interval's censorings are placed at its marks instead of uniformly.
    percent : bool, optional
        Force survival to be read as percent (``True``) or a fraction
        (``False``); by default detected.

    Returns
    -------
    Reconstruction

    Raises
    ------
    InvalidInputError
        Unusable input, with the row at fault (see
        :mod:`synthesis.curve_input`), neither ``at_risk`` nor ``n_start``,
        disagreeing counts, or ``total_events`` above the number of patients.

    Notes
    -----
    Guyot's algorithm per risk-table interval [T_i, T_i+1): guess the
    censorings c_i = round(n_i S(T_i+1) / S(T_i) - n_i+1) and spread them
    over the interval; walk the points, with d_k = round(n_k (1 - S_k /
    S^_last)) events at a point and S^_k = S^_last (1 - d_k / n_k); move c_i
    by the difference between the predicted and the published number at risk
    at T_i+1 and walk again until they agree. The last interval gets the
    earlier censoring rate, then, if the total events are known, as many
    censorings as make the events match. Without a risk table the whole curve
    is one interval starting with ``n_start`` and nobody is censored before
    the end unless the total events (or censor marks) say otherwise. Patients
    left at the end are censored at the last point.

    Departures from the published R code, each because it failed on real
    input or on the ground-truth suite (what each gained, measured, is in
    ``bench/MEASUREMENTS.md``):

    - Counts. Censorings are placed at their times (not the midpoints
      between points), capped so the number at risk never goes negative; a
      negative event count (a point above the estimate) is 0; the adjustment
      keeps a bracket of the counts tried and bisects where Guyot's step
      would leave it or cycle; counts carry forward from the prediction so
      the pseudo-patients always add up to n. Where several counts meet the
      published number at risk, the walk closest to the points is kept, not
      the first the search reaches (:func:`synthesis.interval_fit.fit_interval`).
    - The end of the curve. When the risk table falls to 0 after the curve
      ends, the curve is drawn to its last patient: the last interval is
      fitted to leave one patient at risk at the end. A curve that ends with
      a drop to 0 ends with one death there, the last interval's censorings
      spread up to it (:func:`_final_drop`); Guyot's code lets everyone left
      die at that drop, up to 203 deaths too many in an arm of 1000 whose
      last patient died after the others were censored at the data cut-off.
    - The line between two points. The curve between two points is read as
      the straight line joining them: the step itself when both corners of
      each step were clicked, the drawn line when points were clicked along
      it; two corners given at one time are a vertical drop. Guyot's code
      puts every drop at the later point. Here a risk-table time between two
      points takes the line's value there, so the events before it count in
      the interval that ends there; a censoring spread into the second half
      of the gap before a drop is at risk for it (a censor mark keeps its
      time); and the drop's events are spread evenly along the gap
      (:func:`_event_times`), which otherwise made every median late by up
      to a gap.
    - Dense curves. Where single deaths are steps below the digitizing noise,
      one noisy point at a risk-table time moves the interval's events by
      about n ε / S; the points are smoothed by a local linear regression
      before the walk (:func:`synthesis.dense_curve.smooth_dense_points`)
      where the window removes more of the noise than of the curve's own
      random walk, unless they never rise: clean clicks carry no noise to
      smooth.
      The diagnostics still compare with the points as given.
    - Where censorings fall within an interval. Not evenly, but with a
      density that follows the censoring hazard, with its own shape where
      administrative censoring starts and in the interval that ends the
      follow-up (:func:`synthesis.censoring_spread.censoring_densities`).
      Where a single death is a step of the curve well above the digitizing
      noise (:data:`synthesis.interval_fit.LATTICE_MIN_STEP`), the curve
      shows how many were at risk: Guyot's even spread is fitted as well and
      the walk that follows the points more closely is kept.
    - Censor marks. Each interval's censorings go to its marks (Rogula et
      al. 2022), its first guess being its marks times the censorings per
      mark seen before it. Marks closer than their width merge on the
      figure, so each mark gets the censorings it stands for given the
      interval's censoring density
      (:func:`synthesis.censoring_spread.place_censorings`).

    With 6-monthly risk tables, neither the table nor the curve tells
    where the censorings fell within each interval, and the events vary
    with it. A censoring moved from t to t' changes them by Lambda(t') -
    Lambda(t). That sets a floor of about 1.0 events per arm at n = 1000
    on the benchmark's designs (``censoring_floor`` in
    ``bench/bench_reconstruct.py``). With clean clicks this code reaches
    it (1.00 on 240 arms). An oracle that places each interval's true
    count by the true censoring mechanism does no better (1.06). The rest,
    1.23 with clicks of sd 0.002, is the noise of the clicks
    (``bench/MEASUREMENTS.md``).

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier
    survival curves. BMC Med Res Methodol. 2012;12:9.

    Rogula B, Lozano-Ortega G, Johnston KM. A method for reconstructing
    individual patient data from Kaplan-Meier survival curves that
    incorporate marked censoring times. MDM Policy Pract. 2022;7(1).
    """
    cleaned = clean_curve(curve, percent=percent)
    published = clean_at_risk(at_risk) if at_risk is not None else None
    n0, events_total = _check_counts(n_start, total_events, published)
    grid, n_risk, ends_empty, changes = _build_grid(cleaned, published, n0, censor_times)
    # The walk reads the grid's survival as a list (fast scalar access); the densities and the fit want the array.
    survival = np.asarray(grid.survival)
    densities = censoring_densities(grid.time, survival, grid.lower, n_risk, ends_empty)
    n, km_last = _fit_risk_intervals(grid, survival, n_risk, densities, n0)
    n, warnings = _fit_last_interval(grid, n, km_last, events_total, ends_empty, densities[-1])
    warnings += _events_total_warnings(grid, events_total)
    ipd = _ipd(grid, n)
    counts = published if published is not None else pd.DataFrame({"time": [0.0], "n_risk": [n0]})
    # The diagnostics compare with the cleaned points as given, not as smoothed for the walk; the grid
    # keeps a prefix of them (points after a count of 0 are dropped).
    given = cleaned.survival[: int(grid.digitized.sum())]
    return _diagnosed(ipd, grid, given, at_risk_check(ipd, counts), changes, warnings, events_total)


def _diagnosed(
    ipd: pd.DataFrame, grid: Grid, given: np.ndarray, check: pd.DataFrame,
    changes: list[str], warnings: list[str], events_total: int | None,
) -> Reconstruction:
    """The pseudo-IPD with how closely its estimate retraces the digitized points ``given``."""
    digitized = grid.digitized
    gap = np.abs(grid.km[digitized] - given)
    fit = pd.DataFrame(
        {"time": grid.time[digitized], "survival": given, "reconstructed": grid.km[digitized]}
    )
    return Reconstruction(
        ipd=ipd,
        fit=fit,
        cleaning=tuple(changes),
        at_risk_check=check,
        max_km_gap=float(gap.max()),
        rms_km_gap=float(np.sqrt(np.mean(gap**2))),
        total_events=events_total,
        censoring=AT_MARKS if grid.marks is not None else UNIFORM,
        warnings=tuple(warnings),
    )


def _build_grid(
    cleaned: CleanCurve, published: pd.DataFrame | None, n0: int, censor_times: Iterable[float] | None
) -> tuple[Grid, list[int], bool, list[str]]:
    """The walk's grid: the cleaned points with the risk-table times and the censor marks on it.

    Returns the grid, the number at risk at the start of each interval (only
    ``n0`` without a risk table: the whole curve is one interval), whether
    the table falls to 0 after the curve ends, and every change made to the
    input (see :func:`synthesis.risk_grid.risk_grid`).
    """
    changes = list(cleaned.changes)
    survival = cleaned.survival
    if published is not None:
        survival, smoothed = smooth_dense_points(cleaned.time, survival, published, cleaned.rises)
        if smoothed:
            changes.append(
                f"smoothed {smoothed} point(s) where a death's step is below the clicks' noise "
                f"(local linear regression over up to {2 * NEIGHBOURS + 1} points)"
            )
    points = Points(cleaned.time, survival, np.ones(cleaned.time.size, bool), cleaned.step_end)
    if published is not None:
        points, lower, n_risk, ends_empty, grid_changes = risk_grid(points, published)
        changes += grid_changes
    else:
        lower, n_risk, ends_empty = [0], [n0], False
    marks = None
    if censor_times is not None:
        marks = clean_censor_times(censor_times)
        late = marks > points.time[-1]
        if late.any():
            changes.append(f"moved {int(late.sum())} censor mark(s) after the end of the curve to its end")
            marks = np.minimum(marks, points.time[-1])
    size = points.time.size
    grid = Grid(
        time=points.time,
        survival=points.survival.tolist(),
        step_end=points.step_end,
        digitized=points.digitized,
        lower=lower,
        marks=marks if marks is not None and marks.size else None,
        events=np.zeros(size, dtype=int),
        censored=np.zeros(size, dtype=int),
        km=np.ones(size),
        censor_times=[],
    )
    return grid, n_risk, ends_empty, changes


def _fit_risk_intervals(
    grid: Grid, survival: np.ndarray, n_risk: list[int], densities: list[Density], n: int
) -> tuple[int, float]:
    """Fit every risk-table interval but the last to the published number at risk at its end.

    The first guess of an interval's censorings is Guyot's, n_i S(T_i+1) /
    S(T_i) - n_i+1, or with censor marks the marks' (see
    :func:`synthesis.interval_fit.marks_guess`). Returns the number at risk
    and the estimate at the start of the last interval.
    """
    km_last = 1.0
    lower = grid.lower
    for i in range(len(lower) - 1):
        lo, nxt = lower[i], lower[i + 1]
        s_lo = survival[lo]
        if grid.marks is not None:
            guess = marks_guess(grid, lo, nxt, n)
        else:
            guess = round(n * survival[nxt] / s_lo - n_risk[i + 1]) if s_lo > 0 else 0
        n, km_last = fit_interval(
            grid, lo, nxt - 1, nxt, n, km_last, guess, lambda r, want=n_risk[i + 1]: r[3] - want, densities[i]
        )
    return n, km_last


def _fit_last_interval(
    grid: Grid, n: int, km_last: float, events_total: int | None, ends_empty: bool, density: Density
) -> tuple[int, list[str]]:
    """Fit the interval from the last risk-table time to the end of the curve.

    Its target: one patient left at the end (none if the curve is at 0
    before its last jitter) when the risk table falls to 0 after the curve,
    or one death at the drop to 0 if the curve ends with one (the
    censorings then spread up to that drop); the total events when
    given; otherwise no adjustment of Guyot's first guess, the earlier
    censoring rate. When the events before it already reach the total,
    Guyot's rule leaves it event-free. Returns the patients left at the end
    and the warning, if any.
    """
    lo, hi = grid.lower[-1], grid.time.size - 1
    guess = last_interval_guess(grid, lo, hi, n)
    events_before = int(grid.events[:lo].sum())
    if events_total is None and ends_empty:
        final = _final_drop(grid, lo, hi)
        if final is None:
            last_left = 1 if grid.survival[hi] > 0 else 0
            n, _ = fit_interval(grid, lo, hi, hi, n, km_last, guess, lambda r: r[3] - last_left, density)
        else:
            # Everyone but the last patient left before the final drop: the censorings are spread up to it,
            # evenly among the patients alive (a density proportional to S).
            alive = (float(grid.survival[lo]), float(grid.survival[final - 1]))
            n, _ = fit_interval(
                grid, lo, hi, final, n, km_last, guess, lambda r: sum(r[0][final - lo :]) - 1,
                alive if alive[0] > 0 else density,
            )
        return n, []
    if events_total is not None and not (len(grid.lower) > 1 and events_before >= events_total):
        n, _ = fit_interval(
            grid, lo, hi, hi, n, km_last, guess, lambda r: events_before + sum(r[0]) - events_total, density
        )
        return n, []
    n_walked, _ = fit_interval(grid, lo, hi, hi, n, km_last, guess, None, density)
    if events_total is None or not grid.events[lo:].any():
        return n_walked, []
    # Guyot's rule: the total is reached, so the tail keeps everyone, event-free.
    grid.events[lo:] = 0
    grid.censored[lo:] = 0
    grid.km[lo:] = km_last
    grid.censor_times[-1] = np.empty(0)
    warning = (
        f"the {events_before} events reconstructed before time {grid.time[lo]:g} already reach "
        f"the total of {events_total}; no events were placed after it (Guyot's rule)"
    )
    return n, [warning]


def _final_drop(grid: Grid, lo: int, hi: int) -> int | None:
    """Index of the first point of the drop to 0 that ends the curve, or None if it ends above 0.

    The drop is one vertical line; clicked along it, its points scatter in
    time by the click jitter (:data:`synthesis.curve_input.CORNER_TIME_MARGIN`
    of the time span) among those of the flat stretch before it, and
    cleaning makes of it several smaller drops that may stop a little above
    0. The curve ends at 0 when its last point is below half the level
    before that jitter: the last patient at risk died. The line starts at
    the first point within the jitter a tenth below that level.
    """
    jitter = CORNER_TIME_MARGIN * (grid.time[hi] - grid.time[0])
    start = max(int(np.searchsorted(grid.time, grid.time[hi] - jitter, side="left")), lo + 1)
    level = grid.survival[start - 1]
    if start > hi or grid.survival[hi] >= level / 2:
        return None
    return start + int(np.argmax(np.asarray(grid.survival[start : hi + 1]) < FINAL_DROP_BELOW * level))


def _events_total_warnings(grid: Grid, events_total: int | None) -> list[str]:
    """A warning when the reconstructed events miss the total given."""
    reconstructed_events = int(grid.events.sum())
    if events_total is None or reconstructed_events == events_total:
        return []
    return [
        f"reconstructed {reconstructed_events} events, not the {events_total} given: the curve "
        "and the numbers at risk do not allow that many"
        if reconstructed_events < events_total
        else f"reconstructed {reconstructed_events} events, more than the {events_total} given"
    ]


def _ipd(grid: Grid, survivors: int) -> pd.DataFrame:
    """Events along the gaps before their points, the censorings kept by the walk, survivors at the end."""
    kept = np.sort(np.concatenate(grid.censor_times)) if grid.censor_times else np.empty(0)
    event_times = _event_times(grid, kept)
    time = np.concatenate((event_times, kept, np.full(survivors, grid.time[-1])))
    event = np.concatenate(
        (np.ones(event_times.size, dtype=int), np.zeros(kept.size + survivors, dtype=int))
    )
    order = np.argsort(time, kind="stable")
    return pd.DataFrame({"time": time[order], "event": event[order]})


def _event_times(grid: Grid, censored: np.ndarray) -> np.ndarray:
    """The events of each point spread evenly along the line from the point before.

    The walk reads the drop into a point along the line joining it to the
    point before, so its d events happened along that gap: the j-th is put at
    fraction (j - 1/2) / d of it, and the estimate of the pseudo-IPD crosses
    a level where the line does, not at the gap's end (Guyot's code puts
    them at the later point, so the median comes late by up to a gap). The
    walk counts a censoring of the gap's first half as gone before the drop
    and one of its second half as at risk for it (see
    :func:`synthesis.censoring_spread.place_censorings`), so the events are
    spread only between the last of the first and the first of the second:
    the estimate at each point stays the walk's. A step end (both corners
    at one time) keeps its time: the drop is vertical there, and so does a
    point at a risk-table time, whose events are at risk there. ``censored``
    holds the censoring times kept, sorted.
    """
    t = grid.time
    d = grid.events
    start, end = t.astype(float, copy=True), t.astype(float, copy=True)
    along = ~grid.step_end
    along[0] = False
    along[grid.lower] = False
    k = np.flatnonzero(along & (d > 0))
    middle = (t[k - 1] + t[k]) / 2
    # The censorings on either side of each gap's midpoint, padded so that every gap has both.
    padded = np.concatenate(([-np.inf], censored, [np.inf]))
    i = np.searchsorted(censored, middle, side="left")
    start[k] = np.maximum(t[k - 1], padded[i])
    end[k] = np.minimum(t[k], padded[i + 1])
    rank = np.arange(d.sum()) - np.repeat(np.cumsum(d) - d, d)
    share = (rank + 0.5) / np.repeat(np.maximum(d, 1), d)
    return np.repeat(start, d) + share * np.repeat(end - start, d)


def _check_counts(n_start, total_events, at_risk: pd.DataFrame | None) -> tuple[int, int | None]:
    """The number of patients at the start and the total events, checked against each other and the table."""
    def whole(value, name: str) -> int:
        if isinstance(value, bool) or not float(value).is_integer() or value < 0:
            raise InvalidInputError(f"{name} must be a whole number of patients, 0 or more (got {value!r})")
        return int(value)

    if at_risk is None and n_start is None:
        raise InvalidInputError(
            "give the numbers-at-risk table or at least the number of patients at the start (n_start)"
        )
    n0 = int(at_risk["n_risk"].iloc[0]) if at_risk is not None else whole(n_start, "n_start")
    if at_risk is not None and n_start is not None and whole(n_start, "n_start") != n0:
        raise InvalidInputError(
            f"n_start = {n_start} disagrees with the at-risk table, which starts with {n0}; "
            "give one of them, or make them agree"
        )
    if n0 < 1:
        raise InvalidInputError("n_start must be at least 1")
    if total_events is None:
        return n0, None
    events = whole(total_events, "total_events")
    if events > n0:
        raise InvalidInputError(
            f"total_events = {events} is larger than the {n0} patients at the start; "
            "check both numbers"
        )
    return n0, events
