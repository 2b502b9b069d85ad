"""Write the SYNTHETIC example arms used by the Reconstruct page and the README.

Two arms of simulated patients (no study's data: Weibull event times with a
cure fraction, staggered accrual, drop-out; see ``tests/km_simulation.py``),
digitized with noise as a reviewer would, with numbers at risk every 6 months
and the censor-mark times. Run ``python bench/make_synthetic_example.py`` to
rewrite ``data/examples/synthetic_km_arm_{a,b}*.csv``; the seed fixes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from km_simulation import Scenario, at_risk_table, censor_marks, digitize, simulate_arm  # noqa: E402

SEED = 20261121
OUT = ROOT / "data" / "examples"
ARMS = {
    "a": Scenario("synthetic arm A", n=120, median=10, cure=0.2, accrual=24, follow_up=18,
                  dropout_rate=0.01, clicks=120),
    "b": Scenario("synthetic arm B", n=115, median=16, cure=0.35, accrual=24, follow_up=18,
                  dropout_rate=0.01, clicks=120),
}
HEADER = (
    "# SYNTHETIC example ({what}) of {name}: simulated patients (seed {seed}), not data from any "
    "study; written by bench/make_synthetic_example.py\n"
)


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    for key, scenario in ARMS.items():
        ipd = simulate_arm(scenario, rng, hazard_ratio=1.0)
        tables = {
            "": ("digitized points", digitize(ipd, scenario.clicks, rng).sort_values("time").round(4)),
            "_at_risk": ("numbers at risk", at_risk_table(ipd, 6.0)),
            "_censor_times": (
                "censor-mark times",
                pd.DataFrame({"time": np.round(censor_marks(ipd, rng), 3)}),
            ),
        }
        for suffix, (what, table) in tables.items():
            path = OUT / f"synthetic_km_arm_{key}{suffix}.csv"
            with path.open("w") as handle:
                handle.write(HEADER.format(what=what, name=scenario.name, seed=SEED))
                table.to_csv(handle, index=False, lineterminator="\n")
            print(f"wrote {path.relative_to(ROOT)} ({len(table)} rows)")


if __name__ == "__main__":
    main()
