"""Digitize page and the workspace (issue 7): figure, calibration and arms saved; reopened in a new session.

AppTest cannot upload files, so the rendered SYNTHETIC figure is put into the
page's session state as the uploader does.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest
from conftest import app_test
from km_figures import STYLES, render_km_figure
from test_page_digitize import send_blue_arm

from synthesis.store import DB_ENV, open_workspace

PROJECT = "default"  # the project a first session creates


@pytest.fixture(scope="module")
def figure():
    return render_km_figure(STYLES["no censor marks"])


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _extracted(figure):
    at = app_test("digitize.py", state={"digitize": {"image": figure.image, "name": "km.png"}})
    at.text_input(key="dg_xrange").input("0, 36")
    at.text_input(key="dg_yrange").input("0, 1")
    _button(at, "Detect axes").click()
    at.run()
    _button(at, "Extract curves").click()
    at.run()
    assert not at.exception and not at.error
    return at


def test_extracting_saves_figure_calibration_and_arms(figure):
    at = _extracted(figure)
    ws = open_workspace(os.environ[DB_ENV])
    saved = ws.load_figure(PROJECT, "km.png")
    assert saved.image == figure.image
    detected = at.session_state["digitize"]["calib"]
    assert [p for p, _ in saved.calibration["x"] + saved.calibration["y"]] == pytest.approx(
        detected.pixel.tolist())
    assert [v for _, v in saved.calibration["x"] + saved.calibration["y"]] == [0, 36, 0, 1]
    assert saved.calibration["x_unit"] == "months"
    curves = {c.arm: c for c in ws.list_curves(PROJECT)}
    assert set(curves) == {"Arm 1", "Arm 2"}
    assert all(c.figure == "km.png" for c in curves.values())
    blue = at.session_state["digitize"]["curves"]["#1f77b4"]
    pd.testing.assert_frame_equal(curves[blue["name"]].curve, blue["points"].astype(float), check_dtype=False)
    assert any("Saved the figure" in s.value for s in at.success)


def test_sent_arms_carry_the_figure_and_a_renamed_arm_replaces_its_saved_copy(figure):
    at = _extracted(figure)
    orange = at.session_state["digitize"]["curves"]["#ff7f0e"]["name"]
    sent = send_blue_arm(at, figure, "Cilta-cel (synthetic)")
    assert {entry["figure"] for entry in sent.values()} == {"km.png"}
    curves = {c.arm: c for c in open_workspace(os.environ[DB_ENV]).list_curves(PROJECT)}
    assert set(curves) == {"Cilta-cel (synthetic)", orange}
    assert curves["Cilta-cel (synthetic)"].at_risk.n_risk.tolist() == figure.at_risk["A"].n_risk.tolist()


def test_a_new_session_reopens_the_figure_with_its_calibration_and_arms(figure):
    first = _extracted(figure)
    at = app_test("digitize.py")  # a new session: nothing in session state
    assert any("Upload the figure" in i.value for i in at.info)
    reopen = at.selectbox(key="dg_reopen")
    assert reopen.options == ["km.png"]
    reopen.select("km.png").run()
    assert not at.exception and not at.error
    state = at.session_state["digitize"]
    assert state["image"] == figure.image and state["figure"] == "km.png"
    pd.testing.assert_frame_equal(state["calib"].reset_index(drop=True),
                                  first.session_state["digitize"]["calib"].reset_index(drop=True),
                                  check_dtype=False)
    assert {e["name"] for e in state["curves"].values()} == {"Arm 1", "Arm 2"}
    assert at.selectbox(key="dg_unit").value == "months"
    assert at.text_input(key="dg_name_Arm 1").value == "Arm 1"


def test_another_image_with_the_same_file_name_is_saved_beside_the_first(figure):
    _extracted(figure)
    other = render_km_figure(STYLES["red/green"])
    at = app_test("digitize.py", state={"digitize": {"image": other.image, "name": "km.png"}})
    _button(at, "Detect axes").click()
    at.run()
    _button(at, "Extract curves").click()
    at.run()
    assert not at.exception and not at.error
    names = [f.name for f in open_workspace(os.environ[DB_ENV]).list_figures(PROJECT)]
    assert len(names) == 2 and "km.png" in names
    arms = {c.arm: c.figure for c in open_workspace(os.environ[DB_ENV]).list_curves(PROJECT)}
    assert set(arms) == {"Arm 1", "Arm 2", "Arm 3", "Arm 4"}  # the first figure's arms are kept
