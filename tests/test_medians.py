"""Median line-up and the pooled (weighted) median of medians.

The pooled estimate and its sign-test interval follow metamedian::pool.med
(McGrath et al. 2019), which uses Hmisc::wtd.quantile: with integer sample
sizes as weights this equals the type-7 quantile of the sample in which each
study median is repeated n times, which numpy computes independently. The
same quantiles computed by R (Hmisc 4.8) are in ``tests/reference/medians.json``
from ``tests/reference/medians.R``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synthesis.errors import InvalidInputError
from synthesis.medians import landmark_table, median_table, median_text, pool_medians

#: Synthetic evidence rows (not from any publication), shaped like the
#: evidence base's results table.
RESULTS = pd.DataFrame(
    [
        # source, product, population, outcome, n, estimate, status, lo, hi, hi_status, timepoint
        ("S1", "cilta-cel", "all", "PFS_median", 97, np.nan, "not_reached", 25.2, np.nan, "not_reached", np.nan),
        ("S1", "cilta-cel", "all", "follow_up_median", 97, 33.4, "reported", np.nan, np.nan, "not_reported", np.nan),
        ("S1", "cilta-cel", "all", "PFS_rate", 97, 0.66, "reported", 0.54, 0.75, "reported", 24),
        ("S1", "cilta-cel", "all", "PFS_rate", 97, 0.77, "reported", 0.67, 0.84, "reported", 12),
        ("S2", "ide-cel", "all", "PFS_median", 128, 8.8, "reported", 5.6, 11.6, "reported", np.nan),
        ("S2", "ide-cel", "all", "follow_up_median", 128, 13.3, "reported", np.nan, np.nan, "not_reported", np.nan),
        ("S3", "ide-cel", "all", "PFS_median", 40, 20.0, "reported", 12.0, np.nan, "not_reached", np.nan),
        ("S3", "ide-cel", "all", "follow_up_median", 40, 11.0, "reported", np.nan, np.nan, "not_reported", np.nan),
        ("S4", "LCAR", "CR", "PFS_median", 30, np.nan, "not_reached", np.nan, np.nan, "not_reached", np.nan),
        ("S4", "LCAR", "all", "follow_up_median", 57, 12.0, "reported", np.nan, np.nan, "not_reported", np.nan),
        ("S5", "LCAR", "all", "PFS_median", 57, 18.0, "reported", 12.0, 22.0, "reported", np.nan),
        ("S5", "LCAR", "all", "OS_median", 57, 36.1, "reported", 26.0, 56.0, "reported", np.nan),
    ],
    columns=["source_id", "product", "population", "outcome", "n", "estimate", "estimate_status",
             "ci_low", "ci_high", "ci_high_status", "timepoint"],
)
SOURCES = pd.DataFrame({"source_id": ["S1", "S2", "S3", "S4", "S5"],
                        "label": ["Trial one", "Trial two", "Trial three", "Trial four", "Trial five"]})


def test_table_keeps_nr_as_nr_and_attaches_follow_up():
    table = median_table(RESULTS, SOURCES, outcome="PFS_median").summary_frame()
    assert len(table) == 5
    s1 = table.set_index("source_id").loc["S1"]
    assert pd.isna(s1.estimate) and s1.text == "NR (25.2-NR)"
    assert s1.follow_up == 33.4 and not s1.immature
    assert s1.label == "Trial one"


def test_immature_flags():
    table = median_table(RESULTS, SOURCES, outcome="PFS_median").summary_frame().set_index("source_id")
    assert table.loc["S3", "immature"]  # median 20 beyond follow-up 11
    assert "beyond" not in table.loc["S3", "maturity_note"] and "20.0 > follow-up 11.0" in table.loc["S3", "maturity_note"]
    assert table.loc["S4", "immature"]  # NR at 12 months (follow-up of all treated)
    assert not table.loc["S2", "immature"]
    assert pd.isna(table.loc["S5", "immature"])  # follow-up unknown


def test_filters_by_population_and_product():
    table = median_table(RESULTS, outcome="PFS_median", populations=["CR"]).rows
    assert table.source_id.tolist() == ["S4"]
    table = median_table(RESULTS, outcome="PFS_median", products=["ide-cel"]).rows
    assert sorted(table.source_id) == ["S2", "S3"]


def test_median_text_variants():
    assert median_text(8.8, "reported", 5.6, 11.6, "reported") == "8.8 (5.6-11.6)"
    assert median_text(np.nan, "not_reached", np.nan, np.nan, "not_reported") == "NR"
    assert median_text(np.nan, "not_estimable", np.nan, np.nan, "not_reported") == "not estimable"


def test_landmark_table_side_by_side():
    table = landmark_table(RESULTS, outcome="PFS_rate", sources=SOURCES)
    assert list(table.columns) == ["label", "product", "population", "12 mo", "24 mo"]
    assert table.iloc[0]["24 mo"] == "66% (54-75)"


def expanded_quantiles(values, weights, probs):
    return np.quantile(np.repeat(values, weights), probs)


@pytest.mark.parametrize("method", ["WM", "MM"])
def test_pooled_median_matches_weighted_quantiles_without_nr(method):
    values = np.array([5.23, 3.10, 0.50, 0.78, 3.48, 0.59, 2.20, 5.06, 4.00])
    n = np.array([30, 52, 21, 70, 12, 44, 60, 25, 90])
    frame = pd.DataFrame({"estimate": values, "estimate_status": "reported", "n": n, "follow_up": 40.0})
    pooled = pool_medians(frame, method=method)
    spread = stats.norm.ppf(0.975) / (2 * np.sqrt(len(values)))
    weights = n if method == "WM" else np.ones_like(n)
    expected = expanded_quantiles(values, weights, [0.5 - spread, 0.5, 0.5 + spread])
    assert pooled.identified
    np.testing.assert_allclose([pooled.ci_low, pooled.estimate, pooled.ci_high], expected, rtol=1e-12)


def test_pool_med_documented_example():
    # metamedian's pool.med(yi) example: unweighted median of the nine values.
    yi = [5.23, 3.10, 0.50, 0.78, 3.48, 0.59, 2.20, 5.06, 4.00]
    frame = pd.DataFrame({"estimate": yi, "estimate_status": "reported", "n": 1})
    assert pool_medians(frame, method="MM").estimate == pytest.approx(3.10)


def test_nr_median_is_censored_not_imputed():
    table = median_table(RESULTS, SOURCES, outcome="PFS_median", populations=["all"])
    pooled = pool_medians(table, method="WM")
    assert pooled.k == 4 and pooled.k_not_reached == 1
    # Placed at its follow-up (33.4) or above every median, the NR study
    # gives the same weighted median: it is identified without a number
    # being invented for the NR study.
    values_low = np.array([33.4, 8.8, 20.0, 18.0])
    weights = np.array([97, 128, 40, 57])
    assert pooled.estimate_low == pytest.approx(expanded_quantiles(values_low, weights, 0.5))
    values_high = np.array([1e9, 8.8, 20.0, 18.0])  # any value above all others
    assert pooled.estimate_high == pytest.approx(expanded_quantiles(values_high, weights, 0.5))
    assert pooled.identified and pooled.estimate == 18.0
    assert "not imputed" in pooled.description
    assert "McGrath" in pooled.description


def test_nr_with_short_follow_up_leaves_a_range():
    frame = pd.DataFrame({"estimate": [np.nan, 8.8, 20.0, 18.0],
                          "estimate_status": ["not_reached"] + ["reported"] * 3,
                          "n": [97, 128, 40, 57], "follow_up": [12.0, 13.3, 11.0, 30.0]})
    pooled = pool_medians(frame)
    assert (pooled.estimate_low, pooled.estimate_high) == (12.0, 18.0)
    assert pooled.estimate is None and not pooled.identified
    assert pooled.text().startswith("between 12.0 and 18.0")


def test_nr_majority_gives_not_reached_pooled_median():
    frame = pd.DataFrame({"estimate": [np.nan, np.nan, 10.0], "estimate_status": ["not_reached"] * 2 + ["reported"],
                          "n": [50, 50, 20], "follow_up": [30.0, 28.0, 24.0]})
    pooled = pool_medians(frame)
    assert pooled.estimate_high is None and pooled.ci_high is None
    assert pooled.estimate is None
    assert "NR" in pooled.text()


def test_pool_needs_n_for_weights():
    frame = pd.DataFrame({"estimate": [5.0, 7.0], "estimate_status": "reported", "n": [10, np.nan]})
    with pytest.raises(InvalidInputError, match="sample size"):
        pool_medians(frame)
    assert pool_medians(frame, method="MM").estimate == pytest.approx(6.0)


def test_pool_nothing_to_pool():
    frame = pd.DataFrame({"estimate": [np.nan], "estimate_status": ["not_estimable"], "n": [10]})
    with pytest.raises(InvalidInputError, match="nothing to pool"):
        pool_medians(frame)


def test_missing_columns_are_reported():
    with pytest.raises(InvalidInputError, match="lacks column"):
        median_table(pd.DataFrame({"source_id": ["x"]}))


def test_superseded_reports_are_marked_and_not_pooled():
    sources = SOURCES.assign(supersedes=[np.nan, np.nan, "S2", np.nan, np.nan])
    table = median_table(RESULTS, sources, outcome="PFS_median", populations=["all"])
    assert table.rows.set_index("source_id").loc["S2", "superseded"]
    assert pool_medians(table).k == 3
    assert "S2" not in median_table(RESULTS, sources, outcome="PFS_median", latest_only=True).rows.source_id.tolist()


MEDIANS_REFERENCE = json.loads((Path(__file__).parent / "reference" / "medians.json").read_text())


@pytest.mark.parametrize("case", MEDIANS_REFERENCE["cases"], ids=lambda c: c["name"])
def test_pool_medians_matches_r_weighted_quantiles(case):
    """Against tests/reference/medians.R (Hmisc::wtd.quantile, as metamedian::pool.med)."""
    weighted = case["wi"] is not None
    frame = pd.DataFrame({"estimate": case["yi"], "estimate_status": "reported",
                          "n": case["wi"] if weighted else 1})
    pooled = pool_medians(frame, method="WM" if weighted else "MM", conf_level=case["level"])
    # The R script stands for an NR median above all others with 1e9.
    expected = [None if v == 1e9 else v for v in (case["ci_low"], case["estimate"], case["ci_high"])]
    got = [pooled.ci_low, pooled.estimate, pooled.ci_high]
    if 1e9 in case["yi"]:
        frame = frame.assign(estimate_status=["not_reached" if v == 1e9 else "reported" for v in case["yi"]],
                             follow_up=1e9)
        pooled = pool_medians(frame, method="WM", conf_level=case["level"])
        got = [pooled.ci_low, pooled.estimate_high, pooled.ci_high]
    for actual, wanted in zip(got, expected):
        assert actual == (None if wanted is None else pytest.approx(wanted, rel=1e-12))
