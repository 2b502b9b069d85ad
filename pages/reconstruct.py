"""Reconstruct IPD: digitized KM curves and risk tables in, pseudo-IPD and its analysis out."""

from pathlib import Path

import streamlit as st

from pages._reconstruct_arms import (
    ARMS, RESULTS, fingerprint, inputs_of, new_arm, reconstruct_arm, restore_project_arms, take_digitized,
)
from pages._reconstruct_inputs import SYNTHETIC, SYNTHETIC_NOTE, arm_inputs
from pages._shared import (
    chart_downloads, curated_evidence, current_project, evidence_with_project, run_or_report, session_dict,
)
from synthesis.compare import compare_survival
from synthesis.curve_input import AT_RISK_COLUMNS, CURVE_COLUMNS, parse_number_row, read_points_csv
from synthesis.reconstruct import summarise_arms
from synthesis.survival import kaplan_meier
from synthesis.survival_plots import km_chart

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
POINTS_TEMPLATE = "time,survival\n0,1\n2.1,0.95\n2.1,0.9\n6,0.9\n"
AT_RISK_TEMPLATE = "time,n_risk\n0,138\n6,86\n12,35\n18,17\n24,7\n30,2\n36,0\n"

st.title("Reconstruct IPD")
st.caption(
    "Pseudo individual patient data from a published Kaplan-Meier curve (Guyot et al. 2012): digitized "
    "points plus the numbers at risk (or only n at the start), optionally the total events and the "
    "censor-mark times. One tab per arm; the Compare page sees every reconstruction. Reconstructing "
    "saves the arms and their reconstructions to the current project."
)
project = current_project()
arms, results = session_dict(ARMS), session_dict(RESULTS)


def load_example() -> None:
    for key in ("a", "b"):
        table = {s: read_points_csv(EXAMPLES / f"synthetic_km_arm_{key}{s}.csv", cols)
                 for s, cols in (("", CURVE_COLUMNS), ("_at_risk", AT_RISK_COLUMNS), ("_censor_times", ("time",)))}
        new_arm(f"Synthetic arm {key.upper()}", table[""].astype(float), table["_at_risk"].astype(float),
                table["_censor_times"]["time"].astype(float).tolist(), origin=SYNTHETIC)


for name in take_digitized():
    st.info(f"Arm '{name}' was filled in from the Digitize page.", icon=":material/input:")
if restored := restore_project_arms(project):
    st.info(f"From the project {project}: {', '.join(restored)}, as last saved. Press Reconstruct to see "
            "them rebuilt; their saved reconstructions are on the Compare page.", icon=":material/restore:")

top = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
top[0].button("Load the SYNTHETIC example (2 arms)", on_click=load_example, key="rc_example",
              help=SYNTHETIC_NOTE, icon=":material/science:")
new_name = top[1].text_input("New arm", placeholder="e.g. cilta-cel PFS", key="rc_new_name")
if top[2].button("Add arm", key="rc_add") and new_name.strip():
    if any(a["name"] == new_name.strip() for a in arms.values()):
        st.error(f"An arm called '{new_name.strip()}' exists already; choose another name.")
    else:
        new_arm(new_name.strip(), [(0.0, 1.0)])
top[3].download_button("Points template", POINTS_TEMPLATE, "points_template.csv", "text/csv", on_click="ignore")
st.download_button("At-risk template", AT_RISK_TEMPLATE, "at_risk_template.csv", "text/csv", on_click="ignore")


if not arms:
    st.info("Add an arm, or load the SYNTHETIC example to try the page in one click.")
    st.stop()
source_ids = list((evidence_with_project() if project else curated_evidence()).sources["source_id"])
ids = list(arms)
for arm_id, tab in zip(ids, st.tabs([arms[i]["name"] for i in ids]), strict=True):
    with tab:
        arm_inputs(arm_id, source_ids, project)

