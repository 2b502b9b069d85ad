"""Helpers shared by the pages: session-state contracts and error display.

Pages import this module (``from pages._shared import ...``); it holds no
statistics, only the glue every page would otherwise repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from synthesis.errors import SynthesisError
from synthesis.evidence import EvidenceBase, load_evidence

T = TypeVar("T")


def _leave_legacy_page_discovery() -> None:
    """Rerun through ``streamlit_app.py`` when Streamlit skipped it.

    Streamlit decides per process whether the app "uses a pages directory"
    before any script has run; until ``st.navigation`` has been called once,
    the first request for a sub-page URL (a bookmark, a shared link) runs that
    page alone with the legacy file listing as navigation. Clearing the flag
    and rerunning makes the entry point (and so our navigation) run, as it
    does for every later request.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_legacy_page_discovery()

#: Digitized arms waiting for reconstruction, written by the Digitize page and
#: read by the Reconstruct page: ``{arm_name: {"curve": DataFrame(time, survival),
#: "at_risk": DataFrame(time, n_risk) | None, "censor_times": list[float],
#: "origin": str}}``, optionally ``"figure"``: the name of the saved figure it was read from.
RECONSTRUCT_INPUTS = "reconstruct_inputs"

#: Pseudo-IPD available for comparison, written by the Reconstruct page (and
#: uploads), read by the Compare page: ``{label: {"ipd": DataFrame(time, event),
#: "origin": "reconstructed" | "uploaded" | "approximate", "settings": dict}}``.
PSEUDO_IPD = "pseudo_ipd"


def session_dict(key: str) -> dict:
    """Return the dict kept in ``st.session_state[key]``, creating it if absent."""
    if key not in st.session_state:
        st.session_state[key] = {}
    return st.session_state[key]


def run_or_report(func: Callable[..., T], *args, **kwargs) -> T | None:
    """Call ``func``; show an engine error as a message instead of a traceback.

    Returns ``None`` after showing the message, so the page can stop drawing
    results while keeping every widget (and the user's input) on screen.
    """
    try:
        return func(*args, **kwargs)
    except SynthesisError as exc:
        st.error(str(exc), icon=":material/error:")
        return None


@st.cache_data(show_spinner=False, max_entries=64)
def _rendered(spec: str, kind: str) -> bytes | str:
    """PNG bytes or SVG text of a Vega-Lite spec; cached because rendering takes ~1 s."""
    from synthesis.export import spec_to_png, spec_to_svg

    return spec_to_png(spec) if kind == "png" else spec_to_svg(spec)


def chart_downloads(chart, stem: str) -> None:
    """Offer ``chart`` as PNG and SVG downloads named ``stem.png``/``stem.svg``.

    The images are rendered on the server (vl-convert), once per chart spec.
    """
    spec = chart.to_json()
    left, right = st.columns(2)
    left.download_button(
        "Chart as PNG", _rendered(spec, "png"), f"{stem}.png", "image/png", on_click="ignore"
    )
    right.download_button(
        "Chart as SVG", _rendered(spec, "svg"), f"{stem}.svg", "image/svg+xml", on_click="ignore"
    )


@st.cache_resource(show_spinner=False)
def curated_evidence() -> EvidenceBase:
    """The curated evidence base in ``data/``, validated once per server."""
    return load_evidence()


# -- workspace: the current project and saving work to it (issue 7) ---------------------

#: Name of the current workspace project (a plain session-state key, not a widget).
CURRENT_PROJECT = "workspace_project"
#: The reviewer's name, written beside everything they save.
REVIEWER = "workspace_reviewer"
#: Project created on first use so that there is always somewhere to save.
DEFAULT_PROJECT = "default"


@st.cache_resource(show_spinner=False)
def _open_workspace(url: str | None):
    from synthesis.store import open_workspace

    return open_workspace(url)


def workspace():
    """The workspace database (``$BCMA_SYNTH_DB`` or the default file), opened once per server.

    Returns ``None`` after showing why it cannot be opened (locked,
    read-only, server down); the next rerun tries again.
    """
    import os

    from synthesis.store import DB_ENV

    return run_or_report(_open_workspace, os.environ.get(DB_ENV) or None)


def _project_names(ws) -> list[str]:
    names = [p.name for p in ws.list_projects()]
    if not names:
        # Never leave the reviewer without somewhere to save; skip names left in the bin.
        binned = {p.name for p in ws.list_projects(include_deleted=True)}
        name, number = DEFAULT_PROJECT, 1
        while name in binned:
            number += 1
            name = f"{DEFAULT_PROJECT} {number}"
        names = [ws.ensure_project(name).name]
    return names


def project_name() -> str | None:
    """The current project without drawing anything (created on first use)."""
    ws = workspace()
    names = run_or_report(_project_names, ws) if ws is not None else None
    if not names:
        return None
    current = st.session_state.get(CURRENT_PROJECT)
    if current not in names:
        current = DEFAULT_PROJECT if DEFAULT_PROJECT in names else names[0]
        st.session_state[CURRENT_PROJECT] = current
    return current


