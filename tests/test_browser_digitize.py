"""Digitize page in chromium: upload a rendered figure, detect the axes, extract the curves."""

from __future__ import annotations

import pytest
from conftest import assert_no_error_elements, wait_rendered
from km_figures import STYLES, render_km_figure

pytestmark = pytest.mark.browser


def test_upload_detect_axes_and_extract(open_app_page, tmp_path):
    figure = tmp_path / "km_synthetic.png"
    figure.write_bytes(render_km_figure(STYLES["default"]).image)
    page = open_app_page("digitize")
    page.locator('input[type="file"]').set_input_files(str(figure))
    page.get_by_text("Figure: km_synthetic.png").wait_for(timeout=30_000)
    wait_rendered(page)
    page.get_by_role("button", name="Detect axes").click()
    page.get_by_text("Curve colours found").wait_for(timeout=30_000)
    wait_rendered(page)
    assert page.get_by_text("#1f77b4").first.is_visible()
    assert page.get_by_text("#ff7f0e").first.is_visible()
    page.get_by_role("button", name="Extract curves").click()
    page.get_by_text("Extracted step corners").wait_for(timeout=30_000)
    wait_rendered(page)
    assert page.get_by_text("censor marks").count() >= 2
    assert_no_error_elements(page)
