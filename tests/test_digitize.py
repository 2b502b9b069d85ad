"""Digitizer: calibration maths, loading, colours, accuracy against known curves, bad input.

Figures are rendered by matplotlib from SYNTHETIC IPD (``tests/km_figures.py``),
so the true step function and the exact pixel calibration are known. The
full style sweep runs in ``bench/bench_digitize.py``; here a handful of small
figures keep the suite fast.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from km_figures import STYLES, default_arms, render_km_figure, with_style  # noqa: E402

from synthesis import digitize as dz  # noqa: E402
from synthesis.calibration import AxisCalibration  # noqa: E402
from synthesis.digitize import (  # noqa: E402
    FigureError,
    digitize_curves,
    find_curve_colors,
    load_figure,
)
from synthesis.errors import InvalidInputError  # noqa: E402

#: The issue's target: the extracted curve within 0.5 % of the axis range of
#: the true one (vertically, allowing 0.5 % of the time axis sideways).
ACCURACY = 0.005
#: Median and hazard ratio from image -> points -> pseudo-IPD vs. the true IPD.
END_TO_END_RELATIVE = 0.03
#: Auto-detected axis ends vs. matplotlib's own transform (pixels).
AXIS_PIXEL_TOLERANCE = 0.6


@pytest.fixture(scope="module")
def figures():
    cache = {}

    def get(name: str, style=None):
        if name not in cache:
            cache[name] = render_km_figure(style or STYLES[name])
        return cache[name]

    return get


def _match(figure, digitized):
    """Pair each true arm with the extracted curve of its colour."""
    pairs = {}
    for arm in figure.colors:
        curves = figure.curves_of(arm, digitized.curves)
        assert curves, digitized.summary_frame()
        pairs[arm] = min(curves, key=lambda c: figure.error(arm, c.points))
    return pairs


def _error(figure, arm, curve) -> float:
    return figure.error(arm, curve.points)


# --- calibration -----------------------------------------------------------


def test_calibration_maps_both_ways_and_reads_percent():
    cal = AxisCalibration.from_points(x=[(100, 0), (700, 36)], y=[(530, 0), (70, 100)])
    assert cal.y_percent
    assert cal.to_data(400, 300) == pytest.approx((18.0, 0.5))
    assert cal.to_pixel(18.0, 0.5) == pytest.approx((400.0, 300.0))
    t, s = cal.to_data(np.array([100.5, 700.0]), np.array([70.0, 530.0]))
    assert t == pytest.approx([0.03, 36.0]) and s == pytest.approx([1.0, 0.0])


def test_calibration_table_round_trip_keeps_printed_values():
    cal = AxisCalibration.from_points(x=[(96.5, 0), (760.25, 1095)], y=[(540, 0), (30, 100)], x_unit="days")
    frame = cal.summary_frame()
    assert list(frame.columns) == ["axis", "pixel", "value"]
    assert frame.value.tolist() == [0, 1095, 0, 100]
    assert AxisCalibration.from_frame(frame, x_unit="days") == cal
    assert cal.to_dict()["y"] == [[540.0, 0.0], [30.0, 100.0]]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([(100, 0), (104, 36)], [(530, 0), (70, 1)], "on top of each other"),
        ([(100, 0), (700, 36)], [(530, 0), (530, 1)], "on top of each other"),
        ([(100, 12), (700, 12)], [(530, 0), (70, 1)], "same value"),
        ([(100, 0)], [(530, 0), (70, 1)], "exactly two"),
    ],
)
def test_calibration_rejects_unusable_points(x, y, message):
    with pytest.raises(InvalidInputError, match=message):
        AxisCalibration.from_points(x=x, y=y)


def test_calibration_table_names_the_bad_row():
    frame = pd.DataFrame({"axis": ["x", "x", "z", "y"], "pixel": [1, 500, 3, 4], "value": [0, 1, 2, 3]})
    with pytest.raises(InvalidInputError, match="row 3"):
        AxisCalibration.from_frame(frame)


@pytest.mark.parametrize("name", ["default", "risk table", "y axis from 0.2", "open frame, legend above"])
def test_auto_axes_find_the_frame(figures, name):
    fig = figures(name)
    found = AxisCalibration.auto_detect(load_figure(fig.image), fig.x_range, fig.y_range)
    assert found.x_pixels == pytest.approx(fig.calibration.x_pixels, abs=AXIS_PIXEL_TOLERANCE)
    assert found.y_pixels == pytest.approx(fig.calibration.y_pixels, abs=AXIS_PIXEL_TOLERANCE)


def test_auto_axes_on_a_blank_image_ask_for_points():
    with pytest.raises(InvalidInputError, match="click two known points"):
        AxisCalibration.auto_detect(np.full((300, 400, 3), 255, np.uint8), (0, 36), (0, 1))


# --- loading ---------------------------------------------------------------


def _encode(array: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt)
    return buf.getvalue()


def test_load_png_and_jpeg(figures):
    png = load_figure(figures("default").image)
    assert png.dtype == np.uint8 and png.shape == (600, 800, 3)
    jpeg = load_figure(figures("jpeg").image)
    assert jpeg.shape == (600, 800, 3)


def test_load_puts_transparency_on_white():
    rgba = np.zeros((60, 60, 4), np.uint8)
    assert load_figure(_encode(rgba, "PNG")).min() == 255


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_encode(np.zeros((60, 60, 3), np.uint8), "GIF"), "GIF image; only PNG and JPEG"),
        (b"%PDF-1.7 not an image", "not a PNG or JPEG"),
        (_encode(np.zeros((20, 200, 3), np.uint8), "PNG"), "too small"),
    ],
)
def test_load_refuses_other_input(data, message):
    with pytest.raises(FigureError, match=message):
        load_figure(data)


def test_load_refuses_images_too_large_for_a_figure(monkeypatch):
    monkeypatch.setattr(dz, "MAX_PIXELS", 100 * 100)
    with pytest.raises(FigureError, match="too large for a figure"):
        load_figure(_encode(np.zeros((200, 200, 3), np.uint8), "PNG"))


# --- colours and accuracy --------------------------------------------------


def test_curve_colours_are_the_drawn_ones(figures):
    fig = figures("default")
    colors = find_curve_colors(load_figure(fig.image), fig.calibration)
    assert sorted(c.hex for c in colors) == sorted(fig.colors.values())
    assert all(c.pixel_count > 500 for c in colors)


def test_black_and_grey_are_separate_curves(figures):
    fig = figures("black and grey")
    colors = find_curve_colors(load_figure(fig.image), fig.calibration)
    assert [c.hex for c in colors][:2] in (["#000000", "#888888"], ["#888888", "#000000"])


@pytest.mark.parametrize(
    "style",
    [
        STYLES["no censor marks"],
        with_style("no censor marks", name="jpeg grid percent", grid=True, jpeg_quality=75, percent=True),
        with_style("no censor marks", name="risk table thin", risk_table=True, linewidth=1.2),
        STYLES["censor ticks |"],
        STYLES["grey panel, white grid"],
    ],
    ids=lambda s: s.name,
)
def test_extracted_curve_within_half_a_percent(figures, style):
    fig = figures(style.name, style)
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    for arm, curve in _match(fig, digitized).items():
        assert _error(fig, arm, curve) <= ACCURACY, (arm, curve.name)
        assert curve.points.survival.is_monotonic_decreasing
        assert curve.points.iloc[0].tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "name", ["default", "censor ticks |", "y axis from 0.2", "grey panel, white grid", "confidence bands"]
)
def test_censor_marks_are_found_and_left_out_of_the_curve(figures, name):
    fig = figures(name)
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    for arm, curve in _match(fig, digitized).items():
        assert _error(fig, arm, curve) <= ACCURACY
        true = fig.censor_times[arm]
        found = np.array(curve.censor_times)
        # Every mark found is a drawn mark; marks drawn on top of each other count once.
        distance = np.abs(found[:, None] - true[None, :]).min(axis=1)
        assert np.quantile(distance, 0.9) < 0.3
        unique_true = np.unique(np.round(true / 0.4))
        assert len(found) >= 0.6 * len(unique_true)


@pytest.mark.parametrize("seed", [1, 20, 30])
def test_plus_marks_within_half_a_percent(seed):
    style = STYLES["default"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert max(_error(fig, arm, c) for arm, c in _match(fig, digitized).items()) <= ACCURACY


def _style_cases():
    """Styles that missed 0.5 % (thin lines 1.38 %, risk table 1.28 %, y axis from
    0.2 1.48 %, overlapping arms 1.59 %, thick lines 0.92 % on seed 1: a 4.4 px
    plateau inside a staircase of a 4.9 px line merged with the next one; solid and
    dashed black 0.75 %, see test_solid_and_dashed_curves_of_one_colour_are_told_apart;
    the dotted arm drawn without marks 0.54, 0.59 and 0.56 % on seeds 1, 20 and 30
    before :func:`~synthesis.dotted_drops.follow_dot_runs`; dashed colours 0.75 %, its
    dotted arm B read late beside '+' marks whose bars hide its dots, 0.39 % with the
    dots beside marks fitted, see test_dots_beside_marks_fits_a_dot_half_under_a_bar)
    on the bench's three SYNTHETIC trials."""
    return [(name, seed) for name in ("thin lines", "risk table", "y axis from 0.2", "overlapping arms",
                                      "thick lines", "solid and dashed black", "dashed colours",
                                      "dashed and dotted, no marks")
            for seed in (1, 20, 30)]


@pytest.mark.parametrize(("name", "seed"), _style_cases())
def test_style_within_half_a_percent(name, seed):
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert max(_error(fig, arm, c) for arm, c in _match(fig, digitized).items()) <= ACCURACY


@pytest.mark.parametrize(
    ("name", "seed", "months"),
    [
        # A drop's dash ending in a gap at the step's corner, beside a '+' mark:
        # the refit moved the drop 4 px onto the mark (1.14 % before).
        ("solid and dashed black", 1, (17.9, 18.6)),
        # Two drops 5 px apart, the plateau between them in a dash gap under
        # marks, the first drop unseen: traced as one drop (1.0 % before).
        ("solid and dashed black", 1, (11.0, 11.8)),
        ("solid and dashed black", 1, (12.1, 12.9)),
        ("dashed colours", 1, (12.1, 12.9)),
        # A '+' mark's crossbar read as the dotted line's dots, the drop beside
        # it put past the crossbar's end (0.76, 1.06, 0.99 and 1.08 % before).
        ("dashed colours", 1, (10.1, 10.3)),
        ("dashed colours", 1, (13.0, 13.3)),
        ("dashed colours", 20, (14.7, 14.9)),
        ("dashed colours", 20, (20.4, 20.6)),
        # A '+' mark's centre is a point of the curve: on a dotted line the
        # level read between two levels under a cluster of marks, and a drop
        # hidden by a mark's bar put 5 px early, are repaired through the
        # marks' centres (0.88 and 0.70 % before; 0.20 and 0.24 % now).
        ("dashed colours", 1, (13.6, 14.0)),
        ("dashed colours", 20, (14.2, 14.6)),
    ],
)
def test_dashed_drops_beside_marks(name, seed, months):
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    curve = _match(fig, digitized)["B"]
    assert fig.error("B", curve.points, window=months) <= ACCURACY


@pytest.mark.parametrize("seed", [3, 4, 7])
def test_dotted_curve_that_starts_under_the_frame_is_found(seed):
    """A dotted line's missing coverage costs more per column than the frame
    line at survival 1: a path that did not leave the frame before the first
    dot stayed on it and the dotted arm was not found at all (seeds 3-9 and
    12 of 'dashed colours'). Now it is followed; arm B measured 0.43 % on
    seed 3, 0.87 % on seed 4 and 1.43 % on seed 7 (misses at step corners
    and beside marks), and is within 0.5 % on all three since the curve is
    read from runs of dots, those beside marks included (0.27, 0.14, 0.36 %)."""
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert "#ff7f0e" in [c.color for c in digitized.curves]
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


@pytest.mark.parametrize(("name", "seed", "arm"), [
    ("dashed colours", 3, "A"), ("default", 3, "A"), ("overlapping arms", 5, "B"),
    ("thin lines", 3, "A"), ("thin lines", 137, "B"), ("thin lines", 130, "B"), ("jpeg", 137, "B"),
    ("overlapping arms", 131, "B"), ("y axis from 0.2", 35, "B")])
def test_drop_that_ends_the_curve_is_followed(name, seed, arm):
    """The last patient's event ends the curve in a drop to a plateau narrower
    than the line, which the trace lost: arm A of seed 3 drops by 0.19 at
    t = 33.0 months (18.5 % of the axis before, in every style); arm B of
    'overlapping arms', seed 5, 14.0 % before. With thin lines the '+' marks
    at the end reach 6 px past the drop; there only the end of the curve is
    checked (seed 3), as it misses by 1.12 % elsewhere (two drops 5 px
    apart under a cluster of marks, traced as one). Arm B of seeds 130 and
    137 drops to survival 0, which lies on the x axis: with 1-px lines its
    level showed nowhere and the drop was cut off (18.6 % and 22.2 %); in
    JPEG the bars of the two marks before the drop made its first rows look
    like the plateau it ends on (20.9 % once the trace stopped going down
    the drop by itself). 'overlapping arms' seed 131 arm B ends in three
    drops 4 px apart; the trace rode the other arm's line at the level
        above them instead (16.4 %). 'y axis from 0.2' seed 35 arm B drops 8 px
    to the axis, past the survival it starts at: a run that short was taken
    for a mark's bar, and only riding the axis line took the path down
    (1.94 % once it could end instead)."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    window = (30.0, 34.0) if (name, seed) == ("thin lines", 3) else None
    assert fig.error(arm, _match(fig, digitized)[arm].points, window=window) <= ACCURACY


def test_step_fit_passes_through_a_mark_centre():
    """A '+' mark's centre is a point of the curve: a level 5 px above a mark on
    a level of its own, its drop unseen, is moved onto the mark and the drop
    into it hedged midway between where the level above may end and the mark."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import honour_marks

    shape = (60, 120)
    nothing = np.zeros(shape, dtype=np.float32)
    hidden = np.ones(shape, dtype=bool)
    levels, drops = honour_marks(np.array([10.0, 20.0, 30.0]), np.array([50.0, 60.0]), 100.0,
                                 nothing, nothing, hidden, None, np.array([[58.0, 25.0]]),
                                 TraceSettings(2.8))
    assert levels.tolist() == [10.0, 25.0, 30.0]
    assert drops.tolist() == [54.0, 60.0]


@pytest.mark.parametrize("seed", [5, 25, 47])
def test_dotted_drops_hidden_between_dots_are_hedged(seed):
    """A drop hidden in the gap between two consecutive dots is put midway
    between them: dotted arm B of 'dashed colours' missed by 0.56 % (seed 5)
    and 0.54 % (seed 25); 0.43 % and 0.40 % now. A censor mark's centre
    bounds the gap like a dot: seed 47 missed by 0.82 %, 0.42 % now."""
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def test_hedge_between_dots_puts_the_drop_midway():
    """Dots on the level above up to column 50, on the level below from 55:
    a drop fitted at 54 with nothing drawn between goes to 52.5; one whose
    line shows ink stays."""
    from synthesis.dotted_drops import hedge_between_dots
    from synthesis.line_evidence import TraceSettings

    levels, drops = np.array([10.0, 13.0]), np.array([54.0])
    dots = np.array([[35.5, 10.0], [43.0, 10.0], [50.0, 10.0], [55.0, 13.0], [62.5, 13.0]])
    paper = np.zeros((30, 100), dtype=np.float32)
    assert hedge_between_dots(levels, drops, 90.0, paper, dots, TraceSettings(1.0)).tolist() == [52.5]
    inked = paper.copy()
    inked[11:13, 54] = 1.0
    assert hedge_between_dots(levels, drops, 90.0, inked, dots, TraceSettings(1.0)).tolist() == [54.0]


