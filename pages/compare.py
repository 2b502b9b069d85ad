"""Compare survival: published medians lined up honestly, and curves compared as survival data."""

import pandas as pd
import streamlit as st

from pages._shared import (
    PSEUDO_IPD, chart_downloads, curated_evidence, current_project, evidence_with_project,
    load_reconstructions, mark_user_rows, run_or_report, save_reconstruction, saved_analysis_controls,
    session_dict,
)
from synthesis.approximate import APPROXIMATE_LABEL, MODELS, fit_from_evidence
from synthesis.compare import (
    CROSS_TRIAL_CAVEAT, baseline_side_by_side, compare_survival, load_ipd_csv, methods_paragraph,
)
from synthesis.evidence import POPULATIONS
from synthesis.medians import (
    ENDPOINTS, METHODS, SHORT_FOLLOW_UP_MONTHS, landmark_table, median_table, pool_medians,
)
from synthesis.survival import kaplan_meier
from synthesis.survival_plots import km_chart, median_chart

TABLE_COLUMNS = ["label", "product", "population", "n", "text", "follow_up", "immature",
                 "maturity_note", "superseded", "status", "origin"]
#: Settings kept in a saved comparison under their own name, in the widget key ``compare_<name>``.
WIDGET_SETTINGS = ("endpoint", "populations", "latest", "pool_product", "pool_method", "arm_a",
                   "arm_b", "tau")


@st.cache_data(show_spinner="Comparing the two curves...")
def compare_cached(ipd_a: pd.DataFrame, ipd_b: pd.DataFrame, tau, label_a: str, label_b: str, approximate: tuple):
    """compare_survival, cached: Cox with Efron ties and the bootstrap take a few tenths of a second."""
    return compare_survival(ipd_a, ipd_b, tau=tau, label_a=label_a, label_b=label_b, approximate=approximate)


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

with st.expander(f"Approximate curve from summary statistics ({APPROXIMATE_LABEL})"):
    with_stats = evidence.results[evidence.results["outcome"].isin([median_outcome, rate_outcome])
                                  & evidence.results["population"].isin(populations)]
    pairs = sorted(set(zip(with_stats["source_id"], with_stats["population"])))
    a1, a2 = st.columns(2)
    pair = a1.selectbox("Study arm", pairs, format_func=lambda p: f"{p[0]} ({p[1]})", key="compare_approx_arm")
    model = a2.radio("Model", list(MODELS), format_func=MODELS.get, key="compare_approx_model")
    if pair and st.button("Fit and add to the curves", key="compare_approx_fit"):
        curve = run_or_report(fit_from_evidence, evidence.results, source_id=pair[0], population=pair[1],
                              endpoint=endpoint, model=model)
        if curve is not None:
            store[f"{pair[0]} {endpoint} ({pair[1]}, {model})"] = {
                "ipd": curve.pseudo_ipd(), "origin": "approximate",
                "settings": {"source_id": pair[0], "model": model, "curve": curve.curve_frame(),
                             "fit": curve.summary_frame()}}
    for label, entry in store.items():
        if entry.get("origin") == "approximate" and "fit" in entry.get("settings", {}):
            st.caption(f"{label}: reported versus fitted")
            st.dataframe(entry["settings"]["fit"], hide_index=True)

st.subheader("Curves on one axis")
upload = st.file_uploader("Add an IPD CSV (columns time,event)", type="csv", key="compare_upload")
if upload is not None and upload.name not in store:
    frame = run_or_report(load_ipd_csv, upload, name=upload.name)
    if frame is not None:
        store[upload.name] = {"ipd": frame, "origin": "uploaded", "settings": {}}
unsaved = [label for label, entry in store.items()
           if entry.get("origin") in ("uploaded", "approximate") and label not in in_project]
if unsaved and project is not None:
    k1, k2 = st.columns([3, 1], vertical_alignment="bottom")
    keep = k1.selectbox(f"Keep a curve in the project {project}", unsaved, key="compare_keep_label",
                        help="Uploaded and approximate curves are otherwise lost when the browser closes.")
    if k2.button("Save to project", key="compare_keep", icon=":material/save:") and \
            save_reconstruction(keep, store[keep]) is not None:
        st.success(f"Saved '{keep}' to the project {project}.")

if not store:
    st.info("No curves yet: reconstruct one on the Reconstruct IPD page, upload an IPD CSV, "
            "or fit an approximate curve above.")
else:
    kms, smooth = {}, {}
    for label, entry in store.items():
        if entry.get("origin") == "approximate":
            smooth[label] = entry["settings"]["curve"]
        elif (km := run_or_report(kaplan_meier, entry["ipd"]["time"], entry["ipd"]["event"])) is not None:
            kms[label] = km
    curves_chart = km_chart(kms, approximate=smooth, y_title=f"{endpoint} probability")
    st.altair_chart(curves_chart, width="stretch")
    chart_downloads(curves_chart, f"curves_{endpoint}")

comparison = None
if len(store) >= 2:
    st.subheader("Compare two curves")
    labels = list(store)
    b1, b2, b3 = st.columns(3)
    arm_a = b1.selectbox("Arm A", labels, index=0, key="compare_arm_a")
    arm_b = b2.selectbox("Arm B", labels, index=1, key="compare_arm_b")
    tau = b3.number_input("RMST horizon (months; 0 = shorter follow-up)", min_value=0.0, value=0.0,
                          key="compare_tau")
    entry_a, entry_b = store[arm_a], store[arm_b]
    if arm_a == arm_b:
        st.warning("Choose two different curves.")
    else:
        approximate = tuple(lab for lab, e in ((arm_a, entry_a), (arm_b, entry_b)) if e.get("origin") == "approximate")
        comparison = run_or_report(compare_cached, entry_a["ipd"], entry_b["ipd"], tau or None, arm_a, arm_b,
                                   approximate)
    if comparison is not None:
        for caveat in comparison.caveats:
            st.warning(caveat, icon=":material/warning:")
        st.dataframe(comparison.summary_frame(), hide_index=True, width="stretch", key="compare_stats")
        sources = ["(not linked)", *evidence.sources["source_id"]]
        l1, l2 = st.columns(2)
        linked = []
        for column, label, entry in ((l1, arm_a, entry_a), (l2, arm_b, entry_b)):
            current = entry.setdefault("settings", {}).get("source_id") or "(not linked)"
            chosen = column.selectbox(f"Source of {label}", sources, index=sources.index(current)
                                      if current in sources else 0, key=f"compare_source_{label}")
            entry["settings"]["source_id"] = None if chosen == "(not linked)" else chosen
            linked.append(entry["settings"]["source_id"])
        if all(linked):
            st.caption("Baseline characteristics as published")
            st.dataframe(baseline_side_by_side(evidence.baseline, *linked, label_a=arm_a, label_b=arm_b),
                         hide_index=True, width="stretch")
        else:
            st.caption("Link both curves to their source to see the baseline characteristics side by side. "
                       + CROSS_TRIAL_CAVEAT)

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
