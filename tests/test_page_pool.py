"""AppTest of the "Pool response rates" page: defaults, controls, bad input, state.

The statistics are tested in test_proportions.py; here the page must show the
engine's result for the evidence rows it ticks, keep the user's rows and
settings, and turn bad input into a message instead of a traceback.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import app_test
from streamlit.testing.v1 import AppTest

from synthesis.evidence import load_evidence
from synthesis.proportions import pool_proportions, pooling_candidates


def open_pool(state: dict | None = None) -> AppTest:
    return app_test("pool.py", state=None if state is None else {"pool_state": state}, timeout=120)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def all_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "code")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def default_orr():
    candidates = pooling_candidates(load_evidence(), "ORR", "all")
    chosen = candidates[candidates["include"]]
    return pool_proportions(chosen["events"].tolist(), chosen["n"].tolist(),
                            studies=chosen["study"].tolist())


def test_default_page_pools_orr_with_the_glmm(default_orr) -> None:
    at = open_pool()
    assert at.title[0].value == "Pool response rates"
    assert at.selectbox(key="pool_outcome").value == "ORR"
    assert at.selectbox(key="pool_method").value == "GLMM"
    assert metric(at, "Pooled proportion") == f"{100 * default_orr.estimate:.1f}%"
    assert metric(at, "I\u00b2") == f"{default_orr.i2:.1f}%"
    text = all_text(at)
    assert "Default: logit with the binomial-normal GLMM" in text  # rationale on screen
    assert "Proportions (overall response rate" in text  # methods paragraph
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "hconcat" in spec
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Chart as PNG", "Chart as SVG", "Results as CSV"} <= set(labels)
    assert any("\u26a0" in s for s in at.dataframe[0].value["status"])  # unverified marked


def test_controls_change_the_model_and_settings_survive_a_page_switch() -> None:
    at = open_pool()
    at.selectbox(key="pool_measure").select("PFT").run()
    assert "GLMM" not in at.selectbox(key="pool_method").options
    at.selectbox(key="pool_method").select("DL").run()
    at.checkbox(key="pool_hksj").check().run()
    at.selectbox(key="pool_subgroup").select("product").run()
    assert not at.exception
    text = all_text(at)
    assert "Schwarzer" in text
    assert "Test for subgroup differences" in text
    at.switch_page("pages/home.py").run()
    at.switch_page("pages/pool.py").run()
    assert at.selectbox(key="pool_measure").value == "PFT"
    assert at.selectbox(key="pool_method").value == "DL"
    assert at.checkbox(key="pool_hksj").value is True


def test_bad_user_row_names_study_and_keeps_the_rows() -> None:
    rows = pd.DataFrame({"study": ["My trial", "Other"], "events": [12, 3], "n": [10, 20],
                         "product": ["x", "y"], "phase": [None, None], "design": [None, None]})
    at = open_pool({"adhoc": rows})
    errors = [e.value for e in at.error]
    assert errors and "My trial" in errors[0] and "events cannot exceed n" in errors[0]
    assert "Your rows" in errors[0] and "row 1" in errors[0]
    assert not at.get("vega_lite_chart")
    kept = at.session_state["pool_state"]["adhoc"]
    assert kept["study"].tolist() == ["My trial", "Other"]


def test_user_row_is_pooled_with_the_ticked_studies(default_orr) -> None:
    rows = pd.DataFrame({"study": ["My trial"], "events": [30], "n": [40], "product": ["x"],
                         "phase": [None], "design": [None]})
    at = open_pool({"adhoc": rows})
    assert not at.error
    loo = next(d.value for d in at.dataframe if "omitted" in d.value.columns)
    assert "My trial" in loo["omitted"].tolist()
    assert len(loo) == default_orr.k + 1
    assert metric(at, "Pooled proportion") != f"{100 * default_orr.estimate:.1f}%"


def test_nothing_ticked_gives_a_message_not_a_crash() -> None:
    at = open_pool({"included": {("ORR", "all"): []}})
    assert any("no study ticked" in e.value for e in at.error)
