"""A pooling saved in chromium is there after the browser closes and the server restarts (issue 7)."""

from __future__ import annotations

import pytest
from conftest import assert_no_error_elements, wait_rendered
from test_browser_pool import choose, load_pooling, pooled_value, wait_pooled_change

pytestmark = pytest.mark.browser


def open_pool(browser, url: str):
    page = browser.new_context().new_page()  # a fresh browser: no session, no cookies
    page.goto(f"{url}/pool")
    wait_rendered(page)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=30_000)
    return page


def test_saved_pooling_survives_a_server_restart(browser, own_server) -> None:
    start, stop = own_server
    page = open_pool(browser, start())
    default = pooled_value(page)
    choose(page, "Model", "FE: common")
    wait_pooled_change(page, default)
    tuned = pooled_value(page)
    page.get_by_text("Saved poolings").click()
    page.get_by_label("Name of this pooling").fill("common effect")
    page.get_by_label("Name of this pooling").press("Enter")
    wait_rendered(page)
    page.get_by_role("button", name="Save this pooling").click()
    page.get_by_text("Saved pooling 'common effect'").wait_for(timeout=30_000)
    assert_no_error_elements(page)
    page.context.close()

    stop()
    page = open_pool(browser, start())  # the same database file, a new server process
    assert pooled_value(page) == default
    page.get_by_text("Saved poolings").click()
    wait_rendered(page)
    load_pooling(page, "common effect")
    wait_pooled_change(page, default)
    assert pooled_value(page) == tuned
    assert_no_error_elements(page)
