"""Compare two survival curves given as (pseudo) individual patient data.

Everything is "arm A relative to arm B": the hazard ratio of A versus B, the
RMST difference A - B, the ratio of medians A / B. The arms usually come from
different trials (reconstructed from published curves), so every result is
an unadjusted cross-trial comparison, and says so.

References
----------
Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of
survival data: reconstructing the data from published Kaplan-Meier survival
curves. BMC Med Res Methodol 2012;12:9.
Royston P, Parmar MKB. Restricted mean survival time: an alternative to the
hazard ratio for the design and analysis of randomized trials with a
time-to-event outcome. BMC Med Res Methodol 2013;13:152.
Uno H, Claggett B, Tian L, et al. Moving beyond the hazard ratio in
quantifying the between-group difference in survival analysis. J Clin Oncol
2014;32:2380-2385.
Efron B, Tibshirani RJ. An Introduction to the Bootstrap. Chapman & Hall,
1993 (percentile intervals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from synthesis.approximate import APPROXIMATE_LABEL
from synthesis.errors import InvalidInputError
from synthesis.medians import SHORT_FOLLOW_UP_MONTHS
from synthesis.survival import (
    _MEDIAN_TOLERANCE,
    CoxHazardRatio,
    KaplanMeier,
    LogRankTest,
    MedianSurvival,
    RestrictedMean,
    check_survival_data,
    cox_hazard_ratio,
    kaplan_meier,
    logrank_test,
)

#: Shown with every comparison, because the arms come from different trials.
CROSS_TRIAL_CAVEAT = (
    "Unadjusted cross-trial comparison: the arms come from different studies with different "
    "patients, eligibility, prior lines, bridging therapy and follow-up. Differences may reflect "
    "the populations rather than the products; read them together with the baseline table."
)

#: Landmarks (months) compared when none are given: the times CAR-T reports quote.
DEFAULT_LANDMARKS = (6.0, 12.0, 24.0, 36.0, 60.0)

HEADLINE_KEYS = (
    "hr", "hr_ci_low", "hr_ci_high", "logrank_p", "rmst_a", "rmst_b", "rmst_diff",
    "rmst_diff_ci_low", "rmst_diff_ci_high", "median_a", "median_b", "median_ratio",
    "median_ratio_ci_low", "median_ratio_ci_high",
)


def read_ipd(ipd: pd.DataFrame, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Check an IPD table (columns ``time, event``) and return its arrays."""
    if not isinstance(ipd, pd.DataFrame):
        raise InvalidInputError("IPD must be a table with columns time and event.", source=name)
    columns = {str(c).strip().lower(): c for c in ipd.columns}
    missing = [c for c in ("time", "event") if c not in columns]
    if missing:
        raise InvalidInputError(
            f"missing column(s) {missing}; found {list(map(str, ipd.columns))}. "
            "An IPD file needs columns time,event (event 1 = event, 0 = censored).",
            source=name,
        )
    time, event = check_survival_data(ipd[columns["time"]], ipd[columns["event"]], source=name)
    if not event.any():
        raise InvalidInputError(
            "no events: with every patient censored the curve is flat and cannot be compared.",
            source=name,
        )
    return time, event


def load_ipd_csv(source, *, name: str) -> pd.DataFrame:
    """Read and check an IPD CSV (a path or an open file) with columns ``time,event``.

    Returns a DataFrame with exactly the columns ``time`` and ``event``;
    an unreadable file or bad content raises :class:`InvalidInputError`.
    """
    try:
        frame = pd.read_csv(source)
    except FileNotFoundError:
        raise InvalidInputError("file not found.", source=name) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"not a readable CSV file ({exc}).", source=name) from None
    time, event = read_ipd(frame, name=name)
    return pd.DataFrame({"time": time, "event": event})


