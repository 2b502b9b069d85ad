"""Altair charts of Kaplan-Meier curves with the numbers at risk under the plot.

The Compare and Reconstruct pages both draw survival curves; the chart is
built here so they draw them the same way. Nothing in this module computes
statistics: it lays out what :mod:`synthesis.survival` estimated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from synthesis.approximate import APPROXIMATE_LABEL
from synthesis.survival import KaplanMeier


def at_risk_times(max_time: float, *, n_ticks: int = 6) -> np.ndarray:
    """Round tick times from 0 to ``max_time`` (months) for the at-risk table."""
    if max_time <= 0:
        return np.array([0.0])
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, np.inf) if max_time / s <= n_ticks)
    if not np.isfinite(step):
        step = max_time / n_ticks
    return np.arange(0.0, max_time + 1e-9, step)


def at_risk_table(curves: Mapping[str, KaplanMeier], times: Sequence[float]) -> pd.DataFrame:
    """Numbers at risk of each curve at ``times``: one row per (curve, time)."""
    rows = []
    for label, km in curves.items():
        counts = km.survival_at(times)["n_risk"].to_numpy()
        rows.extend({"curve": label, "time": float(t), "n_risk": int(n)} for t, n in zip(times, counts))
    return pd.DataFrame(rows, columns=["curve", "time", "n_risk"])


def step_frame(curves: Mapping[str, KaplanMeier]) -> pd.DataFrame:
    """Curves as step vertices (``curve, time, survival, ci_low, ci_high``), starting at (0, 1)."""
    frames = []
    for label, km in curves.items():
        frames.append(
            pd.DataFrame(
                {
                    "curve": label,
                    "time": np.concatenate(([0.0], km.time)),
                    "survival": np.concatenate(([1.0], km.survival)),
                    "ci_low": np.concatenate(([1.0], km.ci_low)),
                    "ci_high": np.concatenate(([1.0], km.ci_high)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["curve", "time", "survival", "ci_low", "ci_high"]
    )


def _censor_frame(curves: Mapping[str, KaplanMeier]) -> pd.DataFrame:
    frames = [
        pd.DataFrame({"curve": label, "time": km.time[km.n_censor > 0],
                      "survival": km.survival[km.n_censor > 0]})
        for label, km in curves.items()
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["curve", "time", "survival"]
    )


def _points_frame(points) -> pd.DataFrame | None:
    if points is None:
        return None
    if isinstance(points, pd.DataFrame):
        frame = points.copy()
        if "curve" not in frame:
            frame["curve"] = "digitized points"
        return frame[["curve", "time", "survival"]]
    return pd.concat(
        [frame.assign(curve=label)[["curve", "time", "survival"]] for label, frame in points.items()],
        ignore_index=True,
    )


def km_chart(
    curves: Mapping[str, KaplanMeier],
    points: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    *,
    approximate: Mapping[str, pd.DataFrame] | None = None,
    times: Sequence[float] | None = None,
    show_ci: bool = False,
    y_title: str = "Survival probability",
    width: int = 640,
    height: int = 340,
) -> alt.VConcatChart:
    """Kaplan-Meier step curves on one axis, numbers at risk underneath.

    Parameters
    ----------
    curves : mapping of label to KaplanMeier
        The curves to draw; censorings are marked with ticks.
    points : DataFrame or mapping of label to DataFrame, optional
        Digitized points (``time, survival``; a ``curve`` column or the
        mapping's keys name the curve they belong to), drawn as dots over the
        steps so a reconstruction can be checked by eye.
    approximate : mapping of label to DataFrame, optional
        Smooth curves (``time, survival``) fitted to summary statistics, drawn
        dashed and labelled :data:`APPROXIMATE_LABEL`.
    times : sequence of float, optional
        Times of the at-risk table (default: round ticks up to the longest
        follow-up).
    show_ci : bool
        Shade the pointwise confidence bands.
    y_title : str
    width, height : int
        Size of the curve panel in pixels.

    Returns
    -------
    altair.VConcatChart
    """
    approx = {f"{label} ({APPROXIMATE_LABEL})": frame for label, frame in (approximate or {}).items()}
    labels = list(curves) + list(approx)
    max_time = max([km.max_follow_up for km in curves.values()]
                   + [float(f["time"].max()) for f in approx.values()] + [1.0])
    times = at_risk_times(max_time) if times is None else np.asarray(times, dtype=float)
    color = alt.Color("curve:N", title=None, scale=alt.Scale(domain=labels, scheme="tableau10"),
                      legend=alt.Legend(orient="bottom", labelLimit=400))
    x = alt.X("time:Q", title="Months", scale=alt.Scale(domain=[0, max_time], nice=False))
    y = alt.Y("survival:Q", title=y_title, scale=alt.Scale(domain=[0, 1]),
              axis=alt.Axis(format="%"))
    steps = step_frame(curves)
    layers = []
    if curves:
        layers.append(alt.Chart(steps).mark_line(interpolate="step-after").encode(
            x=x, y=y, color=color,
            tooltip=["curve", alt.Tooltip("time:Q", format=".1f"),
                     alt.Tooltip("survival:Q", format=".3f")],
        ))
    if show_ci and curves:
        layers.insert(0, alt.Chart(steps).mark_area(interpolate="step-after", opacity=0.15).encode(
            x=x, y="ci_low:Q", y2="ci_high:Q", color=color))
    censored = _censor_frame(curves)
    if len(censored):
        layers.append(alt.Chart(censored).mark_tick(thickness=1, size=8).encode(
            x=x, y=y, color=color))
    if approx:
        smooth = pd.concat([f.assign(curve=label)[["curve", "time", "survival"]]
                            for label, f in approx.items()], ignore_index=True)
        layers.append(alt.Chart(smooth).mark_line(strokeDash=[6, 4]).encode(
            x=x, y=y, color=color, tooltip=["curve", alt.Tooltip("time:Q", format=".1f"),
                                            alt.Tooltip("survival:Q", format=".3f")]))
    digitized = _points_frame(points)
    if digitized is not None and len(digitized):
        layers.append(alt.Chart(digitized).mark_point(filled=False, size=25, color="black").encode(
            x=x, y=y, tooltip=["curve", "time", "survival"]))
    curve_panel = alt.layer(*layers).properties(width=width, height=height)
    if not curves:
        # Only smooth approximations: nobody is at risk in a fitted curve.
        return alt.vconcat(curve_panel)
    risk = at_risk_table(curves, times)
    risk_panel = alt.Chart(risk).mark_text(fontSize=11).encode(
        x=alt.X("time:Q", title="Numbers at risk", scale=alt.Scale(domain=[0, max_time], nice=False),
                axis=alt.Axis(values=list(times), labels=False, ticks=False, domain=False, grid=False)),
        y=alt.Y("curve:N", title=None, sort=list(curves),
                axis=alt.Axis(labelLimit=200, labelPadding=18, ticks=False, domain=False)),
        text="n_risk:Q",
        color=alt.Color("curve:N", scale=alt.Scale(domain=labels, scheme="tableau10"), legend=None),
    ).properties(width=width, height=max(22 * len(curves), 22), view=alt.ViewConfig(stroke=None))
    return alt.vconcat(curve_panel, risk_panel, spacing=4).resolve_scale(color="shared")


def median_chart(rows: pd.DataFrame, *, title: str = "Median (months)", width: int | str = "container") -> alt.LayerChart:
    """Dot-and-whisker chart of published medians, grouped by product.

    ``rows`` is :meth:`synthesis.medians.MedianTable.summary_frame`. A
    reported median is a dot with its 95% CI; an upper limit not reached (or
    not estimable) runs
    to the right edge and ends in an open arrowhead. A median not reached is
    never a dot: it is an open arrow starting at its lower bound (the lower
    confidence limit if reported, else the median follow-up, which an NR
    median must exceed). The median follow-up is a grey cross; immature
    rows are marked with "immature".
    """
    frame = rows.copy()
    frame["row"] = [f"{lab} ({pop})" for lab, pop in zip(frame["label"], frame["population"])]
    order = list(dict.fromkeys(frame["row"]))
    values = pd.concat([frame[c] for c in ("estimate", "ci_low", "ci_high", "follow_up")]).dropna()
    edge = float(values.max()) * 1.08 if len(values) else 12.0
    nr = frame["estimate_status"] == "not_reached"
    frame["start"] = np.where(nr, frame["ci_low"].fillna(frame["follow_up"]).fillna(0.0), frame["ci_low"])
    frame["bound"] = np.where(
        nr, np.where(frame["ci_low"].notna(), "lower 95% limit", np.where(frame["follow_up"].notna(),
                                                                          "median follow-up", "none known")), "")
    # An upper limit "not reached" or "not estimable" is unbounded above.
    frame["open_high"] = ~nr & frame["ci_high_status"].isin(["not_reached", "not_estimable"]) & frame["ci_low"].notna()
    open_high = frame["open_high"]
    frame["end"] = np.where(nr | open_high, edge, frame["ci_high"])
    frame["edge"] = edge
    frame["flag"] = np.where(frame["immature"].fillna(False).astype(bool), "immature", "")
    y = alt.Y("row:N", sort=order, title=None, axis=alt.Axis(labelLimit=280))
    x_scale = alt.Scale(domain=[0, edge * 1.12], nice=False)
    color = alt.Color("product:N", title="Product", scale=alt.Scale(scheme="tableau10"),
                      legend=alt.Legend(orient="bottom", columns=3, labelLimit=300))
    tooltip = ["label", "product", "population", "text", alt.Tooltip("follow_up:Q", title="median follow-up"),
               "maturity_note", "bound"]
    base = alt.Chart(frame).encode(y=y, color=color, tooltip=tooltip)
    whiskers = base.transform_filter("isValid(datum.start) && isValid(datum.end)").mark_rule(
        strokeWidth=1.5).encode(x=alt.X("start:Q", title=title, scale=x_scale), x2="end:Q")
    dots = base.transform_filter("datum.estimate_status == 'reported'").mark_circle(size=60).encode(
        x=alt.X("estimate:Q", scale=x_scale))
    arrows = base.transform_filter(
        "datum.estimate_status == 'not_reached' || datum.open_high"
    ).mark_point(shape="triangle-right", filled=False, size=90, strokeWidth=1.5).encode(x=alt.X("edge:Q", scale=x_scale))
    nr_text = base.transform_filter("datum.estimate_status == 'not_reached'").mark_text(
        align="left", dx=8, fontWeight="bold").encode(x=alt.X("edge:Q", scale=x_scale), text=alt.value("NR"))
    follow = alt.Chart(frame).mark_point(shape="cross", color="grey", size=50, filled=True).encode(
        x=alt.X("follow_up:Q", scale=x_scale), y=y,
        tooltip=[alt.Tooltip("follow_up:Q", title="median follow-up (months)")])
    flags = alt.Chart(frame).transform_filter("datum.flag != ''").mark_text(
        align="left", dx=28, color="#b45309", fontStyle="italic").encode(
        x=alt.X("edge:Q", scale=x_scale), y=y, text="flag:N")
    # A fixed step per row: a container may resize the chart, never squeeze the rows.
    return alt.layer(whiskers, dots, arrows, nr_text, follow, flags).properties(
        width=width, height=alt.Step(22))
