"""Smoothing the digitized points where the curve is a near-continuous line.

Where many patients are at risk, single deaths are steps far smaller than the
digitizing noise, and a reviewer clicks points along the drawn line rather
than the corners of its steps. Guyot et al. (2012) read the number of events
in each risk-table interval off the curve's value at the interval's ends, so
one noisy point there moves the count by about n ε / S. There the points are
replaced by a local linear regression over their neighbours (Cleveland 1979,
with an even weight), then made non-increasing again (isotonic regression).
Where fewer are at risk the steps are larger than the noise, their corners
are clicked, and the points are kept as given. Clicks without noise are
kept as given too: a single death must be a step below the clicks' noise,
whose sd is read from how many points rise above the one before
(:func:`click_noise`; 0.0027 to 0.0035 for clicks of sd 0.002 in each axis
at n = 1000 and 10000, the time noise reordering points on a slope; 0.0015
to 0.0021 for 0.001, one arm per design, seed 11; 0 for clean clicks, as a
KM curve never rises). The
scatter of the points about their local fit cannot tell the noise: it
holds the curve's own steps and wiggle (rms 0.0006 for noise-free clicks at
n = 10000, steps of 0.0001). On clean clicks at n = 10000 (18 arms, seeds
100-102, the benchmark's designs) smoothing had made the events error per
arm 3.61 against 2.89 unsmoothed (paired se 0.73) and the median's
relative error 0.0032 against 0.0017 (se 0.0007).

Replacing the bound of 2000 at risk by where the clicks cannot be at step
corners (two or more deaths between neighbouring points, which smooths at
n = 1000 from about 300 at risk on) was tried and not kept: paired on 120
arms per cell at n = 1000 (seeds 100-103) the events error with the risk
table went from 1.442 to 1.308 (se 0.081), with marks from 1.050 to 1.058
(se 0.091), but on the ground-truth suite (seeds 0-4, yearly tables) from
0.62 to 0.74 per arm with the table. The window trades the clicks' noise,
σ^2 shrunk about 15-fold, against the curve's own random walk, which it
averages away: about D s^2 / 6 over a window holding D deaths of step s,
that is s ΔS / 6 for a window dropping by ΔS. At n = 10000 (s = 0.0001,
ΔS about 0.04) that is an rms of 0.0008, well below σ; at n = 1000
(s = 0.001) 0.0026, as large as σ itself, so smoothing there gains little
and can lose.

So the bound of 2000 at risk is replaced by that trade-off, point by
point: a point is smoothed where a death's step is below σ
and a full window of m = 1 to 7 neighbours on each side removes more
variance than it adds, σ^2 (1 - 1 / (2 m + 1)) > s ΔS / 6, with the m that
gains most (:func:`_window_gain`; points without m neighbours on both
sides are not fitted with that m). The centre of an evenly weighted
window would give s ΔS / 12; paired on 120 arms per cell at n = 1000
(seeds 100-103, noise 0.002, the benchmark's designs) the events error
with the table went from 1.442 to 1.308 with 12 (se 0.068) and to 1.250
with 6 (se 0.069), with marks from 1.050 to 1.025 and 0.975 (se 0.07);
on the ground-truth suite (seeds 0-4) with the table from 0.622 to 0.678
with 12 (one seed at 1.17) and 0.667 with 6 (seeds at most 1.00), so 6 is
used. At n = 10000 (24 arms, seeds 100-103) the table's error went from
5.96 to 5.38 (se 0.44), marks' 5.75 to 5.88 (se 0.47); on the suite's
seeds 5-19 from 0.830 to 0.819 (se 0.042; marks 0.559 to 0.552). Clean
clicks have σ = 0 and are kept. At n = 100 a death's step is mostly above
σ: a few points were smoothed in 12 of 120 arms (noise 0.002), the events
error 0.275 to 0.283 (one event), with marks unchanged.

How much of the error is the noise: an error ε_j in the curve at the
risk-table time T_j moves the events of the interval before it by
n̄_j-1 ε_j / S_j and those of the interval after by -n̄_j ε_j / S_j, the
total by (n̄_j-1 - n̄_j) ε_j / S_j, the patients leaving per interval times
the relative error. With ε about 0.003 (0.002 in survival and 0.002 of the
time axis along the slope) and 1000 to 1500 leaving each of 7 intervals at
n = 10000, that is an sd of 10 to 15 events; a tenth of it at n = 1000.
Measured on the benchmark's designs with a risk table (24 arms per n, the
same arms and clicks, noise scaled), the events error per arm was 7.29,
8.04 and 11.08 at n = 10000 for noise-free, halved and full noise, and
1.04, 1.42 and 1.33 at n = 1000: the noise accounts for about 8 events at
n = 10000 and under 1 at n = 1000. The rest is what the risk table does not
say, where within an interval its censorings fell (the placement follows a
smooth density; the true times scatter around it by about the square root
of their number), and, in the heavy-censoring design, a bias of the
censoring density where administrative censoring starts (+13 events per
arm at n = 10000 with noise-free clicks, left to that density). The
smoothing cannot reach that floor exactly: the true curve is a random walk, its increments of variance S^2 h / n per unit time,
and a window wide enough to average the clicks averages away part of the
wiggle at T_j that the events follow (relative rms error at the
risk-table times with noise-free clicks 0.0015 smoothed against 0.0006 as
clicked; with the noise 0.002 against 0.004). Over 48 arms at n = 10000 the
events error fell from 10.90 to 7.25 (noise-free 7.00); over 24 others
(``bench_reconstruct.sweep`` seeded 5, 12 trials) it rose from 5.92 to
6.33, while the median's error fell from 0.0069 to 0.0052. Smoothing in
log S instead had a smaller bias at the risk-table times but a larger
events error (7.67), and is not used.

References
----------
Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
survival data: reconstructing the data from published Kaplan-Meier
survival curves. BMC Med Res Methodol. 2012;12:9.

Cleveland WS. Robust locally weighted regression and smoothing
scatterplots. J Am Stat Assoc. 1979;74(368):829-836.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression
from scipy.special import ndtr

#: The widest window: neighbours on each side of a point in its local regression (a window of
#: 2 m + 1 points). The true curve is itself a random walk (its increments have variance S^2 h / n
#: per unit time), so a wide window averages away the very wiggle at a risk-table time that the
#: events follow: at n = 10000 (8 trials per design) the events error per arm was 10.90 unsmoothed,
#: 7.83, 7.25, 7.54 and 9.08 with m = 5, 7, 10 and 14, the signed error drifting from +4.2 to -3.8
#: as m grows. Each point takes the half-width up to this that gains most (:func:`_window_gain`).
NEIGHBOURS = 7

#: The random walk a window averages away, taken as s ΔS / WALK_SHARE for a death's step s and a
#: window dropping by ΔS (D = ΔS / s deaths of variance s^2 each; the module docstring). The
#: centre of an evenly weighted window gives 12; 6 also counts the walk of the line between the
#: clicks that a risk-table time is read from, and was the one kept (measured, module docstring).
WALK_SHARE = 6.0


def smooth_dense_points(
    time: np.ndarray, survival: np.ndarray, at_risk: pd.DataFrame, rises: int
) -> tuple[np.ndarray, int]:
    """The survival of the points where smoothing removes more noise than curve, smoothed.

    Parameters
    ----------
    time, survival : numpy.ndarray
        The cleaned points (:class:`synthesis.curve_input.CleanCurve`),
        starting at (0, 1).
    at_risk : pandas.DataFrame
        The published numbers at risk ``time, n_risk``; the number at risk at
        a point is read by linear interpolation between them.
    rises : int
        How many of the points as given rose above the point before them
        (:attr:`synthesis.curve_input.CleanCurve.rises`).

    Returns
    -------
    survival : numpy.ndarray
        Each point where a single death, a step of s = S / n_risk, is smaller
        than the clicks' noise σ (:func:`click_noise`; clean clicks have
        none) and a full window of m = 1 to :data:`NEIGHBOURS` neighbours on
        each side removes more variance of the noise, σ^2 (1 - 1 / (2 m + 1)),
        than of the curve's own random walk, s ΔS / :data:`WALK_SHARE`
        (:func:`_window_gain`), replaced by its value on the least-squares
        line through the window that gains most (Cleveland 1979, even
        weights); then the whole made non-increasing by isotonic regression;
        the start stays at 1.
    smoothed : int
        How many points were smoothed.
    """
    sigma = click_noise(survival, rises, NEIGHBOURS)
    if sigma == 0.0:
        return survival, 0
    counts = np.interp(time, at_risk["time"].to_numpy(float), at_risk["n_risk"].to_numpy(float))
    step = survival / np.maximum(counts, 1.0)
    gains = _window_gain(survival, step, sigma, NEIGHBOURS)
    # A death is a step of S / n; not below the noise, its corners are clicked and kept as given.
    dense = (gains.max(axis=0) > 0.0) & (step < sigma)
    dense[0] = False  # the start (0, 1) is exact
    if not dense.any():
        return survival, 0
    fitted = _local_linear(time, survival, 1 + gains.argmax(axis=0))
    smoothed = np.where(dense, fitted, survival)
    smoothed = np.clip(isotonic_regression(smoothed, increasing=False).x, 0.0, 1.0)
    smoothed[0] = survival[0]
    return smoothed, int(dense.sum())


def _window_gain(survival: np.ndarray, step: np.ndarray, sigma: float, widest: int) -> np.ndarray:
    """The variance windows of m = 1..widest neighbours on each side remove from each point: noise less walk.

    The value of the local linear fit at the centre of 2 m + 1 evenly spread
    points has the noise variance σ^2 / (2 m + 1) in place of σ^2, but
    averages away the curve's random walk over the window, s ΔS /
    :data:`WALK_SHARE` for a window dropping by ΔS (``survival`` is the
    cleaned, non-increasing curve, so ΔS carries little noise). Points
    without m neighbours on both sides get -inf: off-centre, a local linear
    fit's variance is larger and its bias from the curvature is not averaged.
    One row per m.
    """
    size = survival.size
    idx = np.arange(size)
    m = np.arange(1, widest + 1)[:, None]
    full = (idx >= m) & (idx + m <= size - 1)
    drop = survival[np.clip(idx - m, 0, size - 1)] - survival[np.clip(idx + m, 0, size - 1)]
    if not np.isfinite(sigma):
        return np.where(full, np.inf, -np.inf)  # noise above every drop: any window gains
    gain = sigma**2 * (1.0 - 1.0 / (2 * m + 1)) - step * drop / WALK_SHARE
    return np.where(full, gain, -np.inf)


def click_noise(survival: np.ndarray, rises: int, m: int) -> float:
    """The sd of the clicks' noise in survival that explains how many points rose.

    Between neighbouring points whose true survival drops by d, independent
    noise of sd σ on each makes the second lie higher with probability
    Φ(-d / (√2 σ)). With d_i the drop of the cleaned curve per gap over the
    points i - m..i + m (its isotonic fit averages the noise out), σ solves
    Σ_i Φ(-d_i / (√2 σ)) = rises by bisection: the method of moments on the
    number of rises. 0 when no point rose (clean clicks: no noise to smooth).
    The noise along the time axis counts in as far as it reorders points on
    a slope, which is how it moves a reading of the curve too.
    """
    if rises == 0:
        return 0.0
    size = survival.size
    idx = np.arange(size - 1)
    lo = np.clip(idx - m, 0, size - 1)
    hi = np.clip(idx + 1 + m, 0, size - 1)
    drop = (survival[lo] - survival[hi]) / (hi - lo)
    if rises >= drop.size / 2:
        return np.inf  # as many rises as on a flat: noise far above every drop
    low, high = 1e-6, 1.0
    for _ in range(24):  # the bracket of 10^6 narrowed to a ratio of 1 + 10^-6
        sigma = np.sqrt(low * high)
        if ndtr(-drop / (np.sqrt(2.0) * sigma)).sum() < rises:
            low = sigma
        else:
            high = sigma
    return float(np.sqrt(low * high))


def _local_linear(x: np.ndarray, y: np.ndarray, m: int | np.ndarray) -> np.ndarray:
    """Each point's value on the least-squares line through the points i - m..i + m (fewer at the ends).

    ``m`` is one half-width for all points or one per point.
    """
    size = x.size
    idx = np.arange(size)
    lo = np.clip(idx - m, 0, size)
    hi = np.clip(idx + m + 1, 0, size)
    def window(values: np.ndarray) -> np.ndarray:
        total = np.concatenate(([0.0], np.cumsum(values)))
        return total[hi] - total[lo]

    count = (hi - lo).astype(float)
    sx, sy = window(x), window(y)
    sxx, sxy = window(x * x), window(x * y)
    mean_x, mean_y = sx / count, sy / count
    var = sxx / count - mean_x**2
    cov = sxy / count - mean_x * mean_y
    slope = np.where(var > 1e-12 * np.maximum(mean_x**2, 1.0), cov / np.where(var > 0, var, 1.0), 0.0)
    return mean_y + slope * (x - mean_x)
