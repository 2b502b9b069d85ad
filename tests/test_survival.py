"""Agreement of synthesis.survival with R's survival package.

Compares, on R's ``lung``, ``aml`` and ``veteran`` and on a synthetic
CAR-T-like trial with ties and a plateau (median not reached), the
Kaplan-Meier step table (``survfit`` with ``conf.type = "log"``), the median
with its interval, survival at landmark times, the restricted mean with its
standard error (``print(survfit, rmean = tau)``), the log-rank test
(``survdiff``) and the Cox hazard ratio with Efron ties (``coxph``). The
values and the R calls are in ``tests/reference/survival.json``, written by
``tests/reference/survival.R``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from synthesis.errors import InvalidInputError
from synthesis.survival import (
    MedianSurvival,
    cox_hazard_ratio,
    kaplan_meier,
    logrank_test,
    median_survival,
    restricted_mean_survival,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "survival.json").read_text())
DATASETS = REFERENCE["datasets"]

#: R prints with 15 significant digits and both sides compute in double
#: precision; 1e-6 (relative) leaves room only for that rounding and for
#: the Newton iterations of the Cox fit.
RTOL = 1e-6


def close(actual, expected) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray([np.nan if v is None else v for v in np.atleast_1d(expected)], dtype=float)
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-9, equal_nan=True)


def subsets():
    for name, ds in DATASETS.items():
        data = ds["data"]
        time, event, group = map(np.asarray, (data["time"], data["event"], data["group"]))
        yield f"{name}-pooled", time, event, ds["pooled"]
        for label, block in ds["by_group"].items():
            yield f"{name}-{label}", time[group == label], event[group == label], block


CASES = list(subsets())
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "time", "event", "ref"), CASES, ids=IDS)
def test_step_table_matches_survfit(name, time, event, ref):
    table = kaplan_meier(time, event).summary_frame()
    for column in ("time", "n_risk", "n_event", "n_censor", "survival", "std_err", "ci_low", "ci_high"):
        close(table[column], ref["table"][column])


@pytest.mark.parametrize(("name", "time", "event", "ref"), CASES, ids=IDS)
def test_median_and_interval_match_survfit(name, time, event, ref):
    median = median_survival(time, event)
    for field in ("estimate", "ci_low", "ci_high"):
        expected = ref["median"][field]
        actual = getattr(median, field)
        if expected is None:
            assert actual is None
        else:
            assert actual == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize(("name", "time", "event", "ref"), CASES, ids=IDS)
def test_landmark_survival_matches_summary_times(name, time, event, ref):
    expected = ref["landmarks"]
    got = kaplan_meier(time, event).survival_at(expected["time"])
    for column in ("n_risk", "survival", "std_err", "ci_low", "ci_high"):
        close(got[column], expected[column])


@pytest.mark.parametrize(("name", "time", "event", "ref"), CASES, ids=IDS)
def test_restricted_mean_matches_survmean(name, time, event, ref):
    for expected in ref["rmean"]:
        if expected["tau"] > time.max():
            with pytest.raises(InvalidInputError, match="beyond the last follow-up"):
                restricted_mean_survival(time, event, expected["tau"])
            continue
        got = restricted_mean_survival(time, event, expected["tau"])
        close([got.estimate, got.std_err], [expected["estimate"], expected["std_err"]])
        assert got.ci_low == pytest.approx(got.estimate - 1.959963984540054 * got.std_err)


@pytest.mark.parametrize("name", DATASETS)
def test_logrank_matches_survdiff(name):
    ds = DATASETS[name]
    data = ds["data"]
    got = logrank_test(data["time"], data["event"], data["group"])
    close([got.statistic, got.p_value], [ds["logrank"]["statistic"], ds["logrank"]["p_value"]])


@pytest.mark.parametrize("name", DATASETS)
def test_cox_matches_coxph_efron(name):
    ds = DATASETS[name]
    data = ds["data"]
    got = cox_hazard_ratio(data["time"], data["event"], data["group"])
    ref = ds["cox"]
    assert (got.group, got.reference) == (ref["group"], ref["reference"])
    for field in ("log_hr", "std_err", "hr", "ci_low", "ci_high", "p_value"):
        close(getattr(got, field), ref[field])


def test_reference_group_can_be_chosen():
    data = DATASETS["aml"]["data"]
    forward = cox_hazard_ratio(data["time"], data["event"], data["group"])
    backward = cox_hazard_ratio(
        data["time"], data["event"], data["group"], reference=forward.group
    )
    assert backward.hr == pytest.approx(1 / forward.hr, rel=1e-8)
    assert backward.ci_low == pytest.approx(1 / forward.ci_high, rel=1e-8)


def test_median_not_reached_is_none_and_written_nr():
    median = median_survival([1, 2, 3, 10, 12, 24.1, 30], [1, 0, 0, 0, 1, 0, 0])
    assert not median.reached
    assert median.estimate is None
    assert "NR" in median.text()
    assert median.to_dict()["estimate"] is None


def test_median_text_shows_interval():
    median = MedianSurvival(estimate=None, ci_low=24.1, ci_high=None)
    assert median.text() == "NR (24.1-NR)"
    assert MedianSurvival(12.25, 8.0, 17.04).text() == "12.2 (8.0-17.0)"


def test_all_censored_curve_is_flat():
    km = kaplan_meier([1, 2, 3], [0, 0, 0])
    assert np.all(km.survival == 1.0)
    assert km.median.estimate is None
    assert km.events == 0


def test_survival_beyond_follow_up_is_unknown():
    km = kaplan_meier([1, 2, 3], [1, 0, 0])
    got = km.survival_at([0.5, 2.5, 4])
    assert got["survival"].iloc[0] == 1.0
    assert got["survival"].iloc[1] == pytest.approx(2 / 3)
    assert math.isnan(got["survival"].iloc[2])


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([], [], "empty"),
        ([1, -2], [1, 0], "negative"),
        ([1, float("nan")], [1, 0], "missing"),
        ([1, 2], [1, 2], "not 0"),
        ([1, 2], [1], "one of each"),
        (["a"], [1], "numbers"),
    ],
)
def test_bad_input_raises_invalid_input(time, event, message):
    with pytest.raises(InvalidInputError, match=message):
        kaplan_meier(time, event)


def test_bad_input_names_the_row():
    with pytest.raises(InvalidInputError) as info:
        kaplan_meier([1, 2, -3], [1, 0, 1])
    assert info.value.row == 3
    assert info.value.column == "time"


def test_two_groups_required():
    with pytest.raises(InvalidInputError, match="exactly two groups"):
        logrank_test([1, 2, 3], [1, 1, 1], ["a", "a", "a"])


def test_cox_group_without_events_is_not_estimable():
    with pytest.raises(InvalidInputError, match="no events"):
        cox_hazard_ratio([1, 2, 3, 4], [1, 1, 0, 0], ["a", "a", "b", "b"])


def test_tau_beyond_follow_up_is_refused():
    with pytest.raises(InvalidInputError, match="beyond"):
        restricted_mean_survival([1, 2, 3], [1, 0, 1], 5)


def test_results_are_json_ready():
    data = DATASETS["cart"]["data"]
    km = kaplan_meier(data["time"], data["event"])
    text = json.dumps(km.to_dict())
    assert '"reached"' in text and "NaN" not in text
    json.dumps(cox_hazard_ratio(data["time"], data["event"], data["group"]).to_dict())
    json.dumps(km.restricted_mean(12.0).to_dict())
