"""compare_survival against R's survival (coxph, survdiff, survmean/survRM2).

The reference numbers come from ``tests/reference/survival.R``: for each
dataset R fits ``group`` (second level) against ``reference`` (first level);
compare_survival reports arm A against arm B, so A is R's second level.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthesis.compare import (
    CROSS_TRIAL_CAVEAT,
    baseline_side_by_side,
    bootstrap_medians,
    compare_survival,
    load_ipd_csv,
    methods_paragraph,
)
from synthesis.errors import InvalidInputError
from synthesis.survival import kaplan_meier

REFERENCE = json.loads((Path(__file__).parent / "reference" / "survival.json").read_text())

#: As in test_survival: R prints 15 significant digits; the Cox fit iterates.
RTOL = 1e-6


def arms(name):
    ds = REFERENCE["datasets"][name]
    data = pd.DataFrame(ds["data"])
    reference, group = ds["levels"]
    a = data[data.group == group][["time", "event"]].reset_index(drop=True)
    b = data[data.group == reference][["time", "event"]].reset_index(drop=True)
    return ds, a, b


def cart_arms():
    """The synthetic CAR-T-like arms: A has a plateau (median not reached), B does not."""
    folder = Path(__file__).parent / "reference"
    return pd.read_csv(folder / "compare_arm_a.csv"), pd.read_csv(folder / "compare_arm_b.csv")


@pytest.mark.parametrize("name", ["lung", "aml", "veteran", "cart"])
def test_statistics_match_r(name):
    ds, a, b = arms(name)
    for expected in ds["rmst_diff"]:
        tau = expected["tau"]
        if tau > min(a.time.max(), b.time.max()):
            continue
        got = compare_survival(a, b, tau=tau, n_boot=200)
        head = got.headline()
        assert head["hr"] == pytest.approx(ds["cox"]["hr"], rel=RTOL)
        assert head["hr_ci_low"] == pytest.approx(ds["cox"]["ci_low"], rel=RTOL)
        assert head["hr_ci_high"] == pytest.approx(ds["cox"]["ci_high"], rel=RTOL)
        assert head["logrank_p"] == pytest.approx(ds["logrank"]["p_value"], rel=RTOL)
        assert head["rmst_diff"] == pytest.approx(expected["diff"], rel=RTOL)
        assert head["rmst_diff_ci_low"] == pytest.approx(expected["ci_low"], rel=RTOL)
        assert head["rmst_diff_ci_high"] == pytest.approx(expected["ci_high"], rel=RTOL)
        by_group = ds["by_group"]
        rmst_a = next(r for r in by_group[ds["levels"][1]]["rmean"] if r["tau"] == tau)
        assert head["rmst_a"] == pytest.approx(rmst_a["estimate"], rel=RTOL)
        median_a = by_group[ds["levels"][1]]["median"]["estimate"]
        assert head["median_a"] == (None if median_a is None else pytest.approx(median_a))


def test_not_reached_median_is_null_not_infinite():
    a, b = cart_arms()
    got = compare_survival(a, b, n_boot=200)
    head = got.headline()
    assert head["median_a"] is None
    assert head["median_ratio"] is None and head["median_ratio_ci_low"] is None
    assert all(v is None or np.isfinite(v) for v in head.values())
    assert got.summary_frame().set_index("statistic").loc["Median, A (months)", "note"] == "not reached"
    assert CROSS_TRIAL_CAVEAT in got.caveats


def test_default_tau_is_shorter_follow_up():
    a, b = cart_arms()
    got = compare_survival(a, b, n_boot=200)
    assert got.tau == min(a.time.max(), b.time.max())


def test_median_ratio_bootstrap_interval_is_reproducible_and_covers_estimate():
    _, a, b = arms("lung")
    first = compare_survival(a, b, n_boot=500, seed=7)
    second = compare_survival(a, b, n_boot=500, seed=7)
    assert first.median_ratio == pytest.approx(270 / 426)
    assert first.median_ratio_ci_low < first.median_ratio < first.median_ratio_ci_high
    assert first.median_ratio_ci_low == second.median_ratio_ci_low


def test_bootstrap_medians_agree_with_kaplan_meier_on_each_resample():
    rng = np.random.default_rng(3)
    time = np.round(rng.exponential(10, 60), 0)
    event = (rng.random(60) < 0.7).astype(int)
    medians = bootstrap_medians(time, event, 50, np.random.default_rng(11))
    order = np.argsort(time, kind="stable")
    time, event = time[order], event[order]
    draws = np.random.default_rng(11).integers(0, 60, size=(50, 60))
    assert np.isfinite(medians).any()
    for idx, m in zip(draws, medians):
        expected = kaplan_meier(time[idx], event[idx]).median.estimate
        assert m == (np.inf if expected is None else pytest.approx(expected))


def test_landmark_differences():
    a, b = cart_arms()
    got = compare_survival(a, b, n_boot=200, landmarks=[6, 12, 24])
    km_a, km_b = kaplan_meier(a.time, a.event), kaplan_meier(b.time, b.event)
    expected = km_a.survival_at([12])["survival"][0] - km_b.survival_at([12])["survival"][0]
    assert got.landmarks.set_index("time").loc[12.0, "difference"] == pytest.approx(expected)


def test_approximate_arm_carries_its_label():
    a, b = cart_arms()
    got = compare_survival(a, b, n_boot=200, label_b="Study X", approximate=["Study X"])
    assert any("Study X is a curve approximate, from summary statistics" in c for c in got.caveats)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.rename(columns={"event": "status"}), "missing column"),
        (lambda d: d.assign(event=0), "no events"),
        (lambda d: d.assign(time=-d.time), "negative"),
    ],
)
def test_bad_ipd(change, message):
    a, b = cart_arms()
    with pytest.raises(InvalidInputError, match=message):
        compare_survival(change(a), b, n_boot=200)


def test_tau_beyond_follow_up():
    a, b = cart_arms()
    with pytest.raises(InvalidInputError, match="beyond the follow-up of B"):
        compare_survival(a, b, tau=35.0, n_boot=200)


def test_methods_paragraph_states_methods():
    a, b = cart_arms()
    text = methods_paragraph(endpoint="PFS", populations=["all"], n_medians=5, n_not_reached=2,
                             pooled_description="weighted median of medians (McGrath et al. 2019)",
                             comparison=compare_survival(a, b, n_boot=200), approximate_models=["Weibull"])
    for phrase in ("not imputed", "McGrath", "Efron", "cross-trial", "approximate, from summary statistics"):
        assert phrase in text


def test_baseline_side_by_side():
    baseline = pd.DataFrame(
        [
            ("S1", "age", None, "median", None, 11, 58.0, 54.0, 70.0, "years"),
            ("S1", "sex", "male", "proportion", 6, 11, 0.545, None, None, "proportion"),
            ("S2", "age", None, "median", None, 74, 54.5, 27.0, 74.0, "years"),
            ("S2", "prior_ASCT", "yes", "proportion", None, 74, 0.243, None, None, "proportion"),
        ],
        columns=["source_id", "characteristic", "category", "statistic", "events", "n", "estimate",
                 "range_low", "range_high", "unit"],
    )
    table = baseline_side_by_side(baseline, "S1", "S2", label_a="one", label_b="two").set_index("characteristic")
    assert list(table.columns) == ["category", "one", "two"]
    assert table.loc["age", "one"] == "median 58 (54-70) years"
    assert table.loc["age", "two"] == "median 54.5 (27-74) years"
    assert table.loc["sex", "one"] == "6/11 (54.5%)" and table.loc["sex", "two"] == ""
    assert table.loc["prior_ASCT", "two"] == "24.3%"


def test_comparison_is_json_ready_with_nr_as_null():
    a, b = cart_arms()
    data = json.loads(json.dumps(compare_survival(a, b, n_boot=200).to_dict()))
    assert data["median_a"] is None and data["median_a_text"].startswith("NR")


def test_load_ipd_csv_reads_files_and_buffers(tmp_path):
    import io

    frame = load_ipd_csv(io.StringIO("Time,Event\n1.5,1\n2,0\n"), name="upload.csv")
    assert list(frame.columns) == ["time", "event"] and frame.event.tolist() == [1, 0]
    with pytest.raises(InvalidInputError, match="not found"):
        load_ipd_csv(tmp_path / "missing.csv", name="missing.csv")
    with pytest.raises(InvalidInputError, match="readable CSV"):
        load_ipd_csv(io.StringIO(""), name="empty.csv")
