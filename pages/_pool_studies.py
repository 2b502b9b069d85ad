"""The Pool page's two study tables: the evidence rows to tick, and the reviewer's own rows.

The page's state (``st.session_state["pool_state"]``) keeps the ticked result
ids per (outcome, population) under ``"included"``, the table each editor was
started from under ``"pick_base"`` and ``"adhoc_base"``, and the user's rows
under ``"adhoc"``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import mark_user_rows
from synthesis.evidence import EvidenceBase
from synthesis.proportions import pooling_candidates

ADHOC_COLUMNS = ["study", "events", "n", "product", "phase", "design"]


def pick_studies(state: dict, evidence: EvidenceBase, outcome: str, population: str) -> pd.DataFrame:
    """The candidate rows for ``outcome`` and ``population`` with their ``include`` ticks as edited."""
    included = state.setdefault("included", {})
    bases = state.setdefault("pick_base", {})
    pick_key = f"pool_pick_{outcome}_{population}"
    candidates = mark_user_rows(pooling_candidates(evidence, outcome, population), evidence, "study")
    base = bases.get((outcome, population))
    if pick_key not in st.session_state or base is None or \
            base["result_id"].tolist() != candidates["result_id"].tolist():
        # the editor's input must stay fixed while it lives, or edits get lost; it is rebuilt
        # only when the candidates change (a row added to or removed from the project)
        st.session_state.pop(pick_key, None)
        chosen = included.get((outcome, population))
        if chosen is not None:
            # rows new since the last pick keep their default tick
            seen = set((candidates if base is None else base)["result_id"])
            candidates["include"] = candidates["result_id"].isin(chosen) | (
                candidates["include"] & ~candidates["result_id"].isin(seen))
        candidates["status"] = candidates["status"].map(
            lambda s: "\u26a0 unverified" if s == "unverified" else s)
        bases[(outcome, population)] = candidates
    candidates = bases[(outcome, population)]
    picked = st.data_editor(
        candidates, key=pick_key, hide_index=True, width="stretch",
        disabled=[c for c in candidates.columns if c != "include"],
        column_order=["include", "study", "product", "phase", "design", "events", "n", "status",
                      "origin", "why"],
        column_config={"include": st.column_config.CheckboxColumn("include"),
                       "origin": st.column_config.TextColumn(
                           "origin", help="curated = data/; user = your project's rows"),
                       "why": "not ticked because"},
    )
    included[(outcome, population)] = picked.loc[picked["include"], "result_id"].tolist()
    st.caption("All eligible rows are ticked by default; context sources and reports superseded "
               "by a later report of the same trial are not, so no patient counts twice. "
               "\u26a0 marks values not yet verified against the publication.")
    return picked


def user_rows_editor(state: dict) -> pd.DataFrame:
    """The reviewer's own rows (studies the evidence base lacks), kept in ``state["adhoc"]``."""
    st.markdown("**Your rows** (a study the evidence base lacks; kept while you switch pages and "
                "in a saved pooling)")
    st.caption("To keep a study as evidence for every page, with its quote and location, add it "
               "on the Evidence page; it then appears above, marked 'your project'.")
    if "pool_adhoc" not in st.session_state:
        state["adhoc_base"] = state.get("adhoc", pd.DataFrame(columns=ADHOC_COLUMNS)).copy()
    adhoc = st.data_editor(
        state["adhoc_base"], key="pool_adhoc", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={"events": st.column_config.NumberColumn("events", step=1),
                       "n": st.column_config.NumberColumn("n", step=1)},
    )
    state["adhoc"] = adhoc
    return adhoc
