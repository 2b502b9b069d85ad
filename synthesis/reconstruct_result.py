"""What a Kaplan-Meier reconstruction returns, and the per-arm summaries read from it.

:class:`Reconstruction` holds the pseudo individual patient data rebuilt by
:func:`synthesis.reconstruct.reconstruct_ipd` (Guyot et al. 2012) with its
diagnostics: how closely its Kaplan-Meier estimate retraces the digitized
points, and how its numbers at risk compare with the published ones
(:func:`at_risk_check`). :func:`summarise_arms` gives what a reviewer reads
off each arm's curve: median, landmark survival and restricted mean.

References
----------
Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
survival data: reconstructing the data from published Kaplan-Meier
survival curves. BMC Med Res Methodol. 2012;12:9.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthesis.survival import kaplan_meier

UNIFORM = "uniform within intervals"
AT_MARKS = "at censor marks"


@dataclass(frozen=True)
class Reconstruction:
    """Pseudo-IPD rebuilt from one Kaplan-Meier curve, with its diagnostics.

    Attributes
    ----------
    ipd : pandas.DataFrame
        One row per pseudo-patient, sorted by time: ``time`` and ``event``
        (1 = event, 0 = censored).
    fit : pandas.DataFrame
        The cleaned digitized points ``time, survival`` and the Kaplan-Meier
        estimate of ``ipd`` at those times, ``reconstructed``.
    cleaning : tuple of str
        Every change made to the input before reconstructing.
    at_risk_check : pandas.DataFrame
        Per published risk-table time: ``time, n_risk_published,
        n_risk_reconstructed, difference`` and the reconstructed ``events`` and
        ``censored`` from that time to the next.
    max_km_gap, rms_km_gap : float
        Largest and root-mean-square vertical distance between the
        reconstructed Kaplan-Meier curve and the cleaned digitized points.
    total_events : int or None
        The total number of events given as input, if any.
    censoring : str
        Where censorings were placed: ``"uniform within intervals"`` (Guyot)
        or ``"at censor marks"``.
    warnings : tuple of str
        Inputs the reconstruction could not honour exactly.
    """

    ipd: pd.DataFrame
    fit: pd.DataFrame
    cleaning: tuple[str, ...]
    at_risk_check: pd.DataFrame
    max_km_gap: float
    rms_km_gap: float
    total_events: int | None
    censoring: str
    warnings: tuple[str, ...]

    @property
    def n(self) -> int:
        """Number of pseudo-patients."""
        return len(self.ipd)

    @property
    def events(self) -> int:
        """Number of reconstructed events."""
        return int(self.ipd["event"].sum())

    @property
    def max_at_risk_difference(self) -> int:
        """Largest absolute difference between reconstructed and published numbers at risk."""
        return int(self.at_risk_check["difference"].abs().max())

    def summary_frame(self) -> pd.DataFrame:
        """One row: patients, events, censored and the fit diagnostics."""
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "events": self.events,
                    "censored": self.n - self.events,
                    "total_events_given": self.total_events,
                    "max_at_risk_difference": self.max_at_risk_difference,
                    "max_km_gap": self.max_km_gap,
                    "rms_km_gap": self.rms_km_gap,
                    "censoring": self.censoring,
                }
            ]
        )

    def to_dict(self) -> dict:
        """JSON-ready: the pseudo-IPD under ``ipd`` and everything else under ``diagnostics``."""
        summary = self.summary_frame().iloc[0].to_dict()
        return {
            "ipd": [
                {"time": float(t), "event": int(e)}
                for t, e in zip(self.ipd["time"], self.ipd["event"], strict=True)
            ],
            "diagnostics": {
                **{k: (v.item() if isinstance(v, np.generic) else v) for k, v in summary.items()},
                "cleaning": list(self.cleaning),
                "warnings": list(self.warnings),
                "at_risk_check": [
                    {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                    for row in self.at_risk_check.to_dict("records")
                ],
            },
        }


def at_risk_check(ipd: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Reconstructed numbers at risk (time >= T) against the published ones, per interval."""
    time = ipd["time"].to_numpy()
    event = ipd["event"].to_numpy()
    ticks = published["time"].to_numpy(dtype=float)
    start = np.searchsorted(time, ticks, side="left")
    stop = np.append(start[1:], time.size)
    events_cum = np.concatenate(([0], np.cumsum(event)))
    n_events = events_cum[stop] - events_cum[start]
    reconstructed = time.size - start
    return pd.DataFrame(
        {
            "time": ticks,
            "n_risk_published": published["n_risk"].to_numpy(dtype=int),
            "n_risk_reconstructed": reconstructed,
            "difference": reconstructed - published["n_risk"].to_numpy(dtype=int),
            "events": n_events,
            "censored": (stop - start) - n_events,
        }
    )


def summarise_arms(
    ipds: Mapping[str, pd.DataFrame],
    *,
    landmarks: Sequence[float] = (6.0, 12.0, 24.0),
    tau: float | None = None,
) -> pd.DataFrame:
    """Per-arm summary of (pseudo-)IPD: what a reviewer reads off each curve.

    Parameters
    ----------
    ipds : mapping of arm name to DataFrame
        Columns ``time, event``.
    landmarks : sequence of float
        Times (months) for survival with 95% CI; beyond an arm's follow-up
        they are empty.
    tau : float, optional
        RMST horizon; by default the shortest follow-up of the arms, so the
        RMSTs are comparable.

    Returns
    -------
    pandas.DataFrame
        One row per arm: ``arm, n, events, median, median_ci_low,
        median_ci_high, median_text`` (NR when not reached), for each landmark
        ``survival_<t>`` and ``survival_<t>_ci`` (text), and ``tau, rmst,
        rmst_ci_low, rmst_ci_high``. Statistics as R's survival computes them
        (see :mod:`synthesis.survival`).
    """
    curves = {arm: kaplan_meier(ipd["time"], ipd["event"]) for arm, ipd in ipds.items()}
    if not curves:
        return pd.DataFrame()
    horizon = min(km.max_follow_up for km in curves.values()) if tau is None else float(tau)
    rows = []
    for arm, km in curves.items():
        median, rmst = km.median, km.restricted_mean(horizon)
        row = {
            "arm": arm, "n": km.n, "events": km.events, "median": median.estimate,
            "median_ci_low": median.ci_low, "median_ci_high": median.ci_high, "median_text": median.text(),
        }
        for mark in km.survival_at(list(landmarks)).itertuples():
            row[f"survival_{mark.time:g}"] = mark.survival
            row[f"survival_{mark.time:g}_ci"] = (
                f"{mark.ci_low:.1%}-{mark.ci_high:.1%}" if np.isfinite(mark.survival) else ""
            )
        row.update(tau=horizon, rmst=rmst.estimate, rmst_ci_low=rmst.ci_low, rmst_ci_high=rmst.ci_high)
        rows.append(row)
    return pd.DataFrame(rows)
