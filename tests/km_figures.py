"""Kaplan-Meier figures rendered with matplotlib from known, synthetic IPD.

Used by the digitizer tests and by ``bench/bench_digitize.py``: every figure
comes with the IPD it was drawn from, the exact step function of each arm
and the exact axis calibration (from matplotlib's own data-to-pixel
transform), so that extracted curves can be scored against the truth.
All data here are SYNTHETIC (simulated patients), not from any study.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass, field, replace

import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from synthesis.calibration import AxisCalibration  # noqa: E402


def simulate_arm(
    n: int, median: float, *, cure: float = 0.0, follow_up: float = 36.0, seed: int = 0
) -> pd.DataFrame:
    """SYNTHETIC IPD: exponential event times with a cured fraction, uniform entry.

    Returns a DataFrame ``time, event`` (event 1 = progression/death).
    """
    rng = np.random.default_rng(seed)
    rate = np.log(2) / median
    event_time = rng.exponential(1 / rate, n)
    event_time[rng.random(n) < cure] = np.inf
    censor_time = rng.uniform(0.3, 1.0, n) * follow_up
    time = np.minimum(event_time, censor_time)
    return pd.DataFrame({"time": np.round(time, 3), "event": (event_time <= censor_time).astype(int)})


def km_steps(ipd: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Product-limit estimate: (step times incl. 0 and the last time, survival, censor times)."""
    times = np.sort(ipd.time.unique())
    surv, s = [1.0], 1.0
    for t in times:
        at_risk = (ipd.time >= t).sum()
        deaths = ((ipd.time == t) & (ipd.event == 1)).sum()
        s *= 1 - deaths / at_risk
        surv.append(s)
    step_t = np.concatenate([[0.0], times])
    censored = ipd.time[(ipd.event == 0)].to_numpy()
    return step_t, np.array(surv), np.sort(censored)


def _greenwood_band(ipd: pd.DataFrame, step_t: np.ndarray, step_s: np.ndarray):
    """Pointwise 95 % interval (Greenwood, plain) of the product-limit steps."""
    var_sum, low, high = 0.0, [1.0], [1.0]
    for t, s in zip(step_t[1:], step_s[1:]):
        at_risk = (ipd.time >= t).sum()
        deaths = ((ipd.time == t) & (ipd.event == 1)).sum()
        if at_risk > deaths:
            var_sum += deaths / (at_risk * (at_risk - deaths))
        half = 1.96 * s * np.sqrt(var_sum)
        low.append(max(0.0, s - half))
        high.append(min(1.0, s + half))
    return np.array(low), np.array(high)


def survival_at(step_t: np.ndarray, step_s: np.ndarray, t) -> np.ndarray:
    """Right-continuous step function value at ``t``."""
    idx = np.searchsorted(step_t, np.asarray(t, dtype=float), side="right") - 1
    return step_s[np.clip(idx, 0, len(step_s) - 1)]


@dataclass(frozen=True)
class Style:
    """How a figure is drawn; each field is one thing journals vary."""

    name: str
    colors: tuple[str, ...] = ("#1f77b4", "#ff7f0e")
    linestyles: tuple[str, ...] = ("-", "-")
    linewidth: float = 2.0
    censor_marker: str | None = "+"
    grid: bool = False
    risk_table: bool = False
    legend: str | tuple[float, float] | None = "upper right"
    percent: bool = False
    jpeg_quality: int | None = None
    size: tuple[float, float] = (8.0, 6.0)
    dpi: int = 100
    overlap: bool = False
    x_max: float = 36.0
    y_min: float = 0.0
    facecolor: str | None = None
    ci_band_alpha: float | None = None
    median_lines: bool = False
    open_frame: bool = False


