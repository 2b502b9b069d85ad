"""Home: what the app does, the studies in it, and where to go."""

import streamlit as st

from pages._shared import curated_evidence, current_project

st.title("BCMA CAR-T evidence synthesis")
st.markdown(
    "For literature reviewers comparing BCMA-directed CAR-T products in "
    "relapsed/refractory multiple myeloma. Every number shown here comes from "
    "the curated evidence base with its source, location and verbatim quote; "
    "your own extractions and curves are kept in your workspace."
)

current_project()
evidence = curated_evidence()
sources = evidence.sources
results = evidence.results
c1, c2, c3 = st.columns(3)
c1.metric("Publications", len(sources))
c2.metric("Extracted values", len(results))
c3.metric("Products", sources["product"].nunique())

st.subheader("Where to go")
DESTINATIONS = [
    ("pages/evidence.py", "Browse the evidence", ":material/table_view:",
     "Every value with its quote and location; filters and CSV download."),
    ("pages/pool.py", "Pool response rates", ":material/forest:",
     "Meta-analysis of proportions with forest plots, as R's metafor."),
    ("pages/compare.py", "Compare survival", ":material/compare_arrows:",
     "Medians with CIs, follow-up and reconstructed curves side by side."),
    ("pages/digitize.py", "Digitize a figure", ":material/scatter_plot:",
     "From a Kaplan-Meier image to curve coordinates."),
    ("pages/reconstruct.py", "Reconstruct IPD", ":material/stacked_line_chart:",
     "Guyot 2012 pseudo-IPD from points and the numbers at risk."),
    ("pages/workspace.py", "Workspace", ":material/folder_open:",
     "Your projects: added studies, curves, reconstructions, analyses."),
]
for column, (path, label, icon, caption) in zip(st.columns(3) * 2, DESTINATIONS):
    column.page_link(path, label=label, icon=icon)
    column.caption(caption)

st.subheader("Studies in the evidence base")
st.dataframe(
    sources[["label", "role", "product", "design", "n_treated", "data_cutoff", "year"]],
    hide_index=True,
    width="stretch",
    column_config={
        "label": "Study",
        "role": "Role",
        "product": "Product",
        "design": "Design",
        "n_treated": st.column_config.NumberColumn("n treated", format="%d"),
        "data_cutoff": "Data cutoff",
        "year": st.column_config.NumberColumn("Year", format="%d"),
    },
)
st.caption(
    "Index studies are the two full texts the app is built around; comparators are "
    "the trials they cite (values marked unverified rest on secondary sources); "
    "context studies (randomised earlier-line trials, real-world cohorts) are not "
    "pooled by default."
)
