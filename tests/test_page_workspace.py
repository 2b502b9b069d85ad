"""Workspace page (AppTest) and the page glue in ``pages/_shared.py`` that other pages call."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_store import random_curve, sample_results, sample_sources

from synthesis.store import open_workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    """A fresh workspace file the app opens through ``BCMA_SYNTH_DB``."""
    path = str(tmp_path / "ws.sqlite3")
    monkeypatch.setenv("BCMA_SYNTH_DB", path)
    return path


def open_page(db: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/workspace.py")
    at.run()
    assert not at.exception
    return at


def by_key(elements, key: str):
    return next(e for e in elements if e.key == key)


def messages(at: AppTest) -> tuple[list[str], list[str]]:
    return [m.value for m in at.success], [m.value for m in at.error]


def test_first_visit_creates_the_default_project(db):
    at = open_page(db)
    assert at.title[0].value == "Workspace"
    assert at.sidebar.selectbox[0].options == ["default"]
    assert [p.name for p in open_workspace(db).list_projects()] == ["default"]
    assert "ws.sqlite3" in at.caption[0].value


def test_create_rename_and_duplicate_names(db):
    at = open_page(db)
    create = next(t for t in at.text_input if t.label == "New project name")
    create.input("BCMA review")
    at.button[0].click().run()
    assert not at.exception
    assert messages(at)[0] == ["Created project 'BCMA review' and made it current."]
    assert at.sidebar.selectbox[0].value == "BCMA review"

    next(t for t in at.text_input if t.label == "New project name").input("BCMA review")
    at.button[0].click().run()
    assert "already exists" in messages(at)[1][0]

    at.sidebar.selectbox[0].select("default").run()
    by_key(at.text_input, "workspace_rename_to").input("pilot")
    by_key(at.button, "workspace_rename").click().run()
    assert messages(at)[0] == ["Renamed 'default' to 'pilot'."]
    assert sorted(p.name for p in open_workspace(db).list_projects()) == ["BCMA review", "pilot"]


def test_delete_needs_confirmation_and_can_be_restored(db):
    open_workspace(db).create_project("keep")
    at = open_page(db)
    at.sidebar.selectbox[0].select("keep").run()
    assert by_key(at.button, "workspace_delete").disabled
    by_key(at.checkbox, "workspace_delete_sure").check().run()
    by_key(at.button, "workspace_delete").click().run()
    assert not at.exception
    assert [p.name for p in open_workspace(db).list_projects()] == ["default"]
    assert at.sidebar.selectbox[0].value == "default"

    by_key(at.selectbox, "workspace_bin_which").select("keep")
    by_key(at.button, "workspace_restore").click().run()
    assert messages(at)[0] == ["Restored 'keep'."]
    assert sorted(p.name for p in open_workspace(db).list_projects()) == ["default", "keep"]


def test_a_project_is_always_available(db):
    ws = open_workspace(db)
    ws.create_project("default")
    ws.delete_project("default")
    at = open_page(db)
    assert at.sidebar.selectbox[0].options == ["default 2"]
    assert [p.name for p in ws.list_projects(include_deleted=True)] == ["default", "default 2"]


def test_projects_table_counts_and_export_button(db):
    ws = open_workspace(db)
    ws.create_project("review")
    ws.save_curve("review", "arm A", random_curve())
    at = open_page(db)
    assert not at.get("download_button")  # the zip is only built when its tab is open
    at.session_state["workspace_tab"] = "Export"
    at.run()
    table = at.dataframe[0].value.set_index("name")
    assert table.loc["review", "curves"] == 1 and list(table.index) == ["review"]
    assert at.sidebar.selectbox[0].value == "review"
    assert "Download 'review' as zip" in at.get("download_button")[0].proto.label


def test_unusable_database_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    notes = tmp_path / "notes.sqlite3"
    notes.write_text("not a database\n" * 200)
    monkeypatch.setenv("BCMA_SYNTH_DB", str(notes))
    at = open_page(str(notes))
    assert "not a readable SQLite workspace" in messages(at)[1][0]


def glue_script():
    """Runs inside AppTest: what another page would do with the glue."""
    import pandas as pd
    import streamlit as st
    from test_store import random_curve, sample_results, sample_sources

    from pages import _shared as glue

    st.title("glue")
    project = glue.current_project()
    if st.session_state.get("step") == "save":
        st.session_state[glue.REVIEWER] = "Ann"
        glue.save_evidence_rows(sources=sample_sources(), results=sample_results(2))
        glue.save_curve("arm A", {"curve": random_curve(), "at_risk": None,
                                  "censor_times": [1.5], "origin": "digitized"})
        ipd = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0]})
        glue.save_reconstruction("arm A", {"ipd": ipd, "origin": "reconstructed",
                                           "settings": {"tol": 1e-9}}, inputs={"n": 2})
        glue.save_analysis("pool", "ORR", {"method": "REML"})
        glue.save_figure(b"\x89PNG\r\n\x1a\n0000", {"x": [0, 1]}, name="fig")
    st.session_state["out"] = {
        "project": project,
        "curves": glue.load_curves(),
        "ipd": glue.load_reconstructions(),
        "analyses": glue.load_analyses("pool"),
        "user_rows": glue.evidence_with_project().results.query("origin == 'user'"),
    }


def test_glue_saves_and_loads_in_the_current_project(db):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    at = AppTest.from_function(glue_script, default_timeout=60)
    at.session_state["step"] = "save"
    at.run()
    assert not at.exception, at.exception
    out = at.session_state["out"]
    assert out["project"] == "default"
    assert out["curves"]["arm A"]["curve"].equals(random_curve())
    assert out["curves"]["arm A"]["censor_times"] == [1.5]
    assert out["ipd"]["arm A"]["settings"] == {"tol": 1e-9}
    assert out["analyses"] == {"ORR": {"method": "REML"}}
    assert list(out["user_rows"]["result_id"]) == list(sample_results(2)["result_id"])
    ws = open_workspace(db)
    assert ws.load_figure("default", "fig").entered_by == "Ann"
    assert ws.project_evidence("default")[0]["source_id"].tolist() == \
        sample_sources()["source_id"].tolist()
    assert isinstance(out["user_rows"], pd.DataFrame)


def test_remove_a_saved_item_with_confirmation(db):
    ws = open_workspace(db)
    ws.create_project("review")
    ws.save_curve("review", "arm A", random_curve())
    ws.save_analysis("review", "pool", "ORR", {"method": "REML"})
    at = open_page(db)
    assert by_key(at.selectbox, "workspace_item").options == ["curve 'arm A'",
                                                             "pool analysis 'ORR'"]
    assert by_key(at.button, "workspace_item_remove").disabled
    by_key(at.selectbox, "workspace_item").select("pool analysis 'ORR'")
    by_key(at.checkbox, "workspace_item_sure").check().run()
    by_key(at.button, "workspace_item_remove").click().run()
    assert not at.exception
    assert messages(at)[0] == ["Removed pool analysis 'ORR' from 'review'."]
    assert ws.list_analyses("review") == [] and len(ws.list_curves("review")) == 1
