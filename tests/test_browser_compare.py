"""Compare survival in chromium: the median chart renders, two uploaded IPDs are compared."""

from pathlib import Path

import pytest
from conftest import assert_no_error_elements, wait_rendered

pytestmark = pytest.mark.browser

REF = Path(__file__).resolve().parent / "reference"


def test_medians_chart_and_two_uploaded_arms(open_app_page):
    page = open_app_page("compare")
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Compare survival"
    page.wait_for_selector('[data-testid="stVegaLiteChart"]', timeout=30_000)
    assert page.get_by_text("Pooled median PFS", exact=False).first.is_visible()
    assert_no_error_elements(page)

    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.set_input_files(str(REF / "compare_arm_a.csv"))
    # The upload reruns the script; the curve chart appears under the median chart.
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2", timeout=30_000)
    wait_rendered(page)
    uploader.set_input_files(str(REF / "compare_arm_b.csv"))

    page.get_by_text("Compare two curves").wait_for(timeout=30_000)
    page.get_by_text("Unadjusted cross-trial comparison", exact=False).first.wait_for(timeout=30_000)
    # Two KM curves and the median chart: at least two charts drawn.
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
    assert_no_error_elements(page)
