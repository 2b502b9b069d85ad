"""The Kaplan-Meier chart: steps, censor marks, dashed approximations, at-risk rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from synthesis.survival import kaplan_meier
from synthesis.survival_plots import (
    APPROXIMATE_LABEL,
    at_risk_table,
    at_risk_times,
    km_chart,
)


def curves():
    return {
        "A": kaplan_meier([1, 2, 3, 5, 8, 13], [1, 0, 1, 1, 0, 0]),
        "B": kaplan_meier([1, 1, 4, 6, 7], [1, 1, 1, 0, 1]),
    }


def test_at_risk_table_counts_patients_still_followed():
    table = at_risk_table(curves(), [0, 2, 6, 20])
    a = table[table.curve == "A"].n_risk.tolist()
    b = table[table.curve == "B"].n_risk.tolist()
    assert a == [6, 5, 2, 0]
    assert b == [5, 3, 2, 0]


def test_at_risk_times_are_round_and_cover_follow_up():
    ticks = at_risk_times(40)
    assert ticks[0] == 0 and ticks[-1] <= 40 and np.all(np.diff(ticks) == 12)


def test_chart_has_steps_points_dashed_approximation_and_risk_rows():
    t = np.linspace(0, 12, 5)
    chart = km_chart(
        curves(),
        points=pd.DataFrame({"time": [1.0, 3.0], "survival": [0.9, 0.6]}),
        approximate={"C": pd.DataFrame({"time": t, "survival": np.exp(-t / 10)})},
    )
    spec = json.loads(chart.to_json())
    text = json.dumps(spec)
    assert "step-after" in text
    assert "strokeDash" in text
    assert f"C ({APPROXIMATE_LABEL})" in text
    assert len(spec["vconcat"]) == 2
    assert '"n_risk"' in text


def test_chart_with_only_an_approximation_has_no_risk_table():
    t = np.linspace(0, 10, 5)
    spec = json.loads(km_chart({}, approximate={"C": pd.DataFrame({"time": t, "survival": np.exp(-t / 5)})}).to_json())
    assert len(spec["vconcat"]) == 1
    assert "strokeDash" in json.dumps(spec)
