"""Pool response rates: meta-analysis of proportions with a forest plot."""

import pandas as pd
import streamlit as st

from pages._pool_studies import ADHOC_COLUMNS, pick_studies, user_rows_editor
from pages._shared import (
    chart_downloads, curated_evidence, current_project, evidence_with_project, run_or_report,
    saved_analysis_controls, session_dict,
)
from synthesis.errors import InvalidInputError
from synthesis.evidence import OUTCOMES, POPULATIONS
from synthesis.forest import forest_chart, methods_paragraph
from synthesis.proportions import (
    CI_METHODS, MEASURES, METHODS, PREDICTIONS, pool_proportions, pooling_candidates,
    validate_counts,
)

STATE = "pool_state"  # {"settings": {...}, "included": {(outcome, pop): [ids]}, "adhoc": DataFrame}
#: Settings kept in a saved pooling under their own name, in the widget key ``pool_<name>``.
WIDGET_SETTINGS = ("outcome", "population", "measure", "method", "hksj", "ci_method", "subgroup",
                   "level", "prediction")
DEFAULT_RATIONALE = (
    "**Default: logit with the binomial-normal GLMM, Clopper-Pearson study CIs** (as current "
    "R meta). The GLMM models the counts themselves, needs no continuity correction and stays "
    "inside 0-100%, which suits small single-arm CAR-T studies with rates near 0 or 100% "
    "(Stijnen et al. 2010; Schwarzer et al. 2019). If it cannot be fitted, the page says so "
    "and falls back to inverse-variance logit with REML."
)

st.title("Pool response rates")
st.caption("Meta-analysis of proportions (ORR, CR, MRD negativity, CRS, ICANS ...) from the "
           "evidence base and your own rows; numbers match R's metafor.")
project = current_project()
state = session_dict(STATE)
settings = state.setdefault("settings", {})


def remembered(key: str, default):
    """Seed a widget from the page's saved settings (widget state dies off-page)."""
    if key not in st.session_state:
        st.session_state[key] = settings.get(key, default)
    return key


@st.cache_data(show_spinner=False)
def compute(events, n, studies, subgroup, subgroup_column, options):
    result = pool_proportions(list(events), list(n), studies=list(studies),
                              subgroup=None if subgroup is None else list(subgroup),
                              subgroup_column=subgroup_column, **dict(options))
    loo = result.leave_one_out().summary_frame() if result.k > 1 else None
    return result, loo


def collect(saved: dict) -> dict:
    """Besides the widgets, a saved pooling keeps the ticked result ids and the user's rows."""
    pooling = session_dict(STATE)
    return {"studies": pooling["included"].get((saved["outcome"], saved["population"]), []),
            "adhoc": pooling["adhoc"].reindex(columns=ADHOC_COLUMNS).to_dict("records")}


def restore(saved: dict) -> list[str]:
    """Put a saved pooling's ticks and rows back; say which studies are gone."""
    pair = (saved["outcome"], saved["population"])
    pooling = session_dict(STATE)
    pooling["included"][pair] = list(saved["studies"])
    pooling["pick_base"].pop(pair, None)
    pooling["adhoc"] = pd.DataFrame(saved["adhoc"], columns=ADHOC_COLUMNS)
    st.session_state.pop("pool_adhoc", None)
    known = set(pooling_candidates(evidence_with_project(), *pair)["result_id"])
    lost = [rid for rid in saved["studies"] if rid not in known]
    return [f"Studies no longer in the evidence, left out: {', '.join(lost)}."] if lost else []


saved_analysis_controls(project, "pool", "pooling", WIDGET_SETTINGS, collect, restore)

evidence = evidence_with_project() if project else curated_evidence()
pairs = evidence.select()
pairs = pairs[pairs["events"].notna() & pairs["n"].notna()]
outcomes = sorted(pairs["outcome"].unique(), key=lambda o: (o not in OUTCOMES, o))
left, right = st.columns(2)
outcome = left.selectbox("Outcome", outcomes, key=remembered("pool_outcome", "ORR"),
                         format_func=lambda o: f"{o}: {OUTCOMES.get(o, 'user-defined')}")
populations = sorted(pairs.loc[pairs["outcome"] == outcome, "population"].unique())
if st.session_state[remembered("pool_population", "all")] not in populations:
    st.session_state["pool_population"] = "all" if "all" in populations else populations[0]
population = right.selectbox("Population", populations, key="pool_population",
                             format_func=lambda p: f"{p}: {POPULATIONS.get(p, 'user-defined')}")

st.subheader("Studies")
picked = pick_studies(state, evidence, outcome, population)
adhoc = user_rows_editor(state)

