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

def _values_table(selected: pd.DataFrame, total: int) -> None:
    """The filtered values, the quote of the selected row, and the CSV download."""
    st.write(f"**{len(selected)}** of {total} values.")
    event = st.dataframe(
        selected[TABLE_COLUMNS],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="evidence_table",
        column_config={
            "label": st.column_config.TextColumn("Study", width=200),
            "product": st.column_config.TextColumn("product", width=110),
            "population": st.column_config.TextColumn("population", width=110),
            "outcome": st.column_config.TextColumn("outcome", width=130),
            "events": st.column_config.NumberColumn("events", format="%d", width=60),
            "n": st.column_config.NumberColumn("n", format="%d", width=50),
            "estimate": st.column_config.NumberColumn("estimate", format="%.4g", width=70),
            "estimate_status": st.column_config.TextColumn("reported as", width=90),
            "ci_low": st.column_config.NumberColumn("ci_low", width=60),
            "ci_high": st.column_config.NumberColumn("ci_high", width=60),
            "unit": st.column_config.TextColumn("unit", width=80),
            "timepoint": st.column_config.NumberColumn("timepoint", width=70),
            "status": st.column_config.TextColumn("status", width=80),
            "origin": st.column_config.TextColumn("origin", help="curated = data/; user = your project", width=70),
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


def _study_cards(card_sources: pd.DataFrame) -> None:
    """Design, product, construct, n, cutoff and identifiers of each study shown."""
    for start in range(0, len(card_sources), 3):
        for column, (_, source) in zip(st.columns(3), card_sources.iloc[start:start + 3].iterrows()):
            with column.container(border=True):
                st.markdown(f"**{source['label']}** ({source['role']})")
                st.caption(source["title"] if pd.notna(source["title"]) else "Title not given in the source list.")
                st.markdown(
                    f"- Design: {source['design']}\n"
                    f"- Product: {source['product']}\n"
                    f"- CAR construct: {source['construct'] if pd.notna(source['construct']) else 'not stated'}\n"
                    f"- n treated: {source['n_treated'] if pd.notna(source['n_treated']) else 'not stated'}\n"
                    f"- Data cutoff: {source['data_cutoff'] if pd.notna(source['data_cutoff']) else 'not stated'}\n"
                    f"- DOI / registry: {source['doi'] if pd.notna(source['doi']) else '—'}"
                    f" {source['registry_ids'] if pd.notna(source['registry_ids']) else ''}"
                )


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

#: Tabs run lazily (``on_change="rerun"``): a filter change redraws only the open tab,
#: and the add-a-study editors are not rebuilt on every rerun of the table.
VALUES_TAB, CARDS_TAB, ADD_TAB = "Values", "Study cards", "Add a study the base lacks"
values_tab, cards_tab, add_tab = st.tabs(
    [VALUES_TAB, CARDS_TAB, ADD_TAB], key="evidence_view", on_change="rerun"
)
if values_tab.open:
    with values_tab:
        _values_table(selected, len(results))
if cards_tab.open:
    with cards_tab:
        _study_cards(evidence.sources[evidence.sources["source_id"].isin(selected["source_id"])])
if add_tab.open:
    with add_tab:
        add_study_form(project)
