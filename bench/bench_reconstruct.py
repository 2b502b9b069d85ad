"""Accuracy and speed of pseudo-IPD reconstruction on simulated (SYNTHETIC) trials.

Run ``python bench/bench_reconstruct.py [--reps R]``. Two tables:

1. Speed target of issue 4: one 440-patient arm digitized with about 400
   points, reconstructed in-process (median and best of many calls).
2. The ground-truth sweep for n = 100, 1000, 10000 per arm over three
   designs (light censoring, heavy censoring, cure plateau), two arms with
   hazard ratio 0.6 each: mean absolute error of events per arm, relative error
   of the median, |log HR error| against the Cox HR of the simulated patients,
   largest KM gap to the digitized points, and the median time per
   reconstruction, for each input mode (risk table or n only, with or without
   total events and censor marks).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from km_simulation import (  # noqa: E402
    Scenario,
    at_risk_table,
    censor_marks,
    cox_log_hr,
    digitize,
    km_median,
    simulate_arm,
)

from synthesis.reconstruct import reconstruct_ipd  # noqa: E402

SEED = 4
MODES = {
    "table": dict(table=True, events=False, marks=False),
    "table+marks": dict(table=True, events=False, marks=True),
    "n only": dict(table=False, events=False, marks=False),
    "n+events": dict(table=False, events=True, marks=False),
    "n+events+marks": dict(table=False, events=True, marks=True),
}
DESIGNS = (
    Scenario("light", n=0, median=15, accrual=12, follow_up=36, dropout_rate=0.005, clicks=300, tick=6),
    Scenario("heavy", n=0, median=12, accrual=36, follow_up=6, dropout_rate=0.04, clicks=300, tick=6),
    Scenario("plateau", n=0, median=9, cure=0.3, accrual=24, follow_up=24, dropout_rate=0.01, clicks=300, tick=6),
)


def inputs_for(arm: pd.DataFrame, scenario: Scenario, mode: str, rng: np.random.Generator) -> dict:
    spec = MODES[mode]
    inputs = {"at_risk": at_risk_table(arm, scenario.tick)} if spec["table"] else {"n_start": len(arm)}
    if spec["events"]:
        inputs["total_events"] = int(arm["event"].sum())
    if spec["marks"]:
        inputs["censor_times"] = censor_marks(arm, rng)
    return inputs


def timed(points: pd.DataFrame, inputs: dict, repeat: int) -> tuple[object, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = reconstruct_ipd(points, **inputs)
        times.append(time.perf_counter() - start)
    return result, times


def speed_target(rng: np.random.Generator) -> None:
    scenario = Scenario("n440", n=440, median=14, cure=0.3, accrual=30, follow_up=12, dropout_rate=0.02, clicks=400)
    arm = simulate_arm(scenario, rng)
    points = digitize(arm, scenario.clicks, rng)
    print(f"1. Speed target: one arm, n = {len(arm)}, {len(points)} digitized points (target < 5 ms)\n")
    print(f"{'inputs':<16}{'median ms':>10}{'best ms':>9}")
    for mode in ("table", "table+marks", "n+events"):
        inputs = inputs_for(arm, scenario, mode, rng)
        timed(points, inputs, 20)
        _, times = timed(points, inputs, 300)
        print(f"{mode:<16}{1000 * np.median(times):>10.2f}{1000 * min(times):>9.2f}")


def sweep(rng: np.random.Generator, reps: int) -> pd.DataFrame:
    rows = []
    for n in (100, 1000, 10000):
        for design in DESIGNS:
            scenario = replace(design, n=n)
            for _ in range(max(1, reps if n < 10000 else reps // 3)):
                arms = (simulate_arm(scenario, rng), simulate_arm(scenario, rng, hazard_ratio=0.6))
                points = [digitize(arm, scenario.clicks, rng) for arm in arms]
                true_log_hr = cox_log_hr(*arms)
                for mode in MODES:
                    built = [
                        timed(p, inputs_for(arm, scenario, mode, rng), 3)
                        for arm, p in zip(arms, points, strict=True)
                    ]
                    hr_error = abs(cox_log_hr(built[0][0].ipd, built[1][0].ipd) - true_log_hr)
                    for arm, (result, times) in zip(arms, built, strict=True):
                        truth = km_median(arm)
                        rows.append({
                            "n": n, "mode": mode, "design": design.name,
                            "events": abs(result.events - int(arm["event"].sum())),
                            "median": abs(km_median(result.ipd) - truth) / truth,
                            "log_hr": hr_error, "km_gap": result.max_km_gap,
                            "ms": 1000 * float(np.median(times)),
                        })
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=6, help="simulated trials per n and design (a third for n=10000)")
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    speed_target(rng)
    frame = sweep(rng, args.reps)
    print("\n2. Ground-truth sweep (SYNTHETIC trials; means over arms, designs light/heavy/plateau)\n")
    table = frame.groupby(["n", "mode"], sort=False).agg(
        arms=("events", "size"), event_error=("events", "mean"), median_rel_error=("median", "mean"),
        log_hr_error=("log_hr", "mean"), max_km_gap=("km_gap", "mean"), ms_per_arm=("ms", "median"),
    )
    with pd.option_context("display.width", 160, "display.float_format", "{:.4f}".format):
        print(table.to_string())
        print("\nBy design, risk table with and without censor marks:")
        marks = frame[frame["mode"].str.startswith("table")]
        print(marks.groupby(["design", "mode"])[["events", "median", "log_hr", "km_gap"]].mean().to_string())


if __name__ == "__main__":
    main()
