"""AppTest: the Reconstruct page saves arms and reconstructions to the project and restores them (issue 7).

A new AppTest is a new browser session on the same workspace database
(``BCMA_SYNTH_DB``, a throwaway file per test): what was saved must be there.
The arms are SYNTHETIC (invented points), as in ``test_page_reconstruct``.
"""

from __future__ import annotations

import io

import pandas as pd
from conftest import app_test
from PIL import Image
from streamlit.testing.v1 import AppTest

from pages._reconstruct_arms import ARM_SETTINGS
from pages._shared import PSEUDO_IPD, RECONSTRUCT_INPUTS
from synthesis.store import open_workspace

CURVE = pd.DataFrame({"time": [0, 2, 2, 5, 5, 9], "survival": [1, 1, 0.8, 0.8, 0.6, 0.6]})
AT_RISK = pd.DataFrame({"time": [0.0, 4.0, 8.0], "n_risk": [10, 8, 5]})
PROJECT = "default"


def open_page(page: str = "reconstruct.py", inputs: dict | None = None) -> AppTest:
    at = app_test()
    if inputs is not None:
        at.session_state[RECONSTRUCT_INPUTS] = inputs
    at.switch_page(f"pages/{page}")
    at.run()
    assert not at.exception, at.exception
    return at


def digitized(curve: pd.DataFrame = CURVE, at_risk: pd.DataFrame | None = AT_RISK, **extra) -> dict:
    return {"curve": curve, "at_risk": at_risk, "censor_times": [6.0], "origin": "digitized", **extra}


def texts(at: AppTest, kind: str) -> str:
    return " ".join(str(e.value) for e in at.get(kind))


