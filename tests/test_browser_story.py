"""The reviewer's story in chromium on one workspace file (issue 7, "Done when").

A study added, a SYNTHETIC figure digitized and reconstructed, a pooling
saved; then the server is stopped, a new one starts on the same file, a fresh
browser (no session, no cookies) opens, and all of it is found again.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import assert_no_error_elements, wait_rendered
from km_figures import STYLES, render_km_figure
from test_browser_pool import choose, load_pooling, pooled_value, wait_pooled_change
from test_page_evidence import _new_study

pytestmark = pytest.mark.browser

PROJECT = "default"
STUDY = "User trial (2026)"  # the label _new_study gives the added source
TIMEOUT = 60_000


def fresh_page(browser, url: str, path: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/{path}")
    wait_rendered(page)
    return page


def go(page, url: str, path: str) -> None:
    page.goto(f"{url}/{path}")
    wait_rendered(page)


def type_into(field, text: str) -> None:
    field.fill(text)
    field.press("Enter")


def type_row(page, grid_index: int, cells: list[str | None]) -> None:
    """Type row 1 of an editable grid cell by cell, as a reviewer does, Tab between cells.

    Each committed cell reruns the page; the next key goes in once the rerun is over.
    (Keys sent during the rerun, or faster than the grid opens its cell editor, are
    dropped by the grid itself: a bare ``st.data_editor`` app does the same.)
    """
    box = page.locator('[data-testid="stDataFrame"]').nth(grid_index).bounding_box()
    # The first click focuses the grid's canvas, the second selects the first cell of row 1.
    for _ in range(2):
        page.mouse.click(box["x"] + 60, box["y"] + 52)
        page.wait_for_timeout(300)
    for text in cells:
        if text is not None:
            page.keyboard.type(text, delay=40)
        page.keyboard.press("Tab")
        page.wait_for_timeout(150)
        wait_rendered(page)


def add_study(page, url: str) -> None:
    """Type a new study and one of its results into the Evidence page's editors and save them."""
    go(page, url, "evidence")
    type_into(page.get_by_role("textbox", name="Your name"), "Browser reviewer")
    wait_rendered(page)
    page.get_by_role("tab", name="Add a study the base lacks").click()
    page.get_by_text("Rows are saved to the project").wait_for(timeout=TIMEOUT)
    wait_rendered(page)
    source, result = _new_study()
    # Columns in the editors' order; None leaves a cell as the template has it.
    type_row(page, 0, [source.loc[0, "source_id"], source.loc[0, "label"], source.loc[0, "product"],
                       None, None, str(source.loc[0, "n_treated"])])
    row = result.iloc[0]
    type_row(page, 1, [row["result_id"], row["source_id"], row["product"], None, None,
                       str(row["events"]), str(row["n"]), str(row["estimate"]), None, None, None, None,
                       None, None, row["location"], row["quote"]])
    page.get_by_role("button", name="Save to project").click()
    page.get_by_text("Saved 1 source(s) and 1 result(s)").wait_for(timeout=TIMEOUT)


def digitize_and_send(page, figure, path) -> None:
    page.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_text(f"Figure: {path.name}").wait_for(timeout=TIMEOUT)
    wait_rendered(page)
    page.get_by_role("button", name="Detect axes").click()
    page.get_by_text("Curve colours found").wait_for(timeout=TIMEOUT)
    wait_rendered(page)
    page.get_by_role("button", name="Extract curves").click()
    page.get_by_text("Saved the figure, its calibration and the arms").wait_for(timeout=TIMEOUT)
    wait_rendered(page)
    for arm, colour in figure.colors.items():
        expander = page.locator('[data-testid="stExpander"]').filter(has_text=f"({colour})")
        type_into(expander.get_by_label("At-risk times"), " ".join(f"{t:g}" for t in figure.at_risk[arm].time))
        wait_rendered(page)
        type_into(expander.get_by_label("Numbers at risk"), " ".join(str(n) for n in figure.at_risk[arm].n_risk))
        wait_rendered(page)
    assert_no_error_elements(page)
    page.get_by_role("button", name="Send to Reconstruct IPD").click()
    page.get_by_text("was filled in from the Digitize page").first.wait_for(timeout=TIMEOUT)
    wait_rendered(page)


