"""The Compare page's curve sections: approximate curves, curves on one axis, two curves compared.

Every curve lives in the session's ``PSEUDO_IPD`` store as ``{label: {"ipd",
"origin", "settings"}}``: reconstructed on the Reconstruct page, uploaded
here, fitted here from summary statistics, or reopened from the project.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._shared import chart_downloads, run_or_report, save_reconstruction
from synthesis.approximate import APPROXIMATE_LABEL, MODELS, fit_from_evidence
from synthesis.compare import (
    CROSS_TRIAL_CAVEAT, SurvivalComparison, baseline_side_by_side, compare_survival, load_ipd_csv,
)
from synthesis.evidence import EvidenceBase
from synthesis.survival import kaplan_meier
from synthesis.survival_plots import km_chart


@st.cache_data(show_spinner="Comparing the two curves...")
def compare_cached(ipd_a: pd.DataFrame, ipd_b: pd.DataFrame, tau, label_a: str, label_b: str, approximate: tuple):
    """compare_survival, cached: Cox with Efron ties and the bootstrap take a few tenths of a second."""
    return compare_survival(ipd_a, ipd_b, tau=tau, label_a=label_a, label_b=label_b, approximate=approximate)


def approximate_curves(store: dict, evidence: EvidenceBase, endpoint: str, outcomes: list[str],
                       populations: list[str]) -> None:
    """Fit a parametric curve to a study arm's published median and rates; add it to ``store``."""
    with st.expander(f"Approximate curve from summary statistics ({APPROXIMATE_LABEL})"):
        with_stats = evidence.results[evidence.results["outcome"].isin(outcomes)
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


def curves_on_one_axis(store: dict, in_project: dict, project: str | None, endpoint: str) -> None:
    """Upload IPD, keep uploaded or approximate curves in the project, draw every curve in ``store``."""
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
        return
    kms, smooth = {}, {}
    for label, entry in store.items():
        if entry.get("origin") == "approximate":
            smooth[label] = entry["settings"]["curve"]
        elif (km := run_or_report(kaplan_meier, entry["ipd"]["time"], entry["ipd"]["event"])) is not None:
            kms[label] = km
    curves_chart = km_chart(kms, approximate=smooth, y_title=f"{endpoint} probability")
    st.altair_chart(curves_chart, width="stretch")
    chart_downloads(curves_chart, f"curves_{endpoint}")


def two_curves_compared(store: dict, evidence: EvidenceBase) -> SurvivalComparison | None:
    """HR, log-rank, RMST and medians of two chosen curves, with their sources' baselines side by side."""
    if len(store) < 2:
        return None
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
        return None
    approximate = tuple(lab for lab, e in ((arm_a, entry_a), (arm_b, entry_b)) if e.get("origin") == "approximate")
    comparison = run_or_report(compare_cached, entry_a["ipd"], entry_b["ipd"], tau or None, arm_a, arm_b,
                               approximate)
    if comparison is None:
        return None
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
    return comparison