def test_reconstructed_arm_comes_back_with_its_inputs_and_reaches_compare() -> None:
    at = open_page(inputs={"PFS arm (synthetic)": digitized()})
    at.number_input(key="rc_events_arm1_0").set_value(4)
    at.selectbox(key="rc_source_arm1_0").select("KarMMa")
    at.button(key="rc_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Saved to the project default: PFS arm (synthetic)" in texts(at, "success")
    ipd = at.session_state[PSEUDO_IPD]["PFS arm (synthetic)"]["ipd"]

    saved = open_workspace().list_reconstructions(PROJECT)
    assert [r.label for r in saved] == ["PFS arm (synthetic)"]
    kept = saved[0]
    pd.testing.assert_frame_equal(kept.ipd, ipd.reset_index(drop=True), check_dtype=False)
    assert set(kept.inputs) == {"curve", "at_risk", "censor_times", "total_events", "n_start"}
    assert kept.inputs["curve"]["time"].is_monotonic_increasing  # cleaned: one point per time
    assert kept.inputs["curve"]["time"].tolist() == [0, 2, 5, 9]
    assert kept.inputs["at_risk"]["n_risk"].tolist() == [10, 8, 5]
    assert (kept.inputs["censor_times"], kept.inputs["total_events"], kept.inputs["n_start"]) == ([6.0], 4, None)
    assert kept.settings["source_id"] == "KarMMa" and kept.settings["n"] == 10 and kept.origin == "reconstructed"

    again = open_page()  # closed the browser, came back
    assert [t.label for t in again.tabs] == ["PFS arm (synthetic)"]
    assert "From the project default: PFS arm (synthetic)" in texts(again, "info")
    points = next(d.value for d in again.dataframe if "survival" in d.value.columns)
    assert points["survival"].tolist() == CURVE["survival"].tolist()
    risk = next(d.value for d in again.dataframe if "n_risk" in d.value.columns)
    assert risk["n_risk"].tolist() == [10, 8, 5]
    assert again.number_input(key="rc_events_arm1_0").value == 4
    assert again.text_area(key="rc_marks_arm1_0").value == "6"
    assert again.selectbox(key="rc_source_arm1_0").value == "KarMMa"

    compare = open_page("compare.py")
    curve = compare.session_state[PSEUDO_IPD]["PFS arm (synthetic)"]
    assert curve["origin"] == "reconstructed" and curve["settings"]["source_id"] == "KarMMa"
    assert curve["ipd"]["event"].sum() == 4


def test_saved_inputs_are_offered_once_and_this_session_wins() -> None:
    at = open_page(inputs={"OS arm (synthetic)": digitized(at_risk=None)})
    at.number_input(key="rc_n_arm1_0").set_value(10)
    at.button(key="rc_save_arm1").click().run()
    assert "Saved the inputs of 'OS arm (synthetic)'" in texts(at, "success")
    assert open_workspace().list_reconstructions(PROJECT) == []
    ws = open_workspace()
    assert ws.load_curve(PROJECT, "OS arm (synthetic)").at_risk is None
    assert ws.load_analysis(PROJECT, ARM_SETTINGS, "OS arm (synthetic)").settings["n_start"] == 10
    ws.save_curve(PROJECT, "PFS arm (synthetic)", CURVE, at_risk=AT_RISK)

    shorter = CURVE.head(3)
    again = open_page(inputs={"OS arm (synthetic)": digitized(shorter, at_risk=None)})
    assert sorted(t.label for t in again.tabs) == ["OS arm (synthetic)", "PFS arm (synthetic)"]
    os_points = next(d.value for d in again.dataframe if "survival" in d.value.columns)
    assert len(os_points) == 3  # just sent by the Digitize page: not overwritten by the saved copy
    assert "From the project default: PFS arm (synthetic)," in texts(again, "info")

    pfs = next(k for k, a in again.session_state["reconstruct_arms"].items() if a["name"].startswith("PFS"))
    again.button(key=f"rc_remove_{pfs}").click().run()
    again.run()
    assert [t.label for t in again.tabs] == ["OS arm (synthetic)"]  # not offered again in this session


def test_reconstructing_keeps_the_figure_the_digitizer_linked() -> None:
    open_page()  # creates the default project
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(png, format="PNG")
    ws = open_workspace()
    ws.save_figure(PROJECT, png.getvalue(), {"x": [0, 10]}, name="Figure 2 (synthetic)")
    for arm in ("PFS arm (synthetic)", "OS arm (synthetic)"):
        ws.save_curve(PROJECT, arm, CURVE, at_risk=AT_RISK, figure="Figure 2 (synthetic)")
    at = open_page(inputs={"OS arm (synthetic)": digitized()})  # sent without naming its figure
    at.button(key="rc_run").click().run()
    assert not at.exception and not at.error
    ws = open_workspace()
    assert [ws.load_curve(PROJECT, arm).figure for arm in ("PFS arm (synthetic)", "OS arm (synthetic)")] \
        == ["Figure 2 (synthetic)"] * 2
    assert ws.load_curve(PROJECT, "OS arm (synthetic)").censor_times == (6.0,)
    assert [r.label for r in ws.list_reconstructions(PROJECT)] == ["OS arm (synthetic)", "PFS arm (synthetic)"]


def test_without_a_workspace_the_page_still_reconstructs(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BCMA_SYNTH_DB", str(blocker / "ws.sqlite3"))
    at = open_page(inputs={"PFS arm (synthetic)": digitized()})
    assert len(at.error) == 1 and "workspace" in at.error[0].value
    assert at.button(key="rc_save_arm1").disabled
    at.button(key="rc_run").click().run()
    assert not at.exception
    assert "PFS arm (synthetic)" in at.session_state[PSEUDO_IPD]
    assert "Saved to the project" not in texts(at, "success")


def test_renaming_an_arm_moves_its_saved_copy() -> None:
    at = open_page(inputs={"PFS arm (synthetic)": digitized()})
    at.number_input(key="rc_events_arm1_0").set_value(4)
    at.button(key="rc_run").click().run()
    assert [r.label for r in open_workspace().list_reconstructions(PROJECT)] == ["PFS arm (synthetic)"]

    at.text_input(key="rc_name_arm1_0").input("PFS, cohort A (synthetic)")
    at.button(key="rc_rename_arm1").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.label for t in at.tabs] == ["PFS, cohort A (synthetic)"]
    assert "PFS arm (synthetic)" not in at.session_state[PSEUDO_IPD]
    ws = open_workspace()
    assert [c.arm for c in ws.list_curves(PROJECT)] == ["PFS, cohort A (synthetic)"]
    assert [a.name for a in ws.list_analyses(PROJECT, ARM_SETTINGS)] == ["PFS, cohort A (synthetic)"]
    assert ws.load_analysis(PROJECT, ARM_SETTINGS, "PFS, cohort A (synthetic)").settings["total_events"] == 4
    assert ws.list_reconstructions(PROJECT) == []  # reconstructed again under the new name

    again = open_page()
    assert [t.label for t in again.tabs] == ["PFS, cohort A (synthetic)"]
    assert again.number_input(key="rc_events_arm1_0").value == 4


def test_renaming_to_a_name_in_use_is_refused() -> None:
    at = open_page(inputs={"PFS arm (synthetic)": digitized(), "OS arm (synthetic)": digitized(CURVE.head(4))})
    first = next(k for k, a in at.session_state["reconstruct_arms"].items() if a["name"].startswith("PFS"))
    at.text_input(key=f"rc_name_{first}_0").input("OS arm (synthetic)")
    at.button(key=f"rc_rename_{first}").click().run()
    assert "exists already" in at.error[0].value
    assert sorted(t.label for t in at.tabs) == ["OS arm (synthetic)", "PFS arm (synthetic)"]


def test_a_reconstruction_removed_on_the_workspace_page_leaves_compare_at_once() -> None:
    at = open_page(inputs={"PFS arm (synthetic)": digitized()})
    at.button(key="rc_run").click().run()
    at.switch_page("pages/compare.py")
    at.run()
    assert "PFS arm (synthetic)" in at.session_state[PSEUDO_IPD]

    at.switch_page("pages/workspace.py")
    at.run()
    at.selectbox(key="workspace_item").select("reconstruction 'PFS arm (synthetic)'")
    at.checkbox(key="workspace_item_sure").check().run()
    at.button(key="workspace_item_remove").click().run()
    assert not at.exception and not at.error
    at.switch_page("pages/compare.py")
    at.run()
    assert "PFS arm (synthetic)" not in at.session_state[PSEUDO_IPD]


def test_rename_whose_project_copy_cannot_move_says_why() -> None:
    at = open_page(inputs={"PFS arm (synthetic)": digitized()})
    at.button(key="rc_save_arm1").click().run()
    at.text_area(key="rc_marks_arm1_0").input("6 months")  # not a number: the inputs cannot be saved
    at.text_input(key="rc_name_arm1_0").input("PFS, cohort A (synthetic)")
    at.button(key="rc_rename_arm1").click().run()
    assert not at.exception
    assert "censor-mark times" in " ".join(e.value for e in at.error)  # not wiped by a rerun
    assert [c.arm for c in open_workspace().list_curves(PROJECT)] == ["PFS arm (synthetic)"]