STYLES: dict[str, Style] = {
    s.name: s
    for s in [
        Style("default"),
        Style("thin lines", linewidth=1.0),
        Style("thick lines", linewidth=3.5),
        Style("no censor marks", censor_marker=None),
        Style("censor ticks |", censor_marker="|"),
        Style("grid", grid=True),
        Style("red/green", colors=("#d62728", "#2ca02c")),
        Style("black and grey", colors=("#000000", "#888888")),
        Style("solid and dashed black", colors=("#000000", "#000000"), linestyles=("-", "--")),
        Style("dashed colours", linestyles=("--", ":")),
        Style("dashed and dotted, no marks", linestyles=("--", ":"), censor_marker=None),
        Style("overlapping arms", overlap=True),
        Style("risk table", risk_table=True),
        Style("jpeg", jpeg_quality=75),
        Style("percent axis", percent=True),
        Style("days axis", x_max=1095.0),
        Style("large 1600x1200", size=(16.0, 12.0)),
        Style("grid + jpeg + percent", grid=True, jpeg_quality=80, percent=True),
        Style("y axis from 0.2", y_min=0.2, risk_table=True),
        Style("grey panel, white grid", facecolor="#ebebeb", grid=True, censor_marker="|"),
        Style("confidence bands", ci_band_alpha=0.2),
        Style("median lines", median_lines=True, censor_marker="|"),
        Style("open frame, legend above", open_frame=True, legend="lower left", linewidth=1.5),
    ]
}


@dataclass(frozen=True)
class RenderedFigure:
    """A rendered figure with everything needed to score a digitization."""

    image: bytes
    format: str
    calibration: AxisCalibration
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    arms: dict[str, pd.DataFrame]
    steps: dict[str, tuple[np.ndarray, np.ndarray]]
    censor_times: dict[str, np.ndarray]
    colors: dict[str, str]
    at_risk: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def survival_floor(self) -> float:
        """Lowest survival the figure shows (its y axis may start above 0)."""
        return self.y_range[0] / self.y_range[1]

    def curves_of(self, arm: str, curves: list) -> list:
        """The extracted ``curves`` in the found colour nearest ``arm``'s, if within 60 RGB (JPEG shifts colours)."""
        if not curves:
            return []
        nearest = min(curves, key=lambda c: color_distance(c.color, self.colors[arm])).color
        if color_distance(nearest, self.colors[arm]) >= 60:
            return []
        return [c for c in curves if c.color == nearest]

    def error(self, arm: str, points: pd.DataFrame, window: tuple[float, float] | None = None) -> float:
        """:func:`tube_error` of extracted ``points`` against the true curve of ``arm``."""
        return tube_error(
            self.steps[arm], points, self.x_range, self.arms[arm].time.max(),
            survival_floor=self.survival_floor, window=window,
        )


