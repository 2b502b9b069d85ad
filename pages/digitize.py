"""Digitize a figure: image -> calibrated axes -> curves -> the Reconstruct page."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from PIL import Image, ImageDraw
from streamlit_image_coordinates import streamlit_image_coordinates

from pages._digitize_workspace import (
    CALIB_ROWS, REOPEN, STATE, UPLOAD_VERSION, arm_input, calibration_table, new_arms, reopen_figure,
    save_work, start_figure,
)
from pages._shared import RECONSTRUCT_INPUTS, current_project, load_figures, run_or_report, session_dict
from synthesis.calibration import AxisCalibration, pixel_from_click
from synthesis.digitize import digitize_curves, find_curve_colors, load_figure

SHOWN_WIDTH = 800

st.title("Digitize a figure")
st.caption(
    "Upload a Kaplan-Meier figure, calibrate its axes once, pick the curves, check the "
    "extracted points over the image and send the arms, with their at-risk rows, to "
    "Reconstruct IPD. The figure, its calibration and the arms are saved to the current project."
)
project = current_project()
state = session_dict(STATE)


@st.cache_data(show_spinner=False)
def _load(data: bytes):
    return load_figure(data)


@st.cache_data(show_spinner=False)
def _colors(data: bytes, calib: dict):
    return find_curve_colors(_load(data), AxisCalibration.from_points(**calib))


@st.cache_data(show_spinner="Following the curves...")
def _digitize(data: bytes, calib: dict, colors: tuple[str, ...]):
    return digitize_curves(_load(data), AxisCalibration.from_points(**calib), list(colors))


upload = st.file_uploader("Figure (PNG or JPEG)", type=["png", "jpg", "jpeg"],
                          key=f"dg_upload_{st.session_state.get(UPLOAD_VERSION, 0)}")
if upload is not None and upload.getvalue() != state.get("image"):
    start_figure(state, image=upload.getvalue(), name=upload.name)
if saved_figures := (load_figures() if project else {}):
    st.selectbox("Reopen a saved figure", list(saved_figures), index=None, key=REOPEN, on_change=reopen_figure,
                 placeholder=f"one of the {len(saved_figures)} figures saved in the project {project}",
                 help="Brings back the image, its axis calibration and its arms as last saved.")
if "image" not in state:
    st.info("Upload the figure as PNG or JPEG (a screenshot of the PDF page works).")
    st.stop()
saved_as = f"; saved in the project {project} as '{state['figure']}'" if state.get("figure") else ""
st.caption(f"Figure: **{state.get('name', 'figure')}** (kept while you work on other pages{saved_as}).")
image = run_or_report(_load, state["image"])
if image is None:
    st.stop()
height, width = image.shape[:2]

st.subheader("1. Calibrate the axes")
if "calib" not in state:
    state["calib"] = pd.DataFrame(
        {"point": CALIB_ROWS, "axis": ["x", "x", "y", "y"], "pixel": [None] * 4, "value": [None] * 4}
    )
left, right = st.columns([3, 2])
with right:
    target = st.radio("A click on the image sets", CALIB_ROWS, horizontal=True, key="dg_target")
    x_unit = st.selectbox("Time unit", ["months", "days", "weeks", "years"], key="dg_unit")
    with st.form("dg_auto"):
        st.markdown("**Or detect the axis lines** and type the values at their ends:")
        st.caption("The ends of the lines, not the first and last labels: ggplot2 draws its axes 5 % beyond "
                   "them by default, so there click two labelled ticks on each axis instead.")
        x_range = st.text_input("Time axis from, to", "0, 36", key="dg_xrange")
        y_range = st.text_input("Survival axis from, to (0-1 or 0-100)", "0, 1", key="dg_yrange")
        detect = st.form_submit_button("Detect axes", icon=":material/straighten:")
    if detect:
        try:
            ranges = [tuple(float(v) for v in text.split(",")) for text in (x_range, y_range)]
        except ValueError:
            ranges = None
            st.error("Type each range as two numbers separated by a comma, e.g. 0, 36.")
        found = ranges and run_or_report(AxisCalibration.auto_detect, image, *ranges, x_unit=x_unit)
        if found:
            state["calib"] = calibration_table(found)
            state["calib_version"] = state.get("calib_version", 0) + 1
click = st.session_state.get("dg_click")  # the last click, read before the image is drawn
if click and click.get("unix_time") != state.get("last_click"):
    state["last_click"] = click.get("unix_time")
    px, py = pixel_from_click(click["x"], click["y"], shown_size=(click["width"], click["height"]),
                              image_size=(width, height))
    row = CALIB_ROWS.index(target)
    state["calib"].loc[row, "pixel"] = round(px if row < 2 else py, 1)
    state["calib_version"] = state.get("calib_version", 0) + 1
with left:
    marked = Image.fromarray(image).convert("RGB")
    pen = ImageDraw.Draw(marked)
    for axis, pixel in state["calib"][["axis", "pixel"]].itertuples(index=False):
        if pd.notna(pixel):  # a thin line through each calibration point
            pen.line((pixel, 0, pixel, height) if axis == "x" else (0, pixel, width, pixel), fill="#00a0ff")
    # Shown at most as wide as the column; clicks are scaled back to image pixels.
    streamlit_image_coordinates(marked, width="stretch", key="dg_click", cursor="crosshair")
with right:
    state["calib"] = st.data_editor(
        state["calib"], key=f"dg_calib_{state.get('calib_version', 0)}", hide_index=True,
        disabled=["point", "axis"], width="stretch",
        column_config={"pixel": st.column_config.NumberColumn("pixel", format="%.1f"),
                       "value": st.column_config.NumberColumn("value (as printed)")},
    )
if state["calib"][["pixel", "value"]].isna().any().any():
    st.info("Click two points on each axis and type their values (or detect the axes).")
    st.stop()
calibration = run_or_report(AxisCalibration.from_frame, state["calib"], x_unit=x_unit)
if calibration is None:
    st.stop()
calib = {"x": calibration.to_dict()["x"], "y": calibration.to_dict()["y"], "x_unit": x_unit}

st.subheader("2. Pick the curves")
colors = run_or_report(_colors, state["image"], calib)
if not colors:
    st.stop()
swatches = " ".join(
    f"<span style='display:inline-block;width:1.2em;height:1.2em;background:{c.hex};"
    f"border:1px solid #999;vertical-align:middle'></span> <code>{c.hex}</code>" for c in colors
)
st.markdown(f"Curve colours found: {swatches}", unsafe_allow_html=True)
chosen = st.multiselect("Curves to extract", [c.hex for c in colors], default=[c.hex for c in colors],
                        key="dg_colors")
if st.button("Extract curves", type="primary", icon=":material/timeline:", disabled=not chosen):
    figure = run_or_report(_digitize, state["image"], calib, tuple(chosen))
    if figure is not None:
        state["curves"] = new_arms(figure.curves, state)
        inputs = {key: arm_input(entry) for key, entry in state["curves"].items()}
        if project and save_work(state, calibration, {key: e for key, e in inputs.items() if e is not None}):
            st.success(f"Saved the figure, its calibration and the arms to the project {project}.")
curves = state.get("curves", {})
if not curves:
    st.stop()

st.subheader("3. Check, correct and name the arms")
overlay = Image.fromarray(image).convert("RGB")
draw = ImageDraw.Draw(overlay)
for entry in curves.values():
    xs, ys = calibration.to_pixel(entry["points"].time.to_numpy(), entry["points"].survival.to_numpy())
    draw.line(list(zip(xs, ys)), fill="#d000d0", width=1)
    for x, y in zip(xs, ys):
        draw.ellipse((x - 2.5, y - 2.5, x + 2.5, y + 2.5), outline="#d000d0")
st.image(overlay, caption="Extracted step corners (magenta) over the figure", width=min(width, SHOWN_WIDTH))
for key, entry in curves.items():
    with st.expander(f"{entry['name']} ({key}): {len(entry['points'])} points, "
                     f"{len(entry['censor_times'])} censor marks", expanded=True):
        for warning in entry["warnings"]:
            st.warning(warning, icon=":material/visibility_off:")
        cols = st.columns([2, 3])
        entry["name"] = cols[0].text_input("Arm name", entry["name"], key=f"dg_name_{key}")
        entry["times"] = cols[0].text_input("At-risk times", entry.get("times", ""), key=f"dg_rt_{key}",
                                            placeholder="0 6 12 18 24 30 36")
        entry["counts"] = cols[0].text_input("Numbers at risk", entry.get("counts", ""), key=f"dg_rn_{key}",
                                             placeholder="120 104 73 40 20 6 0")
        edited = cols[1].data_editor(entry["points"], num_rows="dynamic", key=f"dg_pts_{key}_{entry['version']}",
                                     width="stretch", height=220)
        if not edited.equals(entry["points"]):
            entry["points"], entry["version"] = edited.reset_index(drop=True), entry["version"] + 1

if st.button("Send to Reconstruct IPD", type="primary", icon=":material/send:"):
    inputs = {key: arm_input(entry) for key, entry in curves.items()}  # a bad at-risk row is shown
    if len({entry["name"] for entry in curves.values()}) < len(curves):
        st.error("Two arms have the same name; give each arm its own name.")
    elif None not in inputs.values():
        figure_name = save_work(state, calibration, inputs) if project else None
        session_dict(RECONSTRUCT_INPUTS).update(
            {curves[key]["name"]: {**entry, "figure": figure_name} for key, entry in inputs.items()})
        st.switch_page("pages/reconstruct.py")
