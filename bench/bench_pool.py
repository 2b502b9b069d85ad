"""Time to pool k = 10, 100, 1000 studies with each method (logit scale).

Run: ``python bench/bench_pool.py``. The studies are SYNTHETIC (seeded
random sizes 10-200 and logit-normal true rates around 80%), chosen only to
exercise the code at realistic and extreme k. Prints the median wall time of
a few repeats per cell, in milliseconds, with and without Knapp-Hartung.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthesis.proportions import METHODS, pool_proportions  # noqa: E402

SIZES = (10, 100, 1000)
REPEATS = {10: 5, 100: 3, 1000: 1}


def synthetic_studies(k: int, seed: int = 2026) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC counts: n ~ U{10..200}, logit(p) ~ N(logit 0.8, 0.6^2)."""
    rng = np.random.default_rng(seed + k)
    n = rng.integers(10, 201, size=k)
    p = 1 / (1 + np.exp(-(np.log(4) + 0.6 * rng.standard_normal(k))))
    return rng.binomial(n, p), n


def time_once(events, n, method: str, hksj: bool) -> float:
    start = time.perf_counter()
    pool_proportions(events, n, measure="PLO", method=method, hksj=hksj)
    return 1000 * (time.perf_counter() - start)


def main() -> None:
    print("Pooling SYNTHETIC studies on the logit scale; median wall time in ms")
    header = f"{'method':<8}{'HKSJ':<6}" + "".join(f"{f'k={k}':>12}" for k in SIZES)
    print(header)
    print("-" * len(header))
    data = {k: synthetic_studies(k) for k in SIZES}
    for method in METHODS:
        for hksj in (False, True):
            cells = []
            for k in SIZES:
                events, n = data[k]
                runs = [time_once(events, n, method, hksj) for _ in range(REPEATS[k])]
                cells.append(f"{statistics.median(runs):>12.1f}")
            print(f"{method:<8}{'yes' if hksj else 'no':<6}" + "".join(cells))


if __name__ == "__main__":
    main()
