"""Meta-analysis of proportions (single-arm response and toxicity rates).

Reproduces R's metafor (Viechtbauer 2010): ``escalc`` for the logit (PLO),
Freeman-Tukey double arcsine (PFT), arcsine (PAS) and raw (PR) proportions,
``rma`` with common-effect (FE) and random-effects models (tau^2 by
DerSimonian-Laird, REML, Paule-Mandel or ML), the Knapp-Hartung (HKSJ)
adjustment, ``predict`` with the metafor back-transformations, ``leave1out``,
and ``rma.glmm(measure="PLO")``: the binomial-normal random-intercept logistic
model (Stijnen, Hamza & Ozdemir 2010) fitted by maximum likelihood with
7-point adaptive Gauss-Hermite quadrature, as lme4's ``glmer(nAGQ=7)``.

Defaults follow current R ``meta::metaprop``: logit pooled with the GLMM and
Clopper-Pearson intervals for single studies. The agreement with metafor is
checked in ``tests/test_proportions.py`` against ``tests/reference``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.stats.proportion import proportion_confint

from synthesis.errors import InvalidInputError

MEASURES: dict[str, str] = {
    "PLO": "logit of the proportion",
    "PFT": "Freeman-Tukey double arcsine",
    "PAS": "arcsine square root",
    "PR": "raw proportion",
}
METHODS: dict[str, str] = {
    "GLMM": "random-effects binomial-normal GLMM (random-intercept logistic), ML",
    "REML": "random-effects inverse-variance, tau^2 by restricted maximum likelihood",
    "DL": "random-effects inverse-variance, tau^2 by DerSimonian-Laird",
    "PM": "random-effects inverse-variance, tau^2 by Paule-Mandel",
    "ML": "random-effects inverse-variance, tau^2 by maximum likelihood",
    "FE": "common-effect (fixed-effect) inverse-variance",
}
CI_METHODS: dict[str, str] = {
    "clopper-pearson": "Clopper-Pearson exact interval",
    "wilson": "Wilson score interval",
}
PREDICTIONS: dict[str, str] = {
    "metafor": "metafor predict(): z, or t with k-1 df under Knapp-Hartung",
    "hts": "Higgins-Thompson-Spiegelhalter: t with k-2 df (R meta's default)",
}

#: Points of the adaptive Gauss-Hermite rule, as metafor's rma.glmm default.
GLMM_NAGQ = 7
#: Continuity correction added to events and non-events of a study with 0 or
#: all events (metafor escalc ``add=1/2, to="only0"``), for PLO and PR only.
CONTINUITY = 0.5

_GH_Z, _GH_W = np.polynomial.hermite_e.hermegauss(GLMM_NAGQ)
_GH_W = _GH_W / math.sqrt(2 * math.pi)


class GLMMFitError(ArithmeticError):
    """The binomial-normal GLMM cannot be fitted to these counts."""


# ---------------------------------------------------------------- input


def validate_counts(
    events: Sequence[Any],
    n: Sequence[Any],
    studies: Sequence[Any] | None = None,
    *,
    source: str | None = None,
    first_row: int = 1,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Check study counts and return them as integer arrays with labels.

    Parameters
    ----------
    events, n : sequence
        Number of patients with the outcome, and number of patients, per study.
    studies : sequence of str, optional
        Study labels (default ``"Study 1"``, ``"Study 2"``, ...).
    source : str, optional
        Name of the table the counts come from, used in messages.
    first_row : int
        Row number of the first study as the user sees it (2 for a CSV file
        opened in a spreadsheet, whose row 1 is the header).

    Raises
    ------
    InvalidInputError
        Naming the study, row and column: a missing cell, a non-integer or
        negative count, ``n = 0``, events above ``n``, or no study at all.
    """
    events = list(events)
    n = list(n)
    if len(events) != len(n):
        raise InvalidInputError("events and n have different lengths.", source=source)
    if studies is None:
        studies = [f"Study {i + 1}" for i in range(len(events))]
    studies = list(studies)
    if len(events) == 0:
        raise InvalidInputError(
            "no study to pool: add at least one row with study, events and n.", source=source
        )
    labels: list[str] = []
    for i, label in enumerate(studies):
        row = first_row + i
        if _is_missing(label) or not str(label).strip():
            raise InvalidInputError(
                "the study name is empty; give every row a study label.",
                source=source, row=row, column="study",
            )
        labels.append(str(label).strip())
    counts = {}
    for column, values in (("events", events), ("n", n)):
        parsed = []
        for i, value in enumerate(values):
            where = {"source": source, "row": first_row + i, "column": column}
            study = labels[i]
            if _is_missing(value):
                raise InvalidInputError(f"study '{study}': {column} is empty.", **where)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"study '{study}': {column} = {value!r} is not a number.", **where
                ) from None
            if not math.isfinite(number) or number != math.floor(number):
                raise InvalidInputError(
                    f"study '{study}': {column} = {value} is not a whole number of patients.",
                    **where,
                )
            if number < 0:
                raise InvalidInputError(
                    f"study '{study}': {column} = {int(number)} is negative.", **where
                )
            parsed.append(int(number))
        counts[column] = np.asarray(parsed, dtype=np.int64)
    for i, (x, size) in enumerate(zip(counts["events"], counts["n"], strict=True)):
        where = {"source": source, "row": first_row + i}
        if size == 0:
            raise InvalidInputError(
                f"study '{labels[i]}': n = 0; a study needs at least one patient.",
                column="n", **where,
            )
        if x > size:
            raise InvalidInputError(
                f"study '{labels[i]}': {x} events but only {size} patients; "
                "events cannot exceed n.",
                column="events", **where,
            )
    return counts["events"], counts["n"], labels


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def pooling_candidates(evidence: Any, outcome: str, population: str) -> pd.DataFrame:
    """Rows of the evidence base that can be pooled for one outcome and population.

    ``evidence`` is a :class:`synthesis.evidence.EvidenceBase`. Returns one row
    per result with integer ``events`` and ``n``: ``result_id``, ``study``
    (the source's label, made unique), ``product``, ``phase``, ``design``,
    ``role``, ``events``, ``n``, ``status``, ``include`` and ``why``.
    ``include`` is the suggested default: every row except context sources
    (other settings or overlapping reports) and reports superseded by a later
    non-context report of the same trial in the list, so that no patient is
    counted twice; ``why`` says why a row is not included.
    """
    rows = evidence.select(outcome=outcome, population=population)
    rows = rows[rows["events"].notna() & rows["n"].notna()].copy()
    supersedes = {
        sid: [s for s in str(value).split(";") if s] if not _is_missing(value) else []
        for sid, value in zip(
            evidence.sources["source_id"], evidence.sources["supersedes"], strict=True
        )
    }
    # only a report that is itself pooled by default can displace an older one
    present = set(rows.loc[rows["role"] != "context", "source_id"])
    superseded_by: dict[str, str] = {}
    for newer in present:
        stack = list(supersedes.get(newer, []))
        seen = set()
        while stack:  # follow chains: 5-year supersedes 4-year supersedes the 2018 subset
            older = stack.pop()
            if older in seen:
                continue
            seen.add(older)
            superseded_by.setdefault(older, newer)
            stack.extend(supersedes.get(older, []))
    labels = dict(zip(evidence.sources["source_id"], evidence.sources["label"], strict=True))
    why = []
    for r in rows.itertuples():
        if r.source_id in superseded_by:
            newer = superseded_by[r.source_id]
            why.append(f"superseded by {labels.get(newer, newer)}")
        elif getattr(r, "role", None) == "context":
            why.append("context source (other setting or overlapping report)")
        else:
            why.append("")
    rows["why"] = why
    rows["include"] = rows["why"] == ""
    rows["study"] = _unique_labels(rows["label"].tolist())
    rows["events"] = rows["events"].astype(int)
    rows["n"] = rows["n"].astype(int)
    columns = ["include", "study", "product", "phase", "design", "role", "events", "n",
               "status", "why", "result_id"]
    return rows.reindex(columns=columns).reset_index(drop=True)


