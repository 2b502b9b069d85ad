"""Parametric curves fitted to summary statistics recover the curve they came from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthesis.approximate import (
    APPROXIMATE_LABEL,
    fit_from_evidence,
    fit_summary_curve,
)
from synthesis.errors import InvalidInputError
from synthesis.survival import kaplan_meier

#: Fitting exact (noise-free) statistics should recover the parameters up to
#: the optimiser's tolerance.
PARAM_RTOL = 1e-4


def weibull(t, scale, shape, cure=0.0):
    return cure + (1 - cure) * np.exp(-(np.asarray(t, float) / scale) ** shape)


def test_weibull_recovered_from_median_and_rates():
    times = np.array([6.0, 12.0, 24.0])
    median = 20 * np.log(2) ** (1 / 1.3)
    curve = fit_summary_curve(
        n=100, median=median, landmarks=pd.DataFrame({"time": times, "survival": weibull(times, 20, 1.3)})
    )
    assert curve.scale == pytest.approx(20, rel=PARAM_RTOL)
    assert curve.shape == pytest.approx(1.3, rel=PARAM_RTOL)
    assert curve.cure_fraction == 0
    assert curve.median == pytest.approx(median, rel=PARAM_RTOL)
    assert curve.label == APPROXIMATE_LABEL


def test_cure_model_recovers_plateau():
    times = np.array([6.0, 12.0, 24.0, 36.0])
    rates = weibull(times, 8, 1.2, 0.4)
    median = 8 * (-np.log((0.5 - 0.4) / 0.6)) ** (1 / 1.2)
    curve = fit_summary_curve(
        n=100, median=median, median_ci=(10.0, 18.0),
        landmarks=pd.DataFrame({"time": times, "survival": rates}), model="cure_weibull",
    )
    assert curve.cure_fraction == pytest.approx(0.4, abs=1e-4)
    assert curve.fit["fitted"].to_numpy() == pytest.approx(curve.fit["reported"].to_numpy(), rel=1e-4)


def test_not_reached_median_keeps_curve_above_half():
    landmarks = pd.DataFrame({"time": [6.0, 12.0], "survival": [0.8, 0.6], "ci_low": [0.7, 0.5],
                              "ci_high": [0.88, 0.7]})
    curve = fit_summary_curve(n=80, median_not_reached_at=30.0, landmarks=landmarks)
    assert curve.survival([30.0])[0] >= 0.5 - 1e-3
    assert curve.median is None or curve.median >= 30.0 - 0.1


def test_pseudo_ipd_follows_the_curve():
    times = np.array([6.0, 12.0, 24.0])
    curve = fit_summary_curve(n=400, landmarks=pd.DataFrame({"time": times, "survival": weibull(times, 15, 1.1, 0.3)}),
                              model="cure_weibull", follow_up=36.0)
    ipd = curve.pseudo_ipd()
    assert len(ipd) == 400 and set(ipd.columns) == {"time", "event"}
    assert ipd["time"].max() <= 36.0
    km = kaplan_meier(ipd["time"], ipd["event"])
    got = km.survival_at(times)["survival"].to_numpy()
    # Deterministic quantiles: the KM of n patients is within 1/n of the curve.
    assert np.max(np.abs(got - curve.survival(times))) <= 1 / 400 + 1e-9


def test_too_few_statistics_for_the_model():
    with pytest.raises(InvalidInputError, match="parameters"):
        fit_summary_curve(n=50, median=10.0, model="weibull")
    with pytest.raises(InvalidInputError, match="parameters"):
        fit_summary_curve(n=50, median=10.0, landmarks=pd.DataFrame({"time": [12.0], "survival": [0.4]}),
                          model="cure_weibull")


@pytest.mark.parametrize("rate", [0.0, 1.0, 45.0])
def test_bad_landmark_rate(rate):
    with pytest.raises(InvalidInputError, match="between 0 and 1"):
        fit_summary_curve(n=50, median=10.0, landmarks=pd.DataFrame({"time": [12.0], "survival": [rate]}))


def test_fit_from_evidence_rows():
    results = pd.DataFrame(
        [
            ("S1", "all", "PFS_median", 60, 14.0, "reported", 10.0, 20.0, np.nan),
            ("S1", "all", "PFS_rate", 60, 0.62, "reported", 0.5, 0.72, 12.0),
            ("S1", "all", "PFS_rate", 60, 0.35, "reported", 0.22, 0.48, 24.0),
            ("S1", "all", "follow_up_median", 60, 26.0, "reported", np.nan, np.nan, np.nan),
        ],
        columns=["source_id", "population", "outcome", "n", "estimate", "estimate_status", "ci_low", "ci_high", "timepoint"],
    )
    curve = fit_from_evidence(results, source_id="S1", endpoint="PFS")
    assert curve.n == 60 and curve.follow_up == 26.0
    # The three statistics pull apart slightly; the compromise stays inside every reported CI.
    assert 10.0 < curve.median < 20.0
    assert 0.5 < curve.survival([12.0])[0] < 0.72 and 0.22 < curve.survival([24.0])[0] < 0.48
    assert curve.to_dict()["label"] == APPROXIMATE_LABEL
    with pytest.raises(InvalidInputError, match="no n"):
        fit_from_evidence(results.assign(n=np.nan), source_id="S1")


def test_exponential_from_median_alone():
    curve = fit_summary_curve(n=128, median=8.8, median_ci=(5.6, 11.6), model="exponential")
    assert curve.shape == 1.0
    assert curve.median == pytest.approx(8.8, rel=1e-6)


def test_cure_fit_to_kaplan_meier_summaries_tracks_the_true_curve():
    """Summaries of a simulated trial (median, 3 landmark rates, CIs) give back its curve."""
    rng = np.random.default_rng(5)
    n = 400
    cured = rng.random(n) < 0.35
    event_time = np.where(cured, np.inf, 9.0 * rng.weibull(1.2, n))
    censor = rng.uniform(30, 48, n)
    time = np.minimum(event_time, censor)
    km = kaplan_meier(time, (event_time <= censor).astype(int))
    marks = km.survival_at([6.0, 12.0, 24.0])[["time", "survival", "ci_low", "ci_high"]]
    curve = fit_summary_curve(n=n, median=km.median.estimate, median_ci=(km.median.ci_low, km.median.ci_high),
                              landmarks=marks, model="cure_weibull", follow_up=36.0)
    grid = np.array([3.0, 9.0, 18.0, 30.0, 36.0])
    truth = weibull(grid, 9.0, 1.2, 0.35)
    # Sampling error of n = 400 (se of S about 0.025) plus the fit: 0.05 is two se.
    assert np.max(np.abs(curve.survival(grid) - truth)) < 0.05
    assert curve.cure_fraction == pytest.approx(0.35, abs=0.05)
