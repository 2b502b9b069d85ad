"""Benchmark the digitizer: accuracy per figure style and speed on a large figure.

Run: ``python bench/bench_digitize.py [--seeds 85-105]``. Renders Kaplan-Meier figures of two
SYNTHETIC arms with matplotlib in every style of ``tests/km_figures.py``,
digitizes them with the exact calibration and prints, per style and arm:

- ``tube``: (first seed, worst over the 15 seeds of SYNTHETIC data in
  :data:`SEEDS` or those given by ``--seeds``, and on how many seeds it is
  within 0.5 %) the largest
  vertical miss between extracted and true curve, allowing 0.5 % of the time
  axis sideways, as a share of the survival axis (target <= 0.005, the
  issue's "within 0.5 % of the axis range"); a curve not found counts as a
  miss;
- ``hausdorff``: the Hausdorff distance of the two drawn step curves with both
  axes scaled to 0-1 (stricter: a drop 0.6 % off sideways counts 0.006);
- ``rmse``: root-mean-square survival error at 100 times (SurvdigitizeR's
  measure; it reports about 0.012);
- censor marks found / drawn (marks drawn on top of each other count as drawn);
- the warnings the digitizer gave;

and the time to digitize a 1600 x 1200 figure (target < 1 s), median of 5.
Then the same accuracy on the figures R drew of the same SYNTHETIC arms
(``tests/reference/r_figures``: base ``plot.survfit`` and ggplot2, six styles,
seeds 1-3), whose lines are not snapped to pixels: per style, the arms within
0.5 % and the worst miss (an arm with no curve of its own counts as missing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from km_figures import (  # noqa: E402
    STYLES,
    color_distance,
    curve_distance,
    default_arms,
    parse_seeds,
    render_km_figure,
    survival_at,
)

from r_figures import MANIFEST, own_curve_errors  # noqa: E402

from synthesis.digitize import digitize_curves, load_figure  # noqa: E402


#: Each style is drawn from these SYNTHETIC trials; the table shows the first in
#: full, the worst over all and how many are within 0.5 %. The tests assert on
#: 1, 20 and 30 (and more for some styles); 2-13 were added when they showed
#: misses the three did not.
SEEDS = (1, 20, 30, *range(2, 14))
#: Trials no test, benchmark or tuning had used when the README's numbers on
#: them were measured (session 9); run them with ``--seeds 85-105``.
UNSEEN_SEEDS = "85-105"


def _rmse(steps, points, t_end) -> float:
    grid = np.linspace(0, t_end, 100)
    pts = points.sort_values(["time", "survival"], ascending=[True, False])
    keep = np.append(pts.time.to_numpy()[1:] != pts.time.to_numpy()[:-1], True)
    got = survival_at(pts.time.to_numpy()[keep], pts.survival.to_numpy()[keep], grid)
    return float(np.sqrt(np.mean((got - survival_at(*steps, grid)) ** 2)))


def accuracy_rows(seeds: tuple[int, ...] = SEEDS) -> list[tuple]:
    rows = []
    for name, style in STYLES.items():
        worst: dict[str, float] = {}
        passed: dict[str, int] = {}
        for seed in seeds:
            fig = render_km_figure(style, default_arms(style, seed=seed))
            image = load_figure(fig.image)
            start = time.perf_counter()
            try:
                digitized = digitize_curves(image, fig.calibration)
            except Exception as exc:  # a benchmark reports failures instead of stopping
                rows.append((name, seed, "-", "-", "-", "-", "-", "-", "-", "-", f"FAILED: {exc}"))
                continue
            seconds = time.perf_counter() - start
            for arm, colour in fig.colors.items():
                t_end = fig.arms[arm].time.max()
                candidates = [c for c in digitized.curves if color_distance(c.color, colour) < 60]
                if not candidates:
                    worst[arm] = np.inf
                    if seed == seeds[0]:
                        rows.append([name, seed, f"{arm}=not found", "missing", "-", "-", "-", f"{seconds:.2f}", ""])
                    continue
                curve = min(candidates, key=lambda c: fig.error(arm, c.points))
                worst[arm] = max(worst.get(arm, 0.0), fig.error(arm, curve.points))
                passed[arm] = passed.get(arm, 0) + (fig.error(arm, curve.points) <= 0.005)
                if seed != seeds[0]:
                    continue
                drawn = len(np.unique(np.round(fig.censor_times[arm] / 0.2))) if style.censor_marker else 0
                rows.append([
                    name, seed, f"{arm}={curve.name}",
                    f"{fig.error(arm, curve.points):.4f}",
                    f"{curve_distance(fig.steps[arm], curve.points, fig.x_range, t_end):.4f}",
                    f"{_rmse(fig.steps[arm], curve.points, t_end):.4f}",
                    f"{len(curve.censor_times)}/{drawn}",
                    f"{seconds:.2f}",
                    "; ".join(w[:60] for w in curve.warnings),
                ])
        for row in rows:
            if row[0] == name and isinstance(row, list):
                arm = row[2].split("=")[0]
                row[4:4] = [f"{worst.get(arm, np.nan):.4f}", f"{passed.get(arm, 0)}/{len(seeds)}"]
                rows[rows.index(row)] = tuple(row)
    return rows


def large_figure_seconds(repeats: int = 5) -> tuple[float, float]:
    fig = render_km_figure(STYLES["large 1600x1200"])
    image = load_figure(fig.image)
    assert image.shape[:2] == (1200, 1600)
    total, extract = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        image = load_figure(fig.image)
        mid = time.perf_counter()
        digitize_curves(image, fig.calibration)
        end = time.perf_counter()
        total.append(end - start)
        extract.append(end - mid)
    return statistics.median(total), statistics.median(extract)


def r_figure_table() -> list[tuple[str, str, str]]:
    """Per R style: arms within 0.5 % of those drawn, and the worst miss."""
    errors: dict[str, list[float]] = {}
    for row in MANIFEST.itertuples():
        errors.setdefault(row.style, []).extend(own_curve_errors(row).values())
    return [(style, f"{sum(e <= 0.005 for e in misses)}/{len(misses)}",
             "missing" if max(misses) == float("inf") else f"{max(misses):.4f}")
            for style, misses in errors.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=SEEDS,
                        help=f"SYNTHETIC trials to draw, e.g. {UNSEEN_SEEDS} (default: "
                             f"{','.join(map(str, SEEDS))})")
    seeds = parser.parse_args().seeds
    header = ("style", "seed", "arm=curve", "tube", f"worst of {len(seeds)}", "within 0.5 %", "hausdorff",
              "rmse", "marks", "sec", "warnings")
    rows = [r for r in accuracy_rows(seeds) if len(r) == len(header)]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)) + "  " + str(row[-1]))
    tubes = [float(r[3]) for r in rows if r[3] not in ("-", "missing")]
    worst = [float(r[4]) for r in rows if r[4] not in ("-", "missing")]
    within = [tuple(map(int, r[5].split("/"))) for r in rows if r[5] not in ("-", "missing")]
    print(
        f"\nseed {seeds[0]}: {sum(t <= 0.005 for t in tubes)}/{len(rows)} arms within 0.5 %, "
        f"{sum(t <= 0.01 for t in tubes)} within 1 %, worst {max(tubes):.4f}; "
        f"over seeds {', '.join(map(str, seeds))}: {sum(k for k, _ in within)}/{sum(m for _, m in within)} "
        f"curves within 0.5 %, {sum(t <= 0.005 for t in worst)}/{len(rows)} arms always within 0.5 %, "
        f"{sum(t <= 0.01 for t in worst)} always within 1 %, worst {max(worst):.4f}"
    )
    r_rows = r_figure_table()
    print("\nFigures drawn by R (tests/reference/r_figures, seeds 1-3): arms within 0.5 %, worst miss")
    for style, within_r, worst_r in r_rows:
        print(f"  {style:<16}{within_r:>6}  {worst_r}")
    counts = [tuple(map(int, w.split("/"))) for _, w, _ in r_rows]
    print(f"  all R figures: {sum(k for k, _ in counts)}/{sum(m for _, m in counts)} arms within 0.5 %")
    total, extract = large_figure_seconds()
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"1600 x 1200 figure: {total:.2f} s to load and digitize (colours found, every curve) "
        f"({extract:.2f} s digitize_curves alone), median of 5; target < 1 s"
    )


if __name__ == "__main__":
    main()
