"""AppTest: the Compare page reads the reviewer's project and saves to it (issue 7).

A new AppTest is a new browser session on the same workspace database
(``BCMA_SYNTH_DB``, a throwaway file per test): what was saved must be there.
"""

from __future__ import annotations

import pandas as pd
from conftest import ROOT, app_test, frame_with
from streamlit.testing.v1 import AppTest
from test_store import sample_results, sample_sources

from pages._shared import USER_MARK
from synthesis.store import open_workspace

REF = ROOT / "tests" / "reference"


def open_compare(state: dict | None = None) -> AppTest:
    return app_test("compare.py", state=state)


def arm(name: str, source_id: str) -> dict:
    return {"ipd": pd.read_csv(REF / name), "origin": "uploaded", "settings": {"source_id": source_id}}


def stats(at: AppTest) -> pd.DataFrame:
    return frame_with(at, "statistic").set_index("statistic")


def test_project_median_appears_in_the_medians_table_marked() -> None:
    open_compare()  # creates the default project
    ws = open_workspace()
    ws.add_sources("default", sample_sources(), "Reviewer A")
    median = sample_results(1).assign(
        result_id="user_pfs", outcome="PFS_median", events=None, estimate=9.5, unit="months",
        ci_low=None, quote='"median PFS 9.5 months" (invented row)')
    ws.add_results("default", median, "Reviewer A")
    table = frame_with(open_compare(), "maturity_note")
    mine = table[table["origin"] == "user"]
    assert mine["label"].tolist() == ["Doe 2026 (test)" + USER_MARK]
    assert mine["text"].str.startswith("9.5").all()
    assert (table["origin"] == "curated").sum() == len(table) - 1


def test_saved_reconstruction_is_a_curve_in_a_new_session() -> None:
    open_compare()
    ws = open_workspace()
    ipd = pd.read_csv(REF / "compare_arm_a.csv")
    ws.save_reconstruction("default", "Yesterday's arm (synthetic)", ipd, inputs={},
                           settings={"source_id": "KarMMa"}, origin="reconstructed")
    at = open_compare({"pseudo_ipd": {"Yesterday's arm (synthetic)": arm("compare_arm_b.csv", None)}})
    kept = at.session_state["pseudo_ipd"]["Yesterday's arm (synthetic)"]
    assert kept["origin"] == "uploaded"  # the session's own entry is not overwritten

    at = open_compare()
    kept = at.session_state["pseudo_ipd"]["Yesterday's arm (synthetic)"]
    assert kept["origin"] == "reconstructed"
    assert kept["ipd"].equals(ipd)
    spec = at.get("vega_lite_chart")[-1].proto
    assert any(b"Yesterday's arm (synthetic)" in d.data.data for d in spec.datasets)


def test_uploaded_curve_saved_to_the_project_survives_a_reload() -> None:
    at = open_compare({"pseudo_ipd": {"upload_a.csv": arm("compare_arm_a.csv", None)}})
    at.selectbox(key="compare_keep_label").select("upload_a.csv")
    at.button(key="compare_keep").click().run()
    assert not at.exception, at.exception
    assert any("Saved 'upload_a.csv'" in s.value for s in at.success)
    saved = open_workspace().load_reconstruction("default", "upload_a.csv")
    assert saved.origin == "uploaded"
    assert "upload_a.csv" in open_compare().session_state["pseudo_ipd"]


def test_saved_comparison_is_restored_in_a_new_session() -> None:
    ws_arms = {"Arm A (synthetic)": ("compare_arm_a.csv", "LEGEND-2_5y"),
               "Arm B (synthetic)": ("compare_arm_b.csv", "KarMMa"),
               "Arm C (synthetic)": ("compare_arm_a.csv", None)}
    open_compare()
    ws = open_workspace()
    for label, (name, source_id) in ws_arms.items():
        ws.save_reconstruction("default", label, pd.read_csv(REF / name), inputs={},
                               settings={"source_id": source_id}, origin="uploaded")
    at = open_compare()
    at.radio(key="compare_endpoint").set_value("OS").run()
    at.selectbox(key="compare_arm_a").select("Arm B (synthetic)").run()
    at.selectbox(key="compare_arm_b").select("Arm A (synthetic)").run()
    at.number_input(key="compare_tau").set_value(12.0).run()
    chosen = stats(at)
    at.text_input(key="compare_save_name").input("B vs A at 12 months").run()
    at.button(key="compare_save").click().run()
    assert any("B vs A at 12 months" in s.value for s in at.success), [e.value for e in at.error]

    again = open_compare()
    assert not stats(again).equals(chosen)
    again.selectbox(key="compare_load_name").select("B vs A at 12 months").run()
    again.button(key="compare_load").click().run()
    assert not again.exception, again.exception
    assert again.radio(key="compare_endpoint").value == "OS"
    assert again.number_input(key="compare_tau").value == 12.0
    pd.testing.assert_frame_equal(stats(again), chosen)


def test_comparison_with_a_curve_no_longer_kept_says_so() -> None:
    at = open_compare({"pseudo_ipd": {"Arm A (synthetic)": arm("compare_arm_a.csv", None),
                                      "Arm B (synthetic)": arm("compare_arm_b.csv", None)}})
    at.text_input(key="compare_save_name").input("session only").run()
    at.button(key="compare_save").click().run()
    again = open_compare()
    again.selectbox(key="compare_load_name").select("session only").run()
    again.button(key="compare_load").click().run()
    assert not again.exception, again.exception
    assert any("Arm A (synthetic)" in w.value and "neither in this session" in w.value
               for w in again.warning)


def test_without_a_workspace_the_page_shows_the_curated_medians(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BCMA_SYNTH_DB", str(blocker / "ws.sqlite3"))
    at = open_compare({"pseudo_ipd": {"upload_a.csv": arm("compare_arm_a.csv", None)}})
    assert len(at.error) == 1 and "workspace" in at.error[0].value
    assert (frame_with(at, "maturity_note")["origin"] == "curated").all()
    assert not [s for s in at.selectbox if s.key == "compare_keep_label"]


def test_comparison_saved_before_any_curve_restores_the_medians_view() -> None:
    at = open_compare()
    at.radio(key="compare_endpoint").set_value("OS").run()
    at.text_input(key="compare_save_name").input("OS medians").run()
    at.button(key="compare_save").click().run()
    assert open_workspace().load_analysis("default", "compare", "OS medians").settings["arm_a"] is None
    again = open_compare()
    again.selectbox(key="compare_load_name").select("OS medians").run()
    again.button(key="compare_load").click().run()
    assert not again.exception, again.exception
    assert again.radio(key="compare_endpoint").value == "OS"
    assert not [w for w in again.warning if "neither" in w.value]
    assert any("Loaded comparison" in s.value for s in again.success)