def _dots_along(levels, drops, start, end, spacing=7.36, phase=2.0):
    """Centres of a dotted line's dots, one per ``spacing`` of arc length, along a staircase."""
    corners = [(start, levels[0])]
    for drop, upper, lower in zip(drops, levels[:-1], levels[1:]):
        corners += [(drop, upper), (drop, lower)]
    corners = np.array(corners + [(end, levels[-1])])
    along = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(corners, axis=0)).sum(axis=1))])
    s = np.arange(phase, along[-1], spacing)
    return np.column_stack([np.interp(s, along, corners[:, 0]), np.interp(s, along, corners[:, 1])])


def _steps_at(levels, drops, x):
    return np.asarray(levels)[np.searchsorted(drops, x, side="right")]


def test_follow_dot_runs_reads_the_curve_from_its_dots():
    """A staircase of 4.6 px drops, dots every 7.36 px of arc length along
    it; the traced drops 4 px late and a level a pixel low. Read from the
    dots, the curve is within 3.3 px sideways (the 0.5 % tube of a 660 px
    time axis) of the truth everywhere; the first level, before any dot,
    is the traced one."""
    from synthesis.dotted_drops import follow_dot_runs

    true_levels, true_drops = np.array([10.0, 14.6, 19.2, 23.8, 28.4]), np.array([31.0, 40.0, 44.0, 52.5])
    dots = _dots_along(true_levels, true_drops, 20.0, 70.0)
    traced_levels, traced_drops = np.array([10.0, 15.6, 19.2, 23.8, 28.4]), true_drops + 4.0
    levels, drops = follow_dot_runs(traced_levels, traced_drops, dots)
    assert np.all(np.diff(drops) >= 0) and np.all(np.diff(levels) > 0)
    x = np.linspace(dots[0, 0], 70.0, 2000)
    read = _steps_at(levels, drops, x)
    around = np.stack([_steps_at(true_levels, true_drops, x + o) for o in np.linspace(-3.3, 3.3, 67)])
    assert np.all((read >= around.min(axis=0) - 0.3) & (read <= around.max(axis=0) + 0.3))
    # The traced curve, 4 px late, is not: the test can fail.
    traced = _steps_at(traced_levels, traced_drops, x)
    assert not np.all((traced >= around.min(axis=0) - 0.3) & (traced <= around.max(axis=0) + 0.3))


def test_follow_dot_runs_keeps_the_traced_curve_where_dots_are_hidden():
    """Dots hidden between columns 33 and 47 (under marks, say): the run
    breaks there and the traced drop at 42 stays; the drop at 31 (dots on
    both sides within one spacing) and 52.5 are read from the dots. Two
    dots alone are no run: nothing moves."""
    from synthesis.dotted_drops import follow_dot_runs

    true_levels, true_drops = np.array([10.0, 14.6, 19.2, 23.8, 28.4]), np.array([31.0, 40.0, 44.0, 52.5])
    dots = _dots_along(true_levels, true_drops, 20.0, 70.0)
    dots = dots[(dots[:, 0] < 33.0) | (dots[:, 0] > 47.0)]
    traced_levels, traced_drops = true_levels.copy(), np.array([33.5, 42.0, 44.0, 55.0])
    levels, drops = follow_dot_runs(traced_levels, traced_drops, dots)
    assert 42.0 in drops.tolist() and abs(drops[0] - 31.0) < abs(33.5 - 31.0)
    assert abs(drops[-1] - 52.5) < 55.0 - 52.5
    kept_levels, kept_drops = follow_dot_runs(traced_levels, traced_drops, dots[:2])
    assert kept_drops.tolist() == traced_drops.tolist() and kept_levels.tolist() == traced_levels.tolist()


def test_dot_bordering_another_curve_counts_whole_when_none_of_it_is_hidden():
    """A whole 3 x 3 dot beside another curve's pixels is left out by
    from the whole dots (its centre might be pulled); with the bordering
    dots it counts, unless the pixels beside it are a censor mark's. A dot half hidden
    (its summed coverage 4.5, half a whole one) never counts."""
    from synthesis.dotted_drops import dot_centres
    from synthesis.line_evidence import TraceSettings

    own = np.zeros((20, 20), dtype=np.float32)
    own[5:8, 5:8] = 1.0
    other = np.zeros_like(own)
    other[4, 4:9] = 1.0
    unknown, zone, settings = np.zeros(own.shape, dtype=bool), np.ones(own.shape, dtype=bool), TraceSettings(3.0)
    assert dot_centres(own, unknown, other, zone, settings)[0].size == 0
    assert dot_centres(own, unknown, other, zone, settings)[1].tolist() == [[6.0, 6.0]]
    marks = other > 0
    assert dot_centres(own, unknown, other, zone, settings, marks=marks)[1].size == 0
    own[5:8, 5:8] = 0.5
    assert dot_centres(own, unknown, other, zone, settings)[1].size == 0


def test_hedge_between_dots_takes_a_mark_centre_for_a_dot():
    """The last dot above at column 43, a censor mark's centre at 50 on the
    same level (its bars hide the line beside it), dots below from 55: the
    dots alone are too far apart to be consecutive and the drop fitted at 54
    stays; with the mark's centre as a point of the curve it goes to 52.5."""
    from synthesis.dotted_drops import hedge_between_dots
    from synthesis.line_evidence import TraceSettings

    levels, drops = np.array([10.0, 13.0]), np.array([54.0])
    dots = np.array([[28.0, 10.0], [35.5, 10.0], [43.0, 10.0], [55.0, 13.0], [62.5, 13.0]])
    mark = np.array([[50.0, 10.0]])
    paper = np.zeros((30, 100), dtype=np.float32)
    settings = TraceSettings(1.0)
    assert hedge_between_dots(levels, drops, 90.0, paper, dots, settings).tolist() == [54.0]
    assert hedge_between_dots(levels, drops, 90.0, paper, dots, settings, marks=mark).tolist() == [52.5]


def _square(shape: tuple[int, int], x: float, y: float, w: float) -> np.ndarray:
    """Coverage of pixels (a pixel spans half a pixel either side of its index) by a w x w square centred at (x, y)."""
    cols, rows = np.arange(shape[1]), np.arange(shape[0])
    wide = np.clip(np.minimum(cols + 0.5, x + w / 2) - np.maximum(cols - 0.5, x - w / 2), 0, 1)
    tall = np.clip(np.minimum(rows + 0.5, y + w / 2) - np.maximum(rows - 0.5, y - w / 2), 0, 1)
    return (tall[:, None] * wide[None, :]).astype(np.float32)


def test_dots_beside_marks_fits_a_dot_half_under_a_bar():
    """Dots 2.78 px square every 7.36 px along a level at row 20; a '|'
    mark's bar (columns 45-46, rows 15-25) hides the left half of the dot
    centred at column 46.8, whose pieces touching the bar are no whole dot.
    Its place on the lattice (x + y) is known from the whole dots either
    side, and what shows of it right of the bar puts its centre at 46.8
    (within 0.1 px). Without the coverage under the mark's pixels (left out
    of ``own`` above and below the line's band), the bar's ink on the band
    is a run of 3 px, not known as a bar's, and no dot explains it: none is
    read."""
    from synthesis.dotted_drops import dot_centres, dots_beside_marks
    from synthesis.line_evidence import TraceSettings

    w, shape = 2.78, (40, 100)
    drawn = np.zeros(shape, dtype=np.float32)
    for x in 10.0 + 7.36 * np.arange(9):
        drawn = np.maximum(drawn, _square(shape, x, 20.0, w))
    drawn[15:26, 45:47] = 1.0
    # The mark's pixels left out of the coverage: the bar, a column either side, off the line's band.
    marks = np.zeros(shape, dtype=bool)
    marks[15:19, 44:48] = marks[22:26, 44:48] = True
    own = np.where(marks, 0.0, drawn).astype(np.float32)
    under = np.where(marks, drawn, 0.0).astype(np.float32)
    zone, none = np.ones(shape, dtype=bool), np.zeros(shape, dtype=np.float32)
    settings = TraceSettings(w)
    dots = dot_centres(own, marks, none, zone, settings)[0]
    assert not np.any(np.abs(dots[:, 0] - 46.8) < 2.0)
    centres = np.array([[45.5, 20.0]])
    found = dots_beside_marks(own, under, marks, None, none, centres, dots, zone, settings)
    assert found.shape == (1, 2) and np.allclose(found[0], [46.8, 20.0], atol=0.1)
    lost = dots_beside_marks(own, np.zeros(shape, dtype=np.float32), marks, None, none, centres, dots, zone,
                             settings)
    assert lost.shape == (0, 2)


def test_dot_centres_keeps_a_dot_beside_a_crossbars_paper():
    """A whole dot (column 30, row 20) whose edge touches a '+' mark's
    crossbar box (unknown on a dotted line) only where the box shows paper:
    it is whole, its centre read; the box's paper taken as unknown (no
    crossbars given) leaves it out."""
    from synthesis.dotted_drops import dot_centres
    from synthesis.line_evidence import TraceSettings

    w, shape = 2.78, (40, 60)
    own = _square(shape, 30.0, 20.0, w)
    crossbars = np.zeros(shape, dtype=bool)
    crossbars[18:23, 32:44] = True
    own[19:21, 36:44] = 1.0
    zone, none = np.ones(shape, dtype=bool), np.zeros(shape, dtype=np.float32)
    settings = TraceSettings(w)
    kept = dot_centres(own, crossbars, none, zone, settings, crossbars)[0]
    assert kept.shape == (1, 2) and np.allclose(kept[0], [30.0, 20.0], atol=0.05)
    assert dot_centres(own, crossbars, none, zone, settings)[0].shape == (0, 2)


def test_hedge_between_dots_places_a_drop_from_its_edge_beside_a_bar():
    """A mark's bar (columns 49-51, left out of the coverage) hides most of
    a drop's 3 px line between levels 10 and 20; its right edge shows in
    column 52. The mark's centre (50) and the first dot below (60) are too
    far apart to be consecutive dots, and the fit put the drop at 56: from
    the edge, the drop goes to 52.5 - 1.5 = 51. Without the bar beside it,
    the ink is not known to be half a line and the drop stays."""
    from synthesis.dotted_drops import hedge_between_dots
    from synthesis.line_evidence import TraceSettings

    levels, drops = np.array([10.0, 20.0]), np.array([56.0])
    dots = np.array([[28.0, 10.0], [35.5, 10.0], [43.0, 10.0], [60.0, 20.0], [67.5, 20.0]])
    mark = np.array([[50.0, 10.0]])
    own = np.zeros((40, 100), dtype=np.float32)
    own[12:19, 52] = 1.0
    bars = np.zeros(own.shape, dtype=bool)
    bars[4:17, 49:52] = True
    settings = TraceSettings(3.0)
    assert hedge_between_dots(levels, drops, 90.0, own, dots, settings, marks=mark).tolist() == [56.0]
    assert hedge_between_dots(levels, drops, 90.0, own, dots, settings, marks=mark,
                              bars=bars).tolist() == [51.0]


def test_dotted_drop_under_a_mark_cluster_is_placed_from_its_edge():
    """'dashed colours' seed 7, dotted arm B: two marks a pixel apart on the
    level above a drop at t = 16.70 months, one 4.5 px after it below; the
    fit put the drop 3.7 px late, at the end of a crossbar (1.43 % of the
    axis between t = 16.3 and 17.5). Placed from the edge of its line
    beside the bars: 0.22 % there (the curve missed elsewhere, 1.14 %, until
    the dots beside marks were fitted: 0.36 %)."""
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=7))
    curve = _match(fig, digitize_curves(load_figure(fig.image), fig.calibration))["B"]
    assert fig.error("B", curve.points, window=(16.3, 17.5)) <= ACCURACY


@pytest.mark.parametrize(("name", "seed", "arm"), [
    ("dashed colours", 6, "A"), ("dashed colours", 10, "A"), ("dashed colours", 12, "A"),
    ("solid and dashed black", 6, "B")])
def test_hidden_dashed_drops_are_hedged(name, seed, arm):
    """A '--' line's drop whose line shows no ink (in a dash gap, or under a
    '+' mark's bar) was fitted 3.5-5 px late, beside the crossbar of a mark:
    1.17, 0.82, 1.24 and 1.15 % before; 0.16, 0.11, 0.30 and 0.35 % now,
    midway between the last sight of the level above and the first of the
    level below."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, arm, _match(fig, digitized)[arm]) <= ACCURACY


def test_hedge_hidden_dashed_drops_puts_the_drop_midway():
    """The level above shows up to column 49, the one below from 53, nothing
    between: a drop fitted at 52 goes midway between 47.5 and 54.5 (the
    sights -+ half a line width). One whose line shows ink stays, and so does
    one whose bounds lie further apart than a dash gap (7 px)."""
    own = np.zeros((30, 100), dtype=np.float32)
    own[9:12, :50] = 1.0
    own[19:22, 53:91] = 1.0
    assert _hedged(own) == [51.0]
    inked = own.copy()
    inked[14:17, 52] = 1.0
    assert _hedged(inked) == [52.0]
    far = own.copy()
    far[19:22, 53:57] = 0.0
    assert _hedged(far) == [52.0]


def test_hedge_hidden_dashed_drops_from_the_start_of_the_curve():
    """A curve starts at survival 1 at time 0: column 0 is a sight of its
    first level even where that level never shows (under the frame, or the
    other arm drawn in the same colour). A first drop hidden before the
    level below shows from column 5 goes midway between 0 and 6.5 (R 'base
    bw' seed 12 arm B: three drops in the first 4 px, under the solid arm,
    read as one 4 px late, 0.91 %; 0.33 % so). Not when the level below
    first shows further away than a dash gap (7 px), nor for a later drop."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import hedge_hidden_dashed_drops

    own = np.zeros((40, 100), dtype=np.float32)
    own[19:22, 5:91] = 1.0
    unknown = np.zeros(own.shape, dtype=bool)

    def hedged(image: np.ndarray, levels: list[float], drops: list[float]) -> list[float]:
        return hedge_hidden_dashed_drops(np.array(levels), np.array(drops), 90.0, image, unknown, None,
                                         None, TraceSettings(3.0)).tolist()

    assert hedged(own, [10.0, 20.0], [6.0]) == [3.25]
    late = own.copy()
    late[19:22, 5:9] = 0.0
    assert hedged(late, [10.0, 20.0], [9.0]) == [9.0]
    second = np.zeros_like(own)
    second[29:32, 5:91] = 1.0
    assert hedged(second, [10.0, 20.0, 30.0], [1.0, 6.0]) == [1.0, 6.0]


def _hedged(own: np.ndarray, marks: np.ndarray | None = None, centres: np.ndarray | None = None) -> list[float]:
    """The drop of a two-level staircase (rows 10 and 20, fitted at column 52,
    curve ending at 90) after hedge_hidden_dashed_drops, for a 3 px line."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import hedge_hidden_dashed_drops

    unknown = np.zeros(own.shape, dtype=bool)
    return hedge_hidden_dashed_drops(np.array([10.0, 20.0]), np.array([52.0]), 90.0, own,
                                     unknown, marks, centres, TraceSettings(3.0)).tolist()


def test_hedge_hidden_dashed_drops_reads_censor_marks():
    """A '+' mark centred on the level below bounds the drop as the level's
    line does; the end of a mark's bar left beside its removed pixels is not
    a drop's line (two pixels of 0.8 under a 3 px line), unless it is as wide
    as one (three of 0.9): then the fitted drop stays."""
    own = np.zeros((30, 100), dtype=np.float32)
    own[9:12, :50] = 1.0
    own[19:22, 58:91] = 1.0
    marks = np.zeros(own.shape, dtype=bool)
    # The level below is first seen at 59.5: too far for a hedge, but a mark
    # centred on it at column 54 bounds the drop from 47.5 to 54.
    assert _hedged(own, marks) == [52.0]
    assert _hedged(own, marks, np.array([[54.0, 20.0]])) == [50.75]
    own[19:22, 53:58] = 1.0
    marks[13:16, 51:54] = True
    bar_end = own.copy()
    bar_end[16, 52:54] = 0.8
    assert _hedged(bar_end, marks) == [51.0]
    drop_line = own.copy()
    drop_line[16, 51:54] = 0.9
    assert _hedged(drop_line, marks) == [52.0]


def test_split_half_seen_drops_on_a_long_dash_line_skips_a_marks_bar_end():
    """A drop fitted at column 30 (rows 10 to 30, 3 px line) whose only ink
    between the levels is one pixel under a censor mark's removed pixels
    (its vertical bar meeting the level below): on a ':' line that may be the
    drop's last dot, and the drop is split; on a '--' line, whose marks'
    bars meet the line drawn, it is the bar's end and the drop stays one
    (R 'base bw' seed 7 arm B, t = 16.7: split at the bar of the mark on the
    level below, 1.28 % in that half month; one drop then hedged midway
    between the marks, 0.5 %)."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import split_half_seen_drops

    own = np.zeros((40, 60), dtype=np.float32)
    own[9:12, :20] = 1.0
    own[29:32, 26:] = 1.0
    own[28, 30] = 1.0  # the bar's end beside the level's line
    marks = np.zeros(own.shape, dtype=bool)
    marks[22:28, 29:32] = True
    unknown = marks.copy()

    def split(long_dashes: bool) -> list[float]:
        levels, drops = split_half_seen_drops(np.array([10.0, 30.0]), np.array([30.0]), own, unknown,
                                              marks, TraceSettings(3.0), long_dashes=long_dashes)
        return drops.tolist()

    assert len(split(long_dashes=False)) == 2
    assert split(long_dashes=True) == [30.0]


