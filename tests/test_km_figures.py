"""The accuracy measure of the digitizer tests (tests/km_figures.tube_error) on curves whose miss is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from km_figures import tube_error

TRUE = (np.array([0.0, 4.0, 10.0]), np.array([1.0, 0.6, 0.0]))  # the last drop at the last follow-up
X_RANGE = (0.0, 36.0)  # 0.5 % of it: 0.18 months sideways


def _corners(drops: list[float], levels: list[float]) -> pd.DataFrame:
    time = [0.0] + [t for t in drops for _ in (0, 1)]
    survival = [1.0] + [v for pair in zip([1.0] + levels[:-1], levels, strict=True) for v in pair]
    return pd.DataFrame({"time": time, "survival": survival})


@pytest.mark.parametrize(("late", "miss"), [(0.0, 0.0), (0.1, 0.0), (0.3, 0.6)])
def test_a_last_drop_within_the_sideways_tolerance_is_no_miss(late, miss):
    """Drawn 0.1 month after the last follow-up (within 0.18), the drop to 0
    is a match; 0.3 months late, the level before it (0.6) is the miss."""
    points = _corners([4.0, 10.0 + late], [0.6, 0.0])
    assert tube_error(TRUE, points, X_RANGE, t_end=10.0) == pytest.approx(miss)


def test_a_level_off_by_a_share_of_the_axis_misses_by_that_share():
    points = _corners([4.0, 10.0], [0.59, 0.0])
    assert tube_error(TRUE, points, X_RANGE, t_end=10.0) == pytest.approx(0.01)
