"""Ground truth for reconstruction: simulated trials, their KM curves, digitized.

Shared by ``tests/test_reconstruct_groundtruth.py``, ``bench/bench_reconstruct.py``
and ``bench/make_synthetic_example.py``; :func:`ground_truth_suite` is the
suite the tests assert on and the benchmark sweeps over seeds. Everything
here is SYNTHETIC: random patients from Weibull event times with an optional
cure fraction (the plateau of CAR-T curves), staggered accrual and drop-out;
a reviewer's digitizing is imitated by clicking the step corners (or, for
curves with more steps than clicks, points along the curve) with small noise
in both directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthesis.survival import cox_hazard_ratio, kaplan_meier


@dataclass(frozen=True)
class Scenario:
    """One simulated arm design (times in months)."""

    name: str
    n: int
    median: float = 12.0
    shape: float = 1.0
    cure: float = 0.0
    accrual: float = 24.0
    follow_up: float = 24.0
    dropout_rate: float = 0.005
    clicks: int = 150
    tick: float = 6.0
    table_to_axis_end: bool = True


#: Designs covering what CAR-T figures show: small and large arms, light and
#: heavy censoring, early (decreasing hazard) and late (increasing hazard)
#: events, and cure-fraction plateaus.
SCENARIOS = (
    Scenario("n20 light", n=20, clicks=40),
    Scenario("n50 early events", n=50, shape=0.7, median=8, clicks=60),
    Scenario("n100 heavy censoring", n=100, accrual=36, follow_up=6, dropout_rate=0.04),
    Scenario("n150 late events", n=150, shape=1.8, median=18, clicks=120),
    Scenario("n200 plateau", n=200, median=9, cure=0.35, follow_up=36, clicks=200),
    Scenario("n440 plateau heavy", n=440, median=14, cure=0.3, accrual=30, follow_up=12, dropout_rate=0.02, clicks=400),
    Scenario("n1000 light", n=1000, median=20, accrual=12, follow_up=36, clicks=300, tick=12),
    Scenario("n300 table stops early", n=300, median=15, clicks=200, table_to_axis_end=False),
    Scenario("n2000 plateau", n=2000, median=10, cure=0.25, accrual=24, follow_up=30, clicks=400, tick=12),
)


def simulate_arm(scenario: Scenario, rng: np.random.Generator, hazard_ratio: float = 1.0) -> pd.DataFrame:
    """Patients ``time, event`` of one arm; ``hazard_ratio`` scales the Weibull hazard."""
    n = scenario.n
    scale = scenario.median / np.log(2) ** (1 / scenario.shape) / hazard_ratio ** (1 / scenario.shape)
    event_time = scale * rng.weibull(scenario.shape, n)
    event_time[rng.random(n) < scenario.cure] = np.inf
    admin = scenario.follow_up + scenario.accrual * rng.random(n)
    dropout = rng.exponential(1 / scenario.dropout_rate, n) if scenario.dropout_rate else np.full(n, np.inf)
    censor = np.minimum(admin, dropout)
    time = np.round(np.minimum(event_time, censor), 2)
    return pd.DataFrame({"time": np.maximum(time, 0.01), "event": (event_time <= censor).astype(int)})


def km_steps(ipd: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of the KM curve, starting at (0, 1), one entry per distinct time."""
    km = kaplan_meier(ipd["time"], ipd["event"])
    drops = km.n_event > 0
    return np.concatenate(([0.0], km.time[drops])), np.concatenate(([1.0], km.survival[drops]))


def digitize(
    ipd: pd.DataFrame,
    clicks: int,
    rng: np.random.Generator,
    time_noise: float = 0.002,
    survival_noise: float = 0.002,
) -> pd.DataFrame:
    """Points a person would click on the KM figure of ``ipd``.

    Both corners of every step when there are clicks enough, otherwise
    ``clicks`` points spread along the drawn line (its horizontal and
    vertical length together), plus the end of the curve. Noise is Gaussian,
    its sd a fraction of the axis ranges.
    """
    t, s = km_steps(ipd)
    end = float(ipd["time"].max())
    if 2 * (t.size - 1) + 2 <= clicks:
        px = np.concatenate((t[1:], t[1:], [0.0, end]))
        py = np.concatenate((s[:-1], s[1:], [1.0, s[-1]]))
    else:
        # Walk the drawn line: horizontal segments then vertical drops.
        seg_x = np.repeat(np.append(t, end), 2)[1:-1]
        seg_y = np.repeat(s, 2)
        length = np.concatenate(([0.0], np.cumsum(np.abs(np.diff(seg_x)) / end + np.abs(np.diff(seg_y)))))
        at = np.linspace(0, length[-1], clicks)
        px = np.interp(at, length, seg_x)
        py = np.interp(at, length, seg_y)
    px = px + rng.normal(0, time_noise * end, px.size)
    py = py + rng.normal(0, survival_noise, py.size)
    order = rng.permutation(px.size)
    return pd.DataFrame({"time": px[order], "survival": py[order]})


