"""Approximate survival curves from summary statistics (median, landmark rates, n).

Many CAR-T reports give no usable Kaplan-Meier figure, only a median with its
CI, a few landmark rates and the number treated. A parametric curve fitted to
those numbers lets such a study take part in comparisons, clearly labelled
"approximate, from summary statistics". Two models: the Weibull, and the
mixture-cure Weibull for the plateau a cured fraction produces.

References
----------
Weibull W. A statistical distribution function of wide applicability.
J Appl Mech 1951;18:293-297.
Boag JW. Maximum likelihood estimates of the proportion of patients cured by
cancer therapy. J R Stat Soc B 1949;11:15-53.
Lambert PC, Thompson JR, Weston CL, Dickman PW. Estimating and modeling the
cure fraction in population-based cancer survival analysis. Biostatistics
2007;8:576-594.
Ouwens MJNM, Mukhopadhyay P, Zhang Y, et al. Estimating lifetime benefits
associated with immuno-oncology therapies: challenges and approaches for
overall survival extrapolations. PharmacoEconomics 2019;37:1129-1138.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from synthesis.errors import InvalidInputError

#: The label every curve of this module carries into tables, charts and
#: comparisons.
APPROXIMATE_LABEL = "approximate, from summary statistics"

MODELS = {
    "exponential": "exponential, S(t) = exp(-t/scale) (when only a median is reported)",
    "weibull": "Weibull, S(t) = exp(-(t/scale)^shape)",
    "cure_weibull": "mixture-cure Weibull, S(t) = cure + (1 - cure) exp(-(t/scale)^shape)",
}

#: Penalty weight on a plateau that never lets the curve reach a reported
#: median: large enough to act as a constraint, finite so that the optimiser
#: can move back.
_NR_PENALTY = 1e3

#: A not-reached median is a constraint (the curve stays above 0.5 until the
#: follow-up); a shortfall is penalised as a residual with this standard
#: error on the cloglog scale, a thousand times tighter than any reported rate.
_CONSTRAINT_SE = 1e-3


@dataclass(frozen=True)
class ApproximateCurve:
    """A parametric survival curve fitted to published summary statistics.

    Attributes
    ----------
    model : str
        ``"weibull"`` or ``"cure_weibull"``.
    scale, shape : float
        Weibull scale (months) and shape of the uncured patients.
    cure_fraction : float
        Plateau of the curve (0 for the plain Weibull).
    n : int
        Patients the statistics rest on.
    follow_up : float
        The longest time the statistics speak about (months).
    fit : DataFrame
        Each statistic used: ``statistic, time, reported, fitted``.
    label : str
        Always :data:`APPROXIMATE_LABEL`.
    """

    model: str
    scale: float
    shape: float
    cure_fraction: float
    n: int
    follow_up: float
    fit: pd.DataFrame = field(repr=False)
    label: str = APPROXIMATE_LABEL

    def survival(self, time) -> np.ndarray:
        """Fitted survival at ``time`` (months)."""
        t = np.asarray(time, dtype=float)
        return _survival(t, self.scale, self.shape, self.cure_fraction)

    @property
    def median(self) -> float | None:
        """Fitted median in months; ``None`` when the plateau is at or above 0.5."""
        return _quantile(0.5, self.scale, self.shape, self.cure_fraction)

    def curve_frame(self, times=None) -> pd.DataFrame:
        """The curve as ``time, survival`` on a fine grid up to the follow-up."""
        t = np.linspace(0, self.follow_up, 200) if times is None else np.asarray(times, dtype=float)
        return pd.DataFrame({"time": t, "survival": self.survival(t)})

    def pseudo_ipd(self, n: int | None = None) -> pd.DataFrame:
        """A deterministic pseudo-IPD of ``n`` patients following the fitted curve.

        Event times are the fitted quantiles at ``(i - 0.5) / n``; patients
        still event-free at :attr:`follow_up` are censored there
        (administrative censoring: the statistics say nothing about how
        patients were lost earlier). Columns ``time, event``.
        """
        n = self.n if n is None else int(n)
        if n < 1:
            raise InvalidInputError("the pseudo-IPD needs at least one patient.")
        u = (np.arange(n) + 0.5) / n
        # u is the probability of having had the event by the time returned.
        times = np.array([_quantile(1 - p, self.scale, self.shape, self.cure_fraction) or np.inf for p in u])
        event = times <= self.follow_up
        return pd.DataFrame({"time": np.where(event, times, self.follow_up), "event": event.astype(int)})

    def summary_frame(self) -> pd.DataFrame:
        """The fit: reported versus fitted value of each statistic."""
        return self.fit.copy()

    def to_dict(self) -> dict:
        """JSON-ready dict of the model, its parameters and the fit."""
        return {
            "model": self.model, "description": MODELS[self.model], "scale": self.scale,
            "shape": self.shape, "cure_fraction": self.cure_fraction, "n": self.n,
            "follow_up": self.follow_up, "median": self.median, "label": self.label,
            "fit": self.fit.astype(object).where(pd.notna(self.fit), None).to_dict(orient="records"),
        }


def _survival(t: np.ndarray, scale: float, shape: float, cure: float) -> np.ndarray:
    return cure + (1 - cure) * np.exp(-np.power(np.maximum(t, 0) / scale, shape))


def _quantile(s: float, scale: float, shape: float, cure: float) -> float | None:
    """Time at which the curve falls to ``s``; ``None`` if it never does."""
    if s <= cure:
        return None
    return float(scale * (-math.log((s - cure) / (1 - cure))) ** (1 / shape))


def _cloglog(s):
    return np.log(-np.log(np.clip(s, 1e-12, 1 - 1e-12)))


def _landmark_frame(landmarks) -> pd.DataFrame:
    if landmarks is None:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in ("time", "survival", "ci_low", "ci_high")})
    frame = pd.DataFrame(landmarks).copy()
    if frame.shape[1] and not {"time", "survival"} <= set(frame.columns):
        raise InvalidInputError("landmarks need columns time and survival (and optionally ci_low, ci_high).")
    for column in ("ci_low", "ci_high"):
        if column not in frame:
            frame[column] = np.nan
    frame = frame[["time", "survival", "ci_low", "ci_high"]].astype(float)
    for i, row in enumerate(frame.itertuples(), start=1):
        if not 0 < row.survival < 1:
            raise InvalidInputError(
                f"landmark rate {row.survival} must lie strictly between 0 and 1 (give fractions, not percent).",
                source="landmarks", row=i, column="survival",
            )
        if not row.time > 0:
            raise InvalidInputError("landmark times must be positive months.", source="landmarks", row=i, column="time")
    return frame


def fit_summary_curve(
    *,
    n: int,
    median: float | None = None,
    median_ci: tuple[float | None, float | None] = (None, None),
    median_not_reached_at: float | None = None,
    landmarks: pd.DataFrame | None = None,
    model: str = "weibull",
    follow_up: float | None = None,
    conf_level: float = 0.95,
) -> ApproximateCurve:
    """Fit a Weibull or mixture-cure Weibull curve to published summary statistics.

    Parameters
    ----------
    n : int
        Number of patients the statistics rest on.
    median : float, optional
        Reported median (months).
    median_ci : tuple of float or None
        Its confidence limits; they set how closely the curve must pass
        through the median.
    median_not_reached_at : float, optional
        For a median not reached: the median follow-up, before which the
        curve must stay above 0.5 (a constraint, not a data point).
    landmarks : DataFrame, optional
        ``time, survival[, ci_low, ci_high]`` with survival as fractions.
    model : {"exponential", "weibull", "cure_weibull"}
        The exponential (one parameter) serves when only a median is known.
    follow_up : float, optional
        Horizon of the curve and of its pseudo-IPD (default: the longest
        time among the statistics).
    conf_level : float
        Coverage of the reported intervals.

    Returns
    -------
    ApproximateCurve

    Notes
    -----
    Weighted least squares on the complementary log-log scale: each
    landmark rate contributes ``(cloglog S(t) - cloglog rate) / se``, its
    standard error taken from the reported CI or else from the binomial
    ``sqrt(S (1 - S) / n)`` by the delta method; the median contributes
    ``(log t_0.5 - log median) / se``, with the se from the CI on the log
    scale (else the asymptotic se of a median, ``1 / (2 f(m) sqrt(n))``
    for an exponential). Fitting the Weibull (Weibull 1951) or the
    mixture-cure Weibull (Boag 1949; Lambert et al. 2007) this way follows
    the practice of extrapolating CAR-T survival from published summaries
    (Ouwens et al. 2019); it is an approximation and is labelled so.
    """
    if model not in MODELS:
        raise InvalidInputError(f"model must be one of {sorted(MODELS)}, got {model!r}.")
    if n is None or not n >= 1:
        raise InvalidInputError("give the number of patients n (at least 1).")
    z = stats.norm.ppf(0.5 + conf_level / 2)
    marks = _landmark_frame(landmarks)
    if median is not None and not median > 0:
        raise InvalidInputError(f"the median must be positive months, got {median}.")
    n_data = len(marks) + (median is not None)
    n_params = {"exponential": 1, "weibull": 2, "cure_weibull": 3}[model]
    if n_data < n_params:
        raise InvalidInputError(
            f"the {model} model has {n_params} parameters but only {n_data} statistic(s) were given "
            "(median and landmark rates); add landmark rates or choose a simpler model."
        )

    # Standard errors on the fitting scales.
    s_obs = marks["survival"].to_numpy()
    with np.errstate(invalid="ignore"):
        ci_se = np.abs(_cloglog(marks["ci_low"].to_numpy()) - _cloglog(marks["ci_high"].to_numpy())) / (2 * z)
    binomial_se = np.sqrt(s_obs * (1 - s_obs) / n) / (s_obs * np.abs(np.log(s_obs)))
    landmark_se = np.where(np.isfinite(ci_se) & (ci_se > 0), ci_se, binomial_se)
    median_se = None
    if median is not None:
        low, high = median_ci
        if low is not None and high is not None and 0 < low < high:
            median_se = (math.log(high) - math.log(low)) / (2 * z)
        else:
            median_se = 1 / math.sqrt(n) / math.log(2)
    times = marks["time"].to_numpy()

    def unpack(theta):
        scale = math.exp(theta[0])
        shape = 1.0 if model == "exponential" else math.exp(theta[1])
        cure = 1 / (1 + math.exp(-theta[2])) if model == "cure_weibull" else 0.0
        return scale, shape, cure

    def objective(theta):
        scale, shape, cure = unpack(theta)
        resid = (_cloglog(_survival(times, scale, shape, cure)) - _cloglog(s_obs)) / landmark_se
        total = float(np.sum(resid**2))
        if median is not None:
            fitted = _quantile(0.5, scale, shape, cure)
            # A plateau above 0.5 never reaches the median: penalise by how far it is.
            total += ((math.log(fitted) - math.log(median)) / median_se) ** 2 if fitted else (
                _NR_PENALTY * (1 + cure - 0.5)
            )
        if median_not_reached_at is not None:
            at_follow_up = _survival(np.array([median_not_reached_at]), scale, shape, cure)
            shortfall = max(float(_cloglog(at_follow_up)[0] - _cloglog(0.5)), 0.0)
            total += (shortfall / _CONSTRAINT_SE) ** 2
        return total

    anchor = median or (float(times.max()) if times.size else median_not_reached_at or 12.0)
    shapes = (None,) if model == "exponential" else (math.log(0.8), math.log(1.5))
    cures = (-2.0, 0.0) if model == "cure_weibull" else (None,)
    starts = [
        [v for v in (math.log(anchor * f), k, c) if v is not None]
        for f in (0.7, 1.5, 3.0) for k in shapes for c in cures
    ]
    best = min(
        (optimize.minimize(objective, np.array(start), method="Nelder-Mead",
                           options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 4000})
         for start in starts),
        key=lambda r: r.fun,
    )
    scale, shape, cure = unpack(best.x)

    rows = [
        {"statistic": f"survival at {t:g} mo", "time": t, "reported": s,
         "fitted": float(_survival(np.array([t]), scale, shape, cure)[0])}
        for t, s in zip(times, s_obs)
    ]
    if median is not None:
        rows.insert(0, {"statistic": "median (months)", "time": np.nan, "reported": median,
                        "fitted": _quantile(0.5, scale, shape, cure)})
    if median_not_reached_at is not None:
        rows.insert(0, {"statistic": "median not reached at follow-up", "time": median_not_reached_at,
                        "reported": 0.5, "fitted": float(_survival(np.array([median_not_reached_at]),
                                                                  scale, shape, cure)[0])})
    horizon = follow_up or max([median or 0, median_not_reached_at or 0, *times.tolist(), 1.0])
    return ApproximateCurve(
        model=model, scale=scale, shape=shape, cure_fraction=cure, n=int(n),
        follow_up=float(horizon), fit=pd.DataFrame(rows, columns=["statistic", "time", "reported", "fitted"]),
    )


def fit_from_evidence(
    results: pd.DataFrame,
    *,
    source_id: str,
    population: str = "all",
    endpoint: str = "PFS",
    model: str = "weibull",
) -> ApproximateCurve:
    """Fit :func:`fit_summary_curve` to what the evidence base holds for one study arm.

    Reads ``<endpoint>_median`` (reported or not reached), the
    ``<endpoint>_rate`` landmark rows, ``n`` and ``follow_up_median`` for
    ``source_id`` and ``population`` from the ``results`` table.
    """
    rows = results[(results["source_id"] == source_id) & (results["population"] == population)]
    med = rows[rows["outcome"] == f"{endpoint}_median"]
    rates = rows[(rows["outcome"] == f"{endpoint}_rate") & (rows["estimate_status"] == "reported")]
    follow = rows[(rows["outcome"] == "follow_up_median") & (rows["estimate_status"] == "reported")]
    follow_up = float(follow["estimate"].iloc[0]) if len(follow) else None
    n_values = pd.to_numeric(pd.concat([med["n"], rates["n"]]), errors="coerce").dropna()
    if n_values.empty:
        raise InvalidInputError(
            f"{source_id} ({population}) reports no n with its {endpoint} statistics; "
            "an approximate curve needs the number of patients."
        )
    median = median_ci = None
    not_reached_at = None
    if len(med):
        row = med.iloc[0]
        if row["estimate_status"] == "reported":
            median = float(row["estimate"])
            median_ci = (row.get("ci_low"), row.get("ci_high"))
            median_ci = tuple(None if pd.isna(v) else float(v) for v in median_ci)
        elif row["estimate_status"] == "not_reached":
            not_reached_at = follow_up
    landmarks = rates[["timepoint", "estimate", "ci_low", "ci_high"]].rename(
        columns={"timepoint": "time", "estimate": "survival"}
    )
    return fit_summary_curve(
        n=int(n_values.max()), median=median, median_ci=median_ci or (None, None),
        median_not_reached_at=not_reached_at, landmarks=landmarks, model=model,
        follow_up=max([follow_up or 0, *landmarks["time"].astype(float).tolist()]) or None,
    )
