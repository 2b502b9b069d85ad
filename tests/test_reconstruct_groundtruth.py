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
    SUITE_MODES,
    Scenario,
    at_risk_table,
    digitize,
    ground_truth_suite,
    km_at,
    km_median,
    km_steps,
    simulate_arm,
)

from synthesis.reconstruct import reconstruct_ipd

SEED = 20261121

#: Targets of the issue with a risk table: on average at most one event wrong
#: per arm and a log HR within 0.01 of the one of the true patients.
MEAN_EVENT_ERROR_WITH_MARKS = 1.0
MEAN_LOG_HR_ERROR_WITH_MARKS = 0.01
#: Measured at SEED: 0.78 events per arm (0.28 with the censor marks) and a
#: log HR error of 0.004 (0.003); 0.94 (0.61) before the points were smoothed
#: wherever a window removes more noise than random walk (session 7, see
#: ``synthesis.dense_curve``; over seeds 0-19 0.778 -> 0.781, marks 0.547 ->
#: 0.533). The target holds on average, not on every seed: over seeds 0-29
#: (``bench/bench_reconstruct.py --suite-seeds 30``, which draws the table
#: modes only; before that smoothing) the mean is 0.77 (per seed 0.39 to 1.28,
#: sd 0.23, 3 of 30 above 1; with marks 0.55, per seed 0.22 to 1.00, none
#: above 1), against 0.85 (7 of 30; marks 0.54) before the even spread was
#: compared only where single deaths are steps above the noise, and tied
#: censoring counts told apart by the points (see ``synthesis.interval_fit``),
#: 0.90 (10 of 30; marks 0.73, 1 of 30) before small
#: reversed step corners were swapped back (see ``synthesis.curve_input``), a
#: curve ending at 0 got one death there and each mark held the censorings it
#: stands for, and 1.32 (25 of 30) before the censorings followed the hazard
#: and the drops were read along the line (see ``reconstruct_ipd``).
MEAN_EVENT_ERROR_TABLE = 1.0
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


@pytest.fixture(scope="module")
def suite() -> pd.DataFrame:
    """One row per (scenario, mode, arm) with the errors against the truth."""
    return ground_truth_suite(SEED, reconstruct_ipd)


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


@pytest.mark.parametrize("mode", SUITE_MODES)
def test_medians_landmarks_and_hazard_ratios(suite, mode):
    rows = suite[suite["mode"] == mode]
    reached = rows[rows["median_true"].notna()]
    assert reached["median_rebuilt"].notna().all()
    assert (reached["median_error"] <= MEDIAN_RELATIVE_ERROR_ARM).all(), reached[["scenario", "median_error"]]
    assert reached["median_error"].mean() <= MEDIAN_RELATIVE_ERROR_MEAN
    assert (rows[rows["median_true"].isna()]["median_rebuilt"].isna()).all()
    assert (rows["landmark_error"] <= LANDMARK_ERROR).all(), rows[["scenario", "landmark_error"]]
    assert (rows["log_hr_error"] <= LOG_HR_ERROR_PAIR).all(), rows[["scenario", "log_hr_error"]]


#: Arms of 10000 (light censoring and a cure plateau, 8 each, at SEED) with a
#: risk table: 6.1 events wrong per arm with the points smoothed where at
#: least 2000 are at risk, 11.4 without (seeds 1 and 2: 6.1 against 9.2,
#: 5.3 against 6.9); issue 4's noise floor (see ``synthesis.dense_curve``).
MEAN_EVENT_ERROR_10000 = 8.0


def test_large_arms_read_the_curve_through_the_digitizing_noise():
    rng = np.random.default_rng(SEED)
    errors = []
    for scenario in (
        Scenario("light", n=10000, median=15, accrual=12, follow_up=36, clicks=300),
        Scenario("plateau", n=10000, median=9, cure=0.3, accrual=24, follow_up=24, dropout_rate=0.01, clicks=300),
    ):
        for _ in range(8):
            arm = simulate_arm(scenario, rng)
            points = digitize(arm, scenario.clicks, rng)
            result = reconstruct_ipd(points, at_risk=at_risk_table(arm, scenario.tick))
            errors.append(abs(result.events - int(arm["event"].sum())))
    assert np.mean(errors) <= MEAN_EVENT_ERROR_10000, errors