def test_hedge_hidden_dashed_drops_side_by_side_marks():
    """Ink as wide as a drop's line beside a mark's removed pixels keeps the
    fitted drop (a drop drawn beside one mark), but not beside the wider
    removed pixels of two marks drawn side by side, whose bars together are
    as wide as a drop's line: there the drop is hedged as if hidden."""
    own = np.zeros((30, 100), dtype=np.float32)
    own[9:12, :50] = 1.0
    own[19:22, 53:91] = 1.0
    marks = np.zeros(own.shape, dtype=bool)
    # Single marks elsewhere: pieces of removed pixels 3 columns wide.
    for col in (20, 30, 70, 80):
        marks[4:8, col:col + 3] = True
        marks[13:17, col:col + 3] = True
    marks[13:16, 51:54] = True
    drop_line = own.copy()
    drop_line[16, 51:54] = 0.9
    assert _hedged(drop_line, marks) == [52.0]
    marks[13:16, 50:55] = True
    assert _hedged(drop_line, marks) == [51.0]


@pytest.mark.parametrize("seed", [49, 53, 56])
def test_drop_beside_side_by_side_marks_is_hedged(seed):
    """Arm B of 'solid and dashed black': a '--' drop in a dash gap beside
    two '+' marks drawn a fraction of a bar apart. Their bars' ends, as wide
    together as a drop's line, were read as the drop's line and the fit
    kept it beside a crossbar: 0.89, 0.79 and 1.00 % before; 0.25, 0.21 and
    0.31 % now, hedged midway between the sights of the two levels."""
    style = STYLES["solid and dashed black"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def test_split_drops_stay_in_time_order():
    """A tall drop beside a narrow plateau tried as two steps put its first
    drop before the previous one (0.5 px after time 0, then -0.7 px): the
    curve went back in time and arm B of 'grid + jpeg + percent', seed 4,
    missed by 1.79 % at t = 0."""
    style = STYLES["grid + jpeg + percent"]
    fig = render_km_figure(style, default_arms(style, seed=4))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    for curve in digitized.curves:
        assert curve.points.time.is_monotonic_increasing, curve.name
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def test_pixel_where_two_curves_touch_is_unmixed():
    """A pixel blending two curve colours (60 % blue, 40 % orange) lies on
    neither colour's paper-blend line: it counted as paper for both curves.
    Unmixed, it is 0.6 of the blue curve's coverage and 0.4 of the other's."""
    blue, orange, paper = np.array([31.0, 119, 180]), np.array([255.0, 127, 14]), np.full(3, 255.0)
    pixels = np.tile(paper.astype(np.uint8), (5, 5, 1))
    pixels[2, 1], pixels[2, 3] = blue, orange
    pixels[2, 2] = np.round(paper + 0.6 * (blue - paper) + 0.4 * (orange - paper))
    ink = np.linalg.norm(pixels - paper, axis=2) > dz.INK_DISTANCE
    canvas = dz._Canvas(pixels=pixels, paper=paper, ink=ink, lines=np.zeros_like(ink), left=0, top=0)
    palette = np.array([blue, orange])
    labels, share = dz._assign(canvas, palette, shares=True)
    assert labels[2, 2] == -1
    evidence = dz._evidence(canvas, labels, share, 0, palette)
    assert evidence.own[2, 2] == pytest.approx(0.6, abs=0.02)
    assert evidence.other[2, 2] == pytest.approx(0.4, abs=0.02)


def _frame_row_with_a_curve(frame_grey: float) -> tuple[np.ndarray, np.ndarray]:
    """Ink left by :func:`dz._remove_grid_lines` on a 40 px row: a frame line of ``frame_grey``, black in 10-19."""
    pixels = np.full((5, 40, 3), 255.0)
    pixels[2] = frame_grey
    pixels[2, 10:20] = 0.0
    strength = np.linalg.norm(pixels - 255.0, axis=2)
    ink = strength > dz.INK_DISTANCE
    dz._remove_grid_lines(ink, np.ones_like(ink), strength)
    return ink[2], np.arange(40)


def test_black_curve_on_a_grey_frame_line_stays_ink():
    """R draws its frame in grey (102) at survival 1, under the clipped lower
    half of a black curve there: the curve's pixels are darker than the line
    and stay ink; before, they were blanked with the frame and the dashed arm
    of R 'base bw' seed 3 took the solid arm's first drop (0.83 % -> 0.33 %).
    A black curve on a black frame is blanked with it, as before."""
    ink, columns = _frame_row_with_a_curve(102.0)
    assert (ink == ((columns >= 10) & (columns < 20))).all()
    ink, _ = _frame_row_with_a_curve(0.0)
    assert not ink.any()


def _two_line_canvas(between: np.ndarray):
    """Blue and orange pixels in row 2 (columns 0 and 4-5), ``between`` at column 2, paper elsewhere."""
    blue, orange, paper = np.array([31.0, 119, 180]), np.array([255.0, 127, 14]), np.full(3, 255.0)
    pixels = np.tile(paper.astype(np.uint8), (5, 7, 1))
    pixels[2, 0], pixels[2, 4:6] = blue, orange
    pixels[2, 2] = np.round(between)
    ink = np.linalg.norm(pixels - paper, axis=2) > dz.INK_DISTANCE
    canvas = dz._Canvas(pixels=pixels, paper=paper, ink=ink, lines=np.zeros_like(ink), left=0, top=0)
    palette = np.array([blue, orange])
    return canvas, palette, blue, orange, paper


def test_blend_two_pixels_from_the_other_curve_is_unmixed():
    """JPEG keeps colour per 2 x 2 pixels: a drop drawn beside the other
    curve takes a blend of both colours two pixels from the other curve's
    line and out of reach of its own colour's pixels. It counted as paper
    for the blue curve (own 0.0); unmixed it is 0.6 blue, 0.4 orange."""
    blue, orange, paper = np.array([31.0, 119, 180]), np.array([255.0, 127, 14]), np.full(3, 255.0)
    canvas, palette, *_ = _two_line_canvas(paper + 0.6 * (blue - paper) + 0.4 * (orange - paper))
    labels, share = dz._assign(canvas, palette, shares=True)
    assert labels[2, 2] == -1
    evidence = dz._evidence(canvas, labels, share, 0, palette)
    assert evidence.own[2, 2] == pytest.approx(0.6, abs=0.02)
    assert evidence.other[2, 2] == pytest.approx(0.4, abs=0.02)


def test_pale_edge_of_the_other_curve_is_not_unmixed():
    """A pixel that one colour explains alone (a pale orange edge) gives the
    blue curve no share, however near the orange line it lies."""
    orange, paper = np.array([255.0, 127, 14]), np.full(3, 255.0)
    canvas, palette, *_ = _two_line_canvas(paper + 0.4 * (orange - paper))
    labels, share = dz._assign(canvas, palette, shares=True)
    evidence = dz._evidence(canvas, labels, share, 0, palette)
    assert evidence.own[2, 2] == 0.0


def test_grey_beside_one_curve_only_is_not_unmixed():
    """Grey ink (a median line) is a blend of blue and orange by colour; two
    pixels from the blue line but far from any orange pixel it is not the
    meeting of two curves and gives the blue curve no share."""
    blue, paper = np.array([31.0, 119, 180]), np.full(3, 255.0)
    pixels = np.tile(paper.astype(np.uint8), (5, 12, 1))
    pixels[2, 0], pixels[2, 10:12] = blue, np.array([255, 127, 14], dtype=np.uint8)
    pixels[2, 2] = 128
    ink = np.linalg.norm(pixels - paper, axis=2) > dz.INK_DISTANCE
    canvas = dz._Canvas(pixels=pixels, paper=paper, ink=ink, lines=np.zeros_like(ink), left=0, top=0)
    palette = np.array([blue, np.array([255.0, 127, 14])])
    labels, share = dz._assign(canvas, palette, shares=True)
    evidence = dz._evidence(canvas, labels, share, 0, palette)
    assert evidence.own[2, 2] == 0.0


def test_colours_closer_than_same_color_distance_are_one():
    """Two found colours within SAME_COLOR_DISTANCE are one line's: the
    commoner keeps its colour and takes the other's pixels."""
    core = dz.CurveColor("#f67d14", (246, 125, 20), 1072)
    line = dz.CurveColor("#e5822c", (229, 130, 44), 2669)
    blue = dz.CurveColor("#2971a2", (41, 113, 162), 3369)
    merged = dz._merge_same_colors([blue, core, line])
    assert merged == [blue, dz.CurveColor("#e5822c", (229, 130, 44), 3741)]


@pytest.mark.parametrize("name, seed, arm", [("jpeg", 1, "A"), ("jpeg", 12, "A"),
                                             ("grid + jpeg + percent", 7, "A"), ("jpeg", 61, "A")])
def test_jpeg_first_drop_beside_the_other_curve(name, seed, arm):
    """The first drops drawn beside the other curve show only in pixels that
    blend both colours, up to two pixels from the other curve's line: read
    as paper, the drop was placed late or the first plateau left at
    survival 1 (tube 0.83, 0.83, 0.70 and 0.83 %). Unmixed: 0.14, 0.10,
    0.14 and 0.14 % (seed 61: the blends reach no pixel of the curve's own
    colour, only its start at survival 1)."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, arm, _match(fig, digitized)[arm]) <= ACCURACY


def test_jpeg_line_split_in_two_colours_is_one_curve():
    """JPEG seed 14: the orange line's pale edge and saturated core were found
    as two colours, the core's pixels then hid the curve as another curve's
    (arm B 1.00 % at t = 14.6 months). One colour: two curves, 0.16 %."""
    style = STYLES["jpeg"]
    fig = render_km_figure(style, default_arms(style, seed=14))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert len(digitized.colors) == 2
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


@pytest.mark.parametrize("name, seed, arm", [("jpeg", 11, "A"), ("grid + jpeg + percent", 25, "A"),
                                             ("grid + jpeg + percent", 21, "B")])
def test_jpeg_curve_start_under_the_other_curve(name, seed, arm):
    """In a JPEG the pixels where the two curves touch near survival 1 mix
    both colours; read as paper, they hid the first drops (tube 0.83, 0.68
    and 0.69 % at t < 1.4 months). Unmixed: 0.14, 0.15 and 0.16 %."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, arm, _match(fig, digitized)[arm]) <= ACCURACY


def test_first_plateau_hidden_all_along_is_at_survival_one():
    """A run that shows nowhere is read from the ink hiding it, unless it is
    the first plateau, which lies at survival 1 (``hidden_level``)."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_corners import _plateau_level

    own = np.zeros((20, 30), dtype=np.float32)
    combined = own.copy()
    combined[9:12] = 1.0  # a line 3 px wide hiding the run, centred on row 10
    unknown = combined > 0.5
    settings = TraceSettings(2.8)
    assert _plateau_level(own, unknown, combined, 9, 0, 29, settings) == pytest.approx(10.0, abs=0.3)
    assert _plateau_level(own, unknown, combined, 9, 0, 29, settings, hidden_level=8.4) == 8.4


@pytest.mark.parametrize("name, seed, arm", [("open frame, legend above", 29, "A"),
                                             ("grid + jpeg + percent", 8, "A"),
                                             ("grid + jpeg + percent", 28, "A")])
def test_curve_starts_at_survival_one_under_the_frame(name, seed, arm):
    """The first plateau of arm A runs under the frame and arm B's line: read
    from that ink it lay 2 px below survival 1 (tube 0.60, 0.70 and 0.70 %,
    t < 1.4 months); now 0.18, 0.14 and 0.15 %."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, arm, _match(fig, digitized)[arm]) <= ACCURACY


def test_drop_a_line_width_tall_is_tried_as_two_steps():
    """Two steps with a plateau narrower than the line (3.5 px under a 4.86 px
    line) are traced as one drop to a level read between the two lower ones,
    here 1.54 line widths below the upper level. Such drops were only tried
    as two from 1.6 line widths (SPLIT_HEIGHT), so the narrow plateau was lost;
    from one line width they are split where the two-step drawing fits."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import _joins, _pieces, _render_each, split_merged_plateaus

    w, end = 4.86, 65.0
    levels, drops = np.array([15.0, 20.0, 25.0, 30.0]), np.array([20.0, 50.0, 53.5])
    truth = _pieces(levels, drops, 0.0, end, w)
    coverage = _render_each(truth[None], np.arange(50.0), np.arange(80.0), _joins(levels, drops)[None],
                            w)[0].astype(np.float32)
    unknown = np.zeros(coverage.shape, dtype=bool)
    levels, drops = split_merged_plateaus(np.array([15.0, 20.0, 27.5]), np.array([20.0, 51.5]), end,
                                          coverage, unknown, TraceSettings(w))
    assert len(drops) == 3
    assert abs(levels[2] - 25.0) < 0.5 and abs(drops[1] - 50.0) < 0.5 and abs(drops[2] - 53.5) < 0.5


@pytest.mark.parametrize("seed", [5, 16, 22])
def test_thick_line_staircase_keeps_its_narrow_plateaus(seed):
    """'thick lines' (3.5 pt, 4.86 px), arm B: plateaus of 3-4 px between
    drops were merged into one drop to a level between the two (tube
    0.50 % on each of seeds 5, 16 and 22 with SPLIT_HEIGHT 1.6; 0.27, 0.21
    and 0.20 % with 1.0)."""
    style = STYLES["thick lines"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= 0.004


def _matplotlib_staircase(levels, drops, end, width_pt, shape):
    """Coverage of a black step line drawn by matplotlib (Agg, no snapping) on a pixel grid.

    Pixel ``(r, c)`` spans ``[c, c + 1] x [r, r + 1]`` in data units, so the
    fit's coordinates (pixel centres at whole numbers) are the data's minus 0.5.
    """
    height, width = shape
    fig = plt.figure(figsize=(width / 100, height / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    ax.step(np.r_[0.0, drops, end], np.r_[levels, levels[-1]], where="post", color="k",
            lw=width_pt, snap=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return 1 - np.asarray(Image.open(buffer).convert("L"), dtype=float) / 255


def test_step_drawing_has_round_joins_like_the_renderer():
    """The fitted drawing of a step curve rounds its corners as matplotlib
    draws them (round joins). Drawn square, a staircase of 3.5 pt drops and
    plateaus a line width or so apart misfit its rendering by 7.3 (sum of
    squared coverage, this staircase); with round joins by 0.45 (the 0.5
    asserted below is that, rounded up: anti-aliasing is not modelled exactly)."""
    from synthesis.step_fit import _joins, _pieces, _render_each

    w = 3.5 * 100 / 72
    levels, drops, end = np.array([20.2, 25.7, 30.1, 34.6, 44.4]), np.array([40.3, 46.1, 47.9, 60.6]), 100.0
    seen = _matplotlib_staircase(levels, drops, end, 3.5, (70, 120))
    rows, cols = np.arange(70.0), np.arange(120.0)
    fit_levels, fit_drops = levels - 0.5, drops - 0.5
    drawn = _render_each(_pieces(fit_levels, fit_drops, -10.0, end - 0.5, w)[None], rows, cols,
                         _joins(fit_levels, fit_drops)[None], w)[0]
    assert ((drawn - seen) ** 2).sum() < 0.5


def test_plateau_traced_across_a_drop_is_tried_as_two():
    """Under a thick line a staircase of plateaus about a line width wide is
    a diagonal band; the trace may run flat across a drop and read one level
    between two ('thick lines', seed 5, arm A: 104.8 and 109.2 px read as
    one plateau at 107.8 px, tube 0.68 %). Such a plateau is split where the
    drawing with a drop inside it fits better."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import _joins, _pieces, _render_each, split_merged_plateaus

    w, end = 4.86, 70.0
    levels, drops = np.array([10.0, 15.0, 20.0, 25.0, 30.0]), np.array([20.0, 26.0, 32.0, 38.0])
    coverage = _render_each(_pieces(levels, drops, 0.0, end, w)[None], np.arange(45.0), np.arange(80.0),
                            _joins(levels, drops)[None], w)[0].astype(np.float32)
    unknown = np.zeros(coverage.shape, dtype=bool)
    got_levels, got_drops = split_merged_plateaus(np.array([10.0, 15.0, 22.5, 30.0]), np.array([20.0, 26.0, 38.0]),
                                                  end, coverage, unknown, TraceSettings(w))
    assert len(got_drops) == 4
    assert np.abs(got_levels - levels).max() < 0.5 and np.abs(got_drops - drops).max() < 0.5


@pytest.mark.parametrize("seed, arm", [(2, "A"), (4, "B"), (26, "A"), (29, "A")])
def test_thick_line_staircase_of_line_wide_plateaus(seed, arm):
    """'thick lines' (4.86 px): staircases of plateaus 1-6 px wide fitted as
    fewer steps with a plateau between two levels (tube 0.61/0.55/0.57/0.86 %);
    with round joins and plateaus tried as two, 0.16/0.25/0.17/0.13 %."""
    style = STYLES["thick lines"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, arm, _match(fig, digitized)[arm]) <= ACCURACY


def test_split_is_tried_only_where_the_line_holds_two_steps():
    """A drop's line one line width wide holds one drop, a plateau's line one
    line width tall one level: no split is tried there (trying every drop and
    plateau made digitizing 3-4 times slower). Two drops 2 px apart traced as
    one widen the drop's line by those 2 px; a drop inside a plateau makes the
    plateau's line taller by the drop."""
    from synthesis.step_fit import (
        _drop_line_width,
        _joins,
        _level_line_height,
        _pieces,
        _render_each,
    )

    w = 4.86
    rows, cols = np.arange(60.0), np.arange(90.0)

    def drawn(levels, drops):
        levels, drops = np.array(levels), np.array(drops)
        return _render_each(_pieces(levels, drops, 0.0, 85.0, w)[None], rows, cols,
                            _joins(levels, drops)[None], w)[0]

    unknown = np.zeros((60, 90), dtype=bool)
    one_drop = drawn([10.0, 30.0], [40.0])
    two_drops = drawn([10.0, 20.0, 30.0], [39.0, 41.0])
    assert _drop_line_width(one_drop, unknown, 10.0, 30.0, 40.0, w) == pytest.approx(w, abs=0.05)
    assert _drop_line_width(two_drops, unknown, 10.0, 30.0, 40.0, w) == pytest.approx(w + 2, abs=0.05)
    one_level = drawn([10.0, 20.0, 40.0], [20.0, 50.0])
    two_levels = drawn([10.0, 20.0, 26.0, 40.0], [20.0, 35.0, 50.0])
    assert _level_line_height(one_level, unknown, 10.0, 40.0, 20.0, 50.0, w) == pytest.approx(w, abs=0.05)
    assert _level_line_height(two_levels, unknown, 10.0, 40.0, 20.0, 50.0, w) == pytest.approx(w + 6, abs=0.05)


def test_dashed_lines_are_fitted_with_square_corners(monkeypatch):
    """Dashes have butt caps: where a dash ends at a step's corner the line is
    cut square, so the round joins of a solid line's drawing do not apply
    (drawn round on dashed lines, 9 dashed curves of seeds 1-42 got worse).
    Every fit of a dashed curve's steps is drawn square, a solid curve's round."""
    from synthesis import step_corners

    calls = []
    for name in ("drop_position", "refine_narrow"):
        original = getattr(step_corners, name)

        def spy(*args, _original=original, **kwargs):
            calls.append(kwargs.get("round_joins", True))
            return _original(*args, **kwargs)

        monkeypatch.setattr(step_corners, name, spy)
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=1))
    digitize_curves(load_figure(fig.image), fig.calibration)
    assert calls and not any(calls)
    calls.clear()
    style = STYLES["default"]
    fig = render_km_figure(style, default_arms(style, seed=1))
    digitize_curves(load_figure(fig.image), fig.calibration)
    assert calls and all(calls)


