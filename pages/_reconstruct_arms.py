"""The Reconstruct page's arms: kept in the session, saved to and restored from the workspace project.

Each arm lives in ``st.session_state[ARMS]`` as ``{arm id: {"name", "curve",
"at_risk", "censor_text", "total_events", "n_start", "source_id", "origin",
"figure", "source_key", "version"}}``; its reconstruction in
``st.session_state[RESULTS]``. The project keeps the arm's tables as a
digitized curve, the numbers a curve has no room for (total events, n at the
start, the linked source) as a saved analysis of kind :data:`ARM_SETTINGS`,
and every reconstruction with the inputs and settings behind it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import (
    PSEUDO_IPD, RECONSTRUCT_INPUTS, delete_saved, load_analyses, load_curves, load_reconstructions,
    run_or_report, save_analysis, save_curve, save_reconstruction, session_dict,
)
from synthesis.curve_input import AT_RISK_COLUMNS, CURVE_COLUMNS, parse_number_row
from synthesis.reconstruct import reconstruct_ipd

ARMS = "reconstruct_arms"
RESULTS = "reconstruct_results"  # {arm id: {"name", "result", "inputs": fingerprint}}
NEXT_ID = "reconstruct_next_arm"
#: Projects whose saved arms this session has already offered (once, so a removed arm stays removed).
RESTORED = "reconstruct_restored_projects"
#: Kind of the saved analysis holding an arm's total events, n at the start and linked source.
ARM_SETTINGS = "reconstruct"
ARM_NUMBERS = ("total_events", "n_start", "source_id")


def new_arm(name: str, curve, at_risk=None, censor_times=(), origin: str = "typed",
            source_key: str | None = None, figure: str | None = None) -> dict:
    """Add an arm, or replace the arm of that name (its editors are then redrawn)."""
    arms = session_dict(ARMS)
    old = next((k for k, a in arms.items() if a["name"] == name), None)
    if old is None:
        st.session_state[NEXT_ID] = st.session_state.get(NEXT_ID, 0) + 1
    arm_id = old or f"arm{st.session_state[NEXT_ID]}"
    arms[arm_id] = {
        "name": name, "origin": origin, "source_key": source_key, "figure": figure,
        "total_events": None, "n_start": None, "source_id": None,
        "curve": pd.DataFrame(curve, columns=list(CURVE_COLUMNS)).astype(float),
        "at_risk": pd.DataFrame(at_risk if at_risk is not None else [], columns=list(AT_RISK_COLUMNS)).astype(float),
        "censor_text": " ".join(f"{t:g}" for t in censor_times),
        "version": arms[old]["version"] + 1 if old else 0,
    }
    return arms[arm_id]


def take_digitized() -> list[str]:
    """Add the arms the Digitize page sent that are not here yet; return their names."""
    taken = []
    for name, entry in st.session_state.get(RECONSTRUCT_INPUTS, {}).items():
        key = repr((entry["curve"].to_numpy().tolist(), None if entry.get("at_risk") is None
                    else entry["at_risk"].to_numpy().tolist(), list(entry.get("censor_times", ()))))
        if all(a["source_key"] != key for a in session_dict(ARMS).values()):
            new_arm(name, entry["curve"], entry.get("at_risk"), entry.get("censor_times", ()),
                    origin=entry.get("origin", "digitized"), source_key=key, figure=entry.get("figure"))
            taken.append(name)
    return taken


def restore_project_arms(project: str | None) -> list[str]:
    """Once per session and project: add the project's saved arms not already in this session."""
    restored = st.session_state.setdefault(RESTORED, set())
    if project is None or project in restored:
        return []
    restored.add(project)
    present = {a["name"] for a in session_dict(ARMS).values()}
    numbers = load_analyses(ARM_SETTINGS)
    names = []
    for name, entry in load_curves().items():
        if name in present:
            continue  # this session's arm (e.g. just sent by the Digitize page) wins
        arm = new_arm(name, entry["curve"], entry["at_risk"], entry["censor_times"],
                      origin=entry["origin"], figure=entry.get("figure"))
        arm.update({k: numbers.get(name, {}).get(k) for k in ARM_NUMBERS})
        names.append(name)
    return names


