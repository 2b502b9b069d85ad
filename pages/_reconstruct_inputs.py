"""The Reconstruct page's inputs of one arm: its tables, numbers, censor marks and buttons."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._reconstruct_arms import ARMS, RESULTS, inputs_of, rename_arm, save_arm
from pages._shared import PSEUDO_IPD, run_or_report, session_dict
from synthesis.curve_input import AT_RISK_COLUMNS, CURVE_COLUMNS, read_points_csv, risk_table_from_rows

SYNTHETIC = "synthetic example"
SYNTHETIC_NOTE = "SYNTHETIC example: simulated patients, not data from any study."


def edited(arm_id: str, field: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """A table editor that starts from the latest edits whenever it is (re)created."""
    arm = session_dict(ARMS)[arm_id]
    key = f"rc_{field}_{arm_id}_{arm['version']}"
    if key not in st.session_state:
        arm[f"{field}_base"] = arm[field]
    config = {c: st.column_config.NumberColumn(c, format="%.4g") for c in columns}
    arm[field] = st.data_editor(arm[f"{field}_base"], key=key, num_rows="dynamic", hide_index=True,
                                column_config=config, width="stretch")
    upload = st.file_uploader(f"Upload {field.replace('_', '-')} CSV", type=["csv", "txt"],
                              key=f"rc_up_{field}_{arm_id}_{arm['version']}")
    if upload is not None:
        table = run_or_report(read_points_csv, upload, columns, source=upload.name)
        if table is not None and all(c in table for c in columns):
            arm[field], arm["version"] = table[list(columns)], arm["version"] + 1
            st.rerun()
        elif table is not None:
            st.error(f"{upload.name}: needs the columns {', '.join(columns)}.")
    return arm[field]


def arm_inputs(arm_id: str, source_ids: list[str], project: str | None) -> None:
    """One arm's tab: its points, risk table, numbers and censor marks, and its name, link and buttons."""
    arms, results = session_dict(ARMS), session_dict(RESULTS)
    arm, v = arms[arm_id], arms[arm_id]["version"]
    if arm["origin"] == SYNTHETIC:
        st.warning(SYNTHETIC_NOTE, icon=":material/science:")
    left, right = st.columns(2)
    with left:
        st.markdown("**Digitized points** (time, survival as fraction or %)")
        edited(arm_id, "curve", CURVE_COLUMNS)
    with right:
        st.markdown("**Numbers at risk** (time, n_risk; first row at time 0)")
        edited(arm_id, "at_risk", AT_RISK_COLUMNS)
        ticks = st.text_input("Times under the figure", placeholder="0 6 12 18 24 30 36", key=f"rc_ticks_{arm_id}")
        counts = st.text_input("Numbers at risk under them", placeholder="138 86 35 17 7 2 0",
                               key=f"rc_counts_{arm_id}")
        if st.button("Use the typed risk row", key=f"rc_use_row_{arm_id}"):
            table = run_or_report(risk_table_from_rows, ticks, counts)
            if table is not None:
                arm["at_risk"], arm["version"] = table.astype(float), v + 1
                st.rerun()
    cols = st.columns(3)
    arm["total_events"] = cols[0].number_input("Total events (if reported)", min_value=0, step=1,
                                               value=arm["total_events"], key=f"rc_events_{arm_id}_{v}")
    arm["n_start"] = cols[1].number_input("Patients at start (only without a risk table)", min_value=1,
                                          step=1, value=arm["n_start"], key=f"rc_n_{arm_id}_{v}")
    arm["censor_text"] = cols[2].text_area("Censor-mark times (optional)", value=arm["censor_text"],
                                           key=f"rc_marks_{arm_id}_{v}", height=68)
    name_col, source_col = st.columns(2)
    name = name_col.text_input("Arm name", value=arm["name"], key=f"rc_name_{arm_id}_{v}")
    linked = source_col.selectbox(
        "Study of the evidence base (optional)", [None, *source_ids], key=f"rc_source_{arm_id}_{v}",
        index=source_ids.index(arm["source_id"]) + 1 if arm["source_id"] in source_ids else 0,
        format_func=lambda s: s or "(not linked)",
        help="The Compare page then shows this arm's baseline characteristics as published.")
    arm["source_id"] = linked
    rename, remove, save = st.columns(3)
    if rename.button("Rename", key=f"rc_rename_{arm_id}") and name.strip() and name.strip() != arm["name"]:
        if rename_arm(arm_id, name, project):
            st.rerun()
    if remove.button("Remove arm", key=f"rc_remove_{arm_id}",
                     help="From this session; the project keeps its copy (delete it on the Workspace page)."):
        session_dict(PSEUDO_IPD).pop(arm["name"], None)
        arms.pop(arm_id), results.pop(arm_id, None)
        st.rerun()
    if save.button("Save inputs", key=f"rc_save_{arm_id}", disabled=project is None, icon=":material/save:",
                   help=f"Keep this arm's entries in the project {project} without reconstructing."):
        inputs = run_or_report(inputs_of, arm)
        if inputs is not None and save_arm(arm, inputs):
            st.success(f"Saved the inputs of '{arm['name']}' to the project {project}.")
