"""Reconstruct IPD in chromium: the SYNTHETIC example, a typed risk row, reconstruction, the results, a reload."""

from pathlib import Path

import pytest
from conftest import assert_no_error_elements, wait_rendered

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"


def test_example_typed_row_upload_and_reconstruction(page, own_server):
    # Its own server and workspace: arms other browser tests saved to the shared
    # server's project would be restored here as extra tabs before the example's.
    start, _ = own_server
    page.goto(f"{start()}/reconstruct")
    wait_rendered(page)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Reconstruct IPD"
    page.get_by_role("button", name="Load the SYNTHETIC example (2 arms)").click()
    page.get_by_role("tab", name="Synthetic arm B").wait_for(timeout=30_000)
    wait_rendered(page)
    page.get_by_text("SYNTHETIC example: simulated patients, not data from any study.").first.wait_for(timeout=30_000)

    # A risk row typed under its times, as printed under the figure.
    page.get_by_label("Times under the figure").first.fill("0 6 12 18 24 30 36 42")
    page.get_by_label("Numbers at risk under them").first.fill("120 90 64 47 30 17 7 0")
    page.get_by_label("Numbers at risk under them").first.press("Enter")
    wait_rendered(page)
    page.get_by_role("button", name="Use the typed risk row").first.click()
    wait_rendered(page)
    page.wait_for_timeout(500)
    wait_rendered(page)
    assert_no_error_elements(page)

    # A points file uploaded into arm B replaces its table.
    page.get_by_role("tab", name="Synthetic arm B").click()
    panel = page.get_by_role("tabpanel", name="Synthetic arm B")
    uploader = panel.locator('[data-testid="stFileUploader"] input[type="file"]').first
    uploader.set_input_files(str(EXAMPLES / "synthetic_km_arm_b.csv"))
    wait_rendered(page)
    page.wait_for_timeout(500)
    wait_rendered(page)
    assert_no_error_elements(page)

    page.get_by_role("button", name="Reconstruct", exact=True).click()
    page.get_by_text("Between two arms").wait_for(timeout=60_000)
    wait_rendered(page)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
    page.get_by_text("Synthetic arm A: at-risk check, cleaning, download").click()
    page.get_by_text("IPD of Synthetic arm A (CSV)").first.wait_for(timeout=10_000)
    assert_no_error_elements(page)

    # Reconstructing saved the arms to the project: a new session (the browser closed and opened again) finds them.
    page.reload()
    page.get_by_text("From the project default").first.wait_for(timeout=60_000)
    wait_rendered(page)
    assert page.get_by_role("tab", name="Synthetic arm A").count() == 1
    assert page.get_by_role("tab", name="Synthetic arm B").count() == 1
    assert_no_error_elements(page)
