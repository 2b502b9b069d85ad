"""Forest plot and methods paragraph for a pooled proportion.

:func:`forest_chart` draws a :class:`synthesis.proportions.PoolResult` as a
publication-style altair forest plot (study label, events/n, proportion with
CI, weight, pooled diamonds, prediction interval, subgroup blocks, x axis in
percent); :func:`methods_paragraph` writes the paragraph a reviewer pastes
into a manuscript. Neither computes statistics: both read the result.
"""

from __future__ import annotations

from collections.abc import Collection

import altair as alt
import pandas as pd

from synthesis.proportions import CI_METHODS, MEASURES, PoolResult

#: Pixels per forest-plot row (altair needs an explicit height).
ROW_HEIGHT = 22
#: Half-height of a pooled diamond, in rows.
DIAMOND_HALF = 0.38


def _pct(value: float | None, digits: int = 1) -> str:
    return "NA" if value is None or pd.isna(value) else f"{100 * value:.{digits}f}"


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _model_label(result: PoolResult) -> str:
    if result.method == "FE":
        return "Common-effect model"
    return f"Random-effects model ({result.method}{', HKSJ' if result.hksj else ''})"


def _heterogeneity_text(result: PoolResult) -> str:
    return (f"Heterogeneity: I\u00b2 = {result.i2:.0f}%, \u03c4\u00b2 = {result.tau2:.3g}, "
            f"{_p_text(result.q_p)}")


def forest_rows(result: PoolResult, flagged: Collection[str] = ()) -> pd.DataFrame:
    """The forest plot as a table: one line per row, top to bottom.

    ``kind`` is header, study, pooled, prediction or text; ``lo``/``hi`` are
    clipped to [0, 1] for drawing, with ``clipped_low``/``clipped_high``
    marking an interval that leaves it (shown with an arrow).
    """
    rows: list[dict] = []

    def add(kind: str, label: str, **values) -> None:
        rows.append({"kind": kind, "label": label, "events_n": "", "est": None, "lo": None,
                     "hi": None, "est_text": "", "weight": None, "weight_text": "", **values})

    # weights of the overall model, also inside subgroup blocks (as R meta)
    overall_weight = dict(zip(result.studies["study"], result.studies["weight"], strict=True))

    def block(part: PoolResult, name: str, with_studies: bool = True) -> None:
        for s in part.studies.itertuples() if with_studies else ():
            mark = " \u2020" if s.study in flagged else ""
            weight = overall_weight[s.study]
            add("study", f"{s.study}{mark}", events_n=f"{s.events}/{s.n}", est=s.proportion,
                lo=s.ci_low, hi=s.ci_high, weight=weight, weight_text=f"{weight:.1f}%",
                est_text=f"{_pct(s.proportion)} [{_pct(s.ci_low)}; {_pct(s.ci_high)}]")
        add("pooled", name, events_n=f"{part.studies['events'].sum()}/{part.studies['n'].sum()}",
            est=part.estimate, lo=part.ci_low, hi=part.ci_high,
            est_text=f"{_pct(part.estimate)} [{_pct(part.ci_low)}; {_pct(part.ci_high)}]",
            weight_text="100%" if part is result else "")
        if part.pi_low is not None and part.k > 1 and part.method != "FE":
            add("prediction", "Prediction interval", lo=part.pi_low, hi=part.pi_high,
                est_text=f"[{_pct(part.pi_low)}; {_pct(part.pi_high)}]")
        if part.k > 1:
            add("text", _heterogeneity_text(part))

    for group in result.subgroups:
        add("header", f"{result.subgroup_column or 'Subgroup'}: {group.label}")
        block(group, f"{_model_label(group)}, {group.label}")
        add("text", "")
    block(result, _model_label(result), with_studies=not result.subgroups)
    if result.test_between is not None:
        t = result.test_between
        add("text", f"Test for subgroup differences: Q = {t.q:.2f}, df = {t.df}, {_p_text(t.p)}")
    if any(s in flagged for s in result.studies["study"]):
        add("text", "\u2020 unverified value in the evidence base")
    if result.out_of_range or any(g.out_of_range for g in result.subgroups):
        add("text", "\u25b8 interval beyond 0-100%: impossible for a proportion (raw scale)")
    frame = pd.DataFrame(rows)
    frame["row"] = range(len(frame))
    frame["bold"] = frame["kind"].isin(["header", "pooled"])
    for column in ("est", "lo", "hi", "weight"):
        frame[column] = pd.to_numeric(frame[column])
    frame["clipped_low"] = frame["lo"] < 0
    frame["clipped_high"] = frame["hi"] > 1
    frame["lo_c"] = frame["lo"].clip(0, 1)
    frame["hi_c"] = frame["hi"].clip(0, 1)
    return frame


