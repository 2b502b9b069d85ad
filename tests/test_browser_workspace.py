"""Workspace page in chromium: create, export, import, and the work surviving a server restart."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from conftest import (
    assert_no_error_elements,
    wait_rendered,
)

pytestmark = pytest.mark.browser


def wait_for_text(page, text: str) -> None:
    """Wait for ``text``, then for the script run that shows it to end: until
    then the previous run's elements (an earlier error box) may still stand."""
    page.get_by_text(text, exact=False).first.wait_for(timeout=30_000)
    wait_rendered(page)


def create_project(page, name: str) -> None:
    page.get_by_label("New project name").fill(name)
    page.get_by_role("button", name="Create project").click()
    wait_for_text(page, f"Created project '{name}'")


def import_button(page):
    return page.locator('[data-testid="stButton"] button').filter(has_text="Import")


def test_export_import_and_restart(page, own_server, tmp_path):
    start, stop = own_server
    url = start()
    page.goto(f"{url}/workspace")
    wait_rendered(page)
    create_project(page, "Browser review")
    assert_no_error_elements(page)

    page.get_by_role("tab", name="Export").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download 'Browser review' as zip").click()
    exported = tmp_path / "export.zip"
    download_info.value.save_as(exported)
    with zipfile.ZipFile(io.BytesIO(exported.read_bytes())) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["project"]["name"] == "Browser review"

    page.get_by_role("tab", name="Import").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(exported))
    import_button(page).click()
    wait_for_text(page, "already exists; nothing was imported")
    page.get_by_label("Import under another name (optional)").fill("Copy of review")
    import_button(page).click()
    wait_for_text(page, "Imported 'Copy of review'")
    assert_no_error_elements(page)

    stop()
    url = start()  # the same database file, a new server process
    page.goto(f"{url}/workspace")
    wait_rendered(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox").click()
    options = page.get_by_role("option")
    options.first.wait_for()
    names = set(options.all_inner_texts())
    assert {"Browser review", "Copy of review", "default"} <= names
    assert_no_error_elements(page)
