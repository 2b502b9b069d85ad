"""Workspace: the reviewer's projects, what each holds, and moving them in and out."""

import streamlit as st

from pages._shared import CURRENT_PROJECT, current_project, delete_saved, run_or_report, workspace
from synthesis.workspace_io import export_project, import_project

COUNTS = ["sources", "results", "figures", "curves", "reconstructions", "analyses"]

st.title("Workspace")
ws = workspace()
if ws is None:
    st.stop()
st.caption(
    f"Your work is kept in the {ws.where}. Set `BCMA_SYNTH_DB` to a file path or a "
    "PostgreSQL URL before starting the app to use another database (see the README)."
)
current = current_project()
if current is None:
    st.stop()


def _select_deleted() -> str | None:
    binned = [p.name for p in ws.list_projects(include_deleted=True) if p.deleted]
    return st.selectbox("Deleted project", binned, key="workspace_bin_which") if binned else None


def _done(message: str, project: str | None = None) -> None:
    """Remember the message and the project to switch to, then redraw everything."""
    st.session_state["workspace_message"] = message
    if project is not None:
        st.session_state[CURRENT_PROJECT] = project
    st.rerun()


if message := st.session_state.pop("workspace_message", None):
    st.success(message, icon=":material/check_circle:")

table = run_or_report(ws.projects_frame)
if table is None:
    st.stop()
st.subheader("Projects")
if table.empty:
    st.info("No projects yet.")
else:
    table.insert(0, "current", table["name"] == current)
    st.dataframe(
        table[["current", "name", *COUNTS, "updated_at", "created_at"]],
        hide_index=True, width="stretch", key="workspace_projects",
        column_config={"name": "Project", "current": st.column_config.CheckboxColumn("Current"),
                       "updated_at": "Last change (UTC)", "created_at": "Created (UTC)"},
    )



def _show_contents(project: str) -> None:
    sources, results = ws.project_evidence(project)
    st.write(f"**Your evidence rows:** {len(sources)} sources, {len(results)} results.")
    if len(results):
        st.dataframe(results, hide_index=True, width="stretch")
    removable = {}
    for title, kind, items, key in (
        ("Figures", "figure", ws.list_figures(project), "name"),
        ("Digitized curves", "curve", ws.list_curves(project), "arm"),
        ("Reconstructions", "reconstruction", ws.list_reconstructions(project), "label"),
        ("Saved analyses", "analysis", ws.list_analyses(project), "name"),
    ):
        names = [str(getattr(item, key)) for item in items]
        st.write(f"**{title}:** {', '.join(names) or 'none'}")
        for item, name in zip(items, names, strict=True):
            if kind == "analysis":
                removable[f"{item.kind} analysis '{name}'"] = (f"analysis:{item.kind}", name)
            else:
                removable[f"{kind} '{name}'"] = (kind, name)
    if removable:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        doomed = left.selectbox("Remove a saved item", list(removable), key="workspace_item")
        sure = right.checkbox("Yes, remove it", key="workspace_item_sure")
        if st.button("Remove item", key="workspace_item_remove", disabled=not sure):
            if delete_saved(*removable[doomed]):
                st.session_state.pop("workspace_item_sure", None)
                _done(f"Removed {doomed} from '{project}'.")


with st.expander(f"What '{current}' holds", expanded=False):
    run_or_report(_show_contents, current)

create_tab, rename_tab, delete_tab, bin_tab, export_tab, import_tab = st.tabs(
    ["Create", "Rename", "Delete", "Bin", "Export", "Import"], key="workspace_tab", on_change="rerun"
)

with create_tab, st.form("workspace_create", clear_on_submit=True):
    name = st.text_input("New project name", placeholder="e.g. BCMA CAR-T review 2026")
    if st.form_submit_button("Create project", icon=":material/add:"):
        if run_or_report(ws.create_project, name) is not None:
            _done(f"Created project '{name.strip()}' and made it current.", name.strip())

with rename_tab:
    st.caption(f"Renames the current project, '{current}' (choose it in the sidebar).")
    new = st.text_input("New name", key="workspace_rename_to")
    if st.button("Rename", key="workspace_rename", icon=":material/edit:"):
        if run_or_report(ws.rename_project, current, new) is not None:
            _done(f"Renamed '{current}' to '{new.strip()}'.", new.strip())

with delete_tab:
    sure = st.checkbox(f"Yes, move '{current}' to the bin", key="workspace_delete_sure")
    st.caption("Deletes the current project (choose it in the sidebar). It stays in the bin "
               "until you delete it permanently there.")
    if st.button("Delete project", key="workspace_delete", disabled=not sure,
                 icon=":material/delete:", type="primary"):
        if run_or_report(lambda: ws.delete_project(current) or True):
            st.session_state.pop("workspace_delete_sure", None)
            _done(f"Moved '{current}' to the bin; restore it from the Bin tab.")

with bin_tab:
    binned = _select_deleted()
    if binned is None:
        st.write("The bin is empty.")
    else:
        if st.button("Restore", key="workspace_restore", icon=":material/restore_from_trash:"):
            if run_or_report(ws.restore_project, binned) is not None:
                _done(f"Restored '{binned}'.", binned)
        erase = st.checkbox(f"Erase '{binned}' and everything in it for good",
                            key="workspace_erase_sure")
        if st.button("Delete permanently", key="workspace_erase", disabled=not erase,
                     icon=":material/delete_forever:"):
            if run_or_report(lambda: ws.delete_project(binned, permanently=True) or True):
                _done(f"Erased '{binned}'.")

with export_tab:
    # Only the open tab builds the zip: exporting reads the whole project.
    data = run_or_report(export_project, ws, current) if export_tab.open else None
    if data is not None:
        st.download_button(
            f"Download '{current}' as zip", data, f"{current}.zip", "application/zip",
            on_click="ignore", icon=":material/download:", key="workspace_export",
        )
        st.caption("One zip: your rows as CSV, figures, curves, reconstructions and analyses "
                   "as JSON, a manifest with checksums. Import it here or with "
                   "`python -m synthesis workspace import`.")

with import_tab:
    upload = st.file_uploader("Project export (.zip)", type=["zip"], key="workspace_upload")
    rename_to = st.text_input("Import under another name (optional)", key="workspace_import_as")
    replace = st.checkbox("Replace an existing project of the same name",
                          key="workspace_import_replace")
    if upload is not None and st.button("Import", key="workspace_import",
                                        icon=":material/upload:"):
        report = run_or_report(import_project, ws, upload.getvalue(),
                               rename=rename_to.strip() or None, replace=replace,
                               source=upload.name)
        if report is not None:
            held = ", ".join(f"{n} {kind}" for kind, n in report.counts.items())
            _done(f"Imported '{report.project}' ({held}).", report.project)