def current_project() -> str | None:
    """Sidebar selector of the current project and the reviewer's name; returns the project.

    One call per page (``project = current_project()``); the choice is kept in
    ``st.session_state[CURRENT_PROJECT]`` across pages. ``None`` if the
    workspace cannot be opened (the reason is shown).
    """
    current = project_name()
    if current is None:
        return None
    names = _project_names(workspace())
    chosen = st.sidebar.selectbox(
        "Project", names, index=names.index(current),
        help="Your work is saved to this workspace project. Manage projects on the Workspace page.",
    )
    st.session_state[CURRENT_PROJECT] = chosen
    st.session_state[REVIEWER] = st.sidebar.text_input(
        "Your name", value=st.session_state.get(REVIEWER, ""),
        help="Written beside the rows and items you save, as the reviewer who entered them.",
    )
    return chosen


def _reviewer() -> str:
    return st.session_state.get(REVIEWER, "")


def _in_project(method: str, *args, **kwargs):
    """Call ``Workspace.<method>(project, ...)`` on the current project; None after an error."""
    ws, project = workspace(), project_name()
    if ws is None or project is None:
        return None
    return run_or_report(getattr(ws, method), project, *args, **kwargs)


def load_project_evidence():
    """The current project's own ``(sources, results)`` rows (empty tables if none)."""
    import pandas as pd

    rows = _in_project("project_evidence")
    return rows if rows is not None else (pd.DataFrame(), pd.DataFrame())


def evidence_with_project() -> EvidenceBase:
    """The curated base plus the current project's rows (``origin`` = ``"user"``).

    Falls back to the curated base alone, with the reason shown, if the
    project's rows no longer fit it (e.g. an id now also curated).
    """
    sources, results = load_project_evidence()
    base = curated_evidence()
    if sources.empty and results.empty:
        return base
    return run_or_report(base.combined_with, sources=sources, results=results) or base


def save_evidence_rows(sources=None, results=None, *, replace: bool = False) -> bool:
    """Add reviewer-entered sources and/or results rows to the current project.

    Sources go first so that results may cite them. Returns whether all
    were saved (a validation message is shown otherwise).
    """
    for method, rows in (("add_sources", sources), ("add_results", results)):
        if rows is not None and len(rows):
            if _in_project(method, rows, _reviewer(), replace=replace) is None:
                return False
    return True


def save_figure(image_bytes: bytes, calibration: dict, name: str | None = None):
    """Keep a figure image and its axis calibration in the current project."""
    return _in_project("save_figure", image_bytes, calibration, name=name, entered_by=_reviewer())


def save_curve(arm: str, entry: dict, figure: str | None = None):
    """Keep one :data:`RECONSTRUCT_INPUTS` entry (digitized arm) in the current project.

    Without ``figure`` (nor ``entry["figure"]``) the arm keeps the figure its
    saved copy links to: a page that edits the points does not cut the link.
    """
    figure = figure or entry.get("figure") or load_curves().get(arm, {}).get("figure")
    return _in_project(
        "save_curve", arm, entry["curve"], at_risk=entry.get("at_risk"),
        censor_times=entry.get("censor_times", ()), figure=figure,
        origin=entry.get("origin") or "digitized", entered_by=_reviewer(),
    )


def load_curves() -> dict:
    """The current project's arms in the :data:`RECONSTRUCT_INPUTS` format (with ``"figure"``)."""
    curves = _in_project("list_curves") or []
    return {c.arm: {"curve": c.curve, "at_risk": c.at_risk, "censor_times": list(c.censor_times),
                    "origin": c.origin, "figure": c.figure} for c in curves}


def load_figures() -> dict:
    """The current project's figures: ``{name: Figure}`` (image bytes and calibration)."""
    return {f.name: f for f in _in_project("list_figures") or []}


def delete_saved(kind: str, name: str) -> bool:
    """Delete one saved item from the current project; whether it was deleted.

    ``kind`` is as ``Workspace.delete_item`` takes it. This session's copy of a
    deleted reconstruction or curve goes too, so that Compare and Reconstruct
    stop offering it at once rather than at the end of the session.
    """
    ws, project = workspace(), project_name()
    if ws is None or project is None:
        return False
    if run_or_report(lambda: ws.delete_item(project, kind, name) or True) is None:
        return False
    if kind == "reconstruction":
        session_dict(PSEUDO_IPD).pop(name, None)
    elif kind == "curve":
        session_dict(RECONSTRUCT_INPUTS).pop(name, None)
    return True


def save_reconstruction(label: str, entry: dict, inputs: dict | None = None):
    """Keep one :data:`PSEUDO_IPD` entry, with the ``inputs`` behind it, in the current project."""
    return _in_project(
        "save_reconstruction", label, entry["ipd"], inputs=inputs or {},
        settings=entry.get("settings") or {}, origin=entry.get("origin") or "reconstructed",
        entered_by=_reviewer(),
    )


