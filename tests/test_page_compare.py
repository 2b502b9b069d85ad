"""AppTest of the Compare survival page: medians with NR, curves, a two-arm comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import app_test, frame_with
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"


def open_page(state: dict | None = None) -> AppTest:
    return app_test("compare.py", state=state)


def arms() -> dict:
    return {
        "Arm A (synthetic)": {"ipd": pd.read_csv(REF / "compare_arm_a.csv"), "origin": "uploaded",
                              "settings": {"source_id": "LEGEND-2_5y"}},
        "Arm B (synthetic)": {"ipd": pd.read_csv(REF / "compare_arm_b.csv"), "origin": "uploaded",
                              "settings": {"source_id": "KarMMa"}},
    }


def test_renders_medians_with_nr_and_follow_up():
    at = open_page()
    assert at.title[0].value == "Compare survival"
    table = frame_with(at, "maturity_note")
    assert "NR" in " ".join(table["text"])
    assert table.loc[table["text"].str.startswith("NR"), "follow_up"].notna().any()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    text = json.dumps(spec)
    assert "triangle-right" in text and "NR" in text
    assert any("Pooled median" in m.value for m in at.markdown)


def test_population_and_endpoint_choice():
    at = open_page()
    at.multiselect(key="compare_populations").set_value(["CR"]).run()
    table = frame_with(at, "maturity_note")
    assert set(table["population"]) == {"CR"}
    at.radio(key="compare_endpoint").set_value("OS").run()
    assert not at.exception
    assert set(frame_with(at, "maturity_note")["population"]) == {"CR"}


def test_compares_two_injected_ipds():
    at = open_page({"pseudo_ipd": arms()})
    stats = frame_with(at, "statistic").set_index("statistic")
    reference = json.loads((REF / "survival.json").read_text())["datasets"]["cart"]["cox"]
    hr = stats.loc["Hazard ratio, Arm A (synthetic) vs Arm B (synthetic)", "estimate"]
    assert hr == pytest.approx(1 / reference["hr"], rel=1e-6)
    assert stats.loc["Median, Arm A (synthetic) (months)", "note"] == "not reached"
    assert any("cross-trial" in w.value for w in at.warning)
    # Baseline of the two linked sources shown side by side.
    assert any("Baseline" in c.value for c in at.caption)
    baseline = frame_with(at, "characteristic")
    assert list(baseline.columns)[-2:] == ["Arm A (synthetic)", "Arm B (synthetic)"]


def test_tau_beyond_follow_up_is_a_message_not_a_traceback():
    at = open_page({"pseudo_ipd": arms()})
    at.number_input(key="compare_tau").set_value(40.0).run()
    assert not at.exception
    assert any("beyond the follow-up" in e.value for e in at.error)


def test_approximate_curve_is_labelled_and_compared():
    at = open_page({"pseudo_ipd": arms()})
    at.selectbox(key="compare_approx_arm").set_value(("LEGEND-2_5y", "all"))
    at.button(key="compare_approx_fit").click().run()
    assert not at.exception, at.exception
    assert any(k.startswith("LEGEND-2_5y PFS") for k in at.session_state["pseudo_ipd"])
    label = next(k for k in at.session_state["pseudo_ipd"] if k.startswith("LEGEND-2_5y PFS"))
    at.selectbox(key="compare_arm_b").set_value(label).run()
    assert not at.exception
    assert any("approximate, from summary statistics" in w.value for w in at.warning)
    spec = json.dumps([json.loads(c.proto.spec) for c in at.get("vega_lite_chart")])
    assert "strokeDash" in spec