def test_plateau_split_leaves_the_first_drop_in_place():
    """The first drop, from survival 1 under the frame, is not refitted by a
    plateau split (nor by :func:`refine_narrow`): moved, it went 4 px late
    ('grid + jpeg + percent' seed 2 arm B, tube 0.19 -> 0.91 %)."""
    style = STYLES["grid + jpeg + percent"]
    fig = render_km_figure(style, default_arms(style, seed=2))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= 0.003


def test_mark_repairs_try_drops_near_the_mark_only(monkeypatch):
    """A drop beside a '+' mark on a dotted line was refitted over the whole
    plateau: 805 candidate columns for the last drop of arm B, 'dashed
    colours' seed 23, 3.2 s for the figure (0.3 s for the other seeds 1-30).
    Candidates now stay within REPAIR_REACH line widths of the mark (the
    extracted curves of seeds 1-30 are unchanged; seed 23 takes 0.3 s)."""
    from synthesis import step_fit

    sizes = []
    best_fit = step_fit._best_fit

    def counting(*args, **kwargs):
        sizes.append(args[7].size)
        return best_fit(*args, **kwargs)

    monkeypatch.setattr(step_fit, "_best_fit", counting)
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=23))
    digitize_curves(load_figure(fig.image), fig.calibration)
    # Ten line widths (2.79 px) either side of the mark, a quarter pixel apart.
    assert max(sizes) <= 2 * 10 * 2.8 / 0.25 + 1, max(sizes)


def test_split_search_does_not_fit_one_drawing_twice(monkeypatch):
    """The refits of narrow plateaus and the split search fit the same
    drawing again and again (a second sweep where the first settled, a
    split's estimate made again on a curve changed elsewhere). Fits are
    remembered by the plateaus and drops they read: 'thick lines' seed 1
    made 976 fits, now 884 (digitizing 0.77 -> 0.65 s of CPU), and the
    extracted curves are the same to the bit as with every fit made."""
    from synthesis import step_fit

    style = STYLES["thick lines"]
    fig = render_km_figure(style, default_arms(style, seed=1))
    image = load_figure(fig.image)
    calls = {"asked": 0, "made": 0}
    best_fit, fitted = step_fit._best_fit, step_fit._fitted

    def asked(*args, **kwargs):
        calls["asked"] += 1
        return best_fit(*args, **kwargs)

    def made(*args, **kwargs):
        calls["made"] += 1
        return fitted(*args, **kwargs)

    monkeypatch.setattr(step_fit, "_best_fit", asked)
    monkeypatch.setattr(step_fit, "_fitted", made)
    remembered = [c.points.to_numpy() for c in digitize_curves(image, fig.calibration).curves]
    assert calls["made"] < 0.95 * calls["asked"], calls
    window_misfit = step_fit._window_misfit
    monkeypatch.setattr(step_fit, "_best_fit", lambda *a, **k: best_fit(*a, **{**k, "memo": None}))
    monkeypatch.setattr(step_fit, "_window_misfit", lambda *a, **k: window_misfit(*a, **{**k, "memo": None}))
    every_fit = [c.points.to_numpy() for c in digitize_curves(image, fig.calibration).curves]
    assert len(remembered) == len(every_fit)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(remembered, every_fit))


def test_drawn_join_discs_cover_as_their_nearest_centre():
    """A pixel's cover by round joins is taken from the nearest centre only
    (one square root per pixel, not one per disc); it is the same, to the
    bit, as the deepest cover over all discs."""
    from synthesis.step_fit import _render_each

    rng = np.random.default_rng(3)
    rows, cols, w = np.arange(30.0), np.arange(40.0), 4.86
    joins = np.column_stack([rng.uniform(0, 40, (5, 6)).ravel(), rng.uniform(0, 30, (5, 6)).ravel()]).reshape(5, 6, 2)
    drawn = _render_each(np.empty((5, 0, 4)), rows, cols, joins, w)
    dx = cols[None, None, None, :] - joins[..., 0, None, None]
    dy = rows[None, None, :, None] - joins[..., 1, None, None]
    deepest = np.clip((w / 2 + 0.5 - np.sqrt(dx * dx + dy * dy)).max(axis=1), 0.0, 1.0)
    assert drawn.tobytes() == deepest.tobytes()


def test_summary_and_long_frames(figures):
    fig = figures("no censor marks")
    digitized = digitize_curves(load_figure(fig.image), fig.calibration, colors=["#1f77b4"])
    assert digitized.summary_frame().curve.tolist() == ["#1f77b4"]
    assert list(digitized.points_frame().columns) == ["curve", "time", "survival"]
    assert list(digitized.censor_frame().columns) == ["curve", "time"]
    as_dict = digitized.to_dict()
    assert as_dict["curves"][0]["points"][0] == [0.0, 1.0]
    assert as_dict["calibration"]["x_unit"] == "months"


def test_colour_near_a_found_one_is_taken_as_it(figures):
    fig = figures("no censor marks")
    digitized = digitize_curves(load_figure(fig.image), fig.calibration, colors=["#2080b0"])
    assert [c.color for c in digitized.curves] == ["#1f77b4"]


def test_solid_and_dashed_curves_of_one_colour_are_told_apart(figures):
    fig = figures("solid and dashed black")
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    curves = {c.name: c for c in digitized.curves}
    assert set(curves) == {"#000000-solid", "#000000-dashed"}
    assert _error(fig, "A", curves["#000000-solid"]) <= ACCURACY
    # Arm B, seed 1, missed by 0.75 % until a '--' line's plateaus wider than
    # three line widths kept their edge-read level in the refit (t = 4.6-4.8
    # months: a plateau in a dash gap merged into the drop before it).
    assert _error(fig, "B", curves["#000000-dashed"]) <= ACCURACY



def test_solid_and_dashed_arms_keep_their_identity_before_their_first_crossing():
    """Seed 3: the solid arm drops first and the dashed one crosses it 10 px later.

    Before that crossing the two lines run 3 px apart (line width 2.8 px),
    the upper one showing its dash gaps. With envelopes required to be a
    line width and 2 px apart to count, those columns took the identity of
    the stretch after the crossing and the arms swapped there (0.83 % on A,
    0.78 % on B); now 0.17 % and 0.38 %.
    """
    style = STYLES["solid and dashed black"]
    fig = render_km_figure(style, default_arms(style, seed=3))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    curves = {c.name: c for c in digitized.curves}
    assert _error(fig, "A", curves["#000000-solid"]) <= ACCURACY
    assert _error(fig, "B", curves["#000000-dashed"]) <= ACCURACY


def test_second_curve_of_a_colour_is_followed_off_a_frame_at_survival_1():
    """R 'base bw' seed 7: the dashed arm, its gaps longer than those
    bridged and ending at 28 of 36 months, cost more than the frame at
    survival 1 (another line, followable at half cost) all the way across:
    the second path stayed on the frame and one curve was found (arm B
    37 %). A second path that sees the colour left away from the first in
    fewer than half of its columns is traced again without the axis lines
    (now 1.3 %)."""
    from synthesis.line_evidence import CurveEvidence, TraceSettings
    from synthesis.step_trace import trace_curves

    own = np.zeros((200, 300), dtype=np.float32)
    lines = np.zeros(own.shape, dtype=bool)
    lines[9:12, :] = True  # the frame at survival 1 (row 10)
    row, x = 10, 0
    for drop_at in range(20, 300, 20):  # the solid arm: 10 rows down every 20 columns
        own[row:row + 2, x:drop_at + 2] = 1.0
        own[row:row + 12, drop_at:drop_at + 2] = 1.0
        row, x = row + 10, drop_at
    own[row:row + 2, x:] = 1.0
    dashed = np.zeros_like(own)
    row, x = 10, 0
    for drop_at in range(4, 224, 16):  # the dashed arm: 9 rows down every 16 columns, to column 224
        dashed[row:row + 2, x:drop_at + 2] = 1.0
        dashed[row:row + 11, drop_at:drop_at + 2] = 1.0
        row, x = row + 9, drop_at
    dashed[row:row + 2, x:224] = 1.0
    dashed[:, np.arange(300) % 16 >= 10] = 0.0  # 10 px dashes, 6 px gaps (5 px are bridged)
    own = np.maximum(own, dashed)
    evidence = CurveEvidence(own=own, mask=own > 0.5, other=np.zeros_like(own), lines=lines)
    paths, _ = trace_curves(evidence, 10.0, TraceSettings(2.0))
    # At column 150 the solid arm has dropped 7 times (row 80), the dashed one 10 times (row 100).
    assert sorted(int(p[150]) for p in paths) == [80, 100]


def test_dashed_final_drop_under_marks_is_followed_to_the_mark_at_its_end():
    """R 'base dotted' seed 3 arm A (an lty = 2 dashed curve, drawn by R at
    tests/reference/km_figures_r.R's size): the last drop starts under a
    '+' mark at its top corner, whose removed bar left 12 blank rows, more
    than a dash gap, and the drop was lost (18.6 % of the axis); and a mark
    at its foot hides its last rows. Now the first gap may be a mark's
    reach longer, and the drop ends on the centre of the mark at its foot
    (0.20 %)."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_corners import _final_drop

    coverage = np.zeros((120, 100), dtype=np.float32)
    coverage[19:22, :50] = 1.0  # the last level, row 20
    for row in range(34, 82):  # dashes 8 rows long, 7-row gaps, from 12 rows below the level
        coverage[row, 48:50] = float((row - 34) % 15 < 8)
    path, lines, settings = np.full(100, 20), np.zeros(coverage.shape, dtype=bool), TraceSettings(2.0, gap=7.0)
    moved, column = _final_drop(path, 55, coverage, lines, settings)
    assert column == 48 and moved[60] == 80
    moved, column = _final_drop(path, 55, coverage, lines, settings, np.array([[48.5, 90.0], [20.0, 20.0]]))
    assert column == 48 and moved[60] == 90


def test_path_moved_down_by_a_final_drop_to_the_axis_keeps_a_last_column():
    """'median lines' seed 87: a candidate second path of arm A's colour
    sees the colour only within the reach of a run down to the x axis
    line; followed down it, the path saw its colour in no column and the
    digitizer failed (IndexError). The drop's column is then its last."""
    style = STYLES["median lines"]
    fig = render_km_figure(style, default_arms(style, seed=87))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def test_trace_ends_with_its_own_curve_not_on_another():
    """A curve that ends in a drop below the line of another curve, which
    goes on at the level above: on paper after its end the path paid as
    much at every row, and riding the other curve cost half, so it stayed
    up there and lost the drop ('overlapping arms' seed 131 arm B). A path
    may now end, paying half where its colour shows nowhere near."""
    from synthesis.line_evidence import CurveEvidence, TraceSettings
    from synthesis.step_trace import trace_path

    own = np.zeros((120, 300), dtype=np.float32)
    other = np.zeros_like(own)
    own[10:12, :150] = 1.0  # the curve at row 10 up to column 150,
    own[10:62, 150:152] = 1.0  # a drop of 50 rows,
    own[60:62, 150:180] = 1.0  # and its last plateau, to column 180
    other[10:12, :] = 1.0  # the other curve runs on at row 10 to the edge
    evidence = CurveEvidence(own=own, mask=own > 0.5, other=other, lines=np.zeros(own.shape, dtype=bool))
    path = trace_path(evidence, 10.0, TraceSettings(2.0))
    assert path[140] == 10 and path[170] == 60