def _unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} [{seen[label]}]")
    return out


# ------------------------------------------------------ transformations


def transform_proportions(
    events: np.ndarray, n: np.ndarray, measure: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effect sizes ``yi`` and sampling variances ``vi`` as metafor's ``escalc``.

    Returns ``(yi, vi, corrected)`` where ``corrected`` marks the studies that
    received the continuity correction (1/2 added to events and non-events of
    a study with 0 or all events, PLO and PR only; PAS and PFT need none).
    Variances: PLO ``1/x + 1/(n-x)``; PR ``p(1-p)/n``; PAS ``1/(4n)``;
    PFT ``1/(4n+2)`` (Freeman & Tukey 1950; Miller 1978).
    """
    x = np.asarray(events, dtype=float)
    size = np.asarray(n, dtype=float)
    corrected = np.zeros(x.shape, dtype=bool)
    if measure in ("PLO", "PR"):
        corrected = (x == 0) | (x == size)
        x = np.where(corrected, x + CONTINUITY, x)
        size = np.where(corrected, size + 2 * CONTINUITY, size)
    p = x / size
    if measure == "PLO":
        return np.log(p / (1 - p)), 1 / x + 1 / (size - x), corrected
    if measure == "PR":
        return p, p * (1 - p) / size, corrected
    if measure == "PAS":
        return np.arcsin(np.sqrt(p)), 1 / (4 * size), corrected
    if measure == "PFT":
        yi = 0.5 * (np.arcsin(np.sqrt(x / (size + 1))) + np.arcsin(np.sqrt((x + 1) / (size + 1))))
        return yi, 1 / (4 * size + 2), corrected
    raise InvalidInputError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}.")


def back_transform(values: Any, measure: str, n_harmonic: float | None = None) -> np.ndarray:
    """Map pooled values back to proportions, as metafor's ``transf`` functions.

    PLO: inverse logit; PAS: ``sin(x)^2`` clamped to [0, 1]
    (``transf.iarcsin``); PFT: Miller's (1978) inversion with the harmonic
    mean of the sample sizes (``transf.ipft.hm``); PR: unchanged (it can
    leave [0, 1], which :class:`PoolResult` flags).
    """
    x = np.asarray(values, dtype=float)
    if measure == "PLO":
        return special.expit(x)
    if measure == "PR":
        return x.copy()
    if measure == "PAS":
        return np.where(x < 0, 0.0, np.where(x > math.pi / 2, 1.0, np.sin(x) ** 2))
    if measure == "PFT":
        nhm = float(n_harmonic)
        s = np.sin(2 * x)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = 0.5 * (1 - np.sign(np.cos(2 * x)) * np.sqrt(1 - (s + (s - 1 / s) / nhm) ** 2))
        lo = 0.5 * (math.asin(math.sqrt(0 / (nhm + 1))) + math.asin(math.sqrt(1 / (nhm + 1))))
        hi = 0.5 * (math.asin(math.sqrt(nhm / (nhm + 1))) + math.asin(1.0))
        z = np.where(x > hi, 1.0, np.where(x < lo, 0.0, z))
        return z
    raise InvalidInputError(f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}.")


def harmonic_mean(n: np.ndarray) -> float:
    """Harmonic mean of the sample sizes (the ``ni`` of ``transf.ipft.hm``)."""
    return float(1 / np.mean(1 / np.asarray(n, dtype=float)))


def study_intervals(
    events: np.ndarray, n: np.ndarray, ci_method: str = "clopper-pearson", level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Per-study confidence limits: Clopper-Pearson (exact) or Wilson score."""
    method = {"clopper-pearson": "beta", "wilson": "wilson"}[ci_method]
    low, high = proportion_confint(
        np.asarray(events), np.asarray(n), alpha=1 - level, method=method
    )
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


# --------------------------------------------- inverse-variance models


@dataclass(frozen=True)
class _Fit:
    """One fitted model on the transformed scale."""

    beta: float
    se: float
    crit: float
    df: float | None  # degrees of freedom of the t quantile; None for z
    tau2: float
    q: float
    q_df: int
    q_p: float
    i2: float
    h2: float
    weights: np.ndarray  # percent
    q_lrt: float | None = None
    q_lrt_p: float | None = None


def _q_statistic(yi: np.ndarray, vi: np.ndarray) -> float:
    w = 1 / vi
    mu = np.sum(w * yi) / np.sum(w)
    return max(0.0, float(np.sum(w * (yi - mu) ** 2)))


def _typical_variance(vi: np.ndarray) -> float:
    """metafor's 'typical' within-study variance used for I^2 and H^2."""
    w = 1 / vi
    return (len(vi) - 1) / (np.sum(w) - np.sum(w**2) / np.sum(w))


def _tau2_dl(yi: np.ndarray, vi: np.ndarray) -> float:
    """DerSimonian & Laird (1986) moment estimator, truncated at 0."""
    w = 1 / vi
    q = _q_statistic(yi, vi)
    return max(0.0, (q - (len(yi) - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))


def _generalised_q(tau2: float, yi: np.ndarray, vi: np.ndarray) -> float:
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    return float(np.sum(w * (yi - mu) ** 2))


def _score(tau2: float, yi: np.ndarray, vi: np.ndarray, restricted: bool) -> float:
    """Derivative of the (restricted) log-likelihood with respect to tau^2."""
    w = 1 / (vi + tau2)
    mu = np.sum(w * yi) / np.sum(w)
    value = np.sum(w**2 * (yi - mu) ** 2) - np.sum(w)
    if restricted:
        value += np.sum(w**2) / np.sum(w)
    return float(value)


def _decreasing_root(func, start: float) -> float:
    """Root of a function positive at 0 and eventually negative."""
    upper = max(start, 1e-4)
    while func(upper) > 0:
        upper *= 4
        if upper > 1e8:
            raise InvalidInputError(
                "the between-study variance could not be estimated (it grows without bound); "
                "check the counts or use the DL method."
            )
    return optimize.brentq(func, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)


def _tau2(yi: np.ndarray, vi: np.ndarray, method: str) -> float:
    """Between-study variance by DL, PM (Paule & Mandel 1982), ML or REML.

    ML and REML solve the score equation of the (restricted) likelihood
    (Viechtbauer 2005); PM solves generalised Q = k - 1. Each is truncated
    at 0 as metafor does.
    """
    if method == "FE" or len(yi) < 2:
        return 0.0
    if method == "DL":
        return _tau2_dl(yi, vi)
    start = _tau2_dl(yi, vi) + 0.01
    if method == "PM":
        target = len(yi) - 1
        if _generalised_q(0.0, yi, vi) <= target:
            return 0.0
        return _decreasing_root(lambda t: _generalised_q(t, yi, vi) - target, start)
    restricted = method == "REML"
    if _score(0.0, yi, vi, restricted) <= 0:
        return 0.0
    return _decreasing_root(lambda t: _score(t, yi, vi, restricted), start)


def _heterogeneity(yi: np.ndarray, vi: np.ndarray, tau2: float, common: bool):
    """Q, its df and p, and I^2 (%) and H^2 as metafor reports them."""
    k = len(yi)
    if k < 2:
        return 0.0, 0, 1.0, 0.0, 1.0
    q = _q_statistic(yi, vi)
    q_p = float(stats.chi2.sf(q, k - 1))
    if common:
        i2 = max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0
        h2 = q / (k - 1)
    else:
        vt = _typical_variance(vi)
        i2 = 100 * tau2 / (vt + tau2)
        h2 = tau2 / vt + 1
    return q, k - 1, q_p, float(i2), float(h2)


def _fit_inverse_variance(
    yi: np.ndarray, vi: np.ndarray, method: str, hksj: bool, level: float
) -> _Fit:
    """metafor's ``rma.uni`` for an intercept-only model (z or Knapp-Hartung)."""
    k = len(yi)
    tau2 = _tau2(yi, vi, method)
    w = 1 / (vi + tau2)
    beta = float(np.sum(w * yi) / np.sum(w))
    se = math.sqrt(1 / np.sum(w))
    df = None
    crit = float(stats.norm.ppf(0.5 + level / 2))
    if hksj and k > 1:
        # Knapp & Hartung (2003) without ad hoc truncation, as metafor's test="knha"
        rss = float(np.sum(w * (yi - beta) ** 2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - 1)
        se = math.sqrt(s2w) * se
        df = k - 1
        crit = float(stats.t.ppf(0.5 + level / 2, df))
    q, q_df, q_p, i2, h2 = _heterogeneity(yi, vi, tau2, common=method == "FE")
    return _Fit(beta, se, crit, df, tau2, q, q_df, q_p, i2, h2, 100 * w / np.sum(w))


# ----------------------------------------------------------------- GLMM


def _binomial_deviance(x, m, size, eta):
    """Binomial deviance residuals (prior weight n) at linear predictor eta."""
    return 2 * (
        special.xlogy(x, x) - special.xlogy(x, size) - x * special.log_expit(eta)
        + special.xlogy(m, m) - special.xlogy(m, size) - m * special.log_expit(-eta)
    )


def _glmm_deviance(
    params: np.ndarray, x: np.ndarray, size: np.ndarray, modes: np.ndarray | None = None
) -> float:
    """Deviance of the random-intercept logistic model by adaptive GHQ.

    The same approximation as lme4's ``glmerAGQ``: per study, the conditional
    mode of the spherical random effect u, the conditional precision
    ``1 + theta^2 n mu (1 - mu)`` there, and ``GLMM_NAGQ`` Gauss-Hermite
    nodes centred and scaled on it (Pinheiro & Bates 1995).

    ``modes``, if given, holds the conditional modes of the previous call as
    a warm start and is updated in place.
    """
    theta, beta = abs(float(params[0])), float(params[1])
    m = size - x

    def penalised(u: np.ndarray) -> np.ndarray:
        return u**2 + _binomial_deviance(x, m, size, beta + theta * u)

    u = np.zeros_like(x) if modes is None else modes.copy()
    current = penalised(u)
    for _ in range(200):
        mu = special.expit(beta + theta * u)
        step = (theta * (x - size * mu) - u) / (1 + theta**2 * size * mu * (1 - mu))
        # Newton on a convex function can overshoot for large theta: halve
        # the step of any study whose penalised deviance would increase.
        for _ in range(60):
            candidate = penalised(u + step)
            worse = candidate > current + 1e-12 * (1 + np.abs(current))
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        u = u + step
        current = penalised(u)
        if np.max(np.abs(step)) < 1e-11:
            break
    else:
        raise GLMMFitError("the conditional modes did not converge")
    if modes is not None:
        modes[:] = u
    mu = special.expit(beta + theta * u)
    precision = 1 + theta**2 * size * mu * (1 - mu)
    devc0 = u**2 + _binomial_deviance(x, m, size, beta + theta * u)
    sd = 1 / np.sqrt(precision)
    nodes = u[:, None] + _GH_Z[None, :] * sd[:, None]
    devc = nodes**2 + _binomial_deviance(
        x[:, None], m[:, None], size[:, None], beta + theta * nodes
    )
    mult = np.sum(_GH_W * np.exp(-0.5 * (devc - devc0[:, None]) + _GH_Z**2 / 2), axis=1)
    return float(np.sum(devc0) + np.sum(np.log(precision)) - 2 * np.sum(np.log(mult)))


def _hessian(func, point: np.ndarray, step: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradient and Hessian (as lme4's ``deriv12``)."""
    dim = len(point)
    grad = np.zeros(dim)
    hess = np.zeros((dim, dim))
    f0 = func(point)
    eye = np.eye(dim) * step
    for i in range(dim):
        fp, fm = func(point + eye[i]), func(point - eye[i])
        grad[i] = (fp - fm) / (2 * step)
        hess[i, i] = (fp - 2 * f0 + fm) / step**2
        for j in range(i):
            fpp = func(point + eye[i] + eye[j])
            fpm = func(point + eye[i] - eye[j])
            fmp = func(point - eye[i] + eye[j])
            fmm = func(point - eye[i] - eye[j])
            hess[i, j] = hess[j, i] = (fpp - fpm - fmp + fmm) / (4 * step**2)
    return grad, hess


def _fit_glmm(events: np.ndarray, n: np.ndarray, hksj: bool, level: float) -> _Fit:
    """Binomial-normal random-intercept logistic model by ML (Stijnen et al. 2010).

    Maximises the 7-point adaptive Gauss-Hermite likelihood over
    ``(theta, beta)`` (``tau^2 = theta^2``); the standard error comes from the
    inverse Hessian of the deviance, as lme4's ``vcov``. Heterogeneity: the
    Wald-type Q of the saturated model and the likelihood-ratio statistic, and
    I^2/H^2 from the typical within-study variance of the escalc logits, as
    metafor's ``rma.glmm``. ``hksj`` gives t(k-1) intervals (``test="t"``).

    Raises
    ------
    GLMMFitError
        With k = 1, when every study has zero (or all) events, or when the
        optimisation does not converge.
    """
    k = len(events)
    if k < 2:
        raise GLMMFitError("the GLMM needs at least two studies")
    if np.all(events == 0):
        raise GLMMFitError("every study has zero events")
    if np.all(events == n):
        raise GLMMFitError("every study has all patients with the event")
    x = events.astype(float)
    size = n.astype(float)

    modes = np.zeros_like(x)

    def deviance(params: np.ndarray) -> float:
        return _glmm_deviance(params, x, size, modes)

    beta_fe = math.log(x.sum() / (size.sum() - x.sum()))
    best = None
    for theta0 in (1.0, 0.1):
        fit = optimize.minimize(
            deviance, np.array([theta0, beta_fe]), method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000},
        )
        if best is None or fit.fun < best.fun:
            best = fit
    if not best.success or not np.all(np.isfinite(best.x)):
        raise GLMMFitError(f"the optimiser did not converge ({best.message})")
    point = np.array([abs(best.x[0]), best.x[1]])
    # Newton polish from Nelder-Mead's ~1e-7 to ~1e-10 (lme4's bobyqa stops near 1e-6)
    for _ in range(4):
        grad, hess = _hessian(deviance, point)
        if point[0] < 1e-6:
            point[0] = 0.0
            grad[0] = 0.0
            hess[0, 1] = hess[1, 0] = 0.0
            point[1] -= grad[1] / hess[1, 1]
            continue
        if np.all(np.linalg.eigvalsh(hess) > 0):
            point = point - np.linalg.solve(hess, grad)
            point[0] = abs(point[0])
    _, hess = _hessian(deviance, point)
    if point[0] < 1e-6:
        hess[0, 1] = hess[1, 0] = 0.0
        hess[0, 0] = max(hess[0, 0], 1.0)
    try:
        cov = 2 * np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        raise GLMMFitError("the information matrix is singular") from None
    if not (np.isfinite(cov[1, 1]) and cov[1, 1] > 0) or abs(point[1]) > 25 or point[0] > 30:
        raise GLMMFitError("the fit did not converge to a usable estimate")
    theta, beta = float(point[0]), float(point[1])
    tau2 = theta**2
    se = math.sqrt(cov[1, 1])
    df = k - 1 if hksj else None
    crit = float(stats.t.ppf(0.5 + level / 2, df) if hksj else stats.norm.ppf(0.5 + level / 2))

    yi, vi, _ = transform_proportions(events, n, "PLO")
    vt = _typical_variance(vi)
    # Wald test of the saturated model: studies with 0 or all events have
    # unbounded logits and contribute nothing in the limit glm() approaches.
    inner = (events > 0) & (events < n)
    q = _q_statistic(np.log(x[inner] / (size - x)[inner]), 1 / x[inner] + 1 / (size - x)[inner]) \
        if inner.sum() > 1 else 0.0
    p_pooled = x.sum() / size.sum()
    lrt = max(0.0, float(np.sum(_binomial_deviance(x, size - x, size, special.logit(p_pooled)))))
    w = 1 / (vi + tau2)
    return _Fit(
        beta=beta, se=se, crit=crit, df=df, tau2=tau2,
        q=q, q_df=k - 1, q_p=float(stats.chi2.sf(q, k - 1)),
        i2=float(100 * tau2 / (vt + tau2)), h2=float(tau2 / vt + 1),
        weights=100 * w / np.sum(w),
        q_lrt=lrt, q_lrt_p=float(stats.chi2.sf(lrt, k - 1)),
    )


# ------------------------------------------------------------- results


@dataclass(frozen=True)
class SubgroupTest:
    """Test for subgroup differences: Q between subgroup estimates (chi^2, G-1 df)."""

    q: float
    df: int
    p: float

    def to_dict(self) -> dict[str, float]:
        return {"q": self.q, "df": self.df, "p": self.p}


@dataclass(frozen=True)
class LeaveOneOut:
    """Pooled results with each study left out in turn (metafor ``leave1out``)."""

    table: pd.DataFrame

    def summary_frame(self) -> pd.DataFrame:
        """One row per omitted study: estimate, CI, tau^2, I^2 (%), Q."""
        return self.table.copy()

    def to_dict(self) -> list[dict[str, Any]]:
        return _records(self.table)


@dataclass(frozen=True, eq=False)
class PoolResult:
    """A pooled proportion with its heterogeneity, studies and subgroups.

    Proportions (``estimate``, ``ci_*``, ``pi_*``) are fractions 0-1 on the
    original scale; ``beta``, ``se`` and ``tau2`` are on the scale of
    ``measure``. ``weights`` are percentages. ``notes`` says in words every
    correction, fallback and caveat a reader must know.
    """

    measure: str
    method: str
    method_requested: str
    hksj: bool
    level: float
    ci_method: str
    prediction: str
    k: int
    beta: float
    se: float
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    q_lrt: float | None
    q_lrt_p: float | None
    studies: pd.DataFrame
    notes: tuple[str, ...] = ()
    fallback_reason: str | None = None
    out_of_range: bool = False
    n_harmonic: float | None = None
    label: str | None = None
    subgroup_column: str | None = None
    subgroups: tuple[PoolResult, ...] = ()
    test_between: SubgroupTest | None = None
    _options: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def tau(self) -> float:
        """Between-study standard deviation on the transformed scale."""
        return math.sqrt(self.tau2)

    def summary_frame(self) -> pd.DataFrame:
        """Per-study rows, then pooled rows (per subgroup, then overall).

        Columns: ``row_type`` (study, pooled, prediction), ``subgroup``,
        ``study``, ``events``, ``n``, ``proportion``, ``ci_low``, ``ci_high``,
        ``weight`` (percent of its analysis).
        """
        rows = []
        for part in (self.subgroups or (self,)):
            table = part.studies.assign(row_type="study", subgroup=part.label)
            rows.append(table[_FRAME_COLUMNS])
            if self.subgroups:
                rows.append(pd.DataFrame(part._pooled_rows(part.label)))
        rows.append(pd.DataFrame(self._pooled_rows("Overall")))
        frame = pd.concat(rows, ignore_index=True)[_FRAME_COLUMNS]
        return frame.astype({"events": "Int64", "n": "Int64"})

    def _pooled_rows(self, prefix: str) -> list[dict[str, Any]]:
        rows = [{
            "row_type": "pooled", "subgroup": self.label,
            "study": f"{prefix}: pooled ({self.method})",
            "events": int(self.studies["events"].sum()), "n": int(self.studies["n"].sum()),
            "proportion": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high,
            "weight": 100.0,
        }]
        if self.pi_low is not None:
            rows.append({
                "row_type": "prediction", "subgroup": self.label,
                "study": f"{prefix}: prediction interval", "events": None, "n": None,
                "proportion": None, "ci_low": self.pi_low, "ci_high": self.pi_high,
                "weight": None,
            })
        return rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result; keys as the ``pool`` command documents them."""
        out: dict[str, Any] = {
            "k": self.k, "estimate": self.estimate, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "pi_low": self.pi_low, "pi_high": self.pi_high,
            "tau2": self.tau2, "tau": self.tau, "i2": self.i2, "h2": self.h2,
            "q": self.q, "q_df": self.q_df, "q_p": self.q_p,
            "measure": self.measure, "method": self.method,
            "method_requested": self.method_requested, "hksj": self.hksj,
            "level": self.level, "ci_method": self.ci_method, "prediction": self.prediction,
            "notes": list(self.notes),
            "studies": _records(self.studies[list(_STUDY_KEYS)]),
        }
        if self.q_lrt is not None:
            out["q_lrt"], out["q_lrt_p"] = self.q_lrt, self.q_lrt_p
        if self.subgroup_column is not None:
            out["subgroup_column"] = self.subgroup_column
            out["subgroups"] = [
                {"subgroup": g.label,
                 **{k: v for k, v in g.to_dict().items() if k not in _GROUP_DROP}}
                for g in self.subgroups
            ]
            out["test_between"] = self.test_between.to_dict() if self.test_between else None
        return out

    def leave_one_out(self) -> LeaveOneOut:
        """Refit without each study in turn, with the same settings.

        For PFT the back-transformation keeps the harmonic mean of all k
        sample sizes, as metafor's ``leave1out`` with ``targs``.
        """
        if self.k < 2:
            raise InvalidInputError("leave-one-out needs at least two studies.")
        events = self.studies["events"].to_numpy()
        n = self.studies["n"].to_numpy()
        labels = self.studies["study"].tolist()
        rows = []
        for i, label in enumerate(labels):
            keep = np.arange(self.k) != i
            fit = _pool(
                events[keep], n[keep], [s for j, s in enumerate(labels) if j != i],
                n_harmonic=self.n_harmonic, **self._options,
            )
            rows.append({
                "omitted": label, "k": fit.k, "estimate": fit.estimate, "ci_low": fit.ci_low,
                "ci_high": fit.ci_high, "tau2": fit.tau2, "i2": fit.i2, "q": fit.q,
                "q_p": fit.q_p, "method": fit.method,
            })
        return LeaveOneOut(pd.DataFrame(rows))


_STUDY_KEYS = ("study", "events", "n", "proportion", "ci_low", "ci_high", "weight")
_FRAME_COLUMNS = ["row_type", "subgroup", *_STUDY_KEYS]
_GROUP_DROP = {"studies", "measure", "hksj", "level", "ci_method", "prediction"}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in record.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


# ------------------------------------------------------------- pooling


def pool_proportions(
    events: Sequence[Any],
    n: Sequence[Any],
    *,
    measure: str = "PLO",
    method: str = "GLMM",
    hksj: bool = False,
    ci_method: str = "clopper-pearson",
    level: float = 0.95,
    studies: Sequence[Any] | None = None,
    subgroup: Sequence[Any] | None = None,
    subgroup_column: str = "subgroup",
    prediction: str = "metafor",
    source: str | None = None,
    first_row: int = 1,
) -> PoolResult:
    """Pool single-arm proportions (response or adverse-event rates).

    Parameters
    ----------
    events, n : sequence of int
        Patients with the outcome and patients evaluated, per study.
    measure : {"PLO", "PFT", "PAS", "PR"}
        Scale of pooling: logit, Freeman-Tukey double arcsine (back-transformed
        with the harmonic-mean n, Miller 1978), arcsine, or raw proportion.
    method : {"GLMM", "REML", "DL", "PM", "ML", "FE"}
        ``GLMM``: binomial-normal random-intercept logistic model (PLO only;
        Stijnen et al. 2010), no continuity correction needed. Otherwise
        inverse-variance pooling with tau^2 by REML, DerSimonian-Laird,
        Paule-Mandel or ML, or a common-effect model (FE).
    hksj : bool
        Knapp-Hartung (Hartung-Knapp-Sidik-Jonkman) intervals with t(k-1)
        (Knapp & Hartung 2003); for the GLMM, t(k-1) intervals.
    ci_method : {"clopper-pearson", "wilson"}
        Confidence intervals shown for single studies.
    level : float
        Confidence level, between 0 and 1.
    studies : sequence of str, optional
        Study labels.
    subgroup : sequence, optional
        Subgroup of each study; adds per-subgroup models (same settings) and
        the test for subgroup differences (Q between the subgroup estimates).
    subgroup_column : str
        Name of the subgrouping variable, for display.
    prediction : {"metafor", "hts"}
        Prediction interval as metafor's ``predict`` (z, or t(k-1) with HKSJ)
        or Higgins, Thompson & Spiegelhalter (2009) with t(k-2) (needs k >= 3).
    source, first_row : str, int
        Where the rows come from, for error messages (see
        :func:`validate_counts`).

    Returns
    -------
    PoolResult

    Notes
    -----
    If the GLMM cannot be fitted (k = 1, no events at all, all events, no
    convergence) the result falls back to inverse-variance logit with REML,
    with the reason in ``fallback_reason`` and ``notes``. Matches metafor 3.8
    to 1e-6 (GLMM to 1e-4), see ``tests/reference/proportions.R``.

    References
    ----------
    Viechtbauer W (2010) J Stat Softw 36(3). Stijnen T, Hamza TH, Ozdemir P
    (2010) Stat Med 29:3046. Knapp G, Hartung J (2003) Stat Med 22:2693.
    Miller JJ (1978) Am Stat 32:138. Schwarzer G et al. (2019) Res Synth
    Methods 10:476. Higgins JPT, Thompson SG, Spiegelhalter DJ (2009) JRSS A
    172:137.
    """
    measure = _choice(measure, MEASURES, "measure")
    method = _choice(method, METHODS, "method")
    ci_method = _choice(ci_method, CI_METHODS, "ci_method", upper=False)
    prediction = _choice(prediction, PREDICTIONS, "prediction", upper=False)
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InvalidInputError(f"level = {level!r} must be between 0 and 1 (e.g. 0.95).")
    if method == "GLMM" and measure != "PLO":
        raise InvalidInputError(
            f"the GLMM pools on the logit scale: use measure PLO with GLMM, "
            f"or an inverse-variance method (REML, DL, PM, ML, FE) with {measure}."
        )
    x, size, labels = validate_counts(events, n, studies, source=source, first_row=first_row)
    options = {
        "measure": measure, "method": method, "hksj": bool(hksj),
        "ci_method": ci_method, "level": float(level), "prediction": prediction,
    }
    overall = _pool(x, size, labels, **options)
    if subgroup is None:
        return overall
    groups = [None if _is_missing(g) else str(g) for g in subgroup]
    if len(groups) != len(labels):
        raise InvalidInputError("subgroup must give one value per study.", column=subgroup_column)
    for i, g in enumerate(groups):
        if g is None:
            raise InvalidInputError(
                f"study '{labels[i]}' has no {subgroup_column}; fill it in or drop the study.",
                source=source, row=first_row + i, column=subgroup_column,
            )
    parts = []
    for name in dict.fromkeys(groups):
        keep = np.array([g == name for g in groups])
        names = [s for s, k in zip(labels, keep, strict=True) if k]
        part = _pool(x[keep], size[keep], names, **options)
        parts.append(replace(part, label=name))
    test = None
    if len(parts) > 1:
        b = np.array([p.beta for p in parts])
        v = np.array([p.se**2 for p in parts])
        if np.all(v > 0):
            qb = _q_statistic(b, v)
            test = SubgroupTest(qb, len(parts) - 1, float(stats.chi2.sf(qb, len(parts) - 1)))
    return replace(
        overall, subgroups=tuple(parts), test_between=test, subgroup_column=subgroup_column
    )


def _choice(value: str, allowed: dict[str, str], name: str, upper: bool = True) -> str:
    key = str(value).strip()
    key = key.upper() if upper else key.lower()
    if key not in allowed:
        raise InvalidInputError(f"{name} = {value!r} is not one of {', '.join(allowed)}.")
    return key


def _pool(
    x: np.ndarray,
    size: np.ndarray,
    labels: list[str],
    *,
    measure: str,
    method: str,
    hksj: bool,
    ci_method: str,
    level: float,
    prediction: str,
    n_harmonic: float | None = None,
) -> PoolResult:
    """Fit one model to validated counts (no subgroups)."""
    options = {
        "measure": measure, "method": method, "hksj": hksj, "ci_method": ci_method,
        "level": level, "prediction": prediction,
    }
    k = len(x)
    notes: list[str] = []
    yi, vi, corrected = transform_proportions(x, size, measure)
    used = method
    fallback = None
    fit = None
    if method == "GLMM":
        try:
            fit = _fit_glmm(x, size, hksj, level)
        except GLMMFitError as exc:
            fallback = str(exc)
            used = "REML"
            notes.append(
                f"The GLMM could not be fitted ({fallback}); pooled instead with "
                "inverse-variance logit and REML."
            )
    if fit is None:
        if hksj and k < 2:
            notes.append("Knapp-Hartung needs at least two studies; z-based interval shown.")
        fit = _fit_inverse_variance(yi, vi, used, hksj and k > 1, level)
    if corrected.any():
        names = ", ".join(f"'{s}'" for s, c in zip(labels, corrected, strict=True) if c)
        if used == "GLMM":
            notes.append(
                f"No continuity correction in the GLMM; 1/2 was added to events and "
                f"non-events of {names} (0 or all events) only for I^2 and the Wald-type Q."
            )
        else:
            notes.append(
                f"1/2 was added to events and non-events of {names} (0 or all events) "
                "before the transformation (metafor's default add=1/2, to='only0')."
            )
    if used == "GLMM":
        notes.append(
            "Study weights for the GLMM are approximate inverse-variance weights "
            "(1/(v_i + tau^2)); the GLMM itself has no study weights."
        )
    if measure == "PFT":
        notes.append(
            "Freeman-Tukey back-transformation uses the harmonic mean of the sample sizes; "
            "it can mislead when study sizes differ (Schwarzer et al. 2019)."
        )
    nhm = n_harmonic if n_harmonic is not None else harmonic_mean(size)
    ci_t = (fit.beta - fit.crit * fit.se, fit.beta + fit.crit * fit.se)
    pi_t = _prediction_interval(fit, k, prediction, level, notes)
    est, lo, hi = back_transform([fit.beta, *ci_t], measure, nhm)
    pi = back_transform(list(pi_t), measure, nhm) if pi_t else None
    out_of_range = False
    shown = [("confidence interval", lo, hi)]
    if pi is not None:
        shown.append(("prediction interval", *pi))
    for what, a, b in shown:
        if a < 0 or b > 1:
            out_of_range = True
            notes.append(
                f"The {what} on the raw scale ({a:.3f} to {b:.3f}) extends beyond [0, 1]; "
                "a proportion cannot; prefer the logit (PLO) or the GLMM."
            )
    low, high = study_intervals(x, size, ci_method, level)
    table = pd.DataFrame({
        "study": labels, "events": x, "n": size, "proportion": x / size,
        "ci_low": low, "ci_high": high, "weight": fit.weights,
        "yi": yi, "vi": vi, "corrected": corrected,
    })
    return PoolResult(
        measure=measure, method=used, method_requested=method, hksj=hksj, level=level,
        ci_method=ci_method, prediction=prediction, k=k, beta=fit.beta, se=fit.se,
        estimate=float(est), ci_low=float(lo), ci_high=float(hi),
        pi_low=None if pi is None else float(pi[0]), pi_high=None if pi is None else float(pi[1]),
        tau2=fit.tau2, i2=fit.i2, h2=fit.h2, q=fit.q, q_df=fit.q_df, q_p=fit.q_p,
        q_lrt=fit.q_lrt, q_lrt_p=fit.q_lrt_p, studies=table, notes=tuple(notes),
        fallback_reason=fallback, out_of_range=out_of_range, n_harmonic=nhm,
        _options=options,
    )


def _prediction_interval(
    fit: _Fit, k: int, prediction: str, level: float, notes: list[str]
) -> tuple[float, float] | None:
    spread = math.sqrt(fit.se**2 + fit.tau2)
    if prediction == "hts":
        if k < 3:
            notes.append("The Higgins-Thompson-Spiegelhalter prediction interval needs k >= 3.")
            return None
        crit = float(stats.t.ppf(0.5 + level / 2, k - 2))
    else:
        crit = fit.crit
    return fit.beta - crit * spread, fit.beta + crit * spread