with st.expander("Method", expanded=True):
    st.markdown(DEFAULT_RATIONALE)
    c1, c2, c3 = st.columns(3)
    measure = c1.selectbox("Transformation", list(MEASURES), key=remembered("pool_measure", "PLO"),
                           format_func=lambda m: f"{m}: {MEASURES[m]}",
                           help="Scale of pooling. PLO (logit) is the default; PFT's "
                                "back-transformation can mislead (Schwarzer et al. 2019).")
    methods = [m for m in METHODS if m != "GLMM" or measure == "PLO"]
    if st.session_state[remembered("pool_method", "GLMM")] not in methods:
        st.session_state["pool_method"] = methods[0]
    method = c2.selectbox("Model", methods, key="pool_method",
                          format_func=lambda m: f"{m}: {METHODS[m]}",
                          help="GLMM: exact binomial likelihood; REML/DL/PM/ML: "
                               "inverse-variance random effects; FE: one common proportion.")
    ci_method = c3.selectbox("Study CIs", list(CI_METHODS), format_func=CI_METHODS.get,
                             key=remembered("pool_ci_method", "clopper-pearson"),
                             help="Intervals drawn for single studies.")
    c4, c5, c6, c7 = st.columns(4)
    hksj = c4.checkbox("Knapp-Hartung (HKSJ)", key=remembered("pool_hksj", False),
                       help="t-based intervals that widen with few or heterogeneous studies.")
    prediction = c5.selectbox("Prediction interval", list(PREDICTIONS), format_func=PREDICTIONS.get,
                              key=remembered("pool_prediction", "metafor"),
                              help="Where a new study's true proportion is expected to lie.")
    level = c6.selectbox("Level", [0.90, 0.95, 0.99], key=remembered("pool_level", 0.95),
                         format_func=lambda v: f"{100 * v:g}%")
    subgroup_column = c7.selectbox("Subgroups", ["none", "product", "phase", "design"],
                                   key=remembered("pool_subgroup", "none"),
                                   help="Pool each subgroup separately and test the difference.")
for name in WIDGET_SETTINGS:
    settings[f"pool_{name}"] = st.session_state[f"pool_{name}"]

rows = picked.loc[picked["include"], ["study", "events", "n", "product", "phase", "design"]]
user_rows = adhoc.dropna(how="all", subset=["study", "events", "n"])
try:
    if len(user_rows):
        validate_counts(user_rows["events"].tolist(), user_rows["n"].tolist(),
                        user_rows["study"].tolist(), source="Your rows")
    rows = pd.concat([rows, user_rows.reindex(columns=rows.columns)], ignore_index=True)
    if rows.empty:
        raise InvalidInputError("no study ticked: tick at least one study or add a row.")
except InvalidInputError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

group = None if subgroup_column == "none" else tuple(rows[subgroup_column].tolist())
options = (("measure", measure), ("method", method), ("hksj", hksj), ("ci_method", ci_method),
           ("level", level), ("prediction", prediction))
computed = run_or_report(compute, tuple(rows["events"]), tuple(rows["n"]), tuple(rows["study"]),
                         group, subgroup_column, options)
if computed is None:
    st.stop()
result, loo = computed

st.subheader(f"Pooled {outcome} ({population})")
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("Pooled proportion", f"{100 * result.estimate:.1f}%",
          help=f"{100 * level:g}% CI {100 * result.ci_low:.1f}% to {100 * result.ci_high:.1f}%")
m2.metric(f"{100 * level:g}% CI", f"{100 * result.ci_low:.1f}\u2013{100 * result.ci_high:.1f}%")
m3.metric("I\u00b2", f"{result.i2:.1f}%", help=f"H\u00b2 = {result.h2:.2f}")
m4.metric("\u03c4\u00b2", f"{result.tau2:.3g}", help=f"\u03c4 = {result.tau:.3g} ({measure} scale)")
m5.metric("Q test p", "< 0.001" if result.q_p < 0.001 else f"{result.q_p:.3f}",
          help=f"Cochran's Q = {result.q:.2f}, df = {result.q_df}")
for note in result.notes:
    alarm = result.fallback_reason and "could not be fitted" in note or "beyond [0, 1]" in note
    (st.warning if alarm else st.info)(note)
for part in result.subgroups:
    if part.fallback_reason:
        st.warning(f"Subgroup {part.label}: GLMM not fitted ({part.fallback_reason}); REML used.")

unverified = set(picked.loc[picked["status"].str.startswith("\u26a0"), "study"])
chart = forest_chart(result, title=f"{outcome} ({population})", flagged=unverified)
st.altair_chart(chart, width="content")
stem = f"forest_{outcome}_{population}"
chart_downloads(chart, stem)
st.download_button("Results as CSV", result.summary_frame().to_csv(index=False),
                   f"{stem}.csv", "text/csv", on_click="ignore")
if result.test_between is not None:
    t = result.test_between
    st.markdown(f"**Test for subgroup differences** ({subgroup_column}): Q = {t.q:.2f}, "
                f"df = {t.df}, p = {t.p:.3g}")

st.subheader("Leave-one-out")
if loo is None:
    st.caption("Needs at least two studies.")
else:
    st.dataframe(loo, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(c, format="percent")
        for c in ("estimate", "ci_low", "ci_high")})

st.subheader("Methods paragraph")
st.code(methods_paragraph(result, outcome=OUTCOMES.get(outcome, outcome)), language=None,
        wrap_lines=True)