def test_stretch_without_dash_evidence_keeps_the_traced_path_in_one_curve():
    """Where two curves of one colour run apart but both fully drawn (no
    gap on either), the dash pattern says nothing and the stretch took the
    identity of the next one: R 'base bw' seed 7, whose arms cross twice
    in the first 13 columns, gave the solid arm the dashed one's plateau
    (0.74 %). The path traced first followed one curve there; it now keeps
    it (0.03 %); 'solid and dashed black' seed 28 arm B 1.00 -> 0.36 %."""
    from synthesis.dashed_lines import split_by_dash_pattern
    from synthesis.line_evidence import TraceSettings

    own = np.zeros((60, 200), dtype=np.float32)
    # Before column 20 both lines are solid, 15 px apart (a whole dash period of
    # x + y: the dash phase votes cancel); there the dashed arm drops past the solid one.
    own[10:12, :21] = 1.0
    own[25:27, :21] = 1.0
    own[10:47, 20:22] = 1.0
    own[25:37, 20:22] = 1.0
    own[35:37, 20:] = 1.0  # the solid arm
    own[45:47, 20:] = np.where(np.arange(20, 200) % 15 < 10, 1.0, 0.0)  # the dashed arm
    upper = np.array([10] * 20 + [35] * 180)
    lower = np.array([25] * 20 + [45] * 180)
    traced = np.array([25] * 20 + [35] * 180)  # the solid arm, on the lower envelope at first
    dashed, solid = split_by_dash_pattern(upper, lower, own, TraceSettings(2.0), traced=traced)
    assert dashed[[0, 19, 25, 199]].tolist() == [10, 10, 45, 45]
    assert solid[[0, 19, 25, 199]].tolist() == [25, 25, 35, 35]


@pytest.mark.parametrize("seed", [28])
def test_dashed_arm_keeps_its_first_plateaus_beside_the_solid_one(seed):
    """'solid and dashed black' seed 28: the dashed arm's first plateau, 3
    columns long, runs 5 px below the frame beside the solid arm's first
    drop, both lines drawn; that stretch took the identity of the next one
    and the dashed arm stayed at survival 1 (arm B 1.00 %, 0.36 % with the
    traced path kept)."""
    style = STYLES["solid and dashed black"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    curves = {c.name: c for c in digitized.curves}
    assert _error(fig, "A", curves["#000000-solid"]) <= ACCURACY
    assert _error(fig, "B", curves["#000000-dashed"]) <= ACCURACY


def _dashed_rows(on: int, off: int, *, width: int = 2, length: int = 400, split_every: int = 0):
    """A mask with a flat dashed line (``on`` px drawn, ``off`` px not) ``width`` rows tall.

    With ``split_every``, every that many gaps hold a 3-px piece of a mark's crossbar
    in their middle, which splits them into two shorter breaks.
    """
    mask = np.zeros((40, length), dtype=bool)
    for k, start in enumerate(range(5, length - on, on + off)):
        mask[20:20 + width, start:start + on] = True
        if split_every and k % split_every == 0:
            middle = start + on + off // 2
            mask[20:20 + width, middle - 1:middle + 2] = True
    return mask


def test_dash_gap_is_measured_not_assumed():
    from synthesis.dashed_lines import measure_dash_gap
    from synthesis.line_evidence import TraceSettings

    # R's lty = 2 at lwd = 2, 110 dpi: about 10 px drawn, 7 px of full paper between.
    r_gap = measure_dash_gap(_dashed_rows(10, 7), 2.3)
    assert r_gap == pytest.approx(7.0)
    # Crossbars that split some gaps leave the longest common break as the gap.
    assert measure_dash_gap(_dashed_rows(10, 7, split_every=3), 2.3) == pytest.approx(7.0)
    # matplotlib's '--' at 2 pt, 100 dpi: 10 on, 4-5 off.
    assert measure_dash_gap(_dashed_rows(10, 4, width=3), 2.8) == pytest.approx(4.0)
    # A solid line, and one break only, are no dash pattern.
    solid = np.zeros((40, 400), dtype=bool)
    solid[20:22, 5:395] = True
    assert measure_dash_gap(solid, 2.3) is None
    solid[20:22, 200:207] = False
    assert measure_dash_gap(solid, 2.3) is None
    # The bridged gap follows the measured one (it was 6 px for any 2.3 px line).
    assert TraceSettings(2.3, r_gap).dash_gap == 8
    assert TraceSettings(2.3).dash_gap == TraceSettings(2.3, 4.0).dash_gap == 6


def test_two_curves_of_one_colour_not_split_are_reported(figures, monkeypatch):
    """An arm that cannot be split from the other arm of its colour is reported, never dropped silently."""
    from synthesis import step_trace

    fig = figures("solid and dashed black")
    # As on R's 'base bw' seed 7 (dev set), where the dashed arm is not traced apart.
    monkeypatch.setattr(step_trace, "_two_curves", lambda *args: False)
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert len(digitized.curves) == 1
    warnings = digitized.curves[0].warnings
    assert any("could not be split from this curve" in w for w in warnings), warnings


@pytest.mark.parametrize("name", ["median lines", "black and grey", "default"])
def test_no_second_curve_is_reported_where_there_is_none(name):
    """Median lines, legends and marks in a curve's colour are not a second curve.

    Seed 2 of 'median lines': the median line's colour spans 33 % of the width
    away from its traced curve, but starts at the y axis, not from a curve.
    """
    for seed in (1, 2):
        fig = render_km_figure(STYLES[name], default_arms(STYLES[name], seed=seed))
        digitized = digitize_curves(load_figure(fig.image), fig.calibration)
        warnings = [w for c in digitized.curves for w in c.warnings]
        assert not any("could not be split" in w for w in warnings), (seed, warnings)


def test_hidden_curve_is_followed_and_reported(figures):
    fig = figures("overlapping |", with_style("overlapping arms", name="overlapping |", censor_marker="|"))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    under = next(c for c in digitized.curves if c.color == "#1f77b4")
    assert any("hidden under the #ff7f0e curve from t = 0" in w for w in under.warnings)
    assert _error(fig, "A", under) <= ACCURACY



def test_hidden_curve_follows_the_covering_line_not_its_marks_ends():
    """Seed 56: arm A, hidden under arm B, drops with it at t = 11.7 months.

    B's marks just after that step stick up to A's level before it, and a
    path along their ends cost as much as one along B's line: A held the
    level until it showed again at 12.0 (0.85 %; 0.15 % now that the other
    curve's mark bars count half as much as its line).
    """
    style = STYLES["overlapping arms"]
    fig = render_km_figure(style, default_arms(style, seed=56))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    under = next(c for c in digitized.curves if c.color == "#1f77b4")
    assert any("hidden under the #ff7f0e curve" in w for w in under.warnings)
    assert _error(fig, "A", under) <= ACCURACY

def test_curve_cut_by_the_legend_is_reported_not_guessed():
    style = with_style("no censor marks", name="legend over curve", legend=(0.35, 0.62))
    fig = render_km_figure(style)
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    warnings = [w for c in digitized.curves for w in c.warnings]
    assert any(w.startswith("not visible from t = ") for w in warnings), warnings


def _panel_and_legend_key(panel: str) -> np.ndarray:
    """A ggplot2-like figure: one curve ending inside the panel, its legend key beside the panel.

    The panel is a grey92 fill (``theme_grey``) or bounded by black axis lines
    only (``theme_classic``); the key is a short segment of the curve's
    colour at the height of its last plateau, 25 px right of the panel.
    """
    image = np.full((300, 420, 3), 255, dtype=np.uint8)
    if panel == "grey fill":
        image[22:258, 34:347] = 235
    else:
        image[258:260, 32:347] = 0
        image[22:260, 32:34] = 0
    red = (248, 118, 109)
    image[29:32, 40:201] = red
    image[29:141, 199:202] = red
    image[139:142, 199:331] = red
    image[139:142, 372:392] = red
    return image


@pytest.mark.parametrize("panel", ["grey fill", "axis lines"])
def test_curve_is_not_followed_out_of_the_panel_into_the_legend(panel):
    """Before, the curve ran flat across the gap into the key, to t = 11.7 (beyond the panel at 10.2)."""
    calibration = AxisCalibration.from_points(x=[(40, 0.0), (340, 10.0)], y=[(250, 0.0), (30, 1.0)])
    (curve,) = digitize_curves(_panel_and_legend_key(panel), calibration).curves
    assert curve.points.time.max() == pytest.approx(290 / 30, abs=0.05)
    assert curve.points.survival.min() == pytest.approx(0.5, abs=0.01)
    assert not curve.warnings


@pytest.mark.parametrize("name", ["default", "solid and dashed black", "dashed colours",
                                  "dashed and dotted, no marks"])
def test_image_to_pseudo_ipd_keeps_median_and_hazard_ratio(figures, name):
    """End to end: figure -> digitized points -> Guyot pseudo-IPD -> median and Cox HR.

    Dashed and dotted arms too, with '+' marks and without.
    """
    from synthesis.reconstruct import reconstruct_ipd
    from synthesis.survival import cox_hazard_ratio, median_survival

    fig = figures(name)
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    true_frames, rebuilt_frames = [], []
    for arm, curve in _match(fig, digitized).items():
        rec = reconstruct_ipd(curve.points, at_risk=fig.at_risk[arm], censor_times=curve.censor_times)
        true_median = median_survival(fig.arms[arm].time, fig.arms[arm].event).estimate
        rebuilt_median = median_survival(rec.ipd.time, rec.ipd.event).estimate
        if true_median is None:
            assert rebuilt_median is None
        else:
            assert rebuilt_median == pytest.approx(true_median, rel=END_TO_END_RELATIVE)
        true_frames.append(fig.arms[arm].assign(arm=arm))
        rebuilt_frames.append(rec.ipd.assign(arm=arm))
    true, rebuilt = pd.concat(true_frames), pd.concat(rebuilt_frames)
    true_hr = cox_hazard_ratio(true.time, true.event, true.arm).hr
    rebuilt_hr = cox_hazard_ratio(rebuilt.time, rebuilt.event, rebuilt.arm).hr
    assert rebuilt_hr == pytest.approx(true_hr, rel=END_TO_END_RELATIVE)


# --- bad input -------------------------------------------------------------

CALIBRATION = AxisCalibration.from_points(x=[(96, 0), (760, 36)], y=[(540, 0), (30, 1)])


def test_blank_image_says_blank():
    with pytest.raises(FigureError, match="blank"):
        find_curve_colors(np.full((600, 800, 3), 255, np.uint8), CALIBRATION)


def test_photo_is_not_a_figure():
    rng = np.random.default_rng(3)
    photo = (rng.random((600, 800, 3)) * 255).astype(np.uint8)
    with pytest.raises(FigureError, match="photograph"):
        digitize_curves(photo, CALIBRATION)


def test_bar_chart_is_not_a_km_figure():
    fig = plt.figure(figsize=(8, 6), dpi=100)
    ax = fig.add_axes((0.12, 0.1, 0.83, 0.85))
    ax.bar([6, 18, 30], [0.2, 0.25, 0.15], width=6, color="#1f77b4")
    ax.set_xlim(0, 36)
    ax.set_ylim(0, 1)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    with pytest.raises(FigureError, match="bar chart"):
        digitize_curves(load_figure(buf.getvalue()), CALIBRATION)


def test_missing_colour_lists_the_colours_found(figures):
    fig = figures("no censor marks")
    with pytest.raises(FigureError, match=r"No curve of colour #00ff00.*#1f77b4"):
        digitize_curves(load_figure(fig.image), fig.calibration, colors=["#00ff00"])


def test_bad_colour_text():
    with pytest.raises(FigureError, match="#rrggbb"):
        dz._match_color("blue", [])


def test_calibration_outside_the_image(figures):
    fig = figures("no censor marks")
    far = AxisCalibration.from_points(x=[(5000, 0), (6000, 36)], y=[(540, 0), (30, 1)])
    with pytest.raises(FigureError, match="outside the image"):
        digitize_curves(load_figure(fig.image), far)


def test_mark_just_before_a_drop_is_found_and_its_upper_half_left_out():
    """A '|' mark shows the line through its middle on both sides; one drawn
    just before a drop shows it on its left only, the drop leaving the line
    on its right. It used to be no mark, its upper half read as a drop onto
    the level ('solid and dashed black' seed 21, arm B). Now it is a mark and
    only its upper half is left out of the evidence: the lower half may lie
    over the drop's line. A bar two marks long (on two levels) stays no mark."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    own = np.zeros((60, 120), dtype=np.float32)
    own[19:22, :80] = 1.0  # the level, 3 px wide, centre row 20
    own[19:40, 80:83] = 1.0  # a drop at column 81 from the level ...
    own[37:40, 80:] = 1.0  # ... to the level at row 38
    for x in (10, 20, 30, 40, 50, 60):
        own[15:26, x] = 1.0  # '|' marks 11 px tall on the level
    own[15:26, 79] = 1.0  # a mark just before the drop
    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    bars = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(3.0))
    assert 79 in bars.centres[:, 0].round().astype(int).tolist()
    assert bars.pixels[15:18, 79].all() and not bars.pixels[23:26, 79].any()
    assert bars.pixels[15:18, 10].all() and bars.pixels[23:26, 10].all()

    two_levels = own.copy()
    two_levels[15:30, 79] = 1.0
    mask = two_levels >= 0.5
    evidence = CurveEvidence(own=two_levels, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    bars = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(3.0))
    assert 79 not in bars.centres[:, 0].round().astype(int).tolist()


def test_marks_are_found_where_short_drops_outnumber_their_bars():
    """R's lwd = 1 lines: a 1 px staircase has more 5-6 px drops than mark
    bars, so the most common long run was a drop's and no mark was found
    (the last mark then read as a final drop; 'base thin' and 'ggplot thin'
    R seeds 4-15, 12 arms B missed by 0.82-1.12 %). The mark's length is now
    taken among the runs with the line through their middle on both sides."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    own = np.zeros((120, 200), dtype=np.float32)
    row, x = 10, 0
    for drop_at in range(12, 192, 12):  # 15 drops of 5 rows on a 1 px line
        own[row, x:drop_at + 1] = 1.0
        own[row:row + 6, drop_at] = 1.0
        row, x = row + 5, drop_at
    own[row, x:] = 1.0
    rows = np.argmax(own, axis=0)
    marks = (5, 17, 29, 41, 53, 65, 77)  # 7 '+' bars 11 px tall, mid-level
    for m in marks:
        own[rows[m] - 5:rows[m] + 6, m] = 1.0
    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    bars = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(1.0))
    assert sorted(bars.centres[:, 0].round().astype(int).tolist()) == list(marks)


def test_the_marks_length_is_centred_among_all_runs_near_the_crossed_ones():
    """'overlapping arms' seed 1 arm A: the runs crossed in the middle were
    10 px long 36 times, 11 px once, so that their smoothed counts tied at
    10 and 11 and 10 was taken; 9 px drops were then taken for marks' bars
    and 12 px bars missed (0.18 % -> 0.70 %). All long runs (marks beside
    drops among them) peak at 11 there: the crossed runs only tell which
    peak is the marks'."""
    from synthesis.censor_marks import _typical_length

    # The long runs' lengths of that colour (6-29 px), measured.
    all_counts = [0] * 6 + [34, 30, 9, 7, 61, 19, 9, 6, 7, 4, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1]
    lengths = np.repeat(np.arange(len(all_counts)), all_counts)
    crossed = np.repeat([10, 11], [36, 1])
    assert _typical_length(lengths, near=_typical_length(crossed)) == 11
    # Drops of 5-6 px outnumbering 12-13 px bars (R's lwd = 1): the crossed runs pick the bars' peak.
    lengths = np.repeat([5, 6, 12, 13], [40, 30, 8, 6])
    assert _typical_length(lengths) == 5
    assert _typical_length(lengths, near=_typical_length(np.repeat([12, 13], [5, 4]))) == 12