def _diamonds(frame: pd.DataFrame) -> pd.DataFrame:
    points = []
    for r in frame[frame["kind"] == "pooled"].itertuples():
        est = min(max(r.est, 0.0), 1.0)
        for x, half in ((r.lo_c, 0.0), (est, DIAMOND_HALF), (r.hi_c, 0.0)):
            points.append({"id": r.row, "x": x, "y": r.row - half, "y2": r.row + half})
    return pd.DataFrame(points)


def forest_chart(
    result: PoolResult,
    *,
    title: str | None = None,
    flagged: Collection[str] = (),
    plot_width: int = 320,
) -> alt.HConcatChart:
    """Forest plot of ``result`` (and its subgroups) as an altair chart.

    Studies in ``flagged`` get a dagger and a footnote (e.g. unverified
    values). Intervals that leave [0, 1] (possible only for raw
    proportions) end in an arrow at the axis edge instead of being cut
    silently. Height is ``ROW_HEIGHT`` pixels per row.
    """
    frame = forest_rows(result, flagged)
    height = ROW_HEIGHT * (len(frame) + 1)
    y_scale = alt.Scale(domain=[-0.7, len(frame) - 0.3], reverse=True, nice=False)
    y = alt.Y("row:Q", axis=None, scale=y_scale)
    base = alt.Chart(frame)

    def text_column(field: str, header: str, width: int, align: str = "left") -> alt.Chart:
        x = 0 if align == "left" else width
        layers = [
            base.transform_filter(test).mark_text(
                align=align, baseline="middle", fontSize=11, fontWeight=weight,
            ).encode(y=y, x=alt.value(x), text=f"{field}:N")
            for test, weight in (("datum.bold", "bold"), ("!datum.bold", "normal"))
        ]
        return alt.layer(*layers).properties(width=width, height=height,
                     title=alt.TitleParams(header, anchor="start" if align == "left" else "end",
                                           fontSize=11))

    lo = max(0.0, float(frame["lo_c"].min()) - 0.05)
    hi = min(1.0, float(frame["hi_c"].max()) + 0.05)
    x_scale = alt.Scale(domain=[lo, hi], nice=False, clamp=True)
    x_axis = alt.Axis(format=".0%", title="Proportion", grid=False)
    studies = base.transform_filter("datum.kind == 'study'")
    rules = studies.mark_rule(color="#333").encode(x=alt.X("lo_c:Q", scale=x_scale, axis=x_axis),
                                                  x2="hi_c:Q", y=y)
    squares = studies.mark_square(color="#1f4e79").encode(
        x="est:Q", y=y, size=alt.Size("weight:Q", scale=alt.Scale(range=[15, 220]), legend=None),
        tooltip=["label:N", "events_n:N", "est_text:N", "weight_text:N"],
    )
    diamonds = alt.Chart(_diamonds(frame)).mark_area(orient="vertical", color="#b22222").encode(
        x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale, axis=None), y2="y2:Q",
        detail="id:N",
    )
    prediction = base.transform_filter("datum.kind == 'prediction'").mark_rule(
        color="#b22222", strokeWidth=3).encode(x="lo_c:Q", x2="hi_c:Q", y=y)
    overall = alt.Chart(pd.DataFrame({"x": [result.estimate]})).mark_rule(
        strokeDash=[4, 3], color="#888").encode(x=alt.X("x:Q", scale=x_scale))
    arrows = [
        base.transform_filter(f"datum.{flag}").mark_point(
            shape=shape, filled=True, color="#b22222", size=60).encode(x=f"{edge}:Q", y=y)
        for flag, shape, edge in (("clipped_low", "triangle-left", "lo_c"),
                                  ("clipped_high", "triangle-right", "hi_c"))
    ]
    plot = alt.layer(overall, rules, squares, diamonds, prediction, *arrows).properties(
        width=plot_width, height=height, title=alt.TitleParams(
            f"Proportion with {100 * result.level:g}% CI", anchor="middle", fontSize=11))
    chart = alt.hconcat(
        text_column("label", "Study", 250),
        text_column("events_n", "Events/N", 70, align="right"),
        plot,
        text_column("est_text", f"% [{100 * result.level:g}% CI]", 140, align="right"),
        text_column("weight_text", "Weight", 55, align="right"),
        spacing=6,
    ).configure_view(stroke=None).configure_axis(labelFontSize=11, titleFontSize=11)
    if title:
        chart = chart.properties(title=title)
    return chart


