"""Digitizer on Kaplan-Meier figures drawn by R, not by matplotlib.

The accuracy tests render their figures with matplotlib, which snaps
horizontal and vertical lines to whole pixels. Most published figures come
from R (base ``plot.survfit``, ggplot2 and survminer) or SAS, whose
anti-aliased lines straddle pixel rows, whose dashes are longer, and whose
legends sit beside the panel. ``tests/reference/km_figures_r.R`` drew the
same SYNTHETIC arms as the matplotlib default style (seeds 1-3) in six R
styles, with each figure's exact calibration from R's own coordinate
transforms (``tests/reference/r_figures/manifest.csv``); regenerate them with
``python tests/reference/make_r_figures.py``. Each true arm must be matched
by its own extracted curve within the issue's 0.5 % of the axis; all 36 are.
"""

from __future__ import annotations

import pytest
from km_figures import color_distance
from r_figures import ARMS, FIGURES, MANIFEST, arm_errors, best_per_arm, calibration, digitized, own_curve_errors

from synthesis.digitize import find_curve_colors, load_figure

#: The issue's target: within 0.5 % of the axis range.
TOLERANCE = 0.005

def _cases():
    for row in MANIFEST.itertuples():
        for arm in ("A", "B"):
            yield pytest.param(row, arm, id=f"{row.style}-{row.seed}-{arm}")


@pytest.mark.parametrize(("row", "arm"), _cases())
def test_each_arm_has_its_own_curve_within_half_a_percent(row, arm):
    # One curve cannot stand for both arms: the arm it fits worse has none (an infinite error).
    error = own_curve_errors(row)[arm]
    assert error <= TOLERANCE, f"arm {arm} of {row.file} misses by {error:.2%}"


@pytest.mark.parametrize("row", [r for r in MANIFEST.itertuples() if "thin" in r.style],
                         ids=lambda r: r.file)
def test_unsnapped_one_pixel_lines_give_one_colour_per_arm(row):
    """R's 1 px lines straddle pixel rows: their blends with the paper are the arm's colour.

    Before, the blends were listed as colours of their own (#66b9e8 beside
    #2e9fdf) or split an arm so that neither part spanned the plot.
    """
    colors = find_curve_colors(load_figure((FIGURES / row.file).read_bytes()), calibration(row))
    drawn = ("#e7b800", "#2e9fdf") if row.style.startswith("base") else ("#f8766d", "#00bfc4")
    assert len(colors) == 2
    for hex_color in drawn:
        assert min(color_distance(hex_color, c.hex) for c in colors) < 20, (hex_color, colors)


#: Where the plot panel ends on the time axis (months): base graphics draw
#: with ``xaxs = "i"`` (no expansion), ggplot2 with ``expand = c(0.02, 0)``.
PANEL_END = {"base": 36.0, "ggplot": 36.0 * 1.02}


@pytest.mark.parametrize("row", list(MANIFEST.itertuples()), ids=lambda row: row.file)
def test_no_curve_is_followed_out_of_the_panel(row):
    """ggplot2 puts the legend beside the panel, its keys short segments in the
    curve colours at about the curves' heights; a curve followed into a key
    ran on to t = 39.1 (seed 3, arm A missed by 13 %)."""
    panel_end = PANEL_END[row.style.split()[0]]
    # Half a pixel of the time axis: where a line's last pixel is read.
    slack = 0.5 * row.x_max / (row.x1_px - row.x0_px)
    for curve in digitized(row):
        assert curve.points.time.max() <= panel_end + slack, (curve.name, curve.warnings)


@pytest.mark.parametrize("row", list(MANIFEST.itertuples()), ids=lambda row: row.file)
def test_an_arm_without_its_own_curve_is_reported(row):
    """Honest limits: where one curve stands for both arms, it says that a second curve was not split.

    R's 'base bw' seeds 1-3 returned one black curve without a word until the
    dash gap was measured in the image (the dashed arm missed by 34-42 %), and
    'ggplot thin' seed 3 until the thin lines' blends with the paper were
    folded into their colours (42 %).
    """
    curves = digitized(row)
    errors = arm_errors(row, curves)
    best = best_per_arm(errors)
    if best.loc["A", "curve"] != best.loc["B", "curve"]:
        return
    shared = next(c for c in curves if c.name == best.loc["A", "curve"])
    assert any("could not be split" in w for w in shared.warnings), (
        f"{row.file}: one curve, {shared.name}, stands for both arms without a warning"
    )


def test_the_figures_are_what_the_manifest_says():
    """Guards the fixtures: every figure exists, and its calibration maps the axis inside the image."""
    for row in MANIFEST.itertuples():
        image = load_figure((FIGURES / row.file).read_bytes())
        height, width = image.shape[:2]
        assert 0 < row.x0_px < row.x1_px < width and 0 < row.y1_px < row.y0_px < height, row.file
        assert set(ARMS[ARMS.seed == row.seed].arm) == {"A", "B"}
