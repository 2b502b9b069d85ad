"""AppTest: the Pool page reads the reviewer's project and saves poolings to it (issue 7).

A saved pooling must survive a reload: a new AppTest is a new browser session
on the same workspace database (``BCMA_SYNTH_DB``, a throwaway file per test).
"""

from __future__ import annotations

import pandas as pd
from conftest import app_test
from streamlit.testing.v1 import AppTest
from test_store import sample_results, sample_sources

from pages._shared import USER_MARK
from synthesis.evidence import load_evidence
from synthesis.proportions import pooling_candidates
from synthesis.store import open_workspace


def open_pool(state: dict | None = None) -> AppTest:
    return app_test("pool.py", state=None if state is None else {"pool_state": state}, timeout=120)


def pooled(at: AppTest) -> tuple[str, str]:
    return tuple(next(m.value for m in at.metric if m.label == label)
                 for label in ("Pooled proportion", "95% CI"))


def picker(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "include" in d.value.columns)


def save_as(at: AppTest, name: str) -> None:
    at.text_input(key="pool_save_name").input(name).run()
    at.button(key="pool_save").click().run()
    assert not at.exception, at.exception
    assert any(name in s.value for s in at.success), [e.value for e in at.error]


def test_saved_pooling_is_restored_in_a_new_session() -> None:
    default = pooled(open_pool())
    candidates = pooling_candidates(load_evidence(), "ORR", "all")
    ticked = candidates.loc[candidates["include"], "result_id"].tolist()[1:]  # untick the first
    my_row = pd.DataFrame({"study": ["My trial (synthetic)"], "events": [30], "n": [40],
                           "product": ["x"], "phase": [None], "design": [None]})
    at = open_pool({"adhoc": my_row, "included": {("ORR", "all"): ticked}})
    at.selectbox(key="pool_method").select("DL").run()
    at.checkbox(key="pool_hksj").check().run()
    tuned = pooled(at)
    assert tuned != default
    save_as(at, "DL + HKSJ, my trial")

    again = open_pool()
    assert pooled(again) == default
    again.selectbox(key="pool_load_name").select("DL + HKSJ, my trial").run()
    again.button(key="pool_load").click().run()
    assert not again.exception, again.exception
    assert again.selectbox(key="pool_method").value == "DL"
    assert again.checkbox(key="pool_hksj").value is True
    assert pooled(again) == tuned
    loo = next(d.value for d in again.dataframe if "omitted" in d.value.columns)
    assert "My trial (synthetic)" in loo["omitted"].tolist()
    assert again.text_input(key="pool_save_name").value == "DL + HKSJ, my trial"


def test_saving_without_a_name_says_so() -> None:
    at = open_pool()
    at.button(key="pool_save").click().run()
    assert any("name" in w.value for w in at.warning)
    assert open_workspace().list_analyses("default") == []


def test_project_row_is_a_candidate_marked_as_the_reviewers() -> None:
    at = open_pool()  # creates the default project
    ws = open_workspace()
    ws.add_sources("default", sample_sources(), "Reviewer A")
    ws.add_results("default", sample_results(1), "Reviewer A")
    at = open_pool()
    rows = picker(at)
    mine = rows[rows["origin"] == "user"]
    assert mine["study"].tolist() == ["Doe 2026 (test)" + USER_MARK]
    assert (rows["origin"] == "curated").sum() == len(rows) - 1
    # a context source: offered, not ticked by default; ticking it puts it in the forest plot
    at.session_state["pool_state"]["included"][("ORR", "all")] = rows.loc[
        rows["include"] | (rows["origin"] == "user"), "result_id"].tolist()
    at.session_state["pool_state"]["pick_base"].clear()
    at.run()
    assert not at.exception
    loo = next(d.value for d in at.dataframe if "omitted" in d.value.columns)
    assert "Doe 2026 (test)" + USER_MARK in loo["omitted"].tolist()
    forest = at.get("vega_lite_chart")[0].proto  # its rows travel as Arrow data
    assert any(("Doe 2026 (test)" + USER_MARK).encode() in d.data.data for d in forest.datasets)


def test_row_added_to_the_project_mid_session_joins_the_picker() -> None:
    at = open_pool()
    before = picker(at)
    ws = open_workspace()
    ws.add_sources("default", sample_sources().assign(role="comparator"), "Reviewer A")
    ws.add_results("default", sample_results(1), "Reviewer A")
    at.run()
    after = picker(at)
    assert len(after) == len(before) + 1
    assert bool(after.loc[after["origin"] == "user", "include"].iloc[0])  # default tick


def test_without_a_workspace_the_page_pools_the_curated_base(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BCMA_SYNTH_DB", str(blocker / "ws.sqlite3"))
    at = open_pool()
    assert len(at.error) == 1 and "workspace" in at.error[0].value
    assert any("cannot be opened" in c.value for c in at.caption)
    assert (picker(at)["origin"] == "curated").all()
    assert pooled(at)[0].endswith("%")
