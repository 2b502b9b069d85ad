"""Compare survival: published medians lined up honestly, and curves compared as survival data."""

import streamlit as st

from pages._compare_curves import approximate_curves, curves_on_one_axis, two_curves_compared
from pages._shared import (
    PSEUDO_IPD, chart_downloads, curated_evidence, current_project, evidence_with_project,
    load_reconstructions, mark_user_rows, run_or_report, saved_analysis_controls, session_dict,
)
from synthesis.compare import methods_paragraph
from synthesis.evidence import POPULATIONS
from synthesis.medians import (
    ENDPOINTS, METHODS, SHORT_FOLLOW_UP_MONTHS, landmark_table, median_table, pool_medians,
)
from synthesis.survival_plots import median_chart

TABLE_COLUMNS = ["label", "product", "population", "n", "text", "follow_up", "immature",
                 "maturity_note", "superseded", "status", "origin"]
#: Settings kept in a saved comparison under their own name, in the widget key ``compare_<name>``.
WIDGET_SETTINGS = ("endpoint", "populations", "latest", "pool_product", "pool_method", "arm_a",
                   "arm_b", "tau")


def collect(saved: dict) -> dict:
    """Besides the widgets, a saved comparison keeps the sources the two arms are linked to."""
    store = session_dict(PSEUDO_IPD)
    return {"links": {arm: store[arm].get("settings", {}).get("source_id")
                      for arm in (saved["arm_a"], saved["arm_b"]) if arm in store}}


def restore(saved: dict) -> list[str]:
    """Put the arms' links back; say which of the saved comparison's curves are missing."""
    store, notes = session_dict(PSEUDO_IPD), []
    for name in ("arm_a", "arm_b"):
        if saved.get(name) is not None and saved[name] not in store:
            st.session_state.pop(f"compare_{name}", None)
            notes.append(f"The curve '{saved[name]}' is neither in this session nor in the project; "
                         "save curves to the project to keep them with a comparison.")
    for arm, source_id in saved.get("links", {}).items():
        if arm in store:
            store[arm].setdefault("settings", {})["source_id"] = source_id
            st.session_state.pop(f"compare_source_{arm}", None)
    return notes


st.title("Compare survival")
st.caption(
    "Every published median with its 95% CI, population and follow-up. A median not reached (NR) "
    "is not a number: it is drawn as an open arrow from its lower bound and never imputed."
)

project = current_project()
store = session_dict(PSEUDO_IPD)
in_project = load_reconstructions() if project else {}
for label, entry in in_project.items():  # curves kept in the project; this session's win
    store.setdefault(label, entry)
saved_analysis_controls(project, "compare", "comparison", WIDGET_SETTINGS, collect, restore)

evidence = evidence_with_project() if project else curated_evidence()
left, middle, right = st.columns([1, 3, 1])
endpoint = left.radio("Endpoint", list(ENDPOINTS), horizontal=True, key="compare_endpoint")
median_outcome, rate_outcome = ENDPOINTS[endpoint]
options = sorted(evidence.results.loc[evidence.results["outcome"].isin([median_outcome, rate_outcome]),
                                      "population"].unique())
populations = middle.multiselect(
    "Populations", options, default=[p for p in ("all", "ITT", "responders") if p in options],
    format_func=lambda p: f"{p}: {POPULATIONS.get(p, '')}", key="compare_populations")
latest_only = right.toggle("Latest report per study only", key="compare_latest",
                           help="Hide values that a later report of the same study updates.")

table = run_or_report(median_table, evidence.results, evidence.sources, outcome=median_outcome,
                      populations=populations, latest_only=latest_only)
if table is None or table.rows.empty:
    st.info(f"No median {endpoint} in the evidence base for these populations.")
else:
    rows = mark_user_rows(table.summary_frame(), evidence)
    st.subheader(f"Median {endpoint} (months)")
    st.dataframe(rows[TABLE_COLUMNS], hide_index=True, width="stretch", key="compare_median_table",
                 column_config={"label": "Study", "text": "Median (95% CI)",
                                "origin": st.column_config.TextColumn(
                                    "origin", help="curated = data/; user = your project's rows"),
                                "follow_up": st.column_config.NumberColumn("Median follow-up", format="%.1f")})
    chart = median_chart(rows, title=f"Median {endpoint} (months)")
    st.altair_chart(chart, width="stretch")
    st.caption("Dot: median with 95% CI. Open arrow: not reached (from its lower 95% limit, else the "
               "median follow-up). Grey cross: median follow-up. 'immature': median beyond the "
               f"follow-up, or NR at under {SHORT_FOLLOW_UP_MONTHS:g} months of follow-up.")
    chart_downloads(chart, f"median_{endpoint}")
    st.download_button("Table as CSV", rows.to_csv(index=False), f"median_{endpoint}.csv", "text/csv",
                       on_click="ignore")

marks = landmark_table(evidence.results, outcome=rate_outcome, populations=populations, sources=evidence.sources)
if len(marks):
    st.subheader(f"{endpoint} landmark rates")
    st.dataframe(marks, hide_index=True, width="stretch")

pooled = None
if table is not None and not table.rows.empty:
    st.subheader("Pooled median")
    c1, c2 = st.columns(2)
    product = c1.selectbox("Product", ["all products", *sorted(table.rows["product"].unique())],
                           key="compare_pool_product")
    method = c2.radio("Method", list(METHODS), format_func=METHODS.get, key="compare_pool_method")
    subset = table.rows if product == "all products" else table.rows[table.rows["product"] == product]
    if subset["population"].nunique() > 1:
        st.warning("The pooled median mixes populations (" + ", ".join(sorted(subset["population"].unique()))
                   + "); choose one population for a like-for-like pool.", icon=":material/warning:")
    pooled = run_or_report(pool_medians, subset, method=method)
    if pooled is not None:
        st.markdown(f"**Pooled median {endpoint}, {product}: {pooled.text()} months**")
        st.caption(pooled.description + ". Populations pooled: "
                   + ", ".join(sorted(subset["population"].unique())) + ".")

approximate_curves(store, evidence, endpoint, [median_outcome, rate_outcome], populations)
curves_on_one_axis(store, in_project, project, endpoint)
comparison = two_curves_compared(store, evidence)

st.subheader("Methods")
methods = methods_paragraph(
    endpoint=endpoint, populations=populations,
    n_medians=0 if table is None else len(table.rows),
    n_not_reached=0 if table is None else int((table.rows["estimate_status"] == "not_reached").sum()),
    pooled_description=pooled.description if pooled else None, comparison=comparison,
    approximate_models=[e["settings"].get("model", "parametric") for e in store.values()
                        if e.get("origin") == "approximate"],
)
st.write(methods)
st.download_button("Methods paragraph", methods, "methods_compare.txt", "text/plain", on_click="ignore")
