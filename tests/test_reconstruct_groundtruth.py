"""Reconstruction against the truth: simulated trials, digitized, rebuilt.

For each design in :data:`km_simulation.SCENARIOS` (n 20 to 2000, light and
heavy censoring, early and late events, cure plateaus) two arms are simulated
(hazard ratio 0.6), their KM curves digitized as a person would (step corners
or points along the line, with noise), their numbers at risk printed at
regular ticks, and the arms reconstructed. The pseudo-IPD is compared with the
simulated patients: events, median, landmark survival and the Cox hazard
ratio between the arms. The bigger sweep and the timings are in
``bench/bench_reconstruct.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from km_simulation import (
    SCENARIOS,
    at_risk_table,
    censor_marks,
    cox_log_hr,
    digitize,
    km_at,
    km_median,
    simulate_arm,
)

from synthesis.reconstruct import reconstruct_ipd

SEED = 20261121

#: Inputs a reviewer may have: the risk table or only n, the total events,
#: and the censor marks.
MODES = ("table", "table+marks", "n+events", "n+events+marks")

#: Targets of the issue with a risk table: on average at most one event wrong
#: per arm and a log HR within 0.01 of the one of the true patients. With the
#: censor marks they are met.
MEAN_EVENT_ERROR_WITH_MARKS = 1.0
MEAN_LOG_HR_ERROR_WITH_MARKS = 0.01
#: Without marks the events target is not met: on this suite 1.06 events per
#: arm (Guyot's even spread everywhere: 1.28) and a log HR error of 0.007,
#: most of the events error in the arms of 1000 and 2000, where a digitizing
#: error of 0.002 in survival is already a few patients. The bounds leave
#: room for about a third worse, no more.
MEAN_EVENT_ERROR_TABLE = 1.4
MEAN_LOG_HR_ERROR_TABLE = 0.01

#: A median read off a flat stretch moves with tiny vertical errors (see the
#: reference notes); in an arm of 20 it sits on one of about ten event times,
#: and one event placed on the other side of 0.5 moves it by over 10%. So
#: single arms get 15%, the suite average 3%.
MEDIAN_RELATIVE_ERROR_ARM = 0.15
MEDIAN_RELATIVE_ERROR_MEAN = 0.03
#: Landmark survival within 0.03 (digitizing noise sd 0.002 plus the
#: rounding of events on few patients at risk).
LANDMARK_ERROR = 0.03
#: Each single pair of arms: the HR within 10% even for 20 patients per arm,
#: where one event placed differently moves it by several percent.
LOG_HR_ERROR_PAIR = 0.1


def _inputs(arm: pd.DataFrame, scenario, mode: str, rng: np.random.Generator) -> dict:
    inputs = {}
    if mode.startswith("table"):
        inputs["at_risk"] = at_risk_table(arm, scenario.tick, scenario.table_to_axis_end)
    else:
        inputs["n_start"] = len(arm)
        inputs["total_events"] = int(arm["event"].sum())
    if mode.endswith("marks"):
        inputs["censor_times"] = censor_marks(arm, rng)
    return inputs


@pytest.fixture(scope="module")
def suite() -> pd.DataFrame:
    """One row per (scenario, mode, arm) with the errors against the truth."""
    rng = np.random.default_rng(SEED)
    rows = []
    for scenario in SCENARIOS:
        arms = (simulate_arm(scenario, rng), simulate_arm(scenario, rng, hazard_ratio=0.6))
        points = [digitize(arm, scenario.clicks, rng) for arm in arms]
        true_log_hr = cox_log_hr(*arms)
        for mode in MODES:
            rebuilt = [
                reconstruct_ipd(p, **_inputs(arm, scenario, mode, rng))
                for arm, p in zip(arms, points, strict=True)
            ]
            log_hr_error = abs(cox_log_hr(rebuilt[0].ipd, rebuilt[1].ipd) - true_log_hr)
            for label, arm, result in zip("ab", arms, rebuilt, strict=True):
                landmarks = np.array([0.25, 0.5]) * arm["time"].max()
                rows.append(
                    {
                        "scenario": scenario.name,
                        "mode": mode,
                        "arm": label,
                        "n": len(arm),
                        "event_error": abs(result.events - int(arm["event"].sum())),
                        "median_true": km_median(arm),
                        "median_rebuilt": km_median(result.ipd),
                        "landmark_error": np.abs(km_at(result.ipd, landmarks) - km_at(arm, landmarks)).max(),
                        "log_hr_error": log_hr_error,
                        "max_km_gap": result.max_km_gap,
                        "max_at_risk_difference": result.max_at_risk_difference,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["median_error"] = (frame["median_rebuilt"] - frame["median_true"]).abs() / frame["median_true"]
    return frame


def test_suite_covers_the_designs(suite):
    assert suite["n"].min() == 20 and suite["n"].max() == 2000
    assert suite.groupby("mode").size().nunique() == 1


def test_issue_targets_are_met_with_risk_table_and_censor_marks(suite):
    marked = suite[suite["mode"] == "table+marks"]
    assert marked["event_error"].mean() <= MEAN_EVENT_ERROR_WITH_MARKS
    assert marked["log_hr_error"].mean() <= MEAN_LOG_HR_ERROR_WITH_MARKS


def test_guyot_with_a_risk_table(suite):
    table = suite[suite["mode"] == "table"]
    assert table["event_error"].mean() <= MEAN_EVENT_ERROR_TABLE
    assert table["log_hr_error"].mean() <= MEAN_LOG_HR_ERROR_TABLE
    assert (table["max_at_risk_difference"] <= 1).all()


def test_censor_marks_improve_the_hazard_ratio(suite):
    mean_error = suite.groupby("mode")["log_hr_error"].mean()
    assert mean_error["table+marks"] < mean_error["table"]
    assert mean_error["n+events+marks"] < mean_error["n+events"]


def test_total_events_are_exact_without_a_table(suite):
    assert (suite.loc[suite["mode"].str.startswith("n+events"), "event_error"] == 0).all()


@pytest.mark.parametrize("mode", MODES)
def test_medians_landmarks_and_hazard_ratios(suite, mode):
    rows = suite[suite["mode"] == mode]
    reached = rows[rows["median_true"].notna()]
    assert reached["median_rebuilt"].notna().all()
    assert (reached["median_error"] <= MEDIAN_RELATIVE_ERROR_ARM).all(), reached[["scenario", "median_error"]]
    assert reached["median_error"].mean() <= MEDIAN_RELATIVE_ERROR_MEAN
    assert (rows[rows["median_true"].isna()]["median_rebuilt"].isna()).all()
    assert (rows["landmark_error"] <= LANDMARK_ERROR).all(), rows[["scenario", "landmark_error"]]
    assert (rows["log_hr_error"] <= LOG_HR_ERROR_PAIR).all(), rows[["scenario", "log_hr_error"]]
