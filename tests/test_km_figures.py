"""The accuracy measure of the digitizer tests (tests/km_figures.tube_error) on curves whose miss is known,
and the seed lists the digitizer benchmarks take."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest

from km_figures import parse_seeds, tube_error

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


@pytest.mark.parametrize(("late", "miss"), [(0.0, 0.0), (0.1, 0.0), (0.3, 0.1)])
def test_a_drop_at_time_zero_within_the_sideways_tolerance_is_no_miss(late, miss):
    """An event at time 0 drops the curve on the y axis. Read 0.1 month late
    (within 0.18) it is a match, as a drop anywhere else would be; survival
    before time 0 is 1, not the value after that drop (0.1 % before, a full
    step). 0.3 months late, survival 1 where the curve is at 0.9 is the miss."""
    true = (np.array([0.0, 0.0, 4.0]), np.array([1.0, 0.9, 0.5]))
    points = _corners([late, 4.0], [0.9, 0.5])
    assert tube_error(true, points, X_RANGE, t_end=4.0) == pytest.approx(miss)


def test_seed_lists_take_numbers_and_inclusive_ranges():
    assert parse_seeds("1,20,30,2-4") == (1, 20, 30, 2, 3, 4)
    assert parse_seeds(" 85-87 ") == (85, 86, 87)
    with pytest.raises(argparse.ArgumentTypeError, match="no seeds"):
        parse_seeds("5-4")