def default_arms(style: Style, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Two SYNTHETIC arms (names "A" and "B"), on the style's time scale."""
    scale = style.x_max / 36.0
    if style.overlap:
        a = simulate_arm(120, 14 * scale, follow_up=34 * scale, seed=seed)
        b = a.copy()
        # Identical first half (curves drawn on top of each other), then apart.
        late = b.time > 12 * scale
        b.loc[late, "time"] = (b.loc[late, "time"] * 0.8).clip(lower=12 * scale + 0.01)
        return {"A": a, "B": b}
    return {
        "A": simulate_arm(120, 20 * scale, cure=0.25, follow_up=34 * scale, seed=seed),
        "B": simulate_arm(110, 9 * scale, cure=0.1, follow_up=33 * scale, seed=seed + 1),
    }


def render_km_figure(style: Style, arms: dict[str, pd.DataFrame] | None = None) -> RenderedFigure:
    """Draw the arms as a Kaplan-Meier figure in ``style``; return image and truth."""
    arms = arms if arms is not None else default_arms(style)
    y_top = 100.0 if style.percent else 1.0
    x_range = (0.0, style.x_max)
    fig = plt.figure(figsize=style.size, dpi=style.dpi)
    if style.risk_table:
        ax = fig.add_axes((0.12, 0.32, 0.83, 0.62))
        table_ax = fig.add_axes((0.12, 0.04, 0.83, 0.16))
    else:
        ax = fig.add_axes((0.12, 0.1, 0.83, 0.85))
    ax.set_xlim(*x_range)
    ax.set_ylim(style.y_min * y_top, y_top)
    if style.facecolor:
        ax.set_facecolor(style.facecolor)
    steps, censors, colors, at_risk = {}, {}, {}, {}
    tick_times = np.linspace(0, style.x_max, 7)
    for i, (name, ipd) in enumerate(arms.items()):
        color = style.colors[i % len(style.colors)]
        step_t, step_s, cens = km_steps(ipd)
        steps[name], censors[name], colors[name] = (step_t, step_s), cens, color
        t_end = ipd.time.max()
        if style.ci_band_alpha:
            low, high = _greenwood_band(ipd, step_t, step_s)
            ax.fill_between(np.append(step_t, t_end), np.append(low, low[-1]) * y_top,
                            np.append(high, high[-1]) * y_top, step="post", color=color,
                            alpha=style.ci_band_alpha, lw=0)
        ax.step(
            np.append(step_t, t_end), np.append(step_s, step_s[-1]) * y_top,
            where="post", color=color, lw=style.linewidth,
            ls=style.linestyles[i % len(style.linestyles)], label=f"Arm {name} (synthetic)",
        )
        if style.censor_marker:
            ax.plot(
                cens, survival_at(step_t, step_s, cens) * y_top, ls="none",
                marker=style.censor_marker, color=color, ms=7, mew=max(1.0, style.linewidth * 0.6),
            )
        below = np.nonzero(step_s <= 0.5)[0]
        if style.median_lines and below.size:
            median = step_t[below[0]]
            ax.plot([0, median, median], [0.5 * y_top, 0.5 * y_top, 0], ls="--", color="#808080", lw=1)
        at_risk[name] = pd.DataFrame(
            {"time": tick_times, "n_risk": [(ipd.time >= t).sum() for t in tick_times]}
        )
        if style.risk_table:
            for t, n in zip(tick_times, at_risk[name].n_risk):
                table_ax.text(t, 1 - i, str(n), ha="center", va="center", color=color, fontsize=10)
    if style.risk_table:
        table_ax.set_xlim(*x_range)
        table_ax.set_ylim(-0.5, 1.5)
        table_ax.axis("off")
        fig.text(0.02, 0.22, "Number at risk", fontsize=10)
    if style.grid:
        ax.grid(True, color="white" if style.facecolor else "#cccccc", lw=0.8)
    if style.open_frame:
        ax.spines[["top", "right"]].set_visible(False)
    if style.legend:
        anchor = {"bbox_to_anchor": (0.0, 1.02), "ncols": 2} if style.open_frame else {}
        ax.legend(loc=style.legend, frameon=not style.open_frame, **anchor)
    ax.set_xlabel("Months" if style.x_max <= 120 else "Days")
    ax.set_ylabel("Survival (%)" if style.percent else "Survival probability")
    ax.set_title("SYNTHETIC data")
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    y_low = style.y_min * y_top
    (x0, y0), (x1, y1) = ax.transData.transform([[x_range[0], y_low], [x_range[1], y_top]])
    calibration = AxisCalibration.from_points(
        x=[(x0, x_range[0]), (x1, x_range[1])],
        y=[(height - y0, y_low), (height - y1, y_top)],
        x_unit="months" if style.x_max <= 120 else "days",
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=style.dpi)
    plt.close(fig)
    data, fmt = buf.getvalue(), "png"
    if style.jpeg_quality:
        out = io.BytesIO()
        Image.open(io.BytesIO(data)).convert("RGB").save(out, "JPEG", quality=style.jpeg_quality)
        data, fmt = out.getvalue(), "jpeg"
    return RenderedFigure(
        image=data, format=fmt, calibration=calibration, x_range=x_range,
        y_range=(y_low, y_top), arms=arms, steps=steps, censor_times=censors,
        colors=colors, at_risk=at_risk,
    )


def curve_distance(
    true_steps: tuple[np.ndarray, np.ndarray],
    points: pd.DataFrame,
    x_range: tuple[float, float],
    t_end: float,
) -> float:
    """Hausdorff distance between the true and the extracted step curves.

    Both curves are drawn as a plot draws them (flat runs joined by vertical
    drops) up to ``t_end``, with time scaled to the axis range and survival to
    0-1, so the result is a share of the axis range (0.005 = 0.5 %).
    """
    from scipy.spatial import cKDTree

    def polyline(t, s):
        t = np.clip(np.append(t, t_end), None, t_end)
        s = np.append(s, s[-1])
        xs = np.repeat(t, 2)[1:-1]
        ys = np.repeat(s[:-1], 2)
        return (xs - x_range[0]) / (x_range[1] - x_range[0]), ys

    def sample(xs, ys, step=5e-4):
        out = []
        for i in range(len(xs) - 1):
            n = max(2, int(np.hypot(xs[i + 1] - xs[i], ys[i + 1] - ys[i]) / step) + 1)
            out.append(np.column_stack([np.linspace(xs[i], xs[i + 1], n), np.linspace(ys[i], ys[i + 1], n)]))
        return np.vstack(out)

    true = sample(*polyline(*true_steps))
    pts = points.sort_values(["time", "survival"], ascending=[True, False])
    got = sample(*polyline(pts.time.to_numpy(), pts.survival.to_numpy()))
    return float(max(cKDTree(got).query(true)[0].max(), cKDTree(true).query(got)[0].max()))


def color_distance(a: str, b: str) -> float:
    """Euclidean RGB distance of two ``#rrggbb`` colours (JPEG shifts colours a little)."""
    rgb = [np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)]) for h in (a, b)]
    return float(np.linalg.norm(rgb[0] - rgb[1]))