def inputs_of(arm: dict) -> dict:
    """The arguments of :func:`reconstruct_ipd` as the arm's editors hold them."""
    at_risk = arm["at_risk"].dropna(how="all")
    marks = parse_number_row(arm["censor_text"], source=f"{arm['name']}: censor-mark times")
    return {"curve": arm["curve"], "at_risk": at_risk if len(at_risk) else None,
            "n_start": arm["n_start"] if not len(at_risk) else None, "total_events": arm["total_events"],
            "censor_times": marks or None}


def fingerprint(arm: dict, inputs: dict) -> str:
    """What a reconstruction was made from, to tell when the arm has changed since."""
    return repr({**{k: v.to_csv() if isinstance(v, pd.DataFrame) else v for k, v in inputs.items()},
                 "source_id": arm["source_id"]})


def save_arm(arm: dict, inputs: dict) -> bool:
    """Keep the arm's tables and numbers in the current project; whether both were saved."""
    curve = arm["curve"].dropna(how="all").reset_index(drop=True)
    entry = {"curve": curve, "at_risk": inputs["at_risk"], "censor_times": inputs["censor_times"] or [],
             "origin": arm["origin"]}
    return (save_curve(arm["name"], entry, figure=arm["figure"]) is not None
            and save_analysis(ARM_SETTINGS, arm["name"], {k: arm[k] for k in ARM_NUMBERS}) is not None)


def rename_arm(arm_id: str, new: str, project: str | None) -> bool:
    """Rename an arm here and in the project; whether it all went through.

    The project's copy moves to the new name (inputs and numbers saved under
    it, the old ones deleted) instead of staying behind under the old name.
    Its reconstruction is dropped with the old name: the arm is reconstructed
    again under the new one. ``False`` leaves a message on the page (a name in
    use, or a project copy that could not be moved), which a rerun would wipe.
    """
    arms = session_dict(ARMS)
    arm, new = arms[arm_id], new.strip()
    if any(a["name"] == new for key, a in arms.items() if key != arm_id):
        st.error(f"An arm called '{new}' exists already; choose another name.")
        return False
    old = arm["name"]
    saved_before = project is not None and old in load_curves()
    session_dict(PSEUDO_IPD).pop(old, None)
    session_dict(RESULTS).pop(arm_id, None)
    arm["name"] = new
    if saved_before:
        inputs = run_or_report(inputs_of, arm)
        if inputs is None or not save_arm(arm, inputs):
            return False  # renamed here; the message says why the project keeps the old name
        delete_saved("curve", old)
        if old in load_analyses(ARM_SETTINGS):
            delete_saved(f"analysis:{ARM_SETTINGS}", old)
        if old in load_reconstructions():
            delete_saved("reconstruction", old)
    return True


def reconstruct_arm(arm_id: str, project: str | None) -> tuple[bool, bool]:
    """Save the arm's inputs, reconstruct it and save the reconstruction.

    Returns (reconstructed, saved to the project). Errors are shown and the
    arm's entries stay as typed.
    """
    arm = session_dict(ARMS)[arm_id]
    inputs = run_or_report(inputs_of, arm)
    if inputs is None:
        return False, False
    saved = project is not None and save_arm(arm, inputs)
    result = run_or_report(reconstruct_ipd, **inputs)
    if result is None:
        return False, saved
    session_dict(RESULTS)[arm_id] = {"name": arm["name"], "result": result, "inputs": fingerprint(arm, inputs)}
    entry = {"ipd": result.ipd, "origin": "reconstructed",
             "settings": {**result.summary_frame().iloc[0].to_dict(), "arm_origin": arm["origin"],
                          "source_id": arm["source_id"], "cleaning": list(result.cleaning)}}
    session_dict(PSEUDO_IPD)[arm["name"]] = entry
    if saved:
        used = {"curve": result.fit[list(CURVE_COLUMNS)], "at_risk": inputs["at_risk"],
                "censor_times": inputs["censor_times"] or [], "total_events": inputs["total_events"],
                "n_start": inputs["n_start"]}
        saved = save_reconstruction(arm["name"], entry, inputs=used) is not None
    return True, saved