def methods_paragraph(result: PoolResult, *, outcome: str | None = None) -> str:
    """A methods paragraph describing exactly what was computed, with citations."""
    what = f"Proportions{f' ({outcome})' if outcome else ''}"
    level = f"{100 * result.level:g}%"
    if result.method == "GLMM":
        model = ("were pooled with a random-effects model: a binomial-normal generalised linear "
                 "mixed model (random-intercept logistic regression) fitted by maximum likelihood "
                 "with 7-point adaptive Gauss-Hermite quadrature (Stijnen et al. 2010), on the "
                 "logit scale, without continuity correction")
    elif result.method == "FE":
        model = (f"were pooled with a common-effect inverse-variance model on the "
                 f"{MEASURES[result.measure]} scale")
    else:
        estimator = {"REML": "restricted maximum likelihood", "ML": "maximum likelihood",
                     "DL": "the DerSimonian-Laird method", "PM": "the Paule-Mandel method"}
        model = (f"were pooled with a random-effects inverse-variance model on the "
                 f"{MEASURES[result.measure]} scale, with the between-study variance "
                 f"(\u03c4\u00b2) estimated by {estimator[result.method]}")
    sentences = [f"{what} {model}."]
    if result.fallback_reason:
        sentences.append(f"The GLMM could not be fitted ({result.fallback_reason}); an "
                         "inverse-variance logit model with REML was used instead.")
    if result.measure == "PFT":
        sentences.append("The Freeman-Tukey double arcsine transformation was back-transformed "
                         "with the harmonic mean of the sample sizes (Miller 1978), which can "
                         "mislead when study sizes differ (Schwarzer et al. 2019).")
    if result.studies["corrected"].any() and result.measure in ("PLO", "PR"):
        target = ("for I\u00b2 and the Wald-type heterogeneity test only" if result.method == "GLMM"
                  else "before transformation")
        sentences.append("For studies with zero or all events, 0.5 was added to the events and "
                         f"non-events {target}.")
    if result.hksj:
        sentences.append(f"{level} confidence intervals used the Hartung-Knapp-Sidik-Jonkman "
                         "adjustment with a t distribution on k-1 degrees of freedom (Knapp & "
                         "Hartung 2003)." if result.method != "GLMM" else
                         f"{level} confidence intervals used a t distribution on k-1 degrees "
                         "of freedom.")
    sentences.append("Heterogeneity was assessed with Cochran's Q test, I\u00b2 and \u03c4\u00b2 "
                     "(Higgins & Thompson 2002).")
    if result.pi_low is not None and result.method != "FE":
        sentences.append(
            f"A {level} prediction interval was computed "
            + ("following Higgins, Thompson & Spiegelhalter (2009), with a t distribution on "
               "k-2 degrees of freedom." if result.prediction == "hts" else
               "as in metafor's predict() (Viechtbauer 2010).")
        )
    if result.subgroups:
        sentences.append(f"Subgroups ({result.subgroup_column}) were pooled separately with the "
                         "same model and compared with a Q test for subgroup differences.")
    sentences.append(f"Confidence intervals of individual studies are "
                     f"{CI_METHODS[result.ci_method]}s. Sensitivity was examined by "
                     "leaving out one study at a time. Computations reproduce R metafor "
                     "(Viechtbauer 2010) to 1e-6 (GLMM 1e-4).")
    return " ".join(sentences)
