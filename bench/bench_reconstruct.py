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
   total events and censor marks); then, with the risk table, the events
   error beside the censoring floor of each arm (:func:`censoring_floor`):
   what a reconstruction reading the curve and the table exactly would still
   miss, not knowing where within each interval the censorings fell.
3. If ``Rscript`` is on the PATH: the same errors for Guyot's published R
   code (``bench/guyot_2012.R``, the core of IPDfromKM and reconstructKM)
   and, where R has them, for the packages IPDfromKM and reconstructKM
   themselves (``bench/r_packages.R``), on the same digitized inputs,
   beside ours, for n = 100, 1000 and 10000 (a third as many trials at
   10000), with paired differences; R's time is per call inside R.
4. The ground-truth suite of ``tests/test_reconstruct_groundtruth.py``
   (``km_simulation.ground_truth_suite``) over several seeds, with a risk
   table with and without censor marks: the spread over seeds of the mean
   events error per arm and of the mean |log HR error|, since the test
   asserts on one seed only.
5. How much of the events error at n = 1000 and 10000 is digitizing noise
   and how much the coarseness of the risk table: the same arms and clicks
   with the noise of the sweep, half of it, and none, with the risk table
   printed every 6 months (as in the sweep), the same with every true
   censoring time given as a censor mark (an oracle: what is left is the
   reading of the curve), and every month; the signed error per design
   shows a bias the noise does not explain.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from km_simulation import (  # noqa: E402
    Scenario,
    at_risk_table,
    censor_marks,
    cox_log_hr,
    digitize,
    ground_truth_suite,
    km_median,
    km_steps,
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


def censoring_floor(arm: pd.DataFrame, tick: float) -> float:
    """Expected |events error| of an arm rebuilt from its exact curve and risk table: the censoring floor.

    The table fixes how many leave each interval, not where within it the
    censorings fall. Read off the same curve, a censoring moved from t to
    t' keeps its patient at risk for Lambda(t') - Lambda(t) more deaths
    (Lambda = -log S, the cumulative hazard), so among placements agreeing
    with the table the events vary, to first order, with a variance of
    sigma^2 = sum_i c_i Var(Lambda(U_i)) over the intervals, c_i censorings
    at times U_i spread as the arm's own censoring times in the interval.
    Returns E|round(X)|, X ~ N(0, sigma^2), in closed form: a reconstruction
    that places the censorings at their expected times (no bias) misses
    about that many events. It assumes a death's step is hidden in the
    clicks' noise (so the curve does not show the number at risk), true
    from about 300 at risk (a step of S / n below 0.003); with fewer at
    risk the steps show it and the floor overstates what is lost.
    """
    step_time, survival = km_steps(arm)
    times = arm.loc[arm["event"] == 0, "time"].to_numpy()
    cumulative_hazard = -np.log(np.maximum(survival[np.searchsorted(step_time, times, side="right") - 1], 1e-300))
    ticks = np.arange(0.0, arm["time"].max(), tick)
    interval = np.searchsorted(ticks, times, side="right")
    count = np.bincount(interval)
    mean = np.bincount(interval, cumulative_hazard) / np.maximum(count, 1)
    sigma = np.sqrt(np.sum((cumulative_hazard - mean[interval]) ** 2))
    k = np.arange(1, int(10 * sigma) + 3)
    return 2.0 * float(np.sum(ndtr(-(k - 0.5) / sigma))) if sigma > 0 else 0.0


def sweep(rng: np.random.Generator, reps: int) -> pd.DataFrame:
    rows = []
    for n in (100, 1000, 10000):
        for design in DESIGNS:
            scenario = replace(design, n=n)
            for _ in range(max(1, reps if n < 10000 else reps // 3)):
                arms = (simulate_arm(scenario, rng), simulate_arm(scenario, rng, hazard_ratio=0.6))
                points = [digitize(arm, scenario.clicks, rng) for arm in arms]
                true_log_hr = cox_log_hr(*arms)
                floors = [censoring_floor(arm, scenario.tick) for arm in arms]
                for mode in MODES:
                    built = [
                        timed(p, inputs_for(arm, scenario, mode, rng), 3)
                        for arm, p in zip(arms, points, strict=True)
                    ]
                    hr_error = abs(cox_log_hr(built[0][0].ipd, built[1][0].ipd) - true_log_hr)
                    for arm, floor, (result, times) in zip(arms, floors, built, strict=True):
                        truth = km_median(arm)
                        rows.append({
                            "n": n, "mode": mode, "design": design.name,
                            "events": abs(result.events - int(arm["event"].sum())),
                            "median": abs(km_median(result.ipd) - truth) / truth,
                            "log_hr": hr_error, "km_gap": result.max_km_gap,
                            "ms": 1000 * float(np.median(times)),
                            "floor": floor if mode == "table" else np.nan,
                        })
    return pd.DataFrame(rows)


def against_published_r(rng: np.random.Generator, reps: int) -> tuple[pd.DataFrame, list[str]] | None:
    """Ours, Guyot's published R code and the R packages R has, on the same inputs.

    None without Rscript; else one row per pair of arms and tool, and the
    R packages that R could not load (left out).
    """
    if shutil.which("Rscript") is None:
        return None
    rows, cases = [], []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for n in (100, 1000, 10000):
            for design in DESIGNS:
                scenario = replace(design, n=n)
                for rep in range(max(1, reps if n < 10000 else reps // 3)):
                    arms = (simulate_arm(scenario, rng), simulate_arm(scenario, rng, hazard_ratio=0.6))
                    points = [digitize(arm, scenario.clicks, rng) for arm in arms]
                    for mode in ("table", "n+events"):
                        case = f"{n}-{design.name}-{rep}-{mode}"
                        built = []
                        for side, (arm, p) in enumerate(zip(arms, points, strict=True)):
                            inputs = inputs_for(arm, scenario, mode, rng)
                            result, times = timed(p, inputs, 3)
                            built.append((result.ipd, float(np.median(times)) * 1000))
                            p.to_csv(work / f"{case}-{side}-points.csv", index=False)
                            risk = ""
                            if "at_risk" in inputs:
                                risk = str(work / f"{case}-{side}-risk.csv")
                                inputs["at_risk"].to_csv(risk, index=False)
                            cases.append({
                                "case": f"{case}-{side}", "points": str(work / f"{case}-{side}-points.csv"),
                                "risk": risk, "n_start": len(arm), "tot_events": inputs.get("total_events"),
                                "out": str(work / f"{case}-{side}-ipd.csv"),
                            })
                        rows.append({"case": case, "n": n, "mode": mode, "arms": arms, "ours": built})
        manifest = work / "manifest.csv"
        pd.DataFrame(cases).to_csv(manifest, index=False, na_rep="NA")
        guyot = _run_r("guyot_2012.R", manifest)
        runs = {"R Guyot 2012": guyot.assign(failed=guyot["capped"].isna())}
        packages = _run_r("r_packages.R", manifest)
        for package, run in packages.groupby("package"):
            runs[package] = run.assign(failed=run["failed"] == 1, capped=0)
        missing = [name for name in R_PACKAGES if name not in runs]
        out = []
        for row in rows:
            arms, ours = row["arms"], row["ours"]
            tools = {"ours": ([o[0] for o in ours], [o[1] for o in ours], False, False)}
            for tool, run in runs.items():
                if f"{row['case']}-0" not in run.index:
                    continue  # a mode the tool does not have (reconstructKM needs a risk table)
                entries = [run.loc[f"{row['case']}-{side}"] for side in (0, 1)]
                failed = any(bool(e["failed"]) for e in entries)
                suffix = "" if tool == "R Guyot 2012" else f"-{tool}"
                ipds = [pd.read_csv(work / f"{row['case']}-{side}-ipd{suffix}.csv")
                        for side, e in enumerate(entries) if not e["failed"]]
                tools[tool] = (ipds, [float(e["ms"]) for e in entries], failed,
                               any(e["capped"] == 1 for e in entries))
            true_log_hr = cox_log_hr(*arms)
            for tool, (ipds, ms, failed, capped) in tools.items():
                record = {"case": row["case"], "n": row["n"], "mode": row["mode"], "tool": tool,
                          "ms_per_arm": float(np.mean(ms)), "failed": failed, "capped": capped}
                if len(ipds) == 2:
                    record["log_hr"] = abs(cox_log_hr(*ipds) - true_log_hr)
                    record["events"] = np.mean([abs(int(i["event"].sum()) - int(a["event"].sum()))
                                                for i, a in zip(ipds, arms, strict=True)])
                    record["median"] = np.nanmean([abs(km_median(i) - km_median(a)) / km_median(a)
                                                   for i, a in zip(ipds, arms, strict=True)])
                out.append(record)
    return pd.DataFrame(out), missing


#: The R packages of issue 4's speed and accuracy targets, run by ``bench/r_packages.R`` where R has them.
R_PACKAGES = ("IPDfromKM", "reconstructKM")


def _run_r(script: str, manifest: Path) -> pd.DataFrame:
    """Run one of the benchmark's R scripts on the manifest; its CSV output indexed by case."""
    done = subprocess.run(["Rscript", str(ROOT / "bench" / script), str(manifest)],
                          capture_output=True, text=True, check=True)
    return pd.read_csv(io.StringIO(done.stdout)).set_index("case")


def paired_differences(versus: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error of ours minus each R tool per n, mode and measure, over the pairs both reconstructed."""
    wide = versus.pivot_table(index=["n", "mode", "case"], columns="tool",
                              values=["events", "median", "log_hr"], aggfunc="first")
    rows = []
    others = [tool for tool in versus["tool"].unique() if tool != "ours"]
    for (n, mode), group in wide.groupby(level=["n", "mode"]):
        for tool in others:
            row = {"n": n, "mode": mode, "versus": tool}
            for measure in ("events", "median", "log_hr"):
                if (measure, tool) not in group:
                    continue
                diff = (group[(measure, "ours")] - group[(measure, tool)]).dropna()
                row["pairs"] = len(diff)
                row[f"{measure}_diff"] = diff.mean()
                row[f"{measure}_se"] = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
            if row.get("pairs"):
                rows.append(row)
    return pd.DataFrame(rows).set_index(["n", "mode", "versus"])


#: The inputs of the noise-floor table: the sweep's 6-monthly risk table, the same with every true
#: censoring time given as a censor mark (an oracle: where the censorings fell is then known, so what
#: remains is the reading of the curve), and a monthly risk table.
FLOOR_INPUTS = ("table every 6 months", "same, true censoring times given", "table every month")


def noise_floor(rng: np.random.Generator, reps: int) -> pd.DataFrame:
    """Events error for the same arms clicked with full, half and no digitizing noise, per :data:`FLOOR_INPUTS`."""
    rows = []
    for n in (1000, 10000):
        for design in DESIGNS:
            scenario = replace(design, n=n)
            for _ in range(reps):
                arm = simulate_arm(scenario, rng)
                clicks_seed = int(rng.integers(2**32))
                censored = arm.loc[arm["event"] == 0, "time"].to_numpy()
                inputs = dict(zip(FLOOR_INPUTS, (
                    {"at_risk": at_risk_table(arm, scenario.tick)},
                    {"at_risk": at_risk_table(arm, scenario.tick), "censor_times": censored},
                    {"at_risk": at_risk_table(arm, 1.0)},
                ), strict=True))
                for noise in (1.0, 0.5, 0.0):
                    # One seed for every noise level: the clicks differ only in how far they stray.
                    points = digitize(arm, scenario.clicks, np.random.default_rng(clicks_seed),
                                      time_noise=0.002 * noise, survival_noise=0.002 * noise)
                    for name, given in inputs.items():
                        signed = reconstruct_ipd(points, **given).events - int(arm["event"].sum())
                        rows.append({"n": n, "design": design.name, "inputs": name, "noise": noise,
                                     "events": abs(signed), "signed": signed})
    return pd.DataFrame(rows)


def suite_over_seeds(seeds: int) -> pd.DataFrame:
    """Per seed and mode (risk table, with and without marks): mean events and |log HR| errors of the suite."""
    frames = [
        ground_truth_suite(seed, reconstruct_ipd, modes=("table", "table+marks")).assign(seed=seed)
        for seed in range(seeds)
    ]
    return pd.concat(frames).groupby(["mode", "seed"]).agg(
        event_error=("event_error", "mean"), log_hr_error=("log_hr_error", "mean"),
        max_at_risk_difference=("max_at_risk_difference", "max"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="simulated trials per n and design (a third for n=10000)")
    parser.add_argument("--suite-seeds", type=int, default=10, help="seeds 0, 1, ... of the ground-truth suite")
    parser.add_argument("--floor-reps", type=int, default=4, help="arms per n and design in the noise-floor table")
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
        print("\nRisk table alone: events error per arm beside the censoring floor (what reading the curve and the "
              "table exactly would still miss, not knowing where in each interval the censorings fell; "
              "overstated at n = 100, where single deaths show on the curve)")
        table_only = frame[frame["mode"] == "table"]
        print(table_only.groupby(["n", "design"]).agg(event_error=("events", "mean"), floor=("floor", "mean")).to_string())
        compared = against_published_r(rng, max(1, args.reps // 2))
        if compared is None:
            print("\n3. Rscript not found: no comparison with Guyot's published R code or the R packages.")
        else:
            versus, missing = compared
            print("\n3. Against Guyot's published R code and the R packages on the same inputs (n = 100, 1000 and "
                  "10000; failed: stopped with an error on either arm; capped: Guyot's loops cycled past 1000 "
                  "adjustments)\n")
            if missing:
                print(f"   Not installed in R, left out: {', '.join(missing)} (bench/r_packages.R runs them "
                      "where R has them).\n")
            print(versus.groupby(["n", "mode", "tool"]).agg(
                pairs=("ms_per_arm", "size"), failed=("failed", "sum"), capped=("capped", "sum"),
                event_error=("events", "mean"), median_rel_error=("median", "mean"),
                log_hr_error=("log_hr", "mean"), ms_per_arm=("ms_per_arm", "median"),
            ).to_string())
            print("\nPaired, ours minus each R tool on the pairs both reconstructed (negative: ours closer to the "
                  "truth); se: standard error of the mean difference, so a difference within about 2 se is not "
                  "shown to be real\n")
            print(paired_differences(versus).to_string())
        if args.suite_seeds > 0:
            seeds = suite_over_seeds(args.suite_seeds)
            print(f"\n4. The ground-truth suite of the tests over seeds 0-{args.suite_seeds - 1} (SYNTHETIC; 18 arms "
                  "per seed): spread over seeds of the per-seed means (issue target: events <= 1, log HR <= 0.01)\n")
            print(seeds.groupby("mode").agg(
                seeds=("event_error", "size"), events_mean=("event_error", "mean"), events_sd=("event_error", "std"),
                events_min=("event_error", "min"), events_max=("event_error", "max"),
                seeds_over_1=("event_error", lambda e: int((e > 1).sum())),
                log_hr_mean=("log_hr_error", "mean"), log_hr_max=("log_hr_error", "max"),
                max_at_risk_difference=("max_at_risk_difference", "max"),
            ).to_string())
        if args.floor_reps > 0:
            floor = noise_floor(rng, args.floor_reps)
            print("\n5. Digitizing noise and risk-table spacing against the algorithm (SYNTHETIC; noise 1 = the "
                  "sweep's sd of 0.002 of each axis): events error per arm with the sweep's 6-monthly table, the "
                  "same with every true censoring time given (an oracle for where the censorings fell), and a "
                  "monthly table; then the signed mean by design with the sweep's table\n")
            print(floor.groupby(["n", "inputs", "noise"], sort=False)["events"].mean().unstack("noise").to_string())
            print()
            sweep_table = floor[floor["inputs"] == FLOOR_INPUTS[0]]
            print(sweep_table.groupby(["n", "design", "noise"], sort=False)["signed"].mean().unstack("noise").to_string())


if __name__ == "__main__":
    main()