def test_a_faint_one_pixel_staircase_is_followed_off_a_frame_at_survival_1():
    """A 1 px line straddling two rows (half coverage each) costs nearly as
    much per column as a grey frame line at survival 1, and each of its
    many drops costs more: the cheapest path stayed on the frame ('base
    thin' R seed 7 arm B, with its marks' bars left out: no curve). A path
    that sees its colour in fewer than half of the colour's columns is now
    traced again without the axis lines hiding the curve."""
    from synthesis.line_evidence import CurveEvidence, TraceSettings
    from synthesis.step_trace import trace_curves

    own = np.zeros((100, 300), dtype=np.float32)
    lines = np.zeros(own.shape, dtype=bool)
    lines[9:11, :] = True  # the frame at survival 1 (row 10)
    row, x = 10, 0
    for drop_at in range(8, 292, 8):  # a drop of 2 rows every 8 columns
        own[row:row + 2, x:drop_at + 1] = 0.5
        own[row:row + 4, drop_at] = 0.5
        row, x = row + 2, drop_at
    own[row:row + 2, x:] = 0.5
    evidence = CurveEvidence(own=own, mask=own > 0, other=np.zeros_like(own), lines=lines)
    paths, _ = trace_curves(evidence, 10.0, TraceSettings(1.6))
    assert len(paths) == 1
    assert abs(int(paths[0][-1]) - row) <= 1  # the staircase's last level, not the frame


def test_mark_just_before_a_dashed_drop_is_not_read_as_one():
    """'solid and dashed black' seed 21, arm B: a mark 2 px before a drop was
    no mark (the line not flat on its right), and its upper half was read as
    the drop onto its level, 4.6 px late: 0.92 % before, 0.28 % now."""
    style = STYLES["solid and dashed black"]
    fig = render_km_figure(style, default_arms(style, seed=21))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def _step_beside_a_mark(upper: int, lower: int, bar: tuple[int, int]):
    """Evidence of a 3 px line: a level at row ``upper`` up to a drop at column
    79 to a level at row ``lower`` (a '+' crossbar reaching left to column 76),
    '|' marks 11 px tall on the upper level, and a mark's bar over the rows
    ``bar`` a column after the drop."""
    from synthesis.line_evidence import CurveEvidence

    own = np.zeros((60, 120), dtype=np.float32)
    own[upper - 1:upper + 2, :81] = 1.0
    own[upper - 1:lower + 2, 78:81] = 1.0
    own[lower - 1:lower + 2, 76:] = 1.0
    for x in (10, 20, 30, 40, 50, 60):
        own[upper - 5:upper + 6, x] = 1.0
    own[bar[0]:bar[1], 81] = 1.0
    mask = own >= 0.5
    return CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))


def test_drop_beside_a_mark_is_not_cut_with_the_mark():
    """A mark's bar is left out a column either way (its blurred edges); a
    drop drawn in that column used to be cut with it and end short of its
    level. Now the column's drop side is kept where its ink runs on beyond
    the mark by more than half a bar; a mark's own edge column is still
    left out."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, TraceSettings

    evidence = _step_beside_a_mark(upper=20, lower=38, bar=(33, 44))
    bars = find_mark_bars(evidence, ColumnRuns.of(evidence.mask), TraceSettings(3.0))
    assert 81 in bars.centres[:, 0].round().astype(int).tolist()
    assert not bars.pixels[30:37, 80].any()  # the drop runs on down to its level
    assert bars.pixels[33:36, 81].all() and bars.pixels[41:44, 81].all()
    assert bars.pixels[41:44, 80].all()  # below the level the column is the mark's edge
    assert bars.pixels[15:18, 9].all()  # a mark's edge column on a level is left out


def test_drop_beside_a_mark_within_its_bar_is_kept_on_a_solid_line():
    """A drop in the column beside a mark's bar that ends within the bar
    (a 5 px drop beside a 13 px bar) was left out with the bar's blurred
    edge ('thin lines' seeds 25 and 39 arm A, 0.87 % and 1.12 %: a drop
    read 6 px early, a 7 px plateau lost). A bar's edge is
    alike on both sides of the line it crosses, a drop fills one side: that
    side is now kept when the other is paper. Not on a dashed line (a
    measured dash gap), whose levels may lie in a gap ('base bw' R seed 1
    arm B, 0.25 % -> 1.01 % when kept there)."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    own = np.zeros((50, 90), dtype=np.float32)
    own[17, :32] = 1.0
    own[17:23, 31] = 1.0  # a 5 px drop in the column after the mark at 30
    own[22, 31:] = 1.0
    for x in (4, 11, 30, 50, 57, 64, 71):
        row = 17 if x <= 30 else 22
        own[row - 6:row + 7, x] = 1.0  # '+' marks 13 px tall and wide
        own[row, x - 6:x + 7] = 1.0
    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    bars = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(1.0))
    assert 30 in bars.centres[:, 0].round().astype(int).tolist()
    assert not bars.pixels[19:23, 31].any()  # the drop
    assert bars.pixels[19:24, 29].all()  # the bar's edge column on the other side is left out
    dashed = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(1.0, gap=4.0))
    assert dashed.pixels[19:23, 31].all()


