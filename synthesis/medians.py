"""Median survival across studies, shown honestly and pooled without imputing.

Reviewers line up published medians ("18.0 months in LEGEND-2, 34.9 in
CARTITUDE-1"). This module builds that line-up from the evidence base with
what makes it readable: the 95% CI, the population, the product, the source's
median follow-up, and a maturity flag. A median "not reached" (NR) is not a
number; it stays NR here and enters the pooled median only as a censored
value (larger than the study's follow-up), never as an imputed number.

References
----------
McGrath S, Zhao X, Qin ZZ, Steele R, Benedetti A. One-sample aggregate data
meta-analysis of medians. Stat Med 2019;38:969-984.
McGrath S, Sohn H, Steele R, Benedetti A. Meta-analysis of the difference of
medians. Biom J 2020;62:69-98.
McGrath S, Zhao X, Ozturk O, Katzenschlager S, Steele R, Benedetti A.
metamedian: an R package for meta-analyzing studies reporting medians.
Res Synth Methods 2024;15:332-346 (``pool.med``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from synthesis.errors import InvalidInputError

#: Endpoints whose medians the page lines up, with the outcome name of the
#: evidence base's median and of its landmark rates.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "PFS": ("PFS_median", "PFS_rate"),
    "OS": ("OS_median", "OS_rate"),
    "DOR": ("DOR_median", "DOR_rate"),
}

#: A median "not reached" at a median follow-up shorter than this (months)
#: is flagged immature: published BCMA CAR-T PFS medians run from about 6 to
#: 35 months, so two years is the least follow-up at which NR says the
#: median is long rather than that the study is young.
SHORT_FOLLOW_UP_MONTHS = 24.0

METHODS = {
    "WM": "weighted median of medians (weights = sample sizes; McGrath et al. 2019)",
    "MM": "median of medians (McGrath et al. 2019)",
}

_TABLE_COLUMNS = [
    "result_id", "source_id", "label", "product", "population", "n",
    "estimate", "estimate_status", "ci_low", "ci_high", "ci_high_status",
    "follow_up", "immature", "maturity_note", "text", "superseded", "status",
]


def later_reports(sources: pd.DataFrame | None) -> dict[str, set[str]]:
    """For each source id, every later report of the same study (``sources.supersedes``, transitively)."""
    if sources is None or "supersedes" not in sources:
        return {}
    newer: dict[str, set[str]] = {}
    for new, cell in zip(sources["source_id"], sources["supersedes"]):
        for old in str(cell).split(";") if pd.notna(cell) else ():
            if old.strip():
                newer.setdefault(old.strip(), set()).add(new)
    changed = True
    while changed:
        changed = False
        for old, news in newer.items():
            extended = news.union(*(newer.get(n, set()) for n in news))
            if extended != news:
                newer[old], changed = extended, True
    return newer


def _superseded(rows: pd.DataFrame, results: pd.DataFrame, sources: pd.DataFrame | None) -> list[bool]:
    """Whether a later report of the same study gives the same outcome for the same population."""
    newer = later_reports(sources)
    given = set(zip(results["source_id"], results["outcome"], results["population"]))
    return [
        any((n, outcome, population) in given for n in newer.get(source, ()))
        for source, outcome, population in zip(rows["source_id"], rows["outcome"], rows["population"])
    ]


def _fmt(value: float | None) -> str:
    return "NR" if value is None or pd.isna(value) else f"{value:.1f}"


def median_text(estimate, estimate_status: str, ci_low, ci_high, ci_high_status: str) -> str:
    """A published median as text, e.g. ``"34.9 (25.2-NR)"`` or ``"NR (24.1-NR)"``."""
    if estimate_status == "not_estimable":
        return "not estimable"
    point = "NR" if estimate_status == "not_reached" else _fmt(estimate)
    if pd.isna(ci_low) and ci_high_status == "not_reported":
        return point
    high = {"not_reached": "NR", "not_estimable": "NE", "not_reported": "?"}.get(
        ci_high_status, _fmt(ci_high)
    )
    return f"{point} ({_fmt(ci_low)}-{high})"


def _maturity(estimate, status: str, follow_up, short_follow_up: float) -> tuple[bool | None, str]:
    if pd.isna(follow_up):
        return None, "median follow-up not reported"
    if status == "reported" and estimate > follow_up:
        return True, f"median {estimate:.1f} > follow-up {follow_up:.1f} months"
    if status == "not_reached" and follow_up < short_follow_up:
        return True, f"not reached at {follow_up:.1f} months of follow-up"
    return False, ""


def _follow_up_lookup(results: pd.DataFrame) -> dict[tuple[str, str], float]:
    follow = results[(results["outcome"] == "follow_up_median")
                     & (results["estimate_status"] == "reported")]
    return {(row.source_id, row.population): float(row.estimate) for row in follow.itertuples()}


@dataclass(frozen=True)
class MedianTable:
    """Published medians of one endpoint, one row per study result.

    Columns of :attr:`rows`: ``result_id, source_id, label, product,
    population, n, estimate, estimate_status, ci_low, ci_high,
    ci_high_status, follow_up, immature, maturity_note, text, status``.
    ``estimate`` is empty (NaN) unless ``estimate_status == "reported"``.
    """

    outcome: str
    rows: pd.DataFrame

    def summary_frame(self) -> pd.DataFrame:
        """The table (a copy)."""
        return self.rows.copy()

    def to_dict(self) -> dict:
        """JSON-ready dict; missing values are ``null``."""
        frame = self.rows.astype(object).where(pd.notna(self.rows), None)
        return {"outcome": self.outcome, "rows": frame.to_dict(orient="records")}


def median_table(
    results: pd.DataFrame,
    sources: pd.DataFrame | None = None,
    *,
    outcome: str = "PFS_median",
    populations: Sequence[str] | None = None,
    products: Sequence[str] | None = None,
    short_follow_up: float = SHORT_FOLLOW_UP_MONTHS,
    latest_only: bool = False,
) -> MedianTable:
    """Line up the published medians of ``outcome`` with their follow-up.

    Parameters
    ----------
    results : DataFrame
        The evidence base's ``results`` table (``EvidenceBase.results``).
    sources : DataFrame, optional
        ``EvidenceBase.sources``, for the short study ``label``.
    outcome : str
        ``"PFS_median"``, ``"OS_median"`` or ``"DOR_median"``.
    populations, products : sequence of str, optional
        Keep only these (default: all).
    short_follow_up : float
        Months below which a not-reached median is flagged immature.
    latest_only : bool
        Drop rows that a later report of the same study updates (same
        outcome and population).

    Returns
    -------
    MedianTable
        Sorted by product, then median. The follow-up is the source's
        ``follow_up_median`` for the same population, else for all treated.
        A row is immature when its median exceeds the follow-up, or when it
        is not reached at a follow-up shorter than ``short_follow_up``.
    """
    needed = {"source_id", "product", "population", "outcome", "estimate", "estimate_status"}
    missing = needed - set(results.columns)
    if missing:
        raise InvalidInputError(f"the results table lacks column(s) {sorted(missing)}.")
    rows = results[results["outcome"] == outcome].copy()
    if populations is not None:
        rows = rows[rows["population"].isin(populations)]
    if products is not None:
        rows = rows[rows["product"].isin(products)]
    for column in ("result_id", "n", "ci_low", "ci_high", "status"):
        if column not in rows:
            rows[column] = np.nan
    if "ci_high_status" not in rows:
        rows["ci_high_status"] = np.where(rows["ci_high"].notna(), "reported", "not_reported")
    labels = {} if sources is None else dict(zip(sources["source_id"], sources["label"]))
    if "label" not in rows:
        rows["label"] = [labels.get(s, s) for s in rows["source_id"]]
    follow = _follow_up_lookup(results)
    rows["superseded"] = _superseded(rows, results, sources)
    if latest_only:
        rows = rows[~rows["superseded"]]
    rows["follow_up"] = [
        follow.get((s, p), follow.get((s, "all"), np.nan))
        for s, p in zip(rows["source_id"], rows["population"])
    ]
    flags = [
        _maturity(e, st, f, short_follow_up)
        for e, st, f in zip(rows["estimate"], rows["estimate_status"], rows["follow_up"])
    ]
    rows["immature"] = pd.array([f[0] for f in flags], dtype="boolean")
    rows["maturity_note"] = [f[1] for f in flags]
    rows["text"] = [
        median_text(*values) for values in zip(
            rows["estimate"], rows["estimate_status"], rows["ci_low"], rows["ci_high"],
            rows["ci_high_status"],
        )
    ]
    rows = rows.sort_values(["product", "estimate", "label"], na_position="last")
    return MedianTable(outcome=outcome, rows=rows[_TABLE_COLUMNS].reset_index(drop=True))


def landmark_table(
    results: pd.DataFrame,
    *,
    outcome: str = "PFS_rate",
    populations: Sequence[str] | None = None,
    products: Sequence[str] | None = None,
    sources: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Landmark rates side by side: one row per study arm, one column per time.

    Each cell reads ``"62% (50-72)"``; columns are named ``"12 mo"``, ...
    """
    rows = results[results["outcome"] == outcome]
    if populations is not None:
        rows = rows[rows["population"].isin(populations)]
    if products is not None:
        rows = rows[rows["product"].isin(products)]
    rows = rows[rows["estimate_status"] == "reported"]
    if rows.empty:
        return pd.DataFrame(columns=["label", "product", "population"])
    labels = {} if sources is None else dict(zip(sources["source_id"], sources["label"]))
    cells = rows.assign(
        label=[labels.get(s, s) for s in rows["source_id"]],
        column=[f"{t:g} mo" for t in rows["timepoint"]],
        cell=[
            f"{e:.0%}" + ("" if pd.isna(lo) or pd.isna(hi) else f" ({lo * 100:.0f}-{hi * 100:.0f})")
            for e, lo, hi in zip(rows["estimate"], rows.get("ci_low"), rows.get("ci_high"))
        ],
    )
    wide = cells.pivot_table(index=["label", "product", "population"], columns="column",
                             values="cell", aggfunc="first")
    order = sorted(wide.columns, key=lambda c: float(c.split()[0]))
    return wide[order].fillna("").reset_index().rename_axis(columns=None)


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Quantiles of ``values`` with frequency ``weights`` (``Hmisc::wtd.quantile``).

    Equals the type-7 quantile of the sample in which each value is repeated
    ``weights`` times, the estimator ``metamedian::pool.med`` uses.
    """
    order = np.argsort(values, kind="stable")
    x, w = values[order], weights[order]
    cum = np.cumsum(w)
    total = cum[-1]
    out = []
    for p in probs:
        position = 1 + (total - 1) * p
        low = max(np.floor(position), 1.0)
        high = min(low + 1, total)
        frac = position % 1
        q_low = x[min(np.searchsorted(cum, low - 1e-9), x.size - 1)]
        q_high = x[min(np.searchsorted(cum, high - 1e-9), x.size - 1)]
        # 0 * inf is NaN: an exact order statistic needs no interpolation.
        out.append(q_low if frac == 0 else (1 - frac) * q_low + frac * q_high)
    return np.asarray(out)


@dataclass(frozen=True)
class PooledMedian:
    """Pooled median across studies, with NR medians kept as censored values.

    ``estimate_low``/``estimate_high`` bound the pooled median over every
    value the not-reached medians could take (each above its study's
    follow-up); ``estimate`` is set only when the two agree, i.e. when the
    NR studies cannot change it. ``None`` at the top means "not reached".
    """

    method: str
    k: int
    k_not_reached: int
    estimate: float | None
    estimate_low: float | None
    estimate_high: float | None
    ci_low: float | None
    ci_high: float | None
    conf_level: float
    description: str

    @property
    def identified(self) -> bool:
        """Whether the NR medians leave the pooled value undetermined."""
        return self.estimate_low == self.estimate_high

    def text(self) -> str:
        """E.g. ``"18.2 (12.0-28.1)"`` or ``"between 18.2 and NR (12.0-NR)"``."""
        point = _fmt(self.estimate) if self.identified else (
            f"between {_fmt(self.estimate_low)} and {_fmt(self.estimate_high)}"
        )
        return f"{point} ({_fmt(self.ci_low)}-{_fmt(self.ci_high)})"

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {
            "method": self.method, "k": self.k, "k_not_reached": self.k_not_reached,
            "estimate": self.estimate, "estimate_low": self.estimate_low,
            "estimate_high": self.estimate_high, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "conf_level": self.conf_level,
            "text": self.text(), "description": self.description,
        }

    def summary_frame(self) -> pd.DataFrame:
        """One row with every field."""
        return pd.DataFrame([self.to_dict()])


def pool_medians(
    medians: MedianTable | pd.DataFrame,
    *,
    method: str = "WM",
    conf_level: float = 0.95,
) -> PooledMedian:
    """Pool study medians by the (weighted) median of medians of McGrath et al.

    Parameters
    ----------
    medians : MedianTable or DataFrame
        Rows with ``estimate, estimate_status, n, follow_up``. Rows with
        ``estimate_status == "not_estimable"`` are left out.
    method : {"WM", "MM"}
        ``"WM"`` weights each study median by its sample size ``n``;
        ``"MM"`` weights studies equally.
    conf_level : float

    Returns
    -------
    PooledMedian

    Notes
    -----
    The pooled median is the (weighted) median of the study medians; its
    interval inverts the sign test with the normal approximation, taking the
    (weighted) quantiles at ``0.5 -+ z / (2 sqrt(k))`` of the k study medians,
    exactly as ``metamedian::pool.med(norm.approx = TRUE)`` (McGrath et al.
    2019). A median not reached is only known to exceed the study's median
    follow-up (right-censored); the function computes every quantile twice,
    with each NR median at that bound and at infinity, and reports the range.
    Neither placement is an imputation: the truth lies between them. When
    the follow-up of an NR study is unknown its bound is 0.
    """
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {sorted(METHODS)}, got {method!r}.")
    if not 0 < conf_level < 1:
        raise InvalidInputError(f"conf_level must lie strictly between 0 and 1, got {conf_level}.")
    frame = medians.rows if isinstance(medians, MedianTable) else medians
    frame = frame[frame["estimate_status"].isin(["reported", "not_reached"])]
    if "superseded" in frame:
        # An earlier report of the same patients would count them twice.
        frame = frame[~frame["superseded"].astype(bool)]
    if frame.empty:
        raise InvalidInputError("no study reports this median (or says it was not reached); nothing to pool.")
    nr = (frame["estimate_status"] == "not_reached").to_numpy()
    reported = frame["estimate"].to_numpy(dtype=float)
    bound = frame["follow_up"].fillna(0.0).to_numpy(dtype=float) if "follow_up" in frame else np.zeros(len(frame))
    if method == "WM":
        weights = pd.to_numeric(frame["n"], errors="coerce").to_numpy(dtype=float)
        if np.isnan(weights).any() or (weights <= 0).any():
            raise InvalidInputError(
                "the weighted median of medians needs the sample size n of every study; "
                "fill in n or use method='MM'."
            )
    else:
        weights = np.ones(len(frame))
    k = len(frame)
    spread = min(0.5, stats.norm.ppf(0.5 + conf_level / 2) / (2 * np.sqrt(k)))
    probs = (0.5 - spread, 0.5, 0.5 + spread)
    low_values = np.where(nr, bound, reported)
    high_values = np.where(nr, np.inf, reported)
    q_low = _weighted_quantiles(low_values, weights, probs)
    q_high = _weighted_quantiles(high_values, weights, probs)

    def finite(value: float) -> float | None:
        return float(value) if np.isfinite(value) else None

    estimate_low, estimate_high = finite(q_low[1]), finite(q_high[1])
    description = (
        f"{METHODS[method]}, {k} studies, {conf_level:.0%} CI by inverting the sign test "
        "(normal approximation, as metamedian::pool.med)"
    )
    if nr.any():
        description += (
            f"; {int(nr.sum())} median(s) not reached, each counted only as exceeding its "
            "study's median follow-up (censored, not imputed): the pooled value is given as the "
            "range over every value they could take"
        )
    return PooledMedian(
        method=method, k=k, k_not_reached=int(nr.sum()),
        estimate=estimate_low if estimate_low == estimate_high else None,
        estimate_low=estimate_low, estimate_high=estimate_high,
        ci_low=finite(q_low[0]), ci_high=finite(q_high[2]),
        conf_level=conf_level, description=description,
    )