def load_reconstructions() -> dict:
    """The current project's pseudo-IPD in the :data:`PSEUDO_IPD` format."""
    saved = _in_project("list_reconstructions") or []
    return {r.label: {"ipd": r.ipd, "origin": r.origin, "settings": r.settings} for r in saved}


def save_analysis(kind: str, name: str, settings: dict):
    """Keep the settings of an analysis (``kind`` e.g. ``"pool"``, ``"compare"``)."""
    return _in_project("save_analysis", kind, name, settings, entered_by=_reviewer())


def load_analyses(kind: str) -> dict:
    """The current project's saved analyses of ``kind``: ``{name: settings}``."""
    return {a.name: a.settings for a in _in_project("list_analyses", kind) or []}


# -- workspace: the reviewer's rows among curated ones; saved analysis settings -------------

#: Appended to the label of a row from the reviewer's project wherever it sits among curated rows.
USER_MARK = " (your project)"


def mark_user_rows(frame, evidence: EvidenceBase, label: str = "label"):
    """``frame`` (rows with ``result_id``) with an ``origin`` column and the project's rows' ``label`` marked."""
    origin = dict(zip(evidence.results["result_id"], evidence.results["origin"], strict=True))
    marked = frame.assign(origin=frame["result_id"].map(origin).fillna("curated"))
    mine = marked["origin"] == "user"
    marked.loc[mine, label] = marked.loc[mine, label].astype(str) + USER_MARK
    return marked


def _tell(kind: str, level: str, text: str) -> None:
    st.session_state.setdefault(f"{kind}_analysis_messages", []).append((level, text))


def _save_settings(kind: str, what: str, widgets: tuple[str, ...], collect: Callable[[], dict]) -> None:
    name = (st.session_state.get(f"{kind}_save_name") or "").strip()
    if not name:
        _tell(kind, "warning", f"Give the {what} a name before saving it.")
        return
    settings = {widget: st.session_state.get(f"{kind}_{widget}") for widget in widgets}
    if save_analysis(kind, name, {**settings, **collect(settings)}) is not None:
        _tell(kind, "success", f"Saved {what} '{name}' to the project {project_name()}.")


def _load_settings(kind: str, what: str, widgets: tuple[str, ...],
                   restore: Callable[[dict], list[str]]) -> None:
    name = st.session_state.get(f"{kind}_load_name")
    settings = load_analyses(kind).get(name)
    if settings is None:
        _tell(kind, "warning", f"The project has no saved {what} '{name}' (any more).")
        return
    for widget in widgets:
        if settings.get(widget) is not None:
            st.session_state[f"{kind}_{widget}"] = settings[widget]
    notes = restore(settings)
    st.session_state[f"{kind}_save_name"] = name
    _tell(kind, "success", f"Loaded {what} '{name}'.")
    for note in notes:
        _tell(kind, "warning", note)


def saved_analysis_controls(project: str | None, kind: str, what: str, widgets: tuple[str, ...],
                            collect: Callable[[dict], dict],
                            restore: Callable[[dict], list[str]]) -> None:
    """An expander "Saved <what>s": save the page's settings as a named analysis, load one back.

    The expander's open state is kept by Streamlit (a keyed expander), so a
    rerun (choosing a saved analysis, say) never folds it under the reviewer's
    cursor; it opens by itself to show what a save or load did.

    The values of the widgets keyed ``<kind>_<name>`` for each name in ``widgets``
    are saved under ``name`` and put back on loading. ``collect(settings)`` returns
    what else the page keeps (ticked rows, links ...); ``restore(settings)`` puts
    that back and may undo a widget value that no longer fits, returning notes on
    anything it could not restore. Both run as button callbacks, before the page
    draws its widgets: the one moment Streamlit lets a widget's value be set.
    """
    key = f"{kind}_saved_expander"
    if st.session_state.get(f"{kind}_analysis_messages"):
        st.session_state[key] = True
    with st.expander(f"Saved {what}s", icon=":material/bookmark:", key=key, on_change="rerun"):
        _saved_analysis_widgets(project, kind, what, widgets, collect, restore)


def _saved_analysis_widgets(project: str | None, kind: str, what: str, widgets: tuple[str, ...],
                            collect: Callable[[dict], dict],
                            restore: Callable[[dict], list[str]]) -> None:
    if project is None:
        st.caption("Saving needs the workspace, which cannot be opened right now (see above).")
        return
    saved = load_analyses(kind)
    save_col, load_col = st.columns(2)
    save_col.text_input(f"Name of this {what}", key=f"{kind}_save_name")
    save_col.button(f"Save this {what}", key=f"{kind}_save", on_click=_save_settings,
                    args=(kind, what, widgets, collect), icon=":material/save:")
    load_col.selectbox(f"Load a saved {what}", list(saved), index=None, key=f"{kind}_load_name",
                       placeholder="choose one" if saved else "none saved in this project yet")
    load_col.button("Load", key=f"{kind}_load", disabled=not saved, on_click=_load_settings,
                    args=(kind, what, widgets, restore), icon=":material/restore:")
    for level, text in st.session_state.pop(f"{kind}_analysis_messages", []):
        getattr(st, level)(text)