def bootstrap_medians(
    time: np.ndarray, event: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Kaplan-Meier medians of ``n_boot`` bootstrap resamples (inf = not reached).

    Each replicate draws n patients with replacement (from the arm sorted
    by time); their counts are summed over the distinct times, so all
    replicates are computed at once; the median follows R's
    rule (first time at or below 0.5, the midpoint on an exact 0.5 step).
    """
    order = np.argsort(time, kind="stable")
    time, event = time[order], event[order]
    times, starts = np.unique(time, return_index=True)
    n = time.size
    draws = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
    counts = np.bincount(draws.ravel(), minlength=n_boot * n).reshape(n_boot, n)
    at_time = np.add.reduceat(counts, starts, axis=1)
    deaths = np.add.reduceat(counts * event, starts, axis=1)
    at_risk = time.size - np.cumsum(at_time, axis=1) + at_time
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(np.where(at_risk > 0, 1 - deaths / at_risk, 1.0), axis=1)
    below = survival < 0.5 + _MEDIAN_TOLERANCE
    reached = below.any(axis=1)
    first = below.argmax(axis=1)
    rows = np.arange(n_boot)
    medians = np.where(reached, times[first], np.inf)
    exact = reached & (np.abs(survival[rows, first] - 0.5) < _MEDIAN_TOLERANCE)
    for r in np.flatnonzero(exact):
        later = np.flatnonzero(survival[r] < survival[r, first[r]])
        if later.size:
            medians[r] = (times[first[r]] + times[later[0]]) / 2
    return medians


def _ratio_interval(
    boot_a: np.ndarray, boot_b: np.ndarray, conf_level: float
) -> tuple[float | None, float | None]:
    """Percentile interval of the ratio of medians; an infinite limit is ``None``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = boot_a / boot_b
    # inf / inf: both medians unreached, no ratio in that replicate.
    valid = ~np.isnan(ratios)
    alpha = 1 - conf_level
    low, high = np.quantile(ratios[valid], [alpha / 2, 1 - alpha / 2]) if valid.any() else (np.inf, np.inf)
    return (float(low) if np.isfinite(low) else None,
            float(high) if np.isfinite(high) else None)


@dataclass(frozen=True)
class SurvivalComparison:
    """Arm A against arm B: hazard ratio, log-rank, RMST, medians, landmarks.

    Attributes
    ----------
    label_a, label_b : str
    km_a, km_b : KaplanMeier
    cox : CoxHazardRatio
        Hazard of A relative to B (Efron ties).
    logrank : LogRankTest
    tau : float
        RMST horizon (months).
    rmst_a, rmst_b : RestrictedMean
    rmst_diff, rmst_diff_se, rmst_diff_ci_low, rmst_diff_ci_high : float
        A - B with a normal-theory interval, as ``survRM2::rmst2``.
    median_ratio, median_ratio_ci_low, median_ratio_ci_high : float or None
        Median A / median B with a bootstrap percentile interval; ``None``
        when a median is not reached (or a limit is unbounded).
    boot_not_reached : float
        Share of bootstrap replicates in which a median was not reached.
    landmarks : DataFrame
        ``time, survival_a, survival_b, difference, ci_low, ci_high``.
    caveats : tuple of str
        The cross-trial caveat and any approximation label.
    """

    label_a: str
    label_b: str
    km_a: KaplanMeier
    km_b: KaplanMeier
    cox: CoxHazardRatio
    logrank: LogRankTest
    tau: float
    rmst_a: RestrictedMean
    rmst_b: RestrictedMean
    rmst_diff: float
    rmst_diff_se: float
    rmst_diff_ci_low: float
    rmst_diff_ci_high: float
    median_ratio: float | None
    median_ratio_ci_low: float | None
    median_ratio_ci_high: float | None
    boot_not_reached: float
    n_boot: int
    seed: int | None
    conf_level: float
    landmarks: pd.DataFrame
    caveats: tuple[str, ...]

    @property
    def median_a(self) -> MedianSurvival:
        return self.km_a.median

    @property
    def median_b(self) -> MedianSurvival:
        return self.km_b.median

    def headline(self) -> dict:
        """The statistics of ``python -m synthesis compare``; NR medians are ``None``."""
        return {
            "hr": self.cox.hr, "hr_ci_low": self.cox.ci_low, "hr_ci_high": self.cox.ci_high,
            "logrank_p": self.logrank.p_value,
            "rmst_a": self.rmst_a.estimate, "rmst_b": self.rmst_b.estimate,
            "rmst_diff": self.rmst_diff, "rmst_diff_ci_low": self.rmst_diff_ci_low,
            "rmst_diff_ci_high": self.rmst_diff_ci_high,
            "median_a": self.median_a.estimate, "median_b": self.median_b.estimate,
            "median_ratio": self.median_ratio, "median_ratio_ci_low": self.median_ratio_ci_low,
            "median_ratio_ci_high": self.median_ratio_ci_high,
        }

    def summary_frame(self) -> pd.DataFrame:
        """One row per statistic: ``statistic, estimate, ci_low, ci_high, note``."""
        a, b = self.label_a, self.label_b

        def median_row(label, median):
            return (f"Median, {label} (months)", median.estimate, median.ci_low, median.ci_high,
                    "not reached" if not median.reached else "")

        rows = [
            (f"Hazard ratio, {a} vs {b}", self.cox.hr, self.cox.ci_low, self.cox.ci_high, "Cox, Efron ties"),
            ("Log-rank p", self.logrank.p_value, None, None, f"chi2 = {self.logrank.statistic:.2f}, 1 df"),
            (f"RMST to {self.tau:g} mo, {a}", self.rmst_a.estimate, self.rmst_a.ci_low, self.rmst_a.ci_high, ""),
            (f"RMST to {self.tau:g} mo, {b}", self.rmst_b.estimate, self.rmst_b.ci_low, self.rmst_b.ci_high, ""),
            (f"RMST difference, {a} - {b}", self.rmst_diff, self.rmst_diff_ci_low, self.rmst_diff_ci_high, ""),
            median_row(a, self.median_a),
            median_row(b, self.median_b),
            (f"Ratio of medians, {a} / {b}", self.median_ratio, self.median_ratio_ci_low,
             self.median_ratio_ci_high,
             "not estimable: a median is not reached" if self.median_ratio is None
             else f"bootstrap percentile CI, {self.n_boot} resamples"),
        ]
        rows += [
            (f"Survival at {r.time:g} mo, {a} - {b}", r.difference, r.ci_low, r.ci_high, "")
            for r in self.landmarks.itertuples()
        ]
        return pd.DataFrame(rows, columns=["statistic", "estimate", "ci_low", "ci_high", "note"])

    def to_dict(self) -> dict:
        """JSON-ready dict: the headline keys plus labels, details and caveats."""
        marks = self.landmarks.astype(object).where(pd.notna(self.landmarks), None)
        return {
            **self.headline(),
            "label_a": self.label_a, "label_b": self.label_b, "tau": self.tau,
            "median_a_text": self.median_a.text(), "median_b_text": self.median_b.text(),
            "logrank_chisq": self.logrank.statistic, "hr_p": self.cox.p_value,
            "rmst_diff_se": self.rmst_diff_se, "n_boot": self.n_boot, "seed": self.seed,
            "boot_not_reached": self.boot_not_reached, "conf_level": self.conf_level,
            "n_a": self.km_a.n, "n_b": self.km_b.n,
            "events_a": self.km_a.events, "events_b": self.km_b.events,
            "landmarks": marks.to_dict(orient="records"), "caveats": list(self.caveats),
        }


def compare_survival(
    ipd_a: pd.DataFrame,
    ipd_b: pd.DataFrame,
    *,
    tau: float | None = None,
    n_boot: int = 1000,
    seed: int | None = 20261121,
    landmarks: Sequence[float] | None = None,
    label_a: str = "A",
    label_b: str = "B",
    approximate: Sequence[str] = (),
    conf_level: float = 0.95,
) -> SurvivalComparison:
    """Compare two arms of (pseudo) individual patient data.

    Parameters
    ----------
    ipd_a, ipd_b : DataFrame
        Columns ``time`` (months) and ``event`` (1 event, 0 censored).
    tau : float, optional
        RMST horizon; default the shorter of the two arms' last follow-up
        times (the largest horizon both curves cover, as ``survRM2``).
        A horizon beyond either arm's follow-up is refused.
    n_boot : int
        Bootstrap resamples for the ratio of medians.
    seed : int, optional
        Seed of the bootstrap, for reproducible intervals.
    landmarks : sequence of float, optional
        Times for survival differences (default: those of
        :data:`DEFAULT_LANDMARKS` within both follow-ups).
    label_a, label_b : str
        Names of the arms in tables and text.
    approximate : sequence of str
        Labels of arms that are curves fitted to summary statistics; the
        comparison carries that caveat.
    conf_level : float

    Returns
    -------
    SurvivalComparison

    Notes
    -----
    Cox hazard ratio (Efron ties) and log-rank test as R's ``coxph`` and
    ``survdiff``; RMST and its difference as ``survRM2::rmst2`` (Royston &
    Parmar 2013; Uno et al. 2014); the ratio of medians with a percentile
    bootstrap interval resampling patients within arms (Efron & Tibshirani
    1993). Pseudo-IPD reconstructed from published curves (Guyot et al. 2012)
    carries the reconstruction error on top of sampling error.
    """
    if n_boot < 100:
        raise InvalidInputError(f"n_boot = {n_boot} is too few for a percentile interval; use at least 100.")
    time_a, event_a = read_ipd(ipd_a, name=label_a)
    time_b, event_b = read_ipd(ipd_b, name=label_b)
    km_a = kaplan_meier(time_a, event_a, conf_level=conf_level)
    km_b = kaplan_meier(time_b, event_b, conf_level=conf_level)
    horizon = min(km_a.max_follow_up, km_b.max_follow_up)
    if tau is None:
        tau = horizon
    for label, km in ((label_a, km_a), (label_b, km_b)):
        if tau > km.max_follow_up:
            raise InvalidInputError(
                f"tau = {tau:g} months lies beyond the follow-up of {label} "
                f"(last time {km.max_follow_up:g}); choose tau <= {horizon:g}."
            )
    rmst_a, rmst_b = km_a.restricted_mean(tau), km_b.restricted_mean(tau)
    z = float(stats.norm.ppf(0.5 + conf_level / 2))
    diff = rmst_a.estimate - rmst_b.estimate
    diff_se = math.hypot(rmst_a.std_err, rmst_b.std_err)

    time = np.concatenate([time_a, time_b])
    event = np.concatenate([event_a, event_b])
    group = np.array(["A"] * time_a.size + ["B"] * time_b.size)
    cox = cox_hazard_ratio(time, event, group, reference="B", conf_level=conf_level)
    logrank = logrank_test(time, event, group)

    ma, mb = km_a.median.estimate, km_b.median.estimate
    rng = np.random.default_rng(seed)
    boot_a = bootstrap_medians(time_a, event_a, n_boot, rng)
    boot_b = bootstrap_medians(time_b, event_b, n_boot, rng)
    not_reached = float(np.mean(~np.isfinite(boot_a) | ~np.isfinite(boot_b)))
    ratio = ratio_low = ratio_high = None
    if ma is not None and mb is not None:
        ratio = ma / mb
        ratio_low, ratio_high = _ratio_interval(boot_a, boot_b, conf_level)

    marks = [t for t in (DEFAULT_LANDMARKS if landmarks is None else landmarks) if t <= horizon]
    at_a, at_b = km_a.survival_at(marks), km_b.survival_at(marks)
    landmark_diff = at_a["survival"] - at_b["survival"]
    landmark_se = np.hypot(at_a["std_err"], at_b["std_err"])
    landmark_frame = pd.DataFrame({
        "time": np.asarray(marks, dtype=float),
        "survival_a": at_a["survival"], "survival_b": at_b["survival"],
        "difference": landmark_diff,
        "ci_low": landmark_diff - z * landmark_se, "ci_high": landmark_diff + z * landmark_se,
    })
    caveats = [CROSS_TRIAL_CAVEAT]
    caveats += [
        f"{label} is a curve {APPROXIMATE_LABEL} (parametric fit to a median, landmark rates and n), "
        "not patient data: its statistics are only as good as that fit."
        for label in approximate
    ]
    return SurvivalComparison(
        label_a=label_a, label_b=label_b, km_a=km_a, km_b=km_b, cox=cox, logrank=logrank,
        tau=float(tau), rmst_a=rmst_a, rmst_b=rmst_b, rmst_diff=diff, rmst_diff_se=diff_se,
        rmst_diff_ci_low=diff - z * diff_se, rmst_diff_ci_high=diff + z * diff_se,
        median_ratio=ratio, median_ratio_ci_low=ratio_low, median_ratio_ci_high=ratio_high,
        boot_not_reached=not_reached, n_boot=n_boot, seed=seed, conf_level=conf_level,
        landmarks=landmark_frame, caveats=tuple(caveats),
    )



def methods_paragraph(
    *,
    endpoint: str,
    populations: Sequence[str],
    n_medians: int = 0,
    n_not_reached: int = 0,
    pooled_description: str | None = None,
    comparison: SurvivalComparison | None = None,
    approximate_models: Sequence[str] = (),
) -> str:
    """A methods paragraph describing what the Compare page computed.

    Parameters
    ----------
    endpoint : str
        ``"PFS"``, ``"OS"`` or ``"DOR"``.
    populations : sequence of str
        Populations shown.
    n_medians, n_not_reached : int
        Medians lined up, and how many of them were not reached.
    pooled_description : str, optional
        :attr:`synthesis.medians.PooledMedian.description` when a pooled
        median was computed.
    comparison : SurvivalComparison, optional
        The two-arm comparison shown, if any.
    approximate_models : sequence of str
        Models fitted to summary statistics for arms without a usable curve.
    """
    parts = [
        f"Published median {endpoint} with 95% confidence intervals was extracted for "
        f"{n_medians} study result(s) ({', '.join(populations)}), together with each source's "
        "median follow-up; medians longer than the median follow-up, and medians not reached at "
        f"less than {SHORT_FOLLOW_UP_MONTHS:g} months of follow-up, were flagged as immature. "
        f"{n_not_reached} median(s) not reached were reported as such and not imputed."
    ]
    if pooled_description:
        parts.append(f"Medians were pooled by the {pooled_description}.")
    if comparison is not None:
        parts.append(
            f"Pseudo-individual patient data ({comparison.label_a}, n = {comparison.km_a.n}; "
            f"{comparison.label_b}, n = {comparison.km_b.n}) were compared with Kaplan-Meier "
            "estimates (Greenwood variance, log-transformed intervals), the log-rank test, a Cox "
            "proportional-hazards model with Efron's handling of ties, the restricted mean survival "
            f"time up to {comparison.tau:g} months (survRM2 variance), and the ratio of medians with "
            f"a {comparison.n_boot}-replicate percentile bootstrap interval (seed {comparison.seed}); "
            "computations reproduce R's survival package. This is an unadjusted cross-trial "
            "comparison."
        )
    if approximate_models:
        parts.append(
            "For studies without a usable curve, a parametric survival curve ("
            + ", ".join(sorted(set(approximate_models)))
            + ") was fitted by weighted least squares on the complementary log-log scale to the "
            "reported median, landmark rates and their confidence intervals; such curves are "
            f"labelled '{APPROXIMATE_LABEL}'."
        )
    return " ".join(parts)


def baseline_side_by_side(baseline: pd.DataFrame, source_a: str, source_b: str,
                          *, label_a: str = "A", label_b: str = "B") -> pd.DataFrame:
    """Baseline characteristics of two sources side by side, as published.

    Parameters
    ----------
    baseline : DataFrame
        ``EvidenceBase.baseline`` (``source_id, characteristic, category,
        statistic, events, n, estimate, range_low, range_high, unit``).
    source_a, source_b : str
        The sources the two arms come from.
    label_a, label_b : str
        Column headers.

    Returns
    -------
    DataFrame
        ``characteristic, category, <label_a>, <label_b>``; a cell is empty
        when that source does not report the characteristic.
    """
    def cell(row) -> str:
        if row.statistic == "proportion":
            count = "" if pd.isna(row.events) else f"{int(row.events)}/{int(row.n)} "
            return f"{count}({row.estimate:.1%})" if count else f"{row.estimate:.1%}"
        value = "" if pd.isna(row.estimate) else f"{row.estimate:g}"
        spread = "" if pd.isna(row.range_low) else f" ({row.range_low:g}-{row.range_high:g})"
        unit = "" if pd.isna(row.unit) or row.unit in ("proportion", "patients") else f" {row.unit}"
        return f"{row.statistic} {value}{spread}{unit}".strip()

    frames = []
    for source, label in ((source_a, label_a), (source_b, label_b)):
        rows = baseline[baseline["source_id"] == source]
        frames.append(pd.DataFrame({
            "characteristic": rows["characteristic"], "category": rows["category"].fillna(""),
            "arm": label, "value": [cell(r) for r in rows.itertuples()],
        }))
    both = pd.concat(frames, ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=["characteristic", "category", label_a, label_b])
    wide = both.pivot_table(index=["characteristic", "category"], columns="arm", values="value",
                            aggfunc="first", sort=False)
    return wide.reindex(columns=[label_a, label_b]).fillna("").reset_index().rename_axis(columns=None)