def save_pooling(page) -> str:
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=TIMEOUT)
    default = pooled_value(page)
    choose(page, "Model", "FE: common")
    wait_pooled_change(page, default)
    page.get_by_text("Saved poolings").click()
    type_into(page.get_by_label("Name of this pooling"), "common effect")
    wait_rendered(page)
    page.get_by_role("button", name="Save this pooling").click()
    page.get_by_text("Saved pooling 'common effect'").wait_for(timeout=TIMEOUT)
    return default


def evidence_csv(page) -> pd.DataFrame:
    with page.expect_download(timeout=TIMEOUT) as info:
        page.get_by_text("Download the filtered table (CSV)").click()
    return pd.read_csv(io.StringIO(open(info.value.path()).read()))


def test_reviewer_work_survives_closing_the_browser_and_restarting_the_server(browser, own_server, tmp_path):
    start, stop = own_server
    figure = render_km_figure(STYLES["default"])
    path = tmp_path / "km_synthetic.png"
    path.write_bytes(figure.image)

    url = start()
    page = fresh_page(browser, url, "evidence")
    add_study(page, url)
    go(page, url, "digitize")
    digitize_and_send(page, figure, path)
    page.get_by_role("button", name="Reconstruct", exact=True).click()
    page.get_by_text("Saved to the project default: Arm 1, Arm 2").wait_for(timeout=TIMEOUT)
    assert_no_error_elements(page)
    go(page, url, "pool")
    default = save_pooling(page)
    assert_no_error_elements(page)
    page.context.close()

    stop()
    url = start()  # the same database file, a new server process
    page = fresh_page(browser, url, "evidence")  # a new browser: no session, no cookies
    choose(page, "Study", STUDY)
    page.keyboard.press("Escape")  # close the multiselect's list, which hides the tabs from clicks
    page.get_by_role("tab", name="Study cards").click()
    page.get_by_text(f"{STUDY} (comparator)").wait_for(timeout=TIMEOUT)  # its study card
    page.get_by_role("tab", name="Values").click()
    shown = evidence_csv(page)
    assert shown["label"].tolist() == [STUDY] and shown["origin"].tolist() == ["user"]
    # Every cell typed into the editors is there, as typed.
    assert shown[["events", "n", "estimate", "location"]].iloc[0].tolist() == [15, 20, 0.75, "Abstract"]
    assert shown["quote"].iloc[0] == _new_study()[1].loc[0, "quote"]

    go(page, url, "digitize")
    choose(page, "Reopen a saved figure", path.name, kept=False)  # the caption below shows it reopened
    page.get_by_text(f"saved in the project {PROJECT} as '{path.name}'").wait_for(timeout=TIMEOUT)
    page.get_by_text("Extracted step corners").wait_for(timeout=TIMEOUT)
    assert page.locator('[data-testid="stExpander"]').filter(has_text="Arm 1").count() == 1
    assert_no_error_elements(page)

    go(page, url, "reconstruct")
    page.get_by_text(f"From the project {PROJECT}: Arm 1, Arm 2").wait_for(timeout=TIMEOUT)
    assert page.get_by_role("tab", name="Arm 1").count() == 1
    assert_no_error_elements(page)

    go(page, url, "compare")
    page.get_by_text("Compare two curves").wait_for(timeout=TIMEOUT)  # the two saved reconstructions
    assert page.get_by_label("Arm A", exact=True).input_value() == "Arm 1"
    assert_no_error_elements(page)

    go(page, url, "pool")
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=TIMEOUT)
    assert pooled_value(page) == default
    page.get_by_text("Saved poolings").click()
    wait_rendered(page)
    load_pooling(page, "common effect")
    wait_pooled_change(page, default)
    assert_no_error_elements(page)
