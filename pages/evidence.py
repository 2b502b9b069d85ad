"""Evidence: every extracted value with its provenance, filterable and downloadable."""

import pandas as pd
import streamlit as st

from pages._add_study import add_study_form
from pages._shared import current_project, evidence_with_project
from synthesis.evidence import OUTCOMES, POPULATIONS

TABLE_COLUMNS = [
    "label", "product", "population", "outcome", "events", "n", "estimate",
    "estimate_status", "ci_low", "ci_high", "unit", "timepoint", "status", "origin",
]

st.title("Evidence")
st.caption(
    "Each row is one value as reported, with where it was read. Select a row to "
    "see its verbatim quote and location."
)

project = current_project()
evidence = evidence_with_project()
results = evidence.select()


def _choose(column: str, label: str, help_text: str | None = None) -> list[str]:
    options = sorted(results[column].dropna().unique())
    return st.multiselect(label, options, key=f"evidence_filter_{column}", help=help_text)


with st.container(border=True):
    f1, f2, f3, f4, f5 = st.columns(5)
    with f1:
        products = _choose("product", "Product")
    with f2:
        studies = _choose("label", "Study")
    with f3:
        outcomes = _choose("outcome", "Outcome", "Controlled vocabulary: see data/README.md")
    with f4:
        populations = _choose("population", "Population")
    with f5:
        statuses = _choose("status", "Verification")

selected = results
for column, chosen in (
    ("product", products), ("label", studies), ("outcome", outcomes),
    ("population", populations), ("status", statuses),
):
    if chosen:
        selected = selected[selected[column].isin(chosen)]

st.write(f"**{len(selected)}** of {len(results)} values.")
event = st.dataframe(
    selected[TABLE_COLUMNS],
    hide_index=True,
    width="stretch",
    on_select="rerun",
    selection_mode="single-row",
    key="evidence_table",
    column_config={
        "label": "Study",
        "events": st.column_config.NumberColumn("events", format="%d"),
        "n": st.column_config.NumberColumn("n", format="%d"),
        "estimate": st.column_config.NumberColumn("estimate", format="%.4g"),
        "estimate_status": "reported as",
        "origin": st.column_config.TextColumn("origin", help="curated = data/; user = your project"),
    },
)

rows = event.selection.rows if event is not None else []
if rows:
    row = selected.iloc[rows[0]]
    with st.container(border=True):
        st.markdown(
            f"**{row['label']}** · `{row['outcome']}` "
            f"({OUTCOMES.get(row['outcome'], 'user-defined outcome')}) · "
            f"population `{row['population']}` "
            f"({POPULATIONS.get(row['population'], 'user-defined population')})"
        )
        st.markdown(f"**Location:** {row['location']}")
        st.markdown(f"> {row['quote']}")
        st.caption(f"Status: {row['status']}" + (f" · {row['note']}" if pd.notna(row["note"]) and row["note"] else ""))
else:
    st.info("Select a row to see its quote and location.", icon=":material/format_quote:")

st.download_button(
    "Download the filtered table (CSV)",
    selected.drop(columns=["design", "phase"], errors="ignore").to_csv(index=False),
    "bcma_evidence.csv",
    "text/csv",
    on_click="ignore",
)

with st.expander("Add a study the base lacks", icon=":material/add:"):
    add_study_form(project)

st.subheader("Study cards")
card_sources = evidence.sources[evidence.sources["source_id"].isin(selected["source_id"])]
for start in range(0, len(card_sources), 3):
    for column, (_, source) in zip(st.columns(3), card_sources.iloc[start:start + 3].iterrows()):
        with column.container(border=True):
            st.markdown(f"**{source['label']}** ({source['role']})")
            st.caption(source["title"])
            st.markdown(
                f"- Design: {source['design']}\n"
                f"- Product: {source['product']}\n"
                f"- CAR construct: {source['construct'] if pd.notna(source['construct']) else 'not stated'}\n"
                f"- n treated: {source['n_treated'] if pd.notna(source['n_treated']) else 'not stated'}\n"
                f"- Data cutoff: {source['data_cutoff'] if pd.notna(source['data_cutoff']) else 'not stated'}\n"
                f"- DOI / registry: {source['doi'] if pd.notna(source['doi']) else '—'}"
                f" {source['registry_ids'] if pd.notna(source['registry_ids']) else ''}"
            )