#: 100 patients per arm, clicked at the step corners (light censoring, as the
#: benchmark's "light" design).
CORNER_CLICKED = Scenario("n100 light", n=100, median=15, accrual=12, follow_up=36, dropout_rate=0.005, clicks=300)
#: Measured on seeds 0-39 (80 arms): the rebuilt curve sits 0.0017 above the
#: true one where it runs from 0.8 to 0.2 (0.0026 when reversed corners of
#: small steps were averaged, each such pair leaving half its drop until the
#: next step), and the mean relative median error is 0.011 (0.015 then).
KM_LEVEL_BIAS = 0.0021
MEDIAN_RELATIVE_ERROR_N100 = 0.013


def test_drops_of_corner_clicked_curves_are_not_delayed():
    bias, median_error = [], []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        for hazard_ratio in (1.0, 0.6):
            arm = simulate_arm(CORNER_CLICKED, rng, hazard_ratio=hazard_ratio)
            points = digitize(arm, CORNER_CLICKED.clicks, rng)
            rebuilt = reconstruct_ipd(points, at_risk=at_risk_table(arm, CORNER_CLICKED.tick)).ipd
            time, survival = km_steps(arm)
            # Between the true event times, where neither curve is mid-drop.
            between = ((time[1:] + time[:-1]) / 2)[(survival[:-1] < 0.8) & (survival[:-1] > 0.2)]
            bias.append(np.mean(km_at(rebuilt, between) - km_at(arm, between)))
            median_error.append(abs(km_median(rebuilt) - km_median(arm)) / km_median(arm))
    assert np.mean(bias) <= KM_LEVEL_BIAS
    assert np.mean(median_error) <= MEDIAN_RELATIVE_ERROR_N100


@pytest.mark.parametrize("name", ["n50 early events", "n200 plateau", "n1000 light"])
def test_curve_ending_with_the_last_patient_dying(name):
    """The last patient followed dies, after the others were censored at the
    data cut-off: the curve ends with a drop to 0 and the table falls to 0
    after it. Everyone at risk at a drop to 0 dies there, so unless the
    last interval censors all but that patient before it, the rebuilt arm
    gains the patients who were censored (measured on seeds 0-4, events
    wrong per arm before: n50 1 to 2, n200 0 to 13, n1000 -5 to 30, mean
    1.4, 5.8, 9.0; now n50 0 to 1, n200 0, n1000 -2 to 1, mean 0.4, 0, 1.2).
    The n50 arms check that the small arms lose nothing by it."""
    scenario = next(s for s in SCENARIOS if s.name == name)
    errors = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        arm = simulate_arm(scenario, rng)
        arm.loc[arm["time"].idxmax(), "event"] = 1
        points = digitize(arm, scenario.clicks, rng)
        result = reconstruct_ipd(points, at_risk=at_risk_table(arm, scenario.tick))
        errors.append(abs(result.events - int(arm["event"].sum())))
    assert max(errors) <= 2, errors
    assert np.mean(errors) <= 1.5, errors


#: The benchmark's heavy-censoring design at n = 100 (6-monthly table, corners clicked).
HEAVY_N100 = Scenario("n100 heavy", n=100, median=12, accrual=36, follow_up=6, dropout_rate=0.04, clicks=300)
#: Measured on seeds 1-3 (180 arms): 0.62 events wrong per arm (0.52, 0.67, 0.68 per seed) where the
#: censoring counts that meet the number at risk equally well are told apart by the digitized points;
#: 0.81 (0.67, 0.87, 0.90) when the first count the search reached was kept, most often the fewest
#: censorings and so the most deaths.
MEAN_EVENT_ERROR_HEAVY_N100 = 0.7


def test_counts_meeting_the_table_equally_are_told_apart_by_the_points():
    errors = []
    for seed in (1, 2, 3):
        rng = np.random.default_rng(seed)
        for _ in range(60):
            arm = simulate_arm(HEAVY_N100, rng)
            points = digitize(arm, HEAVY_N100.clicks, rng)
            result = reconstruct_ipd(points, at_risk=at_risk_table(arm, HEAVY_N100.tick))
            errors.append(abs(result.events - int(arm["event"].sum())))
    assert np.mean(errors) <= MEAN_EVENT_ERROR_HEAVY_N100
