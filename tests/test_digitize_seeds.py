"""Digitizer on trials other than the three the accuracy tests are tuned on.

``tests/test_digitize.py`` asserts the issue's 0.5 % target on SYNTHETIC
trials 1, 20 and 30. Trials 2-13 of the benchmark (``bench/bench_digitize.py``)
showed failures those three hid: a curve not found at all (a dotted line on
8 of seeds 2-12), the last drop of a curve lost (18.5 % on seed 3 in most
styles; 6.5 % on seed 2 with a grid), overlapping arms traced on the wrong
curve (9.7-14.0 % on seeds 4, 5 and 8). This guard renders every style on
seeds 2-5 and asserts that each curve is found and followed to within
:data:`GROSS_MISS`: no lost drop, branch or curve. It is not the 0.5 %
target, which the benchmark reports per style over 15 seeds.
"""

from __future__ import annotations

import pytest
from km_figures import STYLES, color_distance, default_arms, render_km_figure

from synthesis.digitize import digitize_curves, load_figure

#: A lost drop, curve or branch misses by 5-19 % of the axis; the worst
#: honest misses over seeds 2-13 (a drop placed beside a '+' mark on a dashed
#: or dotted line) are 1.2-1.5 %.
GROSS_MISS = 0.02

SEEDS = (2, 3, 4, 5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(STYLES))
def test_every_curve_is_found_and_followed(name, seed):
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    for arm, colour in fig.colors.items():
        candidates = [c for c in digitized.curves if color_distance(c.color, colour) < 60]
        assert candidates, f"arm {arm} ({colour}) not found; found {[c.name for c in digitized.curves]}"
        miss = min(fig.error(arm, c.points) for c in candidates)
        assert miss <= GROSS_MISS, f"arm {arm} misses by {miss:.2%}"
