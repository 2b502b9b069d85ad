"""Pool response rates in chromium: forest plot, model switch, unticking a study, PNG."""

import pytest
from conftest import assert_no_error_elements, wait_rendered

pytestmark = pytest.mark.browser


def pooled_value(page) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Pooled proportion").first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def wait_pooled_change(page, before: str) -> None:
    """Wait until the pooled-proportion metric no longer shows ``before``."""
    page.wait_for_function(
        "before => { const m = [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".find(e => e.innerText.includes('Pooled proportion'));"
        " return m && !m.innerText.includes(before); }",
        arg=before, timeout=30_000,
    )
    wait_rendered(page)


def choose(page, label: str, option: str, *, kept: bool = True) -> None:
    """Pick the first choice containing ``option`` in the (multi)select box labelled ``label``.

    The choice is typed as a filter and clicked in the list. Pressing Enter instead could
    come before the filtered list had opened, and then no choice was made (the likely cause
    of one timeout of the story test); the box must show ``option`` before going on.
    A box that acts on the choice and clears itself ("Reopen a saved figure") is not
    ``kept``: it may be empty again before it is looked at, so the caller waits for what
    the choice did instead.
    """
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    if not kept:
        wait_rendered(page)
        return
    # A select box shows its choice as the input's value, a multiselect as a tag beside it.
    widget = page.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(has=box)
    page.wait_for_function(
        "([el, text]) => el.querySelector('input').value.includes(text) || el.innerText.includes(text)",
        arg=[widget.element_handle(), option],
        timeout=10_000,
    )
    wait_rendered(page)


def load_pooling(page, name: str) -> None:
    """Choose the saved pooling in the open "Saved poolings" and press Load.

    Choosing reruns the page, and the expander must stay open through that rerun
    (it used to fold, which left its Load button out of reach).
    """
    choose(page, "Load a saved pooling", name)
    page.get_by_role("button", name="Load", exact=True).click(timeout=10_000)
    page.get_by_text(f"Loaded pooling '{name}'").wait_for(timeout=30_000)


def test_forest_plot_model_switch_and_png_download(open_app_page):
    page = open_app_page("pool")
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Pool response rates"
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(timeout=30_000)
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    assert chart.bounding_box()["height"] > 200  # explicit ~22 px per forest row
    page.get_by_text("Default: logit with the binomial-normal GLMM", exact=False).first.wait_for()
    assert_no_error_elements(page)
    glmm = pooled_value(page)

    model = page.get_by_label("Model", exact=True)
    model.click()
    model.fill("FE: common")
    page.keyboard.press("Enter")
    wait_pooled_change(page, glmm)
    assert pooled_value(page) != glmm
    # the chart redraws with the new model (its marks carry aria labels)
    page.locator('[aria-label*="Common-effect model"]').first.wait_for(timeout=30_000)
    assert_no_error_elements(page)

    # untick the first study in the grid (a canvas: click the cell, press Space)
    before = pooled_value(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 45, box["y"] + 52)
    page.keyboard.press("Space")
    wait_pooled_change(page, before)
    assert_no_error_elements(page)

    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Chart as PNG").click()
    download = info.value
    assert download.suggested_filename == "forest_ORR_all.png"
    with open(download.path(), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