if st.button("Reconstruct", type="primary", key="rc_run", icon=":material/play_arrow:"):
    outcomes = {arm["name"]: reconstruct_arm(arm_id, project) for arm_id, arm in arms.items()}
    for name, (rebuilt, saved) in outcomes.items():
        if not rebuilt:
            st.caption(f"Arm '{name}' was not reconstructed; its entries are kept above"
                       + (f" and saved to the project {project}." if saved else "."))
    if kept := [name for name, (rebuilt, saved) in outcomes.items() if rebuilt and saved]:
        st.success(f"Saved to the project {project}: {', '.join(kept)} with their reconstructions.")

done = {i: r for i, r in results.items() if i in arms}
if not done:
    st.stop()
st.header("Reconstructed arms")
for arm_id, entry in done.items():
    current = run_or_report(inputs_of, arms[arm_id])
    if current is not None and fingerprint(arms[arm_id], current) != entry["inputs"]:
        st.warning(f"The inputs of '{entry['name']}' changed after it was reconstructed: press Reconstruct again.")
ipds = {e["name"]: e["result"].ipd for e in done.values()}
chart = km_chart({n: kaplan_meier(d["time"], d["event"]) for n, d in ipds.items()},
                 points={e["name"]: e["result"].fit[["time", "survival"]] for e in done.values()})
st.altair_chart(chart, width="stretch")
st.caption("Steps: Kaplan-Meier curves of the reconstructed IPD (ticks: censorings). Circles: the digitized points.")
chart_downloads(chart, "reconstructed_km")

marks_text = st.text_input("Landmark times (months)", value="6 12 24", key="rc_landmarks")
tau = st.number_input("RMST horizon tau (months; empty = shortest follow-up)", min_value=0.1, value=None,
                      key="rc_tau")
landmarks = run_or_report(parse_number_row, marks_text, source="landmark times")
summary = run_or_report(summarise_arms, ipds, landmarks=landmarks or [], tau=tau)
if summary is not None:
    st.subheader("Per arm")
    shown = [c for c in summary.columns if c not in ("median", "median_ci_low", "median_ci_high")]
    config = {c: st.column_config.NumberColumn(c.replace("_", " at ") + " mo", format="percent")
              for c in summary.columns if c.startswith("survival_") and not c.endswith("_ci")}
    config |= {"median_text": "median (95% CI), mo", "rmst": st.column_config.NumberColumn("RMST", format="%.2f"),
               "rmst_ci_low": st.column_config.NumberColumn(format="%.2f"),
               "rmst_ci_high": st.column_config.NumberColumn(format="%.2f")}
    st.dataframe(summary, hide_index=True, width="stretch", column_order=shown, column_config=config)
for entry in done.values():
    result = entry["result"]
    with st.expander(f"{entry['name']}: at-risk check, cleaning, download", expanded=len(done) == 1):
        st.dataframe(result.at_risk_check, hide_index=True, width="stretch")
        st.write(f"Largest gap between the reconstructed KM and the points: {result.max_km_gap:.4f} "
                 f"(RMS {result.rms_km_gap:.4f}); censorings placed {result.censoring}.")
        for line in result.cleaning:
            st.markdown(f"- {line}")
        for line in result.warnings:
            st.warning(line)
        st.download_button(f"IPD of {entry['name']} (CSV)", result.ipd.to_csv(index=False),
                           f"{entry['name'].replace(' ', '_')}_ipd.csv", "text/csv", on_click="ignore",
                           key=f"rc_dl_{entry['name']}")

if len(ipds) >= 2:
    st.subheader("Between two arms")
    names = list(ipds)
    pick_a, pick_b = st.columns(2)
    a = pick_a.selectbox("Arm A", names, index=0, key="rc_arm_a")
    b = pick_b.selectbox("Arm B (reference)", names, index=1, key="rc_arm_b")
    if a != b:
        comparison = run_or_report(compare_survival, ipds[a], ipds[b], tau=tau, n_boot=200, label_a=a, label_b=b)
        if comparison is not None:
            st.dataframe(comparison.summary_frame(), hide_index=True, width="stretch", key="rc_comparison")
            for caveat in comparison.caveats:
                st.caption(caveat)
