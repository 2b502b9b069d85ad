"""The Evidence page's form for a study the curated base lacks (saved to the project)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import save_evidence_rows
from synthesis.evidence import (
    CI_HIGH_STATUSES, DESIGNS, ESTIMATE_STATUSES, OUTCOMES, POPULATIONS, ROLES, UNITS, VERIFICATION,
)

SOURCE_DRAFT = "evidence_new_source"
RESULTS_DRAFT = "evidence_new_results"
SOURCE_EDITOR = "evidence_source_editor"
RESULTS_EDITOR = "evidence_results_editor"
#: What the last save did, shown after the rerun that clears the tables.
SAVED_MESSAGE = "evidence_saved_message"

SOURCE_TEMPLATE = pd.DataFrame(
    {"source_id": [""], "label": [""], "product": [""], "design": ["single-arm trial"],
     "role": ["comparator"], "n_treated": pd.array([pd.NA], dtype="Int64"), "data_cutoff": [""],
     "doi": [""], "title": [""]}
)
RESULTS_TEMPLATE = pd.DataFrame(
    {"result_id": [""], "source_id": [""], "product": [""], "population": ["all"], "outcome": ["ORR"],
     "events": pd.array([pd.NA], dtype="Int64"), "n": pd.array([pd.NA], dtype="Int64"),
     "estimate": [float("nan")], "estimate_status": ["reported"], "ci_low": [float("nan")],
     "ci_high": [float("nan")], "ci_high_status": ["not_reported"], "unit": ["proportion"],
     "timepoint": [float("nan")], "location": [""], "quote": [""], "status": ["verified"]}
)


def _blank_to_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows the editor left empty are dropped; empty text cells become missing."""
    frame = frame.replace({"": None})
    return frame.dropna(how="all").reset_index(drop=True)


def _base_key(draft_key: str) -> str:
    return f"{draft_key}_base"


def _editor_base(editor_key: str, draft_key: str, template: pd.DataFrame) -> pd.DataFrame:
    """The table an editor starts from: fixed while the editor lives.

    ``st.data_editor`` keeps the reviewer's edits as changes to the table it
    was given; feeding its output back in on every rerun would make those
    changes apply to the wrong base and lose cells. So the base is taken
    from the draft only when the editor is (re)created, e.g. after a page switch.
    """
    if editor_key not in st.session_state or _base_key(draft_key) not in st.session_state:
        st.session_state[_base_key(draft_key)] = st.session_state.get(draft_key, template)
    return st.session_state[_base_key(draft_key)]


def add_study_form(project: str | None) -> None:
    """Editable tables for one new source and its results, saved to ``project``."""
    if project is None:
        st.warning("The workspace cannot be opened, so new rows cannot be saved right now.")
        return
    st.caption(
        f"Rows are saved to the project **{project}**, marked as entered by you, and shown "
        "beside the curated values with origin `user`. Use the outcome and population "
        "names of the controlled vocabulary where one fits (proportions as fractions 0-1, "
        "medians in months, 'not reached' as `estimate_status`). Saving again with the "
        "same ids updates your rows."
    )
    if SAVED_MESSAGE in st.session_state:
        st.success(st.session_state.pop(SAVED_MESSAGE), icon=":material/check:")
    opts = st.column_config.SelectboxColumn
    sources = st.data_editor(
        _editor_base(SOURCE_EDITOR, SOURCE_DRAFT, SOURCE_TEMPLATE), num_rows="dynamic", key=SOURCE_EDITOR,
        column_config={"design": opts(options=DESIGNS), "role": opts(options=ROLES)}, width="stretch",
    )
    results = st.data_editor(
        _editor_base(RESULTS_EDITOR, RESULTS_DRAFT, RESULTS_TEMPLATE), num_rows="dynamic", key=RESULTS_EDITOR,
        column_config={
            "outcome": opts(options=sorted(OUTCOMES)), "population": opts(options=sorted(POPULATIONS)),
            "estimate_status": opts(options=ESTIMATE_STATUSES), "ci_high_status": opts(options=CI_HIGH_STATUSES),
            "unit": opts(options=sorted(UNITS)), "status": opts(options=VERIFICATION),
        },
        width="stretch",
    )
    # Drafts live under plain keys so they survive a page switch (widget state does not).
    st.session_state[SOURCE_DRAFT], st.session_state[RESULTS_DRAFT] = sources, results
    if st.button("Save to project", type="primary", key="evidence_save_rows"):
        new_sources, new_results = _blank_to_missing(sources), _blank_to_missing(results)
        if new_sources.empty and new_results.empty:
            st.warning("Nothing to save: both tables are empty.")
        # replace=True: saving a corrected draft again updates the reviewer's own rows
        # (ids of the curated base stay protected by the store).
        elif save_evidence_rows(new_sources if len(new_sources) else None,
                                new_results if len(new_results) else None, replace=True):
            st.session_state[SAVED_MESSAGE] = (
                f"Saved {len(new_sources)} source(s) and {len(new_results)} result(s) to {project}; "
                "they are in the Values tab with origin `user`."
            )
            for key in (SOURCE_DRAFT, RESULTS_DRAFT, SOURCE_EDITOR, RESULTS_EDITOR,
                        _base_key(SOURCE_DRAFT), _base_key(RESULTS_DRAFT)):
                st.session_state.pop(key, None)
            st.rerun()