def at_risk_table(ipd: pd.DataFrame, tick: float, to_axis_end: bool = True) -> pd.DataFrame:
    """Numbers at risk (time >= T) at 0, tick, 2 tick, ...: up to the end of the
    time axis (the first tick after the last follow-up, where it is 0), as
    most figures print them, or only up to the last follow-up."""
    end = ipd["time"].max()
    ticks = np.arange(0, (np.ceil(end / tick) * tick if to_axis_end else end) + 1e-9, tick)
    times = np.sort(ipd["time"].to_numpy())
    return pd.DataFrame({"time": ticks, "n_risk": times.size - np.searchsorted(times, ticks, side="left")})


def censor_marks(ipd: pd.DataFrame, rng: np.random.Generator, resolution: float = 0.002) -> np.ndarray:
    """Censor-mark times as digitized: overlapping marks (closer than a mark's
    width, ``resolution`` of the axis) merge into one, then a little noise."""
    end = float(ipd["time"].max())
    times = ipd.loc[ipd["event"] == 0, "time"].to_numpy()
    width = resolution * end
    marks = np.unique(np.round(times / width)) * width
    return np.clip(marks + rng.normal(0, width / 2, marks.size), 0, end)


def cox_log_hr(arm_a: pd.DataFrame, arm_b: pd.DataFrame) -> float:
    """log HR of arm b vs arm a, Cox with Efron ties (as R's coxph)."""
    both = pd.concat([arm_a, arm_b], ignore_index=True)
    group = np.repeat(["a", "b"], [len(arm_a), len(arm_b)])
    return cox_hazard_ratio(both["time"], both["event"], group, reference="a").log_hr


def km_at(ipd: pd.DataFrame, times) -> np.ndarray:
    """KM survival of ``ipd`` at ``times``."""
    t, s = km_steps(ipd)
    return s[np.searchsorted(t, np.asarray(times, dtype=float), side="right") - 1]


def km_median(ipd: pd.DataFrame) -> float:
    """Median of the KM curve (NaN if not reached), as R's survfit."""
    median = kaplan_meier(ipd["time"], ipd["event"]).median.estimate
    return float("nan") if median is None else median


#: Inputs a reviewer may have: the risk table or only n, the total events,
#: and the censor marks.
SUITE_MODES = ("table", "table+marks", "n+events", "n+events+marks")


def suite_inputs(arm: pd.DataFrame, scenario: Scenario, mode: str, rng: np.random.Generator) -> dict:
    """Keyword arguments of ``reconstruct_ipd`` for one arm in one input mode."""
    inputs = {}
    if mode.startswith("table"):
        inputs["at_risk"] = at_risk_table(arm, scenario.tick, scenario.table_to_axis_end)
    else:
        inputs["n_start"] = len(arm)
        inputs["total_events"] = int(arm["event"].sum())
    if mode.endswith("marks"):
        inputs["censor_times"] = censor_marks(arm, rng)
    return inputs


def ground_truth_suite(seed: int, reconstruct, modes=SUITE_MODES) -> pd.DataFrame:
    """Every scenario of :data:`SCENARIOS`, two arms (hazard ratio 0.6), digitized and rebuilt.

    ``reconstruct(points, **inputs)`` is ``synthesis.reconstruct.reconstruct_ipd``
    (or a variant of it). One row per (scenario, mode, arm) with the errors
    against the simulated patients: events, median, landmark survival at a
    quarter and half of the follow-up, |log HR error| of the pair, the
    largest KM gap and the largest at-risk difference.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for scenario in SCENARIOS:
        arms = (simulate_arm(scenario, rng), simulate_arm(scenario, rng, hazard_ratio=0.6))
        points = [digitize(arm, scenario.clicks, rng) for arm in arms]
        true_log_hr = cox_log_hr(*arms)
        for mode in modes:
            rebuilt = [
                reconstruct(p, **suite_inputs(arm, scenario, mode, rng))
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