def with_style(base: str, **changes) -> Style:
    """The style named ``base`` with some fields changed (give it a new ``name``)."""
    return replace(STYLES[base], **changes)


def tube_error(
    true_steps: tuple[np.ndarray, np.ndarray],
    points: pd.DataFrame,
    x_range: tuple[float, float],
    t_end: float,
    time_tolerance: float = 0.005,
    survival_floor: float = 0.0,
    window: tuple[float, float] | None = None,
) -> float:
    """How far one curve leaves the other's tube, as a share of the survival axis.

    At each time the extracted survival is compared with the true survival
    anywhere within ``time_tolerance`` (a share of the time axis) of that
    time, and the other way round; the result is the largest vertical miss.
    "Within 0.5 % of the axis range" means ``tube_error(...) <= 0.005`` with
    the default 0.5 % time tolerance: the curves are in each other's 0.5 %
    box everywhere, vertical drops included. Survival below
    ``survival_floor`` (under a y axis starting above 0) is not drawn and
    counts as the floor. With ``window`` (start, end), only the times in it
    are compared (to find where on the curve a miss lies).
    """
    pts = points.sort_values(["time", "survival"], ascending=[True, False])
    got_t, got_s = pts.time.to_numpy(), pts.survival.to_numpy()
    span = x_range[1] - x_range[0]
    grid = np.linspace(*(window or (0.0, t_end)), 4000)
    offsets = np.linspace(-time_tolerance, time_tolerance, 21) * span

    # Not clipped at t_end: a drop at the last follow-up, drawn a fraction of
    # a pixel after it, is within the sideways tolerance like any other. Nor
    # at 0: survival is 1 before time 0, so a drop at t = 0 (an event at
    # time 0.000, drawn on the y axis) read a fraction of a pixel late is
    # within it too.
    def values(step_t, step_s, t):
        return np.maximum(np.where(t < 0, 1.0, survival_at(step_t, step_s, t)), survival_floor)

    def miss(a, b):
        here = values(*a, grid)
        around = np.stack([values(*b, grid + o) for o in offsets])
        low, high = around.min(axis=0), around.max(axis=0)
        return float(np.max(np.maximum(low - here, here - high).clip(min=0)))

    # The extracted corners come in pairs; keep the lower value at a shared time.
    keep = np.append(got_t[1:] != got_t[:-1], True)
    got = (got_t[keep], got_s[keep])
    return max(miss(got, true_steps), miss(true_steps, got))


def parse_seeds(text: str) -> tuple[int, ...]:
    """Seeds from ``"1,20,30,2-13"``: numbers and inclusive ranges, comma-separated."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    if not seeds:
        raise argparse.ArgumentTypeError(f"no seeds in {text!r}")
    return tuple(seeds)
