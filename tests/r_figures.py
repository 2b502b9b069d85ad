"""Kaplan-Meier figures drawn by R, with their truth, for the tests and the benchmark.

``tests/reference/km_figures_r.R`` drew the SYNTHETIC arms of
:func:`km_figures.default_arms` (the matplotlib default style, seeds 1-3)
with base R's ``plot.survfit`` and with ggplot2 in six styles;
``reference/r_figures/manifest.csv`` gives each figure's calibration in
pixels from R's own coordinate transforms, ``arms.csv`` the patients.
Regenerate them with ``python tests/reference/make_r_figures.py``; reading
them needs no R.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
from km_figures import km_steps, tube_error

from synthesis.calibration import AxisCalibration
from synthesis.digitize import DigitizedCurve, digitize_curves, load_figure

FIGURES = Path(__file__).parent / "reference" / "r_figures"
MANIFEST = pd.read_csv(FIGURES / "manifest.csv")
ARMS = pd.read_csv(FIGURES / "arms.csv")


def calibration(row) -> AxisCalibration:
    """The exact calibration of a manifest row: t = 0 and the axis end, survival 0 and 1."""
    return AxisCalibration.from_points(
        x=[(row.x0_px, 0.0), (row.x1_px, row.x_max)], y=[(row.y0_px, 0.0), (row.y1_px, 1.0)]
    )


@functools.cache
def digitized(row) -> list[DigitizedCurve]:
    """The curves the digitizer extracts from the figure of a manifest row (computed once)."""
    return digitize_curves(load_figure((FIGURES / row.file).read_bytes()), calibration(row)).curves


def arm_errors(row, curves) -> pd.DataFrame:
    """Tube error of every extracted curve against each true arm of the figure."""
    rows = []
    for arm in ("A", "B"):
        ipd = ARMS[(ARMS.seed == row.seed) & (ARMS.arm == arm)]
        step_t, step_s, _ = km_steps(ipd)
        for curve in curves:
            error = tube_error((step_t, step_s), curve.points, (0.0, row.x_max), ipd.time.max())
            rows.append({"arm": arm, "curve": curve.name, "error": error})
    return pd.DataFrame(rows, columns=["arm", "curve", "error"])


def best_per_arm(errors: pd.DataFrame) -> pd.DataFrame:
    """Per arm, the curve that fits it best and its error (indexed by arm)."""
    return errors.loc[errors.groupby("arm")["error"].idxmin()].set_index("arm")


def own_curve_errors(row) -> dict[str, float]:
    """Each arm's error against its best curve; infinite where the other arm fits that curve better."""
    best = best_per_arm(arm_errors(row, digitized(row)))
    result = {}
    for arm, other in (("A", "B"), ("B", "A")):
        if arm not in best.index:
            result[arm] = float("inf")
            continue
        shared = other in best.index and best.loc[arm, "curve"] == best.loc[other, "curve"]
        lost = shared and best.loc[arm, "error"] > best.loc[other, "error"]
        result[arm] = float("inf") if lost else float(best.loc[arm, "error"])
    return result