def test_crossbar_over_a_drop_taller_than_half_a_bar_is_left_out():
    """R's lwd = 1 figures: a '+' mark on a drop taller than half its bar has
    the drop's line run on past the bar's end. Its crossbar's part beyond
    the drop lies over the lower level and was kept, because that level lay
    more than half a bar from the mark's centre: the drop was read at the
    crossbar's end ('ggplot thin' seed 3 arm A, 1.22 %). A drop's line seen
    in the bar's columns from the crossbar to the level now places it under
    the mark too; a level farther below with no drop line to it does not."""
    from synthesis.censor_marks import _leave_out_overhang
    from synthesis.line_evidence import CurveEvidence, TraceSettings

    own = np.zeros((50, 60), dtype=np.float32)
    own[17, :37] = 1.0  # the level and the crossbar of a '+' 13 px wide at column 30
    own[11:24, 30] = 1.0  # its bar, 6 px either way
    own[17:25, 31] = 1.0  # a 7 px drop beside the bar
    own[24, 31:] = 1.0
    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    pixels = np.zeros_like(mask)
    _leave_out_overhang(pixels, evidence, 17.0, (30, 30), (24, 36), 6.0, TraceSettings(1.0))
    assert pixels[17, 32:37].all() and not pixels[17, :30].any()

    no_drop = own.copy()
    no_drop[18:24, 31] = 0.0  # the level below reached elsewhere: no line from the crossbar to it
    mask = no_drop >= 0.5
    evidence = CurveEvidence(own=no_drop, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    pixels = np.zeros_like(mask)
    _leave_out_overhang(pixels, evidence, 17.0, (30, 30), (24, 36), 6.0, TraceSettings(1.0))
    assert not pixels.any()


def test_a_bar_ending_on_an_overhanging_crossbar_is_cut_there():
    """A mark on the level below such a drop has its bar's end on the upper
    mark's crossbar: its run was a bar and a line long, not taken for a
    mark, and read as the drop ('ggplot thin' seed 3 arm B, 4 px late,
    1.13 %; 'base thin' R seed 10 arm A, 1.44 %). A run that ends on a
    crossbar left out as overhanging is now cut there when a mark's length
    is left, column by column across a bar two columns wide; not where the
    crossbar was kept (a drop's line from its level)."""
    from synthesis.censor_marks import _cut_at_crossbars, _Taken
    from synthesis.line_evidence import TraceSettings

    mask = np.zeros((50, 60), dtype=bool)
    mask[17, 24:37] = True  # the upper mark's crossbar
    mask[17:31, 34:36] = True  # a bar 13 px long (rows 18-30), two columns wide, touching it
    taken = _Taken.none(mask.shape)
    taken.crossbars[16:19, 24:37] = True
    cols, starts, ends = np.array([34, 35]), np.array([17, 17]), np.array([30, 30])
    kept, _, _ = _cut_at_crossbars(mask, taken, cols, starts, ends, 12, TraceSettings(1.0))
    assert not kept.any()
    taken.overhangs[17, 32:34] = taken.pixels[17, 32:34] = True  # the crossbar's part beyond the drop, left out
    touching, starts, ends = _cut_at_crossbars(mask, taken, cols, starts, ends, 12, TraceSettings(1.0))
    assert touching.all() and starts.tolist() == [18, 18] and ends.tolist() == [30, 30]


@pytest.mark.parametrize("seed", [18, 23])
def test_mark_a_pixel_after_a_drop_keeps_the_drop(seed):
    """'thin lines' arm A: a '+' mark a pixel after a drop cut the drop short
    of its level. Seed 18 (the curve's last drop, its level read 9 px high):
    1.77 % before, 0.10 % now; seed 23 (the drop runs 5 rows beyond a mark
    drawn on it): 1.14 % before, 0.11 % now."""
    style = STYLES["thin lines"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


@pytest.mark.parametrize("seed, before", [(23, 0.0319), (44, 0.0144), (67, 0.0101)])
def test_solid_and_dashed_black_keep_their_identity_at_the_start(seed, before):
    """'solid and dashed black': the solid arm A and the dashed arm B
    swapped from time 0 to where they first cross, the first stretch apart
    showing no gap column on either (the dashed one's gaps fell on its
    drops or under the other curve) and being outvoted by the switch cost.
    The dash phase along x + y (:func:`~synthesis.dashed_lines.dash_phase`)
    now votes per pixel. Arm A before: ``before``; now 0.11-0.12 %. Arm B
    improves (3.21 / 1.82 / 1.31 % to 0.82 / 0.91 / 0.71 %) but is not
    asserted: it still misses on seed 23 at t = 10.4-11.7 (a drop in a
    dash gap), on 44 at the start (0-1.3) and on 67 at t = 1.3-2.7."""
    style = STYLES["solid and dashed black"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    named = {c.name.rsplit("-", 1)[1]: c for c in digitized.curves}
    assert _error(fig, "A", named["solid"]) <= ACCURACY < before


def test_dash_phase_of_a_dashed_staircase():
    """A staircase dashed along its length (dash 10 px, gap 5 px, as a
    renderer walks the path): the period and the phase of the dashes come
    out of the ink summed along x + y, whatever the steps, with a solid
    staircase of the same colour beside it."""
    from synthesis.dashed_lines import dash_phase
    from synthesis.line_evidence import TraceSettings

    own = np.zeros((200, 400), dtype=np.float32)
    rng = np.random.default_rng(5)
    for dashed, start in ((True, 10), (False, 40)):
        x, y, walked = 0, start, 0
        while x < 399 and y < 197:
            if dashed and walked % 15 >= 10:
                pass  # a gap
            else:
                own[y - 1:y + 2, x] = 1.0
            walked += 1
            if rng.random() < 0.2:
                y += 1
            else:
                x += 1
    period, theta = dash_phase(own, TraceSettings(3.0))
    assert period == pytest.approx(15.0, abs=0.05)
    # The dashed staircase's first dash covers x + y = 10-19 and its gap 20-24.
    assert np.cos(2 * np.pi * 14.5 / period + theta) > 0.9
    assert np.cos(2 * np.pi * 22.0 / period + theta) < -0.5


def test_a_long_dash_blank_hides_its_steps_and_gets_one_drop_midway():
    """R's lty = 2: dashes and blanks of 4 line widths each, the pattern
    running on along the path. A staircase (a 10 px drop every 25 px) is
    drawn with 9 px dashes and 9 px blanks; the blank centred on the corner
    at (270, 120) leaves the drop's lower half and the next level's start
    undrawn. Two fits that differ only in that blank, the true corner and
    the drop's dash end read as a level (the fit's error on R seed 5, t =
    4.0 months: 5.8 px), come out the same: one drop at the middle of the
    blank (272.3), within half the blank's width of either; the other
    corners, on dashes, are left as they were."""
    from synthesis.dashed_lines import hedge_dash_gaps
    from synthesis.line_evidence import TraceSettings

    period, on = 18.0, 9.0
    drops = np.arange(20.0, 400.0, 25.0)
    levels = 10.0 + 10.0 * np.arange(drops.size + 1)
    xs = np.repeat(np.concatenate([[0.0], drops, [420.0]]), 2)[1:-1]
    ys = np.repeat(levels, 2)
    own = np.zeros((200, 430), dtype=np.float32)
    for k in range(xs.size - 1):
        for t in np.arange(0.0, 1.0, 0.02):
            x, y = xs[k] + t * (xs[k + 1] - xs[k]), ys[k] + t * (ys[k + 1] - ys[k])
            if (x + y) % period < on:
                own[round(y) - 1:round(y) + 1, round(x) - 1:round(x) + 1] = 1.0
    settings = TraceSettings(2.0, gap=period - on)
    k = int(np.nonzero(drops == 270.0)[0][0])
    # The fit's error: the drop stops where its dash ends (115.6) and goes on where the level shows.
    late_levels = np.insert(levels, k + 1, 115.6)
    late_drops = np.insert(drops, k + 1, 274.6)
    true_fit = hedge_dash_gaps(levels, drops, 420.0, own, settings)
    late_fit = hedge_dash_gaps(late_levels, late_drops, 420.0, own, settings)
    # Alike but where the blank starts: on the drop (true fit) or on the level at its dash end.
    np.testing.assert_allclose(true_fit[0], late_fit[0], atol=0.1)
    np.testing.assert_allclose(true_fit[1], late_fit[1], atol=0.1)
    got_levels, got_drops = true_fit
    j = int(np.argmin(np.abs(got_drops - 272.3)))
    assert got_drops[j] == pytest.approx(272.3, abs=0.6)
    assert got_drops[j - 1] == pytest.approx(270.0)
    assert got_levels[j] == pytest.approx(115.6, abs=0.6)
    assert got_levels[j + 1] == pytest.approx(120.0)


@pytest.mark.parametrize("name, seed, arm", [("solid and dashed black", 22, "B"),
                                              ("dashed colours", 16, "A")])
def test_a_short_plateau_in_a_dash_blank_is_hedged(name, seed, arm):
    """matplotlib's '--' leaves blanks of 1.6 line widths (4.4 px). On
    'solid and dashed black' seed 22, arm B, the plateau at 0.69 (t = 6.3
    months) lies wholly in one: its drop's dash ends at the corner and the
    next dash starts on the drop after it, and the fits read the plateau
    3.1 px low (0.59 %); 'dashed colours' seed 16, arm A, missed by 0.55 %
    the same way. The curve in each blank is now one drop midway across it:
    0.27 % and 0.22 %."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, arm, _match(fig, digitized)[arm]) <= ACCURACY


def test_crossbar_overhanging_a_drop_is_left_out():
    """A '+' mark drawn less than half a bar before a drop has the right end
    of its crossbar beyond the drop, on the level the curve has left; it was
    followed as the line and the drop put at the crossbar's end. Now, where
    the lower level shows under it within half a bar, that end is left out
    with the mark. Where a mark's bar crosses the lower level within half a
    bar, that level may be the other mark's crossbar: nothing is left out.
    On a dashed line nothing is either (its levels may lie in a gap)."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    def bars_of(own):
        mask = own >= 0.5
        evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
        return find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(3.0))

    own = np.zeros((60, 120), dtype=np.float32)
    own[19:22, :80] = 1.0  # the upper level, 3 px wide, centre row 20
    own[19:27, 79] = 1.0  # a drop at column 79 ...
    own[24:27, 79:] = 1.0  # ... to the level at row 25, within the bar's reach
    for x in (10, 20, 30, 40, 50, 60, 76):
        own[15:26, x] = 1.0  # '+' marks: bars 11 px tall ...
        own[19:22, x - 5:x + 6] = 1.0  # ... and crossbars 11 px wide on the upper level
    bars = bars_of(own)
    assert 76 in bars.centres[:, 0].round().astype(int).tolist()
    assert bars.pixels[19:22, 80:82].all()  # beyond the drop, over the lower level
    assert not bars.pixels[19:22, 78].any()  # before the drop the crossbar is the line

    on_both = own.copy()
    on_both[20:31, 84] = 1.0  # a mark on the lower level, 5 px after the drop ...
    on_both[24:27, 79:90] = 1.0  # ... its crossbar reaching back under the first one's
    bars = bars_of(on_both)
    assert {76, 84} <= set(bars.centres[:, 0].round().astype(int).tolist())
    assert not bars.pixels[19:22, 80:82].any()
    assert not bars.pixels[24:27, 80:82].any()

    dashed = own.copy()
    dashed[:, [2, 3, 17, 27, 37, 47, 57, 67, 68]] = 0.0  # empty columns: gaps in the line
    bars = bars_of(dashed)
    assert 76 in bars.centres[:, 0].round().astype(int).tolist()
    assert not bars.pixels[19:22, 80:82].any()


def _two_marks_around_a_drop(drop_at: int, upper: int, lower: int, blur: float = 0.2) -> np.ndarray:
    """A 1 px staircase (row 17 to row 22 at ``drop_at``) with '+' marks 13 px tall and wide.

    Marks at ``upper`` on the upper level and ``lower`` on the lower one,
    six more on flat parts; the bars' columns either side are covered
    ``blur``, the drop's 0.35 (a drop line wider than a mark's bar).
    """
    own = np.zeros((50, 90), dtype=np.float32)
    own[17, :drop_at + 1] = 1.0
    own[22, drop_at:] = 1.0
    for x in (4, 11, upper, lower, 50, 57, 64, 71):
        row = 17 if x in (4, 11, upper) else 22
        for side in (-1, 1):
            own[row - 6:row + 7, x + side] = np.maximum(own[row - 6:row + 7, x + side], blur)
        own[row, x - 6:x + 7] = 1.0
        own[row - 6:row + 7, x] = 1.0
    for side in (-1, 1):
        own[17:23, drop_at + side] = np.maximum(own[17:23, drop_at + side], 0.35)
    own[17:23, drop_at] = 1.0
    return own


def _found_bars(own: np.ndarray):
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    return find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(1.0))


def test_crossbar_beyond_the_other_levels_mark_overhangs():
    """'thin lines' seed 19 arm B: marks on two levels a pixel either side
    of a 5 px drop, each crossbar overhanging it. A mark's bar across the
    other level kept the whole crossbar (which of two overhangs cannot be
    told), and the upper one was followed 6 px past the drop (1.03 %). A
    Kaplan-Meier curve's marks on the upper level lie before the drop and
    those on the lower level after it: beyond the lower mark, the upper
    crossbar overhangs (and before the upper mark, the lower one)."""
    bars = _found_bars(_two_marks_around_a_drop(drop_at=31, upper=30, lower=31))
    assert {30, 31} <= set(bars.centres[:, 0].round().astype(int).tolist())
    assert bars.pixels[17, 33:37].all()  # the upper crossbar beyond the lower mark
    assert bars.pixels[22, 25:29].all()  # the lower crossbar before the upper mark


def test_the_bar_a_hidden_drop_passes_down_has_its_crossbar_overhang_left_out():
    """'thin lines' seed 34 arm B: marks 5 px apart on two levels, the drop
    under the lower mark's bar; between them both crossbars show, and the
    lower one was followed, the drop read 5 px early (0.89 %). The bar the
    drop passes down has more coverage in its half towards the other level
    than in the mirror half (the drop line's blurred edges): that mark's
    crossbar overhangs. With no such difference, both are kept."""
    bars = _found_bars(_two_marks_around_a_drop(drop_at=30, upper=25, lower=30))
    assert {25, 30} <= set(bars.centres[:, 0].round().astype(int).tolist())
    # Columns 27-28: off the blurred edges of both bars (left out with them).
    assert bars.pixels[22, 27:29].all()  # the lower crossbar, left of its bar
    assert not bars.pixels[17, 27:29].any()  # the upper one is the line
    bars = _found_bars(_two_marks_around_a_drop(drop_at=25, upper=25, lower=30))
    assert bars.pixels[17, 27:29].all()  # the drop under the upper mark: its crossbar overhangs
    assert not bars.pixels[22, 27:29].any()
    flat = _two_marks_around_a_drop(drop_at=30, upper=25, lower=30)
    flat[17:23, [29, 31]] = 0.2  # the drop line no wider than the bar: no telling
    bars = _found_bars(flat)
    assert not bars.pixels[17, 27:29].any()
    assert not bars.pixels[22, 27:29].any()


def test_crossbar_of_a_one_pixel_line_off_its_bars_middle_row_is_left_out():
    """A line a pixel wide lies in one row, its marks' bars centred half a
    pixel off it (snapped to pixels apart). The overhanging part of a
    crossbar was looked for through the row nearest the bar's centre only
    (row 22 for a centre of 21.5), missed the crossbar in row 21 and was
    followed as the line ('thin lines' seed 3 arm A, a 4 px plateau lost).
    Now the other row next to the centre is tried too."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    own = np.zeros((60, 120), dtype=np.float32)
    own[21, :80] = 1.0  # the upper level, 1 px wide, row 21
    own[21:27, 79] = 1.0  # a drop at column 79 ...
    own[26, 79:] = 1.0  # ... to the level at row 26, within the bar's reach
    for x in (10, 20, 30, 40, 50, 60, 76, 95, 105):
        row = 21 if x < 79 else 26
        own[row - 5:row + 7, x] = 1.0  # '+' marks: bars 12 px tall, centred on row + 0.5 ...
        own[row, x - 6:x + 7] = 1.0  # ... and crossbars 13 px wide on the line
    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    bars = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(1.0))
    assert 76 in bars.centres[:, 0].round().astype(int).tolist()
    assert bars.pixels[21, 80:83].all()  # beyond the drop, over the lower level
    assert not bars.pixels[21, 77:79].any()  # before the drop the crossbar is the line


def test_run_along_crossbars_a_pixel_off_the_line_is_no_step():
    """The geometry of :func:`_fold_crossbar_runs`: a run of the path on
    crossbar pixels only, within a pixel of the next level, is folded into
    it with no weight; farther than a pixel, or partly off the crossbars,
    it stays a level of its own, as it does next to a level on crossbars
    only (either may be the line)."""
    from synthesis.step_corners import _fold_crossbar_runs

    path = np.array([10] * 5 + [20] * 4 + [21] * 6)
    starts, ends = np.array([0, 5, 9]), np.array([4, 8, 14])
    crossbars = np.zeros((40, 15), dtype=bool)
    crossbars[19:23, 4:12] = True  # a '+' mark's crossbar over columns 4-11
    weights, keep = np.array([5, 4, 6]), np.array([True, True, True])

    def folded(levels, bars=crossbars):
        return _fold_crossbar_runs(np.array(levels), weights, keep, path, starts, ends, bars)

    w, k = folded([10.0, 20.1, 21.0])  # 0.9 px above the next level
    assert w.tolist() == [5, 0, 6] and k.tolist() == [True, True, False]
    w, k = folded([10.0, 19.5, 21.0])  # 1.5 px: a step
    assert w.tolist() == [5, 4, 6] and k.all()
    partly = crossbars.copy()
    partly[20, 8] = False  # one column of the run off the crossbar
    w, k = folded([10.0, 20.1, 21.0], partly)
    assert w.tolist() == [5, 4, 6] and k.all()
    both = crossbars.copy()
    both[19:23, :] = True  # the next level on crossbars too
    w, k = folded([10.0, 20.1, 21.0], both)
    assert w.tolist() == [5, 4, 6] and k.all()
    assert _fold_crossbar_runs(np.array([10.0, 20.1, 21.0]), weights, keep, path, starts, ends,
                               None)[1].all()


def test_run_along_crossbars_on_a_dashed_line_is_no_step():
    """Arm A, seed 21, 'dashed colours' ('--' line): after the drop at
    t = 17.39 the path ran on the crossbars of the marks at t = 17.40-17.57,
    0.6 px above the level, and was read as a step of its own until
    t = 17.58 (0.26 % at t = 16.8-18.2). Folded into the level as on a solid
    line (:func:`synthesis.step_corners._fold_crossbar_runs`, now on every
    line but a dotted one): one level from the drop to t = 18.27 (0.16 %)."""
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=21))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    points = _match(fig, digitized)["A"].points
    # No corner between the drop and t = 18.2.
    assert points[(points.time > 17.45) & (points.time < 18.2)].empty, points


def test_touching_marks_after_a_drop_leave_no_step_a_pixel_tall():
    """Arm A, seed 25, plain styles: two touching '+' marks just after the
    drop at t = 20.15, their crossbars snapped a pixel above the line, were
    followed as a level 0.9 px above the next for 3.7 px: a second drop at
    t = 20.35, past the 0.5 % time tolerance (tube 0.28 % in 'default',
    'grid', 'red/green', 'black and grey', 'percent axis' and 'days axis';
    0.11 % without it). One drop now."""
    style = STYLES["default"]
    fig = render_km_figure(style, default_arms(style, seed=25))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    points = _match(fig, digitized)["A"].points
    near = points[(points.time > 19.9) & (points.time < 20.8)]
    assert near.survival.nunique() == 2, near
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


def test_touching_marks_on_two_levels_are_two_marks():
    """Two '+' marks a pixel apart on two levels (a narrow plateau's and the
    next level's) have bars that overlap in adjacent columns. Grouped as one
    bar, they showed the line through neither middle and were no mark; left
    in, they were a drop line that the trace took from the upper level past
    the plateau. Each level's columns are now a bar of their own: both are
    marks, and the part of each bar off its line is left out."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    own = np.zeros((60, 120), dtype=np.float32)
    own[12:14, :61] = 1.0  # the upper level, 2 px wide, rows 12-13
    own[12:28, 60] = 1.0  # a drop to ...
    own[26:28, 60:68] = 1.0  # ... a plateau at rows 26-27, to column 67
    own[26:33, 67] = 1.0  # a drop to ...
    own[31:33, 67:] = 1.0  # ... the lower level at rows 31-32
    for x in (10, 20, 30, 40, 50, 90, 100):
        row = 12 if x < 60 else 31
        own[row - 5:row + 6, x] = 1.0  # '+' marks: bars 11 px tall ...
        own[row:row + 2, x - 5:x + 6] = 1.0  # ... and crossbars 11 px wide
    own[22:33, 67] = 1.0  # a mark at the plateau's end (over the drop) ...
    own[26:28, 62:73] = 1.0
    own[26:37, 68] = 1.0  # ... touching one on the lower level
    own[31:33, 63:74] = 1.0
    mask = own >= 0.5
    evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
    bars = find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(2.0))
    found = {(round(x), round(y)) for x, y in bars.centres}
    assert {(67, 27), (68, 31)} <= found
    # Each bar is left out off its line, the line beside the marks is kept.
    assert bars.pixels[22:25, 67].all() and bars.pixels[34:37, 68].all()
    assert not bars.pixels[26:28, 64].any() and not bars.pixels[31:33, 71].any()


@pytest.mark.parametrize(("style", "seed"), [("thin lines", 3), ("thin lines", 13),
                                             ("open frame, legend above", 3),
                                             ("open frame, legend above", 13)])
def test_plateau_under_touching_marks_is_kept(style, seed):
    """Arm A: a plateau 5-7 px wide whose mark touches the next level's had
    the two marks' bars taken for one drop line, the plateau lost
    ('thin lines' 13: 0.95 % before; 'open frame, legend above' 3 and 13:
    1.12 and 0.94 % before)."""
    figure_style = STYLES[style]
    fig = render_km_figure(figure_style, default_arms(figure_style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


@pytest.mark.parametrize("seed", [17, 49, 52, 70])
def test_drop_under_a_crossbar_is_not_moved_to_its_end(seed):
    """'thin lines' arm A: a '+' mark less than half a bar from a drop, its
    crossbar followed past the drop as the line, put the drop 3.5-5 px off
    (seeds 17, 49, 52, 70: 0.92, 0.88, 1.02, 0.83 % before; 0.16, 0.13,
    0.10, 0.14 % now)."""
    style = STYLES["thin lines"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


@pytest.mark.parametrize("seed", [25, 28])
def test_curve_ending_on_a_raised_x_axis_drops_below_it(seed):
    """Arm B falls below survival 0.2 where its line lies 3 px above the x
    axis line (of a y axis from 0.2): the drop is hidden under that line, and
    the curve ended at 0.2065 (tube 0.65 %). It now drops to the axis there,
    with a warning saying so."""
    style = STYLES["y axis from 0.2"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    curve = _match(fig, digitized)["B"]
    assert _error(fig, "B", curve) <= ACCURACY
    assert curve.points.survival.iloc[-1] == pytest.approx(0.2, abs=0.002)
    assert any(w.startswith("ends on the x axis line") for w in curve.warnings), curve.warnings


def test_drop_below_the_axis_only_when_it_cannot_show():
    """The geometry of :func:`dz._ends_on_axis_line`: a 2.8 px line whose lower
    edge lies less than a line width above a 1 px axis line at row 100."""
    axis = (100.0, 1)
    assert dz._ends_on_axis_line(97.0, axis, 2.8)  # gap 99.5 - 98.4 = 1.1 px
    assert dz._ends_on_axis_line(96.0, axis, 2.8)  # gap 2.1 px
    assert not dz._ends_on_axis_line(95.0, axis, 2.8)  # gap 3.1 px: a drop would show
    assert not dz._ends_on_axis_line(100.0, axis, 2.8)  # on the axis: nothing hidden below
    assert not dz._ends_on_axis_line(97.0, None, 2.8)  # no axis line found


def test_first_plateau_under_the_axis_and_the_other_curve_is_not_at_survival_one():
    """Arm A drops at t = 0.02 months, under the y axis line and arm B's first
    drop, to 0.9917; its line shows first where it drops again at t = 0.22,
    from 4 px below survival 1, with paper above. Read as a plateau at
    survival 1 up to t = 0.22 (``hidden_level``): tube 0.83 %; now 0.14 %."""
    style = STYLES["grid + jpeg + percent"]
    fig = render_km_figure(style, default_arms(style, seed=35))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


def test_first_plateau_hidden_under_the_other_curve_ends_where_its_row_shows_paper():
    """Arm A drops at t = 0.17 months under arm B's first drop, to 0.9917;
    the row below the frame shows paper for two columns before the path goes
    down and in the column where it does, where a drop from survival 1 would
    have inked it. The paper in the path's own run alone (2 px, less than
    the 2.8 px line) was not enough: read at survival 1 up to t = 0.37,
    tube 0.83 %."""
    style = STYLES["risk table"]
    fig = render_km_figure(style, default_arms(style, seed=33))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


def test_thick_line_at_survival_one_is_not_read_from_its_lower_half():
    """A 4.9 px line at survival 1 shows only its lower half under the frame
    (the upper half is clipped to the axes) where arm A runs under it: that
    run, 2 px below survival 1, was read from the paper above the axes as a
    first drop to 0.9944 at t = 0.09 months (tube 0.56 %). Rows within half
    a line width below survival 1 are on its line."""
    style = STYLES["thick lines"]
    fig = render_km_figure(style, default_arms(style, seed=21))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def test_thick_line_drop_just_after_the_start_is_not_put_at_survival_one():
    """Arm A drops at t = 0.02 months to 0.9917, 4.2 px down; the top edge of
    its 4.9 px line shows a row below the frame, with paper above it, within
    half a line width of survival 1. That run is a lower level, not the line
    at survival 1 (tube 0.83 % when put there; 0.12 % on main)."""
    style = STYLES["thick lines"]
    fig = render_km_figure(style, default_arms(style, seed=25))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


def test_runs_on_the_start_line_are_those_without_paper_above():
    """:func:`_on_start_line` on a drawn case: a 5 px line at survival 1
    (row 10), its upper half clipped above the frame; the path runs at row 11
    in column 0, at row 12 in columns 1-5 (within half a line width of row
    10) and at row 20 after. With the line's lower half inked in rows 11-12
    and another curve under it, the second run lies on the line at survival
    1; with paper in row 11 above it, it is the top edge of a lower line. A
    second run on row 11, just below the frame, has no row between to tell."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_corners import _on_start_line

    own = np.zeros((30, 20), dtype=np.float32)
    own[11:13, :6] = 1.0
    own[18:23, 6:] = 1.0
    unknown = np.zeros_like(own, dtype=bool)
    unknown[:10, :] = True  # the frame and above it
    unknown[13:17, :6] = True  # the other curve
    path = np.array([11] + [12] * 5 + [20] * 14)
    starts, ends = np.array([0, 1, 6]), np.array([0, 5, 19])
    settings = TraceSettings(5.0)
    first = _on_start_line(own, unknown, path, starts, ends, 10.0, settings)
    assert first.tolist() == [True, True, False]
    own[11, 1:6] = 0.0
    first = _on_start_line(own, unknown, path, starts, ends, 10.0, settings)
    assert first.tolist() == [True, False, False]
    path[0], path[1:6] = 10, 11
    first = _on_start_line(own, unknown, path, starts, ends, 10.0, settings)
    assert first.tolist() == [True, False, False]


def test_first_run_left_early_needs_a_line_width_of_paper():
    """:func:`_first_run_left_early` on a drawn case: a 3 px line at survival 1
    (row 10) under the frame, hidden in columns 0-1; the next drop's ink starts
    at row 14 in columns 6-8, the run's last column being 6 and the path
    going down in column 7, which a drop from survival 1 would ink at row 11
    too. With paper at row 11 in columns 2-7 the run left survival 1 after
    column 1, to row 14 - 0.5 + 1.5 = 15; with paper in columns 6-7 only
    (less than a line width), it did not; in columns 5-7, it did."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_corners import _first_run_left_early

    own = np.zeros((30, 20), dtype=np.float32)
    own[14:22, 6:9] = 1.0  # the next drop, from row 15 down to row 20
    own[19:22, 6:] = 1.0  # the next level, row 20
    unknown = np.zeros_like(own, dtype=bool)
    unknown[:11, :] = True  # the frame and above it
    unknown[:, :2] = True  # the y axis line and the other curve
    path = np.full(20, 10)
    path[7:] = 20
    settings = TraceSettings(3.0)
    column, level = _first_run_left_early(own, unknown, path, 10.0, 6, settings)
    assert column == 1 and level == pytest.approx(15.0)
    unknown[:, :5] = True
    column, level = _first_run_left_early(own, unknown, path, 10.0, 6, settings)
    assert column == 4 and level == pytest.approx(15.0)
    unknown[:, :6] = True
    assert _first_run_left_early(own, unknown, path, 10.0, 6, settings) is None


@pytest.mark.parametrize("seed", [48, 62])
def test_curve_along_a_raised_x_axis_is_not_read_as_dashed(seed):
    """Arm B's tail runs along the x axis line of a y axis from 0.2, showing a
    pixel row above it here and there; the columns between were counted as
    dash gaps and the solid curve read as dashed, its drop at t = 11-12
    months hedged 8 px off (tube 1.08 and 1.22 %); now 0.22 % each."""
    style = STYLES["y axis from 0.2"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def test_mark_just_after_a_drop_is_found_and_its_lower_half_left_out():
    """A '+' mark drawn just after a drop, on the lower level less than half
    a bar below the upper one, shows the line on its right only: left of it
    the drop's line and the upper level's line border its crossbar. It used
    to be no mark, its lower half read as a second drop at the mark. Now it
    is a mark and only its lower half is left out: the upper half may lie
    over the drop's line. Not on a dotted line (``after_drops`` False)."""
    from synthesis.censor_marks import _half_to_keep, find_mark_bars
    from synthesis.line_evidence import ColumnRuns, TraceSettings

    evidence = _step_beside_a_mark(upper=22, lower=26, bar=(21, 32))  # the '+' mark's bar
    settings = TraceSettings(3.0)
    bars = find_mark_bars(evidence, ColumnRuns.of(evidence.mask), settings)
    assert 81 in bars.centres[:, 0].round().astype(int).tolist()
    assert bars.pixels[29:32, 81].all() and not bars.pixels[21:25, 81].any()
    bar = (np.array([81]), np.array([21]), np.array([31]))
    assert _half_to_keep(evidence.own, bar, 26.0, 11, settings) == -1
    assert _half_to_keep(evidence.own, bar, 26.0, 11, settings, after_drops=False) is None


def test_dotted_colour_is_told_from_dashed_before_tracing():
    """matplotlib's ':' dots are about a line width long, its '--' dashes 3.7."""
    from synthesis.censor_marks import _dotted
    from synthesis.line_evidence import TraceSettings

    dots, dashes = np.zeros((20, 200), dtype=bool), np.zeros((20, 200), dtype=bool)
    for x in range(0, 200, 8):
        dots[9:12, x:x + 3] = True
    for x in range(0, 200, 16):
        dashes[9:12, x:x + 11] = True
    assert _dotted(dots, TraceSettings(3.0)) and not _dotted(dashes, TraceSettings(3.0))


@pytest.mark.parametrize("seed", [24, 43, 68, 21, 11])
def test_dashed_mark_just_after_a_drop(seed):
    """'dashed colours' arm A: a '+' mark 1-3 px after a drop, not found,
    its lower half read as a drop to the next level less than half a bar
    below (seed 24: 0.88 % before, 0.18 % now; seeds 43 and 68: 0.64 and
    0.65 % before, 0.23 and 0.40 % now; seed 21, the bar's top run on into
    the drop's line, 1.09 % before, 0.26 % now). Seed 11 (0.21 % before)
    went to 0.87 % when the line's band beside the mark was cut by a bar
    read a pixel high."""
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


def test_crossbar_arm_over_the_lower_level_beside_a_hidden_drop_is_left_out():
    """A '+' mark on a plateau narrower than itself hides the drop under its
    bar; its crossbar's right arm runs on over the lower level less than
    half a bar below, so that neither the line nor a drop line shows beside
    the bar and it is no mark. The arm used to be followed as the line and
    the drop put at its end; now, on a dashed line, the arm's runs over the
    lower level are left out, the bar and the lower level kept. Not on a
    solid line, where the run below may be a lower mark's arm."""
    from synthesis.censor_marks import find_mark_bars
    from synthesis.line_evidence import ColumnRuns, CurveEvidence, TraceSettings

    def marks_on(dashes: np.ndarray, gap: float | None):
        own = np.zeros((40, 110), dtype=np.float32)
        own[19:22, :77] = dashes[:77]  # the upper level, 3 px wide, centre row 20, and the arm to column 76
        for x in (4, 19, 34, 49):
            own[15:26, x:x + 2] = 1.0  # '|' marks 11 px tall on the upper level
        own[15:26, 70:72] = 1.0  # the mark's bar, the drop under it at column 71
        own[23:26, 71:] = dashes[71:]  # the lower level, centre row 24 (4 px below: less than half a bar)
        mask = own >= 0.5
        evidence = CurveEvidence(own=own, mask=mask, other=np.zeros_like(own), lines=np.zeros_like(mask))
        return find_mark_bars(evidence, ColumnRuns.of(mask), TraceSettings(3.0, gap)).pixels

    columns = np.arange(110)
    dashed = marks_on((columns % 15 < 11) | ((columns >= 60) & (columns < 95)), 4.0)
    assert dashed[19:22, 72:77].all()
    assert not dashed[23:26, 72:].any() and not dashed[15:26, 70:72].any()
    assert not marks_on(np.ones(110, dtype=bool), None)[19:22, 72:77].any()


def test_dashed_marks_on_a_plateau_narrower_than_a_mark():
    """'dashed colours' seed 2 arm A: three '+' marks on a 4 px plateau at
    t = 11.4-11.6 months, its drop under their bars; their crossbar's right
    arm, followed over the lower level, put the drop 3 px late (0.58 %
    before, 0.29 % now)."""
    style = STYLES["dashed colours"]
    fig = render_km_figure(style, default_arms(style, seed=2))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "A", _match(fig, digitized)["A"]) <= ACCURACY


@pytest.mark.parametrize("seed", [27, 70])
def test_drop_under_a_marks_arm_follows_the_dashes(seed):
    """A '+' mark just after a '--' line's drop has its left arm on the
    lower level, over the upper level's dash gap: the fits read the arm as
    the lower level and put the drop at the previous one, 4-5 px early
    ('solid and dashed black' arm B: 0.84 % on seed 27, 1.24 % on seed 70).
    Drawn along the staircase, the dash after the gap then falls on the
    arm, thinner than a line: the drop goes where the dashes meet a line
    (0.24 and 0.25 % now)."""
    style = STYLES["solid and dashed black"]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    assert _error(fig, "B", _match(fig, digitized)["B"]) <= ACCURACY


def _dashed_staircase_under_a_mark() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A '--' staircase (3 px line, dashes 10.5 px, gaps 4.5 px along ``x + y``)
    with levels at rows 5, 10 and 16 and drops at columns 55.5 and 60, the
    second under a '+' mark whose vertical bar was removed (unknown) and
    whose crossbar, 0.6 line widths thick, reaches back to column 54 over
    the dash gap of the level at row 10 (columns 55.5-60)."""
    levels, drops, end = np.array([5.0, 10.0, 16.0]), np.array([55.5, 60.0]), 100.0
    own = np.zeros((30, 110), dtype=np.float32)
    xs = np.repeat(np.concatenate([[0.0], drops, [end]]), 2)[1:-1]
    ys = np.repeat(levels, 2)
    for k in range(xs.size - 1):
        for t in np.arange(0.0, 1.0, 0.02):
            x, y = xs[k] + t * (xs[k + 1] - xs[k]), ys[k] + t * (ys[k + 1] - ys[k])
            if (x + y + 5.0) % 15.0 < 10.5:
                own[round(y) - 1:round(y) + 2, round(x) - 1:round(x) + 2] = 1.0
    unknown = np.zeros(own.shape, dtype=bool)
    unknown[8:15, 59:63] = unknown[18:25, 59:63] = True
    own[unknown] = 0.0
    own[15:17, 54:69] = np.maximum(own[15:17, 54:69], 0.9)
    return levels, drops, own, unknown


def test_drops_on_dashes_reads_a_marks_arm_as_no_line():
    """The drop fitted at the previous one (column 56) goes to where the
    crossbar's arm stops being the only ink (58.25, the true drop at 60
    being under the mark); the true drop stays. A bar 0.6 line widths thick
    is no line, one a line width thick is."""
    from synthesis.dashed_lines import _thick_as_a_line, drops_on_dashes
    from synthesis.line_evidence import TraceSettings

    levels, drops, own, unknown = _dashed_staircase_under_a_mark()
    settings = TraceSettings(3.0, gap=4.5)
    moved = drops_on_dashes(levels, np.array([55.5, 56.0]), 100.0, own, unknown, settings)
    assert moved[0] == 55.5
    assert 58.0 <= moved[1] <= 60.0
    np.testing.assert_array_equal(drops_on_dashes(levels, drops, 100.0, own, unknown, settings), drops)
    level_line, _ = _thick_as_a_line(own, settings)
    assert not level_line[16, 56] and level_line[16, 80]


@pytest.mark.parametrize(("name", "seed"), [("thin lines", 130), ("thin lines", 137),
                                            ("open frame, legend above", 130)])
def test_final_drop_to_zero_ends_on_the_x_axis_line(name, seed):
    """Arm B's last patient has an event: the curve drops to survival 0, where
    the x axis line is drawn over the drop's end. With thin lines the drop
    was cut at the last column before it (tube 18.6 % and 22.2 % of the
    axis on seeds 130 and 137); with 1.5 pt lines it ended 2.5 px above the
    axis (0.80 %). It now ends on the axis line (:func:`step_corners._line_under`)."""
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    digitized = digitize_curves(load_figure(fig.image), fig.calibration)
    curve = _match(fig, digitized)["B"]
    assert _error(fig, "B", curve) <= ACCURACY
    assert curve.points.survival.iloc[-1] == pytest.approx(0.0, abs=0.002)


def test_line_under_a_drop_is_a_horizontal_removed_line():
    """The geometry of :func:`step_corners._line_under`: a 1 px axis line at
    row 20 under a drop ending at row 19 in column 30 (a 1.4 px line), a
    vertical grid line at column 60."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_corners import _line_under

    lines = np.zeros((40, 80), dtype=bool)
    lines[20, :] = True
    lines[:, 60] = True
    settings = TraceSettings(1.4)
    assert _line_under(lines, 20, 30, settings) == 20.0
    assert _line_under(lines, 19, 30, settings) == 20.0  # a pixel of paper at the drop's end
    assert _line_under(lines, 18, 30, settings) is None  # two rows of paper: the drop ends there
    assert _line_under(lines, 22, 60, settings) is None  # a vertical line is no line under a drop
    lines[21:30, 25:36] = True  # a filled area is no line
    assert _line_under(lines, 20, 30, settings) is None


def _tick_staircase(crossed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A '--' staircase (rows 10 and 20, 3 px line) with a mark on the level
    below at column 57: its bar's pixels above and below the line left out
    (``marks``), its centre; a dash gap at columns 60-63 unless ``crossed``
    (a '+' crossbar inks it). Returns own coverage, marks and centres."""
    own = np.zeros((30, 100), dtype=np.float32)
    own[9:12, :50] = 1.0
    own[19:22, 53:91] = 1.0
    if not crossed:
        own[19:22, 60:64] = 0.0
    marks = np.zeros(own.shape, dtype=bool)
    marks[14:19, 56:59] = True
    marks[22:26, 56:59] = True
    return own, marks, np.array([[57.0, 20.0]])


def test_marks_crossed_reads_the_ink_beside_the_bars():
    """Beside a '+' mark's bar its crossbar inks the mark's row; beside a '|'
    tick on a '--' line a dash gap may show: there the marks are ticks. With
    no marks the rules for '+' apply."""
    from synthesis.step_fit import marks_crossed

    own, _, centres = _tick_staircase(crossed=True)
    assert marks_crossed(own, centres)
    own, _, centres = _tick_staircase(crossed=False)
    assert not marks_crossed(own, centres)
    assert marks_crossed(own, np.empty((0, 2)))


def test_bound_dashed_drops_before_the_level_below_shows():
    """A drop fitted at column 58, down a '|' tick's bar on the level below
    (left out, unknown), goes back to 54.5: the level below shows flat from
    column 53 (+ half a line width), left of the tick ('dashed colours' with
    '|' ticks, seeds 2 and 8, arm A: drops 3-5 px late). One fitted before
    the level above was last seen (column 49, - half a line width) goes to
    47.5. Beside a '+' mark the flat columns near its bar may be its
    crossbar: the drop stays."""
    from synthesis.line_evidence import TraceSettings
    from synthesis.step_fit import bound_dashed_drops

    def bounded(own, marks, centres, drop: float) -> list[float]:
        return bound_dashed_drops(np.array([10.0, 20.0]), np.array([drop]), 90.0, own, marks.copy(), marks,
                                  centres, TraceSettings(3.0)).tolist()

    own, marks, centres = _tick_staircase(crossed=False)
    assert bounded(own, marks, centres, 58.0) == [54.5]
    assert bounded(own, marks, centres, 45.0) == [47.5]
    assert bounded(own, marks, centres, 52.0) == [52.0]
    own, marks, centres = _tick_staircase(crossed=True)
    assert bounded(own, marks, centres, 58.0) == [58.0]


def test_tick_bar_left_out_beyond_the_line_read_beside_it():
    """A '|' tick's bar (rows 13-23, middle 18) on a '--' line whose band
    covers rows 18-20 (centre 19), the bar snapped half a pixel above it: the
    bar's pixels beyond the line's band are left out about the line's rows
    read beside the bar (19), not the bar's middle (18), which kept row 17
    of the bar as line, a stub read as a drop to the tick."""
    from synthesis.censor_marks import _crossbar_span, _line_row_through
    from synthesis.line_evidence import TraceSettings

    own = np.zeros((40, 60), dtype=np.float32)
    own[18:21, 20:28] = 1.0
    own[18:21, 33:45] = 1.0  # dash gaps either side of the bar
    own[13:24, 30:32] = 1.0
    settings = TraceSettings(3.0)
    assert _crossbar_span(own, 18.0, 30, 31, 5.0) is None
    assert _line_row_through(own, 18.0, 30, 31, settings) == 19.0
    crossed = own.copy()
    crossed[18:21, 25:37] = 1.0
    assert _crossbar_span(crossed, 18.0, 30, 31, 5.0) is not None
