"""AppTest of the Reconstruct IPD page: example, prefill from the digitizer, typed risk row, errors.

Table editors cannot be typed into under AppTest, so tables reach the page as
the Digitize page hands them over (``st.session_state[RECONSTRUCT_INPUTS]``)
or through the built-in SYNTHETIC example; typed rows and buttons are driven.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import app_test
from streamlit.testing.v1 import AppTest

from pages._shared import PSEUDO_IPD, RECONSTRUCT_INPUTS

CURVE = pd.DataFrame({"time": [0, 2, 2, 5, 5, 9], "survival": [1, 1, 0.8, 0.8, 0.6, 0.6]})
AT_RISK = pd.DataFrame({"time": [0.0, 4.0, 8.0], "n_risk": [10, 8, 5]})


@pytest.fixture
def page() -> AppTest:
    at = app_test("reconstruct.py")
    assert not at.exception
    return at


def digitized(at: AppTest, **arms) -> AppTest:
    at.session_state[RECONSTRUCT_INPUTS] = {
        name: {"curve": CURVE, "at_risk": table, "censor_times": [], "origin": "digitized"}
        for name, table in arms.items()
    }
    at.run()
    assert not at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "caption", "info", "warning") for e in at.get(kind))


def test_empty_page_offers_the_example(page):
    assert page.title[0].value == "Reconstruct IPD"
    assert "SYNTHETIC example" in texts(page)


def test_synthetic_example_in_one_click(page):
    page.button(key="rc_example").click().run()
    assert [t.label for t in page.tabs] == ["Synthetic arm A", "Synthetic arm B"]
    assert "SYNTHETIC example: simulated patients, not data from any study." in texts(page)
    page.button(key="rc_run").click().run()
    assert not page.exception and not page.error
    assert page.get("vega_lite_chart"), "no KM chart"
    summary = next(d.value for d in page.dataframe if "median_text" in d.value.columns)
    assert summary["arm"].tolist() == ["Synthetic arm A", "Synthetic arm B"]
    assert summary["n"].tolist() == [120, 115]
    comparison = next(d.value for d in page.dataframe if "statistic" in d.value.columns)
    statistics = " ".join(comparison["statistic"])
    assert "Hazard ratio" in statistics and "Log-rank p" in statistics and "RMST difference" in statistics
    stored = page.session_state[PSEUDO_IPD]
    assert set(stored) == {"Synthetic arm A", "Synthetic arm B"}
    assert list(stored["Synthetic arm A"]["ipd"].columns) == ["time", "event"]
    assert stored["Synthetic arm A"]["origin"] == "reconstructed"


def test_digitized_arm_is_prefilled_and_reconstructed(page):
    digitized(page, **{"PFS arm": AT_RISK})
    assert [t.label for t in page.tabs] == ["PFS arm"]
    assert "filled in from the Digitize page" in texts(page)
    shown = [d.value for d in page.dataframe]
    assert any(len(t) == 6 and "survival" in t for t in shown) and any(len(t) == 3 and "n_risk" in t for t in shown)
    page.button(key="rc_run").click().run()
    ipd = page.session_state[PSEUDO_IPD]["PFS arm"]["ipd"]
    assert len(ipd) == 10 and ipd["event"].sum() == 4
    check = next(d.value for d in page.dataframe if "n_risk_published" in d.value.columns)
    assert check["difference"].abs().max() == 0
    page.number_input(key="rc_events_arm1_0").set_value(4).run()
    assert "changed after it was reconstructed" in texts(page)


def test_typed_risk_row_replaces_the_table(page):
    digitized(page, **{"OS arm": None})
    page.text_input(key="rc_ticks_arm1").input("0 4 8")
    page.text_input(key="rc_counts_arm1").input("10 8 5")
    page.button(key="rc_use_row_arm1").click().run()
    assert not page.exception and not page.error
    table = next(d.value for d in page.dataframe if "n_risk" in d.value.columns)
    assert table["n_risk"].tolist() == [10, 8, 5]


def test_only_n_at_start(page):
    digitized(page, **{"OS arm": None})
    page.number_input(key="rc_n_arm1_0").set_value(10)
    page.button(key="rc_run").click().run()
    assert not page.error
    assert len(page.session_state[PSEUDO_IPD]["OS arm"]["ipd"]) == 10


def test_errors_are_messages_and_entries_stay(page):
    rising = pd.DataFrame({"time": [0.0, 4.0, 8.0], "n_risk": [10, 8, 9]})
    digitized(page, **{"Bad arm": rising, "Good arm": AT_RISK})
    page.text_input(key="rc_counts_arm1").input("10 8")
    page.text_input(key="rc_ticks_arm1").input("0 4 8")
    page.button(key="rc_use_row_arm1").click().run()
    assert not page.exception
    assert "2 counts for 3 times" in page.error[0].value
    page.button(key="rc_run").click().run()
    assert not page.exception
    assert any("row 3, column 'n_risk'" in e.value for e in page.error)
    assert page.text_input(key="rc_counts_arm1").value == "10 8"
    assert set(page.session_state[PSEUDO_IPD]) == {"Good arm"}
    assert [t.label for t in page.tabs] == ["Bad arm", "Good arm"]


def test_add_and_rename_arms(page):
    page.text_input(key="rc_new_name").input("Arm X")
    page.button(key="rc_add").click().run()
    assert [t.label for t in page.tabs] == ["Arm X"]
    page.text_input(key="rc_name_arm1_0").input("Arm Y")
    page.button(key="rc_rename_arm1").click().run()
    assert not page.exception and [t.label for t in page.tabs] == ["Arm Y"]
