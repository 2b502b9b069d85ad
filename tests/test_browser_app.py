"""Real-browser smoke test: every page renders in chromium without an error element."""

import pytest
from conftest import assert_no_error_elements, wait_rendered

PAGES = ["", "evidence", "pool", "compare", "digitize", "reconstruct", "workspace"]

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_without_errors(open_app_page, path):
    page = open_app_page(path)
    assert page.locator('[data-testid="stMain"] h1').first.is_visible()
    assert_no_error_elements(page)


def test_evidence_filter_and_provenance(open_app_page):
    page = open_app_page("evidence")
    counter = page.get_by_text(" values.", exact=False).first
    total = counter.inner_text()
    # Enter would pick every fuzzy match ("Select 8 matches"); click the exact option.
    page.get_by_role("combobox", name="Outcome").fill("ORR")
    page.get_by_role("option", name="ORR", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "before => ![...document.querySelectorAll('p')].some(p => p.innerText === before)",
        arg=total,
    )
    wait_rendered(page)
    assert counter.inner_text() != total
    # Provenance is one click away: selecting a row shows its location and quote.
    page.locator('[data-testid="stDataFrame"]').first.click(position={"x": 14, "y": 52})
    page.get_by_text("Location:").wait_for()
    assert_no_error_elements(page)


def test_first_request_to_a_sub_page_gets_the_app_navigation(page, own_server):
    """A bookmark opened on a fresh server must not fall back to file listing."""
    start, _ = own_server
    page.goto(f"{start()}/evidence")
    wait_rendered(page)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Pool response rates" in nav
    assert "shared" not in nav.split()
