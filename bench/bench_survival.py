"""Agreement with R's survival and speed of synthesis.survival / synthesis.compare.

Run: ``python bench/bench_survival.py``. Prints the largest relative
difference to R (``tests/reference/survival.json``) per quantity, then the
time per call of kaplan_meier, cox_hazard_ratio and compare_survival for
arms of 100, 1,000 and 10,000 patients, and how closely a curve fitted to
summary statistics follows the trial it summarises.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthesis.approximate import fit_summary_curve  # noqa: E402
from synthesis.compare import compare_survival  # noqa: E402
from synthesis.survival import cox_hazard_ratio, kaplan_meier, logrank_test  # noqa: E402

REFERENCE = json.loads((ROOT / "tests" / "reference" / "survival.json").read_text())["datasets"]


def relative_gap(actual, expected) -> float:
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(np.asarray([np.nan if v is None else v for v in np.atleast_1d(expected)], dtype=float))
    if not np.array_equal(np.isfinite(a), np.isfinite(e)):
        return np.inf
    keep = np.isfinite(e)
    if not keep.any():
        return 0.0
    return float(np.max(np.abs(a[keep] - e[keep]) / np.maximum(np.abs(e[keep]), 1e-12)))


def agreement() -> pd.DataFrame:
    worst: dict[str, float] = {}

    def note(name, actual, expected):
        worst[name] = max(worst.get(name, 0.0), relative_gap(actual, expected))

    for ds in REFERENCE.values():
        data = ds["data"]
        time_, event, group = map(np.asarray, (data["time"], data["event"], data["group"]))
        blocks = [(time_, event, ds["pooled"])] + [
            (time_[group == g], event[group == g], b) for g, b in ds["by_group"].items()
        ]
        for t, e, ref in blocks:
            km = kaplan_meier(t, e)
            table = km.summary_frame()
            for column in ("survival", "std_err", "ci_low", "ci_high"):
                note(f"KM {column}", table[column], ref["table"][column])
            for field in ("estimate", "ci_low", "ci_high"):
                note(f"median {field}", getattr(km.median, field), ref["median"][field])
            marks = km.survival_at(ref["landmarks"]["time"])
            note("landmark survival", marks["survival"], ref["landmarks"]["survival"])
            for r in ref["rmean"]:
                rm = km.restricted_mean(r["tau"])
                note("RMST", rm.estimate, r["estimate"])
                note("RMST se", rm.std_err, r["std_err"])
        lr = logrank_test(data["time"], data["event"], data["group"])
        note("log-rank chi2", lr.statistic, ds["logrank"]["statistic"])
        note("log-rank p", lr.p_value, ds["logrank"]["p_value"])
        cox = cox_hazard_ratio(data["time"], data["event"], data["group"])
        for field in ("hr", "ci_low", "ci_high", "p_value"):
            note(f"Cox {field}", getattr(cox, field), ds["cox"][field])
    return pd.DataFrame({"quantity": list(worst), "max relative difference to R": list(worst.values())})


def arm(n: int, rng: np.random.Generator, scale: float) -> pd.DataFrame:
    event_time = rng.weibull(1.2, n) * scale
    censor = rng.uniform(12, 48, n)
    return pd.DataFrame({"time": np.round(np.minimum(event_time, censor), 2),
                         "event": (event_time <= censor).astype(int)})


def per_call(func, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - start) / repeat * 1e3


def speed() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for n in (100, 1_000, 10_000):
        a, b = arm(n, rng, 20.0), arm(n, rng, 14.0)
        both = pd.concat([a.assign(g="A"), b.assign(g="B")])
        repeat = 20 if n < 10_000 else 3
        rows.append({
            "n per arm": n,
            "kaplan_meier ms": per_call(lambda: kaplan_meier(a.time, a.event), repeat),
            "cox_hazard_ratio ms": per_call(lambda: cox_hazard_ratio(both.time, both.event, both.g), repeat),
            "compare_survival (1000 boot) ms": per_call(lambda: compare_survival(a, b, tau=12), max(1, repeat // 4)),
        })
    return pd.DataFrame(rows)


def approximation(trials: int = 20, n: int = 400) -> pd.DataFrame:
    """Cure-Weibull fitted to a simulated trial's KM summaries versus that trial's own curve."""
    rows = []
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        event_time = np.where(rng.random(n) < 0.35, np.inf, 9.0 * rng.weibull(1.2, n))
        censor = rng.uniform(30, 48, n)
        ipd = pd.DataFrame({"time": np.minimum(event_time, censor), "event": (event_time <= censor).astype(int)})
        km = kaplan_meier(ipd.time, ipd.event)
        marks = km.survival_at([6.0, 12.0, 24.0])[["time", "survival", "ci_low", "ci_high"]]
        curve = fit_summary_curve(n=n, median=km.median.estimate, median_ci=(km.median.ci_low, km.median.ci_high),
                                  landmarks=marks, model="cure_weibull", follow_up=30.0)
        grid = np.linspace(1, 30, 30)
        hr = compare_survival(curve.pseudo_ipd(), ipd, tau=30, n_boot=100).cox.hr
        rows.append({"max |S_fit - KM| to 30 mo": float(np.max(np.abs(curve.survival(grid) - km.survival_at(grid)["survival"]))),
                     "HR approximate vs own IPD": hr})
    return pd.DataFrame(rows).agg(["mean", "min", "max"])


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    print("Agreement with R survival", REFERENCE and json.loads(
        (ROOT / "tests" / "reference" / "survival.json").read_text())["survival_version"])
    print(agreement().to_string(index=False, float_format=lambda v: f"{v:.1e}"))
    print()
    print("Speed (this machine)")
    print(speed().to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print()
    print("Summary-statistics approximation (cure-Weibull from median + 3 landmark rates, n = 400, 20 trials)")
    print(approximation().to_string(float_format=lambda v: f"{v:.3f}"))
