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
from synthesis.dense_curve import DENSE_AT_RISK, NEIGHBOURS, smooth_dense_points
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
    the end unless the total events (or censor marks) say otherwise. Events
    are placed along the line into their point (below); patients left at
    the end are censored at the last point.

    Departures from the published R code, each because it failed on real
    input: censorings are placed at their uniform times (not the midpoints
    between points), capped so the number at risk never goes negative, and a
    negative event count (a point above the estimate) is 0; the adjustment
    keeps a bracket of the counts tried and bisects where Guyot's step would
    leave it or cycle, keeping the best count; counts carry forward from the
    prediction so the pseudo-patients always add up to n. When the risk table
    falls to 0 after the curve ends, the curve is taken to be drawn to its
    last patient: the last interval is fitted to leave one patient at risk at
    the end instead of using the earlier rate. If the curve ends with a drop
    to 0, that patient died there, and everyone at risk at a drop to 0 dies
    at it: the last interval is fitted to one death at that drop, its
    censorings spread up to it (see :func:`_final_drop`). Guyot's code, and
    this one before, let everyone left die there: in arms whose last patient
    dies after the others were censored at the data cut-off (seeds 0-19 of
    the suite's and benchmark's designs with the last patient made to die)
    the events error per arm was 14.5 at n = 1000 (up to 203 too many) and
    62.8 at n = 2000; now 2.0 and 2.7, and at n = 20 to 200 no worse (0.3 to
    1.1 per arm, from 0.5 to 8.5).

    Between two points the curve is read as the straight line joining them:
    the step itself when both corners of each step were clicked, the drawn
    line when points were clicked along it (the way curves with more steps
    than clicks are digitized); two corners given at one time (the
    digitizer's output, steps typed exactly) are a vertical drop there.
    Guyot's code puts every drop at the later point, which has two costs
    this reading removes. A risk-table time between two points takes the
    line's value there, and the part of the drop before it is counted in the
    interval that ends there: otherwise the events just before each
    risk-table time fall into the next interval, the published count at that
    time does not allow for them, and the walk censors as many patients too
    many before it (on the ground-truth suite arms of 1000 lost 2 to 3
    events this way, always too few). And a censoring spread into the second
    half of the gap before a drop is counted at risk for it, and censored at
    the drop: the gap's events happened along it, so such a patient saw
    about half of them. A censor mark there is counted at risk for the drop
    too, but keeps its time (it was read off the figure). The drop's events
    are spread evenly along the gap, between the censorings counted before
    and after them (see :func:`_event_times`), not put at its end as
    Guyot's code does, which made every median late by up to a gap. With a
    risk table (36 paired trials per mode at n = 100 and 1000, 15 at
    10000, seeds 11 and 12), the median relative error went from 0.0131 to
    0.0122 (n = 100), 0.0079 to 0.0062 (n = 1000) and 0.0065 to 0.0041
    (n = 10000), with censor marks from 0.0071 to 0.0059, 0.0082 to 0.0062
    and 0.0062 to 0.0035 (each n = 1000 and 10000 change 3 to 4 standard
    errors of the paired difference). The log HR error fell or held
    (0.0086 to 0.0085, 0.0013 to 0.0012, 0.0006 to 0.0006; with marks
    0.0054 to 0.0049, 0.0013 to 0.0012), except with marks at n = 10000,
    0.00064 to 0.00070 (under one standard error); the events and numbers
    at risk did not change. With n and
    the total events against Guyot's R code
    (``bench/bench_reconstruct.py`` section 3, seeds 11 and 12, 12 trials
    per design), our median relative error at n = 1000 went from 0.0068 to
    0.0058 (R 0.0062) and 0.0069 to 0.0058 (R 0.0074), at n = 10000 from
    0.0061 to 0.0046 (R 0.0056) and 0.0064 to 0.0058 (R 0.0060); at n = 100
    from 0.0141 to 0.0132 (R 0.0103) and 0.0124 to 0.0136 (R 0.0137),
    decided by a few arms whose curve sits within a step of 0.5 on a flat.
    The log HR error is unchanged to within 0.0002.

    Where at least 2000 are at risk (:data:`synthesis.dense_curve.DENSE_AT_RISK`)
    single deaths are steps far below the digitizing noise and the points
    sample a near-continuous line; there each point is replaced by a local
    linear regression over the 15 points around it before the walk
    (:func:`synthesis.dense_curve.smooth_dense_points`), since the events of
    an interval follow the curve's values at its ends, and one noisy click
    there moves them by about n ε / S. On the benchmark with a risk table
    (``bench/bench_reconstruct.py``, section 2, 6 trials per design) the
    events error per arm at n = 10000 falls from 8.50 to 4.08 (another 48 arms: 10.90 to 7.25,
    against 7.0 with noise-free clicks); smaller arms are unchanged. The
    diagnostics compare with the points as given, so the largest gap to
    them at n = 10000 rises from 0.005 to 0.009: the clicks' noise is no
    longer followed.

    Within a risk-table interval the censorings are not spread evenly but
    with a density that follows the censoring hazard (see
    :func:`synthesis.censoring_spread.censoring_densities`): each interval's
    hazard from Guyot's first guess of its censorings, changing linearly
    within it with the slope of its neighbours, limited (van Leer 1977) so
    that the jump where administrative censoring starts at the minimum
    follow-up stays a jump; the density at each end is the hazard times the
    published number at risk. A steady hazard thus gives a density
    proportional to the number at risk, which falls within each interval as
    patients die and leave; an even spread places the censorings late,
    counts too many patients at risk at the drops and so too many events, a
    bias the two losses above used to hide. The interval that ends the
    follow-up spreads its censoring times evenly among the patients still
    alive (a density proportional to S(t)), also when the table prints a
    few patients at risk at the curve's end (within the click jitter;
    at n = 10000 the events error per arm fell from 6.67 to 5.33 over 120
    arms). Where administrative censoring starts (the hazard jumps, or
    rises clearly above the noise of the counts) and after it, the density
    is that of a dropout hazard plus the hazard 1 / (E - t) of reaching the data cut-off E under
    uniform accrual, with its start (inside the interval or at its start)
    and level fitted to the numbers at risk: a linear profile cannot both
    start at a risk-table time and start inside an interval (on the
    benchmark with a risk table at n = 1000 the events error per arm falls
    from 1.44 to 0.97). Where a single death is a step of the curve of at
    least 0.005 (S / n, about 2.5 times the digitizing noise), the curve
    shows how many were at risk: Guyot's even spread is fitted as well and
    the walk that follows the digitized points more closely is kept (see
    :data:`synthesis.interval_fit.LATTICE_MIN_STEP`). Together these lower
    the mean error in events per arm of the ground-truth suite with a risk
    table
    (``tests/test_reconstruct_groundtruth.py``, seeds 0-29) from 1.32 to
    0.90, and with censor marks from 1.15 to 0.73; swapping back the
    corners of small steps clicked in reverse order (see
    :func:`synthesis.curve_input.clean_curve`), one death at a final drop to
    0 (above) and the marks read as below bring them to 0.85 and 0.54 (log
    HR error 0.0071 and 0.0048, from 0.0098 and 0.0061). The step bound
    replaced one of 200 at risk, which also compared where the steps are
    hidden in the noise; there the choice leaned to the even spread and
    censored late, and the interval before administrative censoring took a
    slope that only ever tilted its censorings late (see
    :func:`synthesis.censoring_spread.censoring_densities`). Correcting both
    lowered the signed events error per arm at n = 1000 with a risk table
    from +0.73 to +0.29 and +0.70 to +0.30 on two sets of 360 arms (60
    trials per design of the benchmark, seeds 202 and 303, same arms before
    and after), and its mean absolute value from 1.45 to 1.38 and 1.50 to
    1.42 (paired difference -0.072 and -0.075, standard errors 0.039 and
    0.036; with censor marks -0.017 and -0.008, both within noise), with
    n = 100, the medians and the log hazard ratios unchanged within their
    standard errors. Where the steps are above the noise and several
    censoring counts meet a published number at risk (one censoring more
    early, one death fewer later), the walk closest to the points is kept,
    not the first the search reaches, which, coming from Guyot's first
    guess (never above the true count), was most often the one with the
    most deaths (see :func:`synthesis.interval_fit.fit_interval`; not with
    censor marks, whose first guess is read off the figure): at n = 100 the
    events error per arm with a risk table fell from 0.33 to 0.26, 0.35 to
    0.26 and 0.36 to 0.27 on the two sets and 120 more arms (paired
    differences -0.072, -0.097, -0.092, standard errors 0.016 to 0.029),
    log HR error -0.0005, -0.0014, -0.0001, medians within noise, n = 1000
    unchanged. Over the suite's seeds 0-29 the two steps bring the mean
    events error per arm with a risk table from 0.85 to 0.77 (log HR error
    0.0071 to 0.0065); with marks 0.54 to 0.55 (0.0048). Most of what
    remains at n = 1000 is where the censorings sit within each 6-month
    interval, which neither the table nor the curve tells: censorings
    placed at the quantiles of the true censoring mechanism, with each
    interval's true count and the true event times, still miss 1.06 and
    1.12 events per arm on the same arms (heavy design 1.6), so the issue's
    target of 1 is out of reach in these designs with a 6-monthly table.

    With censor marks, each interval's censorings go to its marks, and its
    first guess is its marks times the censorings per mark seen before it
    (Rogula et al. 2022 argue for using the marks). Marks closer than their
    width merge on the figure, so each mark gets the censorings it stands
    for given the interval's censoring density, one where they are sparse
    and more where they crowd (see
    :func:`synthesis.censoring_spread.place_censorings`); equal shares
    spread those hidden where marks crowd evenly over the interval, late
    where the density falls, and made the marks cost accuracy at large n.
    On the benchmark (6 trials per design) the events error per arm with the
    risk table and marks goes from 0.25, 1.78 and 22.58 at n = 100, 1000 and
    10000 to 0.17, 0.94 and 4.50 (risk table alone: 0.33, 0.97, 4.08; with
    20 trials per design 1.10 and 6.94 with marks, 1.53 and 6.94 without, at
    n = 1000 and 10000; since the step bound and the tied counts above,
    1.12 and 7.08 with marks, 1.39 and 6.86 without, and at n = 100 0.21
    without marks, from 0.27),
    and the suite's with marks from 0.63 to 0.46 (seeds 0-9; 0.73 to 0.58
    over seeds 0-29, log HR error 0.0068 to 0.0061).

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier
    survival curves. BMC Med Res Methodol. 2012;12:9.

    Rogula B, Lozano-Ortega G, Johnston KM. A method for reconstructing
    individual patient data from Kaplan-Meier survival curves that
    incorporate marked censoring times. MDM Policy Pract. 2022;7(1).

    van Leer B. Towards the ultimate conservative difference scheme III.
    J Comput Phys. 1977;23(3):263-275.
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
        survival, smoothed = smooth_dense_points(cleaned.time, survival, published)
        if smoothed:
            changes.append(
                f"smoothed {smoothed} point(s) where at least {DENSE_AT_RISK} were at risk "
                f"(local linear regression over {2 * NEIGHBOURS + 1} points)"
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
