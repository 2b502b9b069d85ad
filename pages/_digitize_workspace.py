"""The Digitize page's work in the workspace project: the figure with its calibration and its arms.

The page keeps its figure in ``st.session_state[STATE]`` as ``{"image": bytes,
"name": str, "figure": saved figure name, "calib": DataFrame(point, axis,
pixel, value), "calib_version": int, "curves": {key: {"name", "color",
"points", "censor_times", "warnings", "version", "times", "counts",
"saved_as"}}}``. Extracting curves and sending arms save the figure (image
and calibration) and every arm, linked to it; a saved figure reopens with
its calibration and arms in a new session.
"""

from __future__ import annotations

import hashlib
import itertools

import pandas as pd
import streamlit as st

from pages._shared import (
    delete_saved, load_curves, load_figures, run_or_report, save_curve, save_figure, session_dict,
)
from synthesis.calibration import AxisCalibration
from synthesis.curve_input import risk_table_from_rows

STATE = "digitize"
CALIB_ROWS = ["x point 1", "x point 2", "y point 1", "y point 2"]
#: Key of the saved-figure selectbox; its choice is applied by :func:`reopen_figure`.
REOPEN = "dg_reopen"
#: Part of the uploader's key: a new value empties the uploader (after a saved figure is reopened).
UPLOAD_VERSION = "digitize_upload_version"
#: Widgets holding the previous figure's entries, dropped when another figure comes in.
FIGURE_WIDGETS = ("dg_calib_", "dg_name_", "dg_rt_", "dg_rn_", "dg_pts_")


def calibration_table(calibration: AxisCalibration) -> pd.DataFrame:
    """The page's editable calibration rows for ``calibration``."""
    return calibration.summary_frame().assign(point=CALIB_ROWS)[["point", "axis", "pixel", "value"]]


def start_figure(state: dict, **values) -> None:
    """Replace the page's figure by ``values`` (image, name, ...), leaving nothing of the old one."""
    # The image component keeps its last click; remembering it stops that click landing on the new figure.
    kept = {k: state[k] for k in ("last_click", "calib_version") if k in state}
    state.clear()
    state.update(kept, **values)
    state["calib_version"] = kept.get("calib_version", 0) + 1
    for key in [k for k in st.session_state if str(k).startswith(FIGURE_WIDGETS)]:
        del st.session_state[key]


def reopen_figure() -> None:
    """Selectbox callback: bring back a saved figure, its calibration and its arms."""
    name = st.session_state.get(REOPEN)
    figure = load_figures().get(name)
    if figure is None:
        return
    saved = figure.calibration
    calibration = run_or_report(AxisCalibration.from_points, x=saved["x"], y=saved["y"],
                                x_unit=saved.get("x_unit", "months"))
    state = session_dict(STATE)
    start_figure(state, image=figure.image, name=figure.name, figure=figure.name)
    if calibration is not None:
        state["calib"] = calibration_table(calibration)
        st.session_state["dg_unit"] = calibration.x_unit
    arms = {arm: entry for arm, entry in load_curves().items() if entry["figure"] == figure.name}
    if arms:
        state["curves"] = {arm: _restored_arm(arm, entry) for arm, entry in arms.items()}
    st.session_state[UPLOAD_VERSION] = st.session_state.get(UPLOAD_VERSION, 0) + 1
    st.session_state[REOPEN] = None


def _restored_arm(arm: str, entry: dict) -> dict:
    at_risk = entry["at_risk"]
    rows = {c: "" if at_risk is None else " ".join(f"{v:g}" for v in at_risk[c]) for c in ("time", "n_risk")}
    return {"name": arm, "color": None, "points": entry["curve"], "censor_times": list(entry["censor_times"]),
            "warnings": [], "version": 0, "times": rows["time"], "counts": rows["n_risk"], "saved_as": arm}


def new_arms(extracted, state: dict) -> dict:
    """The page's arms for freshly extracted curves; a colour extracted before keeps its name and rows."""
    before = state.get("curves", {})
    taken = {arm for arm, entry in load_curves().items() if entry["figure"] != state.get("figure")}
    taken |= {before[c.name]["name"] for c in extracted if c.name in before}
    free = (name for name in (f"Arm {i}" for i in itertools.count(1)) if name not in taken)
    arms = {}
    for curve in extracted:
        kept = before.get(curve.name, {})
        arms[curve.name] = {
            "name": kept.get("name") or next(free), "times": kept.get("times", ""),
            "counts": kept.get("counts", ""), "saved_as": kept.get("saved_as"),
            "color": curve.color, "points": curve.points, "censor_times": list(curve.censor_times),
            "warnings": list(curve.warnings), "version": 0,
        }
    return arms


def arm_input(entry: dict) -> dict | None:
    """One arm as a :data:`RECONSTRUCT_INPUTS` entry; ``None`` after showing a bad at-risk row."""
    at_risk = None
    if entry.get("times", "").strip() or entry.get("counts", "").strip():
        at_risk = run_or_report(risk_table_from_rows, entry["times"], entry["counts"])
        if at_risk is None:
            return None
    return {"curve": entry["points"].dropna().astype(float), "at_risk": at_risk,
            "censor_times": entry["censor_times"], "origin": "digitized"}


def _figure_name(state: dict, saved: dict) -> str:
    """The reopened figure's name, else the file name (with the image hash if another image has it)."""
    if state.get("figure"):
        return state["figure"]
    name = state.get("name") or "figure"
    sha = hashlib.sha256(state["image"]).hexdigest()
    return name if name not in saved or saved[name].image_sha256 == sha else f"{name} {sha[:8]}"


def save_work(state: dict, calibration: AxisCalibration, inputs: dict) -> str | None:
    """Save the figure with its calibration and each arm of ``inputs`` (``{curve key: entry}``).

    Returns the saved figure's name, ``None`` if the workspace could not take
    it (the reason is shown). An arm renamed since it was saved replaces its
    old copy when that copy belongs to this figure.
    """
    name = _figure_name(state, load_figures())
    if save_figure(state["image"], calibration.to_dict(), name=name) is None:
        return None
    state["figure"] = name
    saved = load_curves()
    for key, entry in inputs.items():
        arm, old = state["curves"][key]["name"], state["curves"][key].get("saved_as")
        if save_curve(arm, entry, figure=name) is None:
            return None
        if old and old != arm and saved.get(old, {}).get("figure") == name:
            delete_saved("curve", old)
        state["curves"][key]["saved_as"] = arm
    return name
