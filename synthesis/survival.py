"""Survival analysis of (pseudo) individual patient data, as R's survival does it.

Kaplan-Meier curves with Greenwood standard errors and log-transformed
pointwise confidence intervals, the median with the confidence interval of
Brookmeyer and Crowley read off those pointwise limits, survival at landmark
times, the restricted mean survival time, the log-rank test and the Cox
hazard ratio with Efron's handling of ties. The estimators come from
statsmodels (``SurvfuncRight``, ``survdiff``, ``PHReg``); this module gives
them reviewer names, checks the input, and reproduces the conventions of R's
``survfit``, ``survdiff`` and ``coxph`` (checked to 1e-6 in
``tests/test_survival.py`` against ``tests/reference/survival.R``).

References
----------
Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
J Am Stat Assoc 1958;53:457-481.
Greenwood M. The natural duration of cancer. Reports on Public Health and
Medical Subjects 1926;33:1-26.
Brookmeyer R, Crowley J. A confidence interval for the median survival time.
Biometrics 1982;38:29-41.
Royston P, Parmar MKB. Restricted mean survival time: an alternative to the
hazard ratio for the design and analysis of randomized trials with a
time-to-event outcome. BMC Med Res Methodol 2013;13:152.
Mantel N. Evaluation of survival data and two new rank order statistics
arising in its consideration. Cancer Chemother Rep 1966;50:163-170.
Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220.
Efron B. The efficiency of Cox's likelihood function for censored data.
J Am Stat Assoc 1977;72:557-565.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from synthesis.errors import InvalidInputError

#: R's ``survmean`` treats a curve within this distance of 0.5 as equal to it
#: (``.Machine$double.eps^0.5``), and then averages the two candidate times.
_MEDIAN_TOLERANCE = math.sqrt(np.finfo(float).eps)


def _z(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise InvalidInputError(
            f"conf_level must lie strictly between 0 and 1, got {conf_level}; use e.g. 0.95."
        )
    return float(stats.norm.ppf(0.5 + conf_level / 2))


def _none_if_nan(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    return float(value)


def _format_months(value: float | None, digits: int) -> str:
    return "NR" if value is None else f"{value:.{digits}f}"


def check_survival_data(
    time: Sequence[float], event: Sequence[int], *, source: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``time`` and ``event`` as float and int arrays after checking them.

    Raises
    ------
    InvalidInputError
        When the data are empty, of unequal length, not numeric, contain
        missing or negative times, or events other than 0 (censored) and 1
        (event). The message names the first offending 1-based row.
    """
    try:
        t = np.asarray(time, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidInputError(
            "times must be numbers (months since treatment).", source=source, column="time"
        ) from None
    try:
        e = np.asarray(event, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidInputError(
            "events must be 0 (censored) or 1 (event).", source=source, column="event"
        ) from None
    if t.size == 0:
        raise InvalidInputError("no patients: the data are empty.", source=source)
    if t.size != e.size:
        raise InvalidInputError(
            f"{t.size} times but {e.size} event indicators; give one of each per patient.",
            source=source,
        )
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
    if bad.size:
        raise InvalidInputError(
            f"time {t[bad[0]]} is missing or negative; times must be >= 0.",
            source=source, row=int(bad[0]) + 1, column="time",
        )
    bad = np.flatnonzero(~np.isin(e, (0.0, 1.0)))
    if bad.size:
        raise InvalidInputError(
            f"event {e[bad[0]]} is not 0 (censored) or 1 (event).",
            source=source, row=int(bad[0]) + 1, column="event",
        )
    return t, e.astype(int)


@dataclass(frozen=True)
class MedianSurvival:
    """Median survival with its confidence interval; ``None`` means not reached.

    A median (or a confidence limit) that the curve never reaches is not a
    number: it is ``None`` here, shown as "NR", never infinity or zero.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    conf_level: float = 0.95

    @property
    def reached(self) -> bool:
        """Whether the survival curve fell to 0.5 or below."""
        return self.estimate is not None

    def text(self, digits: int = 1) -> str:
        """The median as a reviewer writes it, e.g. ``"NR (24.1-NR)"``."""
        return (
            f"{_format_months(self.estimate, digits)} "
            f"({_format_months(self.ci_low, digits)}-{_format_months(self.ci_high, digits)})"
        )

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict:
        """JSON-ready dict; not-reached values are ``null``."""
        return {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "conf_level": self.conf_level,
            "reached": self.reached,
            "text": self.text(),
        }


def _first_below_half(values: np.ndarray, times: np.ndarray) -> float | None:
    """The first time a step curve is at or below 0.5, exactly as R's ``survmean``.

    When the curve sits exactly on 0.5 over an interval, R reports the
    midpoint between the start of that interval and the next drop.
    """
    keep = ~np.isnan(values) & (values < 0.5 + _MEDIAN_TOLERANCE)
    if not keep.any():
        return None
    x, y = times[keep], values[keep]
    if abs(y[0] - 0.5) < _MEDIAN_TOLERANCE and (y < y[0]).any():
        return float((x[0] + x[np.flatnonzero(y < y[0])[0]]) / 2)
    return float(x[0])


class _OneRowResult:
    """A result of a few named numbers: ``to_dict()`` is its fields, ``summary_frame()`` one row."""

    def to_dict(self) -> dict:
        """JSON-ready dict of every field."""
        return asdict(self)

    def summary_frame(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class RestrictedMean(_OneRowResult):
    """Restricted mean survival time up to ``tau`` with its standard error."""

    tau: float
    estimate: float
    std_err: float
    ci_low: float
    ci_high: float
    conf_level: float = 0.95


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve as R's ``survfit`` reports it.

    Attributes
    ----------
    time, n_risk, n_event, n_censor : numpy.ndarray
        One entry per distinct observed time (events and censorings).
    survival : numpy.ndarray
        The Kaplan-Meier estimate just after each time.
    std_err : numpy.ndarray
        Greenwood standard error of ``survival`` (``summary.survfit``'s
        ``std.err``); NaN once the curve has reached 0.
    ci_low, ci_high : numpy.ndarray
        Pointwise limits on the log scale, ``S exp(+-z se(log S))`` with the
        upper limit capped at 1 (R's default ``conf.type = "log"``).
    conf_level : float
    median : MedianSurvival
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    conf_level: float
    median: MedianSurvival

    @property
    def n(self) -> int:
        """Number of patients."""
        return int(self.n_risk[0])

    @property
    def events(self) -> int:
        """Number of events."""
        return int(self.n_event.sum())

    @property
    def max_follow_up(self) -> float:
        """The largest observed time (event or censoring)."""
        return float(self.time[-1])

    def survival_at(self, times: Sequence[float] | float) -> pd.DataFrame:
        """Survival at landmark times, as ``summary(survfit, times = ...)``.

        Returns one row per requested time with ``time, n_risk, survival,
        std_err, ci_low, ci_high``; ``n_risk`` counts those still at risk at
        that time. Times beyond the last observation give NaN survival,
        because the curve says nothing there.
        """
        at = np.atleast_1d(np.asarray(times, dtype=float))
        if (at < 0).any() or not np.isfinite(at).all():
            raise InvalidInputError("landmark times must be finite and >= 0.")
        idx = np.searchsorted(self.time, at, side="right") - 1
        beyond = at > self.time[-1]

        def pick(values: np.ndarray, before: float) -> np.ndarray:
            out = np.where(idx >= 0, values[np.clip(idx, 0, None)], before)
            return np.where(beyond, np.nan, out)

        first_at_or_after = np.searchsorted(self.time, at, side="left")
        n_risk = np.where(
            first_at_or_after < self.time.size,
            self.n_risk[np.clip(first_at_or_after, None, self.time.size - 1)],
            0,
        )
        return pd.DataFrame(
            {
                "time": at,
                "n_risk": n_risk.astype(int),
                "survival": pick(self.survival, 1.0),
                "std_err": pick(self.std_err, 0.0),
                "ci_low": pick(self.ci_low, 1.0),
                "ci_high": pick(self.ci_high, 1.0),
            }
        )

    def restricted_mean(self, tau: float) -> RestrictedMean:
        """Restricted mean survival time up to ``tau``; see :func:`restricted_mean_survival`."""
        return _restricted_mean(self, tau)

    def summary_frame(self) -> pd.DataFrame:
        """The step table: one row per distinct time."""
        return pd.DataFrame(
            {
                "time": self.time,
                "n_risk": self.n_risk,
                "n_event": self.n_event,
                "n_censor": self.n_censor,
                "survival": self.survival,
                "std_err": self.std_err,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
            }
        )

    def to_dict(self) -> dict:
        """JSON-ready dict: counts, the median and the step table (NaN as null)."""
        table = self.summary_frame().astype(object)
        table = table.where(pd.notna(table), None)
        return {
            "n": self.n,
            "events": self.events,
            "conf_level": self.conf_level,
            "median": self.median.to_dict(),
            "table": table.to_dict(orient="list"),
        }


def kaplan_meier(
    time: Sequence[float], event: Sequence[int], *, conf_level: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier estimate with Greenwood errors and log-scale intervals.

    Parameters
    ----------
    time : array-like
        Follow-up time of each patient (months), >= 0.
    event : array-like
        1 if the patient had the event at ``time``, 0 if censored.
    conf_level : float
        Coverage of the pointwise intervals and of the median's interval.

    Returns
    -------
    KaplanMeier

    Notes
    -----
    Matches R's ``survfit(Surv(time, event) ~ 1)`` with its defaults
    (``conf.type = "log"``). The median's interval is the Brookmeyer-Crowley
    interval R reports: the first times the upper and the lower pointwise
    limits fall to 0.5 (Kaplan & Meier 1958; Greenwood 1926; Brookmeyer &
    Crowley 1982).
    """
    t, e = check_survival_data(time, event)
    z = _z(conf_level)
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e, minlength=times.size).astype(int)
    n_censor = np.bincount(inverse, minlength=times.size).astype(int) - n_event
    n_risk = t.size - np.concatenate(([0], np.cumsum(n_event + n_censor)[:-1]))

    survival = np.ones(times.size)
    var_log = np.zeros(times.size)
    if n_event.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            fit = SurvfuncRight(t, e)
        # statsmodels lists event times only; censor-only times carry the
        # previous value forward, as survfit's table does.
        pos = np.searchsorted(fit.surv_times, times, side="right") - 1
        has = pos >= 0
        survival[has] = fit.surv_prob[pos[has]]
        with np.errstate(divide="ignore", invalid="ignore"):
            d, r = fit.n_events, fit.n_risk
            greenwood = np.cumsum(np.where(r > d, d / (r * (r - d)), np.inf))
        var_log[has] = greenwood[pos[has]]
    se_log = np.sqrt(var_log)
    with np.errstate(invalid="ignore", divide="ignore"):
        std_err = np.where(survival > 0, survival * se_log, np.nan)
        log_s = np.log(survival)
        ci_low = np.where(survival > 0, np.exp(log_s - z * se_log), np.nan)
        ci_high = np.where(survival > 0, np.minimum(np.exp(log_s + z * se_log), 1.0), np.nan)

    median = MedianSurvival(
        estimate=_first_below_half(survival, times),
        ci_low=_first_below_half(ci_low, times),
        ci_high=_first_below_half(ci_high, times),
        conf_level=conf_level,
    )
    return KaplanMeier(
        time=times, n_risk=n_risk.astype(int), n_event=n_event, n_censor=n_censor,
        survival=survival, std_err=std_err, ci_low=ci_low, ci_high=ci_high,
        conf_level=conf_level, median=median,
    )


def median_survival(
    time: Sequence[float], event: Sequence[int], *, conf_level: float = 0.95
) -> MedianSurvival:
    """Median survival with its Brookmeyer-Crowley interval (log transform), as ``survfit``.

    See :func:`kaplan_meier`; values not reached are ``None``.
    """
    return kaplan_meier(time, event, conf_level=conf_level).median


def _restricted_mean(km: KaplanMeier, tau: float) -> RestrictedMean:
    if not np.isfinite(tau) or tau <= 0:
        raise InvalidInputError(f"tau must be a positive number of months, got {tau}.")
    if tau > km.max_follow_up:
        raise InvalidInputError(
            f"tau = {tau:g} lies beyond the last follow-up time ({km.max_follow_up:g}); "
            "the curve is unknown there, so choose a tau no larger than the follow-up."
        )
    z = _z(km.conf_level)
    keep = km.time <= tau
    knots = np.concatenate(([0.0], km.time[keep], [tau]))
    heights = np.concatenate(([1.0], km.survival[keep]))
    areas = np.diff(knots) * heights
    with np.errstate(divide="ignore", invalid="ignore"):
        d, r = km.n_event[keep], km.n_risk[keep]
        hazard_var = np.where(r - d == 0, 0.0, d / (r * (r - d)))
    # Area remaining after each event time, squared and weighted by the
    # Greenwood increment: the variance R's survmean and survRM2 report.
    area_after = np.cumsum(areas[::-1])[::-1][1:]
    variance = float(np.sum(area_after**2 * hazard_var))
    estimate = float(areas.sum())
    se = math.sqrt(variance)
    return RestrictedMean(
        tau=float(tau), estimate=estimate, std_err=se,
        ci_low=estimate - z * se, ci_high=estimate + z * se, conf_level=km.conf_level,
    )


def restricted_mean_survival(
    time: Sequence[float], event: Sequence[int], tau: float, *, conf_level: float = 0.95
) -> RestrictedMean:
    """Restricted mean survival time (area under the Kaplan-Meier curve up to ``tau``).

    Parameters
    ----------
    time, event : array-like
        As for :func:`kaplan_meier`.
    tau : float
        Horizon in months; must not exceed the last observed time.
    conf_level : float

    Returns
    -------
    RestrictedMean
        Estimate, standard error and a normal-theory interval.

    Notes
    -----
    The standard error is the one printed by R's ``print(survfit, rmean = tau)``
    and computed by ``survRM2::rmst2`` (Royston & Parmar 2013): the sum over
    event times of the squared remaining area times ``d / (n (n - d))``.
    """
    return _restricted_mean(kaplan_meier(time, event, conf_level=conf_level), tau)


def _two_groups(
    time, event, group, reference
) -> tuple[np.ndarray, np.ndarray, np.ndarray, object, object]:
    t, e = check_survival_data(time, event)
    g = np.asarray(group, dtype=object).ravel()
    if g.size != t.size:
        raise InvalidInputError(
            f"{t.size} times but {g.size} group labels; give one label per patient."
        )
    levels = sorted(pd.unique(g), key=str)
    if len(levels) != 2:
        raise InvalidInputError(
            f"need exactly two groups to compare, found {len(levels)}: {levels}."
        )
    if reference is None:
        reference = levels[0]
    elif reference not in levels:
        raise InvalidInputError(f"reference group {reference!r} is not one of {levels}.")
    other = levels[1] if reference == levels[0] else levels[0]
    return t, e, (g == other).astype(float), reference, other


@dataclass(frozen=True)
class LogRankTest(_OneRowResult):
    """Log-rank test of equal survival in two groups."""

    statistic: float
    df: int
    p_value: float


def logrank_test(
    time: Sequence[float], event: Sequence[int], group: Sequence
) -> LogRankTest:
    """Log-rank (Mantel-Haenszel) test between two groups, as R's ``survdiff(rho = 0)``.

    Parameters
    ----------
    time, event : array-like
        As for :func:`kaplan_meier`.
    group : array-like
        Two distinct labels, one per patient.

    Returns
    -------
    LogRankTest
        Chi-squared statistic on 1 degree of freedom and its p-value (Mantel 1966).
    """
    t, e, g, _, _ = _two_groups(time, event, group, None)
    if not e.any():
        raise InvalidInputError("no events in either group: the log-rank test needs events.")
    chisq, p = survdiff(t, e, g)
    return LogRankTest(statistic=float(chisq), df=1, p_value=float(p))


@dataclass(frozen=True)
class CoxHazardRatio(_OneRowResult):
    """Hazard ratio of ``group`` against ``reference`` from a Cox model."""

    hr: float
    ci_low: float
    ci_high: float
    log_hr: float
    std_err: float
    p_value: float
    group: str
    reference: str
    conf_level: float = 0.95


def cox_hazard_ratio(
    time: Sequence[float],
    event: Sequence[int],
    group: Sequence,
    *,
    reference=None,
    conf_level: float = 0.95,
) -> CoxHazardRatio:
    """Hazard ratio between two groups from a Cox model with Efron ties, as R's ``coxph``.

    Parameters
    ----------
    time, event : array-like
        As for :func:`kaplan_meier`.
    group : array-like
        Two distinct labels, one per patient.
    reference : optional
        The label of the reference group (default: the first label in sorted
        order, as R's factor levels).
    conf_level : float

    Returns
    -------
    CoxHazardRatio
        ``exp(beta)`` with the Wald interval ``exp(beta +- z se)`` and Wald p
        (Cox 1972; Efron 1977).
    """
    t, e, x, ref, other = _two_groups(time, event, group, reference)
    z = _z(conf_level)
    if not e.any():
        raise InvalidInputError("no events in either group: a hazard ratio needs events.")
    for label, mask in ((other, x == 1), (ref, x == 0)):
        if not e[mask].any():
            raise InvalidInputError(
                f"group {label!r} has no events: its hazard ratio is 0 or infinite, not estimable."
            )
    result = PHReg(t, x[:, None], status=e, ties="efron").fit(tol=1e-12)
    beta, se = float(result.params[0]), float(result.bse[0])
    return CoxHazardRatio(
        hr=math.exp(beta), ci_low=math.exp(beta - z * se), ci_high=math.exp(beta + z * se),
        log_hr=beta, std_err=se, p_value=float(2 * stats.norm.sf(abs(beta / se))),
        group=str(other), reference=str(ref), conf_level=conf_level,
    )
