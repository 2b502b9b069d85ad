"""Digitize page with AppTest: upload kept in session state, calibration, curves, hand-off.

AppTest cannot upload files or click the image component, so the figure is
put into the page's session state (as the uploader does) and clicks are fed
as calibration rows; the click-to-pixel maths is tested as a pure function.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from km_figures import STYLES, render_km_figure
from streamlit.testing.v1 import AppTest

from pages._shared import RECONSTRUCT_INPUTS
from synthesis.calibration import pixel_from_click
from synthesis.errors import InvalidInputError

PAGE = "pages/digitize.py"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def figure():
    return render_km_figure(STYLES["no censor marks"])


def _open(state: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    if state is not None:
        at.session_state["digitize"] = state
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def send_blue_arm(at: AppTest, figure, name: str) -> dict:
    """Name the blue arm, type its at-risk row, send the arms; return what the Reconstruct page gets."""
    at.text_input(key="dg_name_#1f77b4").input(name)
    at.text_input(key="dg_rt_#1f77b4").input("0 6 12 18 24 30 36")
    at.text_input(key="dg_rn_#1f77b4").input(" ".join(str(n) for n in figure.at_risk["A"].n_risk))
    at.run()
    _button(at, "Send to Reconstruct IPD").click()
    at.run()
    assert not at.exception
    return at.session_state[RECONSTRUCT_INPUTS]


def test_page_without_upload_asks_for_one():
    at = _open()
    assert at.title[0].value == "Digitize a figure"
    assert any("Upload the figure" in i.value for i in at.info)


def test_detected_axes_extracted_curves_sent_to_reconstruct(figure):
    at = _open({"image": figure.image, "name": "km.png"})
    at.text_input(key="dg_xrange").input("0, 36")
    at.text_input(key="dg_yrange").input("0, 1")
    _button(at, "Detect axes").click()
    at.run()
    assert not at.exception and not at.error
    calib = at.session_state["digitize"]["calib"]
    assert calib.pixel.tolist() == pytest.approx([96, 760, 540, 30], abs=0.6)
    assert any("#1f77b4" in m.value for m in at.markdown)
    _button(at, "Extract curves").click()
    at.run()
    assert not at.exception and not at.error
    curves = at.session_state["digitize"]["curves"]
    assert set(curves) == {"#1f77b4", "#ff7f0e"}
    sent = send_blue_arm(at, figure, "Cilta-cel (synthetic)")
    arm = sent["Cilta-cel (synthetic)"]
    assert list(arm["curve"].columns) == ["time", "survival"]
    assert arm["at_risk"].n_risk.tolist() == figure.at_risk["A"].n_risk.tolist()
    other = next(v for k, v in sent.items() if k != "Cilta-cel (synthetic)")
    assert other["at_risk"] is None and other["origin"] == "digitized"


def test_clicked_calibration_rows_are_used(figure):
    (x0, x1), (y0, y1) = figure.calibration.x_pixels, figure.calibration.y_pixels
    calib = pd.DataFrame({"point": ["x point 1", "x point 2", "y point 1", "y point 2"],
                          "axis": ["x", "x", "y", "y"], "pixel": [x0, x1, y0, y1], "value": [0, 36, 0, 100]})
    at = _open({"image": figure.image, "name": "km.png", "calib": calib})
    assert not at.error
    _button(at, "Extract curves").click()
    at.run()
    assert len(at.session_state["digitize"]["curves"]) == 2


def test_points_on_top_of_each_other_give_a_message_and_keep_the_upload(figure):
    calib = pd.DataFrame({"point": ["x point 1", "x point 2", "y point 1", "y point 2"],
                          "axis": ["x", "x", "y", "y"], "pixel": [96, 97, 540, 30], "value": [0, 36, 0, 1]})
    at = _open({"image": figure.image, "name": "km.png", "calib": calib})
    assert "on top of each other" in at.error[0].value
    assert at.session_state["digitize"]["image"] == figure.image


def test_not_an_image_gives_a_message_and_keeps_the_upload():
    at = _open({"image": b"%PDF-1.7", "name": "figure.pdf"})
    assert "PNG or JPEG" in at.error[0].value
    assert at.session_state["digitize"]["name"] == "figure.pdf"


def test_click_on_a_scaled_image_maps_to_image_pixels():
    assert pixel_from_click(400, 300, shown_size=(800, 600), image_size=(1600, 1200)) == (800, 600)
    assert pixel_from_click(10.5, 7, shown_size=(800, 600), image_size=(800, 600)) == (10.5, 7)
    with pytest.raises(InvalidInputError):
        pixel_from_click(1, 1, shown_size=(0, 0), image_size=(800, 600))
