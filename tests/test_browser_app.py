"""Real-browser smoke test: every page renders in chromium without an error element."""

import pytest
from conftest import assert_no_error_elements

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
    before = counter.inner_text()
    page.get_by_label("Outcome").first.click()
    page.get_by_role("option", name="ORR", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "before => ![...document.querySelectorAll('p')].some(p => p.innerText === before)",
        arg=before,
    )
    after = counter.inner_text()
    assert after != before
    assert_no_error_elements(page)
