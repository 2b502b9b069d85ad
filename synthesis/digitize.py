"""Digitize Kaplan-Meier figures: from a PNG/JPEG image to curve coordinates.

The steps a reviewer would do in WebPlotDigitizer, automated and checkable:
load the image (:func:`load_figure`), calibrate the axes
(:class:`synthesis.calibration.AxisCalibration`), list the line colours in the
plot area (:func:`find_curve_colors`, black and grey included) and extract
one step curve per colour with its censor marks (:func:`digitize_curves`).

Colours are separated as in SurvdigitizeR (Zhang et al. 2024, BMC Med Res
Methodol 24:147), but a pixel belongs to a curve colour when it lies on the
line from the paper colour to that colour, so anti-aliased edges and JPEG
blur stay with their curve; a pixel where two curves touch, which mixes both
colours, is unmixed into its share of each (JPEG figures of the benchmark,
seeds 1-30: 105 -> 112 of 120 curves within 0.5 %; held-out seeds 31-42:
43 -> 47 of 48). JPEG keeps colour at half resolution, so a blend also
stands up to two pixels from where the curves meet, where a drop drawn
beside the other curve's line may show no pixel of its own colour: blends
there that reach the curve's own coverage or its start at survival 1 are
unmixed too (:func:`_unmix_between_curves`), and colours found closer than
:data:`SAME_COLOR_DISTANCE` (a JPEG line's pale edge and its core) are one
(:func:`_merge_same_colors`); 'jpeg' and 'grid + jpeg + percent', seeds
1-30: 114 -> 119 of 120 curves within 0.5 %, seeds 43-72: 113 -> 116,
held-out seeds 31-42: 47 -> 47 of 48. The plot area ends on the right at
the panel's edge: the frame, else the end of a panel fill (ggplot2's grey
panel), else the end of the x axis line (ggplot2's ``theme_classic``), so
that a legend beside the panel, whose keys are short lines in the curve
colours at about the curves' heights, is not read as the curves going on (a
curve followed into a key also had its last drop cut at the key's height; R
figures of seeds 1-15, ggplot grey and classic: 54 -> 60 of 60 arms within
0.5 %, the misses arm A of seeds 3, 5 and 11 at 13 %, 5.3 % and 2.5 %).
A line drawn without snapping to pixels (R's cairo device) straddles two
pixel rows, each a blend of its colour and the paper; such blends are folded
into the colour whose line they continue, judged by the line width
(:func:`_merge_shades`; R figures seeds 4-15, 'base thin' and 'ggplot thin':
18 -> 32 of 48 arms within 0.5 %, no arm merged into the other's curve).
A curve whose last level lies within a line width above the x axis line
cannot show a drop from there and is taken to drop below the axis where it
ends, with a warning (:func:`_ends_on_axis_line`; 'y axis from 0.2' seeds
1-30: 28 -> 30 of 30 arms B within 0.5 %).
Grid and axis lines (grey or black lines across the whole plot) are removed
first; text, legends, censor marks and the at-risk table are left behind by
the step-function tracer
(:mod:`synthesis.step_trace`). The step corners returned are what Guyot et al.
(2012, BMC Med Res Methodol 12:9) take as input.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from synthesis.calibration import AxisCalibration
from synthesis.censor_marks import MarkBars, censor_marks, find_mark_bars
from synthesis.dashed_lines import DASHED_GAP_SHARE, bridged_coverage, looks_dashed, measure_dash_gap
from synthesis.errors import InvalidInputError
from synthesis.line_evidence import (
    ColumnRuns,
    CurveEvidence,
    TraceSettings,
    measure_line_width,
)
from synthesis.step_corners import StepCurve, curve_rows, curve_zone, steps_from_path
from synthesis.step_trace import evidence_per_curve, trace_curves

#: Larger files are not figures (a 300 dpi full-page scan as PNG is ~10 MB).
MAX_FILE_BYTES = 20_000_000
#: 25 megapixels: a 5000 x 5000 image; decoding larger ones costs seconds.
MAX_PIXELS = 25_000_000
MIN_SIDE_PX = 50

#: The paper (background) colour covers at least this share of the plot area.
MIN_PAPER_SHARE = 0.3
#: Distance from the paper colour (RGB, 0-255) above which a pixel is ink.
INK_DISTANCE = 45.0
#: A pixel belongs to a curve colour when it is this close (RGB) to the line
#: from paper to that colour; JPEG at quality 75 stays within about 30.
COLOR_RESIDUAL = 48.0
#: ... and lies at least this far along that line (weaker is anti-aliasing).
MIN_COLOR_SHARE = 0.45
#: Colours closer than this (RGB) are one colour.
SAME_COLOR_DISTANCE = 60.0
#: Reach (pixels) of a curve colour's blend into its neighbours in a JPEG:
#: a 2 x 2 chroma block holds a pixel of the line's anti-aliased edge.
MIX_REACH = 2
#: A curve colour is at least this far (RGB) from the paper; lighter ones are
#: anti-aliased edges, legend frames and grid lines.
MIN_CURVE_STRENGTH = 90.0
#: A curve spans at least this share of the plot width (legends and text do not).
MIN_CURVE_SPAN = 0.3
#: A grid or axis line covers this share of the plot width/height ...
GRID_LINE_COVER = 0.6
#: ... from within this share of both edges.
GRID_LINE_EDGE = 0.05
#: More strong ink (further than this from the paper colour; pale
#: confidence bands are nearer) than this share of the plot area is a photo
#: or a filled chart.
STRONG_INK_DISTANCE = 100.0
MAX_INK_SHARE = 0.3
#: A colour whose typical vertical run is taller than this share of the plot
#: height is a filled area (bars), not a line.
MAX_FILL_SHARE = 0.05
#: A panel fill differs from the page around it by more than this (RGB):
#: ggplot2's grey92 panel from white by 35; JPEG moves flat areas by a few.
PANEL_FILL_DISTANCE = 15.0
#: An x axis line below survival 0 lies within this share of the plot height
#: under it (twice the 5 % by which ggplot2 expands an axis by default).
AXIS_EXPANSION_SHARE = 0.1
#: A pixel of a grid or axis line this much further (RGB) from the paper
#: than the line's median pixel is a darker curve drawn over the line: about
#: half the 176 between R's grey frame (102) and a black curve.
OVER_LINE_STRENGTH = 90.0
#: Gaps wider than this share of the plot width are reported, not hidden.
REPORTED_GAP_SHARE = 0.01
#: A curve first seen this far below survival 1 is reported (its start was
#: hidden, e.g. by the y axis, and is drawn as one drop).
FIRST_DROP_REPORTED = 0.05

SUPPORTED_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG"}


class FigureError(InvalidInputError):
    """The image cannot be digitized as given (format, size, content)."""


def load_figure(source: str | Path | bytes) -> np.ndarray:
    """Read a PNG or JPEG figure into an RGB array (height x width x 3, uint8).

    Transparent areas are put on white, as a journal page shows them.

    Raises
    ------
    FigureError
        For other formats, unreadable files and images too large or too small
        to be a figure.
    """
    name = "image"
    if isinstance(source, (str, Path)):
        name = Path(source).name
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise FigureError(f"Cannot read the image: {exc.strerror}.", source=name) from None
    else:
        data = bytes(source)
    if len(data) > MAX_FILE_BYTES:
        raise FigureError(
            f"The file is {len(data) / 1e6:.0f} MB; a figure is at most "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB. Crop the figure or export it at a lower resolution.",
            source=name,
        )
    try:
        img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        raise FigureError(
            "This is not a PNG or JPEG image; save the figure as PNG or JPEG.", source=name
        ) from None
    if img.format not in SUPPORTED_FORMATS:
        raise FigureError(
            f"This is a {img.format} image; only PNG and JPEG are accepted. "
            "Save the figure as PNG or JPEG.",
            source=name,
        )
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise FigureError(
            f"The image is {width} x {height} pixels, too large for a figure (at most "
            f"{MAX_PIXELS / 1e6:.0f} megapixels). Crop it to the figure or scale it down.",
            source=name,
        )
    if min(width, height) < MIN_SIDE_PX:
        raise FigureError(
            f"The image is {width} x {height} pixels, too small to read curves from.",
            source=name,
        )
    try:
        # Phone photos of a printed figure carry their rotation in EXIF.
        img = ImageOps.exif_transpose(img).convert("RGBA")
    except OSError:
        raise FigureError("The image file is damaged and cannot be decoded.", source=name) from None
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, img).convert("RGB"))


@dataclass(frozen=True)
class CurveColor:
    """A line colour found in the plot area.

    Attributes
    ----------
    hex : str
        ``#rrggbb``, also the curve's name.
    rgb : tuple of int
    pixel_count : int
        Plot-area pixels of this colour (a swatch can show it as a share).
    """

    hex: str
    rgb: tuple[int, int, int]
    pixel_count: int

    def to_dict(self) -> dict:
        return {"hex": self.hex, "rgb": list(self.rgb), "pixel_count": self.pixel_count}


@dataclass(frozen=True)
class DigitizedCurve:
    """One extracted curve.

    Attributes
    ----------
    name : str
        The colour hex, with ``-solid``/``-dashed`` (or ``-1``/``-2``) where
        one colour carries two curves.
    color : str
        ``#rrggbb``.
    points : pandas.DataFrame
        Step corners ``time, survival`` (survival a fraction, two rows per drop).
    censor_times : tuple of float
        Times of the censor marks drawn on the curve.
    warnings : tuple of str
        Where the curve could not be followed, in data units.
    """

    name: str
    color: str
    points: pd.DataFrame
    censor_times: tuple[float, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigitizedFigure:
    """Every curve extracted from one figure, with the calibration used."""

    curves: tuple[DigitizedCurve, ...]
    calibration: AxisCalibration
    image_size: tuple[int, int]
    colors: tuple[CurveColor, ...] = field(default=())

    def summary_frame(self) -> pd.DataFrame:
        """One row per curve: points, time span, last survival, censor marks, warnings."""
        rows = []
        for c in self.curves:
            rows.append(
                {
                    "curve": c.name,
                    "color": c.color,
                    "n_points": len(c.points),
                    "time_max": float(c.points.time.max()),
                    "survival_min": float(c.points.survival.min()),
                    "n_censor_marks": len(c.censor_times),
                    "warnings": "; ".join(c.warnings),
                }
            )
        return pd.DataFrame(rows, columns=[
            "curve", "color", "n_points", "time_max", "survival_min", "n_censor_marks", "warnings",
        ])

    def points_frame(self) -> pd.DataFrame:
        """All step corners in long form: ``curve, time, survival``."""
        frames = [c.points.assign(curve=c.name)[["curve", "time", "survival"]] for c in self.curves]
        if not frames:
            return pd.DataFrame(columns=["curve", "time", "survival"])
        return pd.concat(frames, ignore_index=True)

    def censor_frame(self) -> pd.DataFrame:
        """All censor marks in long form: ``curve, time``."""
        rows = [(c.name, t) for c in self.curves for t in c.censor_times]
        return pd.DataFrame(rows, columns=["curve", "time"])

    def to_dict(self) -> dict:
        return {
            "calibration": self.calibration.to_dict(),
            "image_size": list(self.image_size),
            "curves": [
                {
                    "name": c.name,
                    "color": c.color,
                    "points": c.points[["time", "survival"]].values.tolist(),
                    "censor_times": list(c.censor_times),
                    "warnings": list(c.warnings),
                }
                for c in self.curves
            ],
        }


@dataclass
class _Canvas:
    """The plot area of an image, ready for colour work."""

    pixels: np.ndarray  # RGB (uint8) of the plot area
    paper: np.ndarray
    ink: np.ndarray  # bool, grid and axis lines removed
    lines: np.ndarray  # bool, the grid and axis line pixels removed from ``ink``
    left: int
    top: int
    #: Centre row and height (px) of the x axis line at the bottom of the plot, if found.
    axis_line: tuple[float, int] | None = None


def find_curve_colors(image: np.ndarray, calibration: AxisCalibration) -> list[CurveColor]:
    """List the distinct line colours in the plot area, most pixels first.

    Colours are binned (16 levels per channel); a bin is a new colour unless
    it is an anti-aliased shade of a colour already found (on the line to the
    paper colour and touching it); a colour accepted before a stronger one
    whose line it continues at part coverage (a line not snapped to pixels)
    is folded into it (:func:`_merge_shades`). A colour counts as a curve when it spans at
    least 30 % of the plot width and is drawn as a line, not filled.

    Raises
    ------
    FigureError
        For a blank plot area, a photograph or a filled chart.
    """
    canvas = _canvas(image, calibration)
    return _palette(canvas)


def digitize_curves(
    image: np.ndarray,
    calibration: AxisCalibration,
    colors: list[str] | None = None,
) -> DigitizedFigure:
    """Extract one step curve per colour (two where one colour carries two).

    Parameters
    ----------
    image : numpy.ndarray
        RGB image from :func:`load_figure`.
    calibration : AxisCalibration
        Pixel-to-data mapping; the plot area is time >= 0 and survival 0-1.
    colors : list of str, optional
        ``#rrggbb`` colours to extract; by default every curve colour found.
        A colour within 60 (RGB distance) of a found one is taken as that one.

    Returns
    -------
    DigitizedFigure
        Step corners in data units, censor mark times and warnings saying
        where a curve was hidden or cut, or that a second curve of its
        colour could not be split from it, per curve.

    Raises
    ------
    FigureError
        When a chosen colour is not in the plot area, or the image is not a
        line figure.
    """
    canvas = _canvas(image, calibration)
    palette = _palette(canvas)
    chosen = palette if colors is None else [_match_color(c, palette) for c in colors]
    palette_rgb = np.array([c.rgb for c in palette], dtype=float)
    labels, share = _assign(canvas, palette_rgb, shares=True)
    start_row = calibration.to_pixel(0.0, 1.0)[1] - canvas.top
    # Every colour's marks first: they may hide another colour's curve.
    found = [_marks_found(canvas, labels, share, k, palette_rgb, int(np.rint(start_row)))
             for k in range(len(palette))]
    curves: list[DigitizedCurve] = []
    for color in chosen:
        index = palette.index(color)
        evidence, settings, bars = found[index]
        cover = [b.pixels for k, (_, _, b) in enumerate(found) if k != index]
        evidence = replace(evidence, cover_marks=np.logical_or.reduce(cover) if cover else None)
        paths, bridged = trace_curves(evidence, start_row, settings)
        per_curve = evidence_per_curve(evidence, paths, bridged, settings)
        own_settings = [_settings_of(p, e, settings) for p, (e, _) in zip(paths, per_curve)]
        per_curve = [(e, b if s is settings else bridged_coverage(e, s))
                     for (e, b), s in zip(per_curve, own_settings)]
        traced_with = [(steps_from_path(p, e, s, b, start_row, _centres_near(bars, paths, i)), s)
                       for i, (p, (e, b), s) in enumerate(zip(paths, per_curve, own_settings))]
        traced_with = [(t, s) for t, s in traced_with if t is not None]
        traced = [t for t, _ in traced_with]
        if not traced:
            if colors is None:
                continue  # a line colour that is not a curve (e.g. a reference line)
            raise FigureError(
                f"The curve of colour {color.hex} could not be followed from survival 1 at "
                "time 0; check the calibration (does it match the axes?)."
            )
        untraced = _untraced_line(evidence.mask, traced)
        for name, (step, step_settings) in zip(_names(color.hex, traced), traced_with):
            marks = _marks_of(step, traced, bars, evidence, step_settings)
            curve = _to_data(name, color, step, marks, canvas, calibration, palette, labels)
            if untraced is not None:
                curve = replace(curve, warnings=curve.warnings + (
                    _untraced_warning(untraced, canvas, calibration),))
            curves.append(curve)
    if not curves:
        raise FigureError(
            "No curve could be followed from survival 1 at time 0; check the calibration "
            "(does it match the axes?)."
        )
    return DigitizedFigure(
        curves=tuple(curves),
        calibration=calibration,
        image_size=(int(image.shape[1]), int(image.shape[0])),
        colors=tuple(palette),
    )


def _canvas(image: np.ndarray, calibration: AxisCalibration) -> _Canvas:
    height, width = image.shape[:2]
    x0, y1 = calibration.to_pixel(0.0, 1.0)
    x_end, y0 = calibration.to_pixel(max(calibration.x_values), 0.0)
    if not (x_end > x0 and y0 > y1):
        raise FigureError(
            "The calibration runs the wrong way (time must grow to the right and survival "
            "upwards); check the calibration points."
        )
    margin = max(6, int(0.015 * (y0 - y1)))
    left = int(np.ceil(x0))
    top, bottom = max(0, int(np.floor(y1)) - margin), min(height, int(np.ceil(y0)) + 2)
    if width - left < MIN_SIDE_PX or bottom - top < MIN_SIDE_PX:
        raise FigureError(
            "The calibrated plot area lies (mostly) outside the image; check the calibration "
            "points and the axis ranges."
        )
    raw = image[top:bottom, left:, :3]
    packed = ((raw[..., 0].astype(np.int32) >> 3) << 10) | ((raw[..., 1] >> 3).astype(np.int32) << 5) | (
        raw[..., 2] >> 3
    )
    counts = np.bincount(packed.ravel(), minlength=1 << 15)
    mode = int(counts.argmax())
    # A sample of the most common colour is enough to know the paper exactly.
    sample = np.flatnonzero(packed.ravel() == mode)[:20000]
    paper = raw.reshape(-1, 3)[sample].mean(axis=0)
    if counts.max() < MIN_PAPER_SHARE * packed.size:
        raise FigureError(
            "The plot area has no plain background; this looks like a photograph, not a "
            "Kaplan-Meier figure. Upload the survival figure itself (PNG or JPEG)."
        )
    if paper.mean() < 128:
        raise FigureError(
            "The plot area is dark; only figures on a light background can be digitized."
        )
    # Channel by channel: reductions over a last axis of length 3 are slow.
    red, green, blue = (raw[..., i].astype(np.float32) for i in range(3))
    distance = (red - paper[0]) ** 2 + (green - paper[1]) ** 2 + (blue - paper[2]) ** 2
    ink = distance > INK_DISTANCE**2
    chroma = np.maximum(np.maximum(red, green), blue) - np.minimum(np.minimum(red, green), blue)
    greyish = chroma < 40
    right = _right_frame(ink & greyish, x_end - left)
    if right == ink.shape[1]:
        right = _panel_end(distance < PANEL_FILL_DISTANCE**2, x_end - left)
    if right == ink.shape[1]:
        below = _rows_below(image, paper, bottom, y0 - y1)
        right = _axis_line_end(below[:, left:], x_end - left)
    axis_row = calibration.to_pixel(0.0, min(calibration.y_values))[1] - top
    bottom, axis_line = _bottom_frame(ink[:, :right] & greyish[:, :right], axis_row)
    pixels, ink, greyish = raw[:bottom, :right], ink[:bottom, :right], greyish[:bottom, :right]
    covered = (distance[:bottom, :right] > STRONG_INK_DISTANCE**2).mean()
    if covered > MAX_INK_SHARE:
        raise FigureError(
            f"{covered:.0%} of the plot area is covered; this looks like a photograph or a "
            "filled chart, not Kaplan-Meier curves. Upload the survival figure itself."
        )
    with_lines = ink.copy()
    _remove_grid_lines(ink, greyish, np.sqrt(distance[:bottom, :right]))
    return _Canvas(pixels=pixels, paper=paper, ink=ink, lines=with_lines & ~ink, left=left, top=top,
                   axis_line=axis_line)


def _right_frame(grey_ink: np.ndarray, x_end: float) -> int:
    """Column just right of the plot frame (or of the x axis line), else the image edge.

    Legends and labels right of the axes must not count as curves.
    """
    frame = np.nonzero(grey_ink.mean(axis=0) >= GRID_LINE_COVER)[0]
    frame = frame[frame >= x_end - 2]
    if frame.size:
        return int(frame[0]) + 1
    rows = np.nonzero(grey_ink.mean(axis=1) >= GRID_LINE_COVER)[0]
    if rows.size:
        return int(np.nonzero(grey_ink[rows[-1]])[0].max()) + 1
    return grey_ink.shape[1]


def _panel_end(near_paper: np.ndarray, x_end: float) -> int:
    """Column just right of a filled plot panel, else the image edge.

    A panel drawn on a fill of its own (ggplot2's grey92 ``panel.background``)
    ends where its colour, the paper colour of the plot area, stops being the
    background: right of it lie the page and the legend beside the panel,
    whose keys repeat the curves' colours at the curves' heights. The panel
    ends after the last column (from the calibrated axis end on) in which
    most pixels are the paper colour; vertical grid lines, one or two pixels
    wide, interrupt the fill only inside the panel. On a white panel on a white
    page the fill reaches the image edge and nothing is learnt.
    """
    start = max(0, int(np.floor(x_end)) - 2)
    filled = np.nonzero(near_paper[:, start:].mean(axis=0) >= 0.5)[0]
    if filled.size == 0:
        return near_paper.shape[1]
    return start + int(filled[-1]) + 1


def _rows_below(image: np.ndarray, paper: np.ndarray, bottom: int, plot_height: float) -> np.ndarray:
    """Grey or black ink (bool) of the image rows just below the plot area.

    An axis line drawn where the panel ends, below survival 0 by the axis
    expansion (ggplot2's default is 5 % of the range, R's base graphics 4 %),
    lies within a tenth of the plot height below it.
    """
    stop = min(image.shape[0], bottom + int(np.ceil(AXIS_EXPANSION_SHARE * plot_height)))
    rows = image[bottom:stop, :, :3].astype(np.float32)
    ink = ((rows - paper) ** 2).sum(axis=2) > INK_DISTANCE**2
    chroma = rows.max(axis=2) - rows.min(axis=2)
    return ink & (chroma < 40)


def _axis_line_end(grey_ink: np.ndarray, x_end: float) -> int:
    """Column just right of the first x axis line among ``grey_ink`` rows, else the image edge.

    ggplot2's ``theme_classic`` draws no frame and no panel fill, only the
    axis lines, whose length is the panel's: the time axis ends where the x
    axis line does.
    """
    rows = np.nonzero(grey_ink.mean(axis=1) >= GRID_LINE_COVER)[0]
    if rows.size == 0:
        return grey_ink.shape[1]
    end = int(np.nonzero(grey_ink[rows[0]])[0].max()) + 1
    return end if end >= x_end - 2 else grey_ink.shape[1]


def _bottom_frame(grey_ink: np.ndarray, axis_row: float) -> tuple[int, tuple[float, int] | None]:
    """Row just below the x axis line, and that line's centre row and height.

    A survival axis may start above 0; the plot then ends at the x axis line
    (at the lowest calibrated value or below it), and tick labels and the
    at-risk table below it stay out. Without a line there, the plot ends
    where the canvas does and no line is returned.
    """
    rows = np.nonzero(grey_ink.mean(axis=1) >= GRID_LINE_COVER)[0]
    rows = rows[rows >= axis_row - 3]
    if not rows.size:
        return grey_ink.shape[0], None
    # The line is the last run of adjacent rows.
    first = int(np.nonzero(np.diff(np.concatenate([[-2], rows])) != 1)[0][-1])
    line = rows[first:]
    return int(rows[-1]) + 2, (float(line.mean()), int(line.size))


def _remove_grid_lines(ink: np.ndarray, greyish: np.ndarray, strength: np.ndarray) -> None:
    """Blank grey/black lines that cross the whole plot (grid, axes, frame).

    A pixel of such a line that is darker than the line itself by more than
    :data:`OVER_LINE_STRENGTH` belongs to a darker curve drawn over it and is
    kept: R draws its frame in grey at survival 1, under the clipped lower
    half of a black curve's line (R 'base bw' seed 3 arm B: its dashed line
    on the frame was blanked, and the path took the solid arm's first drop
    instead, 8 px early).
    """
    for axis in (1, 0):
        line_ink = ink & greyish
        cover = line_ink.mean(axis=axis)
        length = ink.shape[axis]
        edge = max(1, int(GRID_LINE_EDGE * length))
        hits = line_ink if axis == 1 else line_ink.T
        near_start = hits[:, :edge].any(axis=1)
        near_end = hits[:, -edge:].any(axis=1)
        lines = np.nonzero((cover >= GRID_LINE_COVER) & near_start & near_end)[0]
        for line in lines:
            index = (line, slice(None)) if axis == 1 else (slice(None), line)
            typical = np.median(strength[index][line_ink[index]])
            of_line = strength[index] <= typical + OVER_LINE_STRENGTH
            ink[index] &= ~(greyish[index] & of_line)


def _palette(canvas: _Canvas) -> list[CurveColor]:
    """The curve colours of the plot area (see :func:`find_curve_colors`)."""
    ink = canvas.ink
    if ink.sum() == 0:
        raise FigureError(
            "The plot area is blank: no lines were found. Check that the image is the "
            "figure and that the calibration covers the plot."
        )
    colours = canvas.pixels[ink].astype(np.float32)
    bins = (colours // 16).astype(np.int32)
    packed = (bins[:, 0] << 8) | (bins[:, 1] << 4) | bins[:, 2]
    _, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
    width = ink.shape[1]
    min_count = max(20, int(0.1 * width))
    accepted: list[np.ndarray] = []
    members: list[list[int]] = []
    coords = np.argwhere(ink)
    for b in np.argsort(counts)[::-1]:
        if counts[b] < min_count:
            break
        colour = colours[inverse == b].mean(axis=0)
        near = [i for i, a in enumerate(accepted) if np.linalg.norm(a - colour) < SAME_COLOR_DISTANCE]
        if near:
            members[near[0]].append(b)
            continue
        if accepted and _is_shade(colour, accepted, canvas.paper) and _touches(
            coords[inverse == b], coords[np.isin(inverse, sum(members, []))], ink.shape
        ):
            continue
        accepted.append(colour)
        members.append([b])
    if not accepted:
        raise FigureError("No line colours found in the plot area; the image looks blank.")
    accepted, members = _merge_shades(accepted, members, coords, inverse, canvas)
    palette_rgb = np.array(accepted)
    labels = _assign(canvas, palette_rgb)
    height = ink.shape[0]
    result, filled = [], []
    for i in range(len(palette_rgb)):
        mask = labels == i
        if np.linalg.norm(palette_rgb[i] - canvas.paper) < MIN_CURVE_STRENGTH:
            continue
        if not mask.any():
            continue
        if np.median(ColumnRuns.of(mask).heights()) > MAX_FILL_SHARE * height:
            filled.append(i)
            continue
        if _longest_span(mask) < MIN_CURVE_SPAN * width:
            continue
        members_rgb = canvas.pixels[mask].astype(np.float32)
        strength = np.linalg.norm(members_rgb - canvas.paper, axis=1)
        # The core of the line, not its anti-aliased edge, has the drawing colour.
        core = members_rgb[strength >= np.quantile(strength, 0.7)]
        rgb_int = tuple(int(round(v)) for v in np.clip(np.median(core, axis=0), 0, 255))
        result.append(CurveColor(hex="#%02x%02x%02x" % rgb_int, rgb=rgb_int, pixel_count=int(mask.sum())))
    if not result:
        if filled:
            raise FigureError(
                "The plot area holds filled shapes (bars or areas), not curves; this looks "
                "like a bar chart. Upload a Kaplan-Meier figure."
            )
        raise FigureError(
            "No curve found: nothing in the plot area is a line across at least "
            f"{MIN_CURVE_SPAN:.0%} of the time axis. Check the image and the calibration."
        )
    return _merge_same_colors(result)


def _merge_same_colors(colors: list[CurveColor]) -> list[CurveColor]:
    """One colour per line: colours within :data:`SAME_COLOR_DISTANCE` of a commoner one join it.

    Bins are compared with the first bin of a colour, which in a JPEG may be
    a pale shade of the line (its blurred edge); the line's saturated core
    then lies farther than that distance from it and is found as a second
    colour, whose pixels would hide the curve as another curve's
    ('jpeg', seeds 1-30: the orange line split in 4 figures, seed 14 arm B
    1.00 %). Compared by their core colours, the two are one.
    """
    merged: list[CurveColor] = []
    for color in sorted(colors, key=lambda c: -c.pixel_count):
        same = [i for i, m in enumerate(merged)
                if np.linalg.norm(np.subtract(m.rgb, color.rgb)) < SAME_COLOR_DISTANCE]
        if same:
            kept = merged[same[0]]
            merged[same[0]] = CurveColor(kept.hex, kept.rgb, kept.pixel_count + color.pixel_count)
        else:
            merged.append(color)
    return merged


def _merge_shades(accepted: list[np.ndarray], members: list[list[int]], coords: np.ndarray,
                  inverse: np.ndarray, canvas: _Canvas) -> tuple[list[np.ndarray], list[list[int]]]:
    """Fold accepted colours that are part coverage of a stronger one's line into it.

    A line drawn at a fractional position without snapping (R's cairo
    device; Cairo's rasterizer computes exact pixel coverage) straddles two
    pixel rows, each a blend of the line colour and the paper; along a
    plateau every pixel is such a blend, so blend bins can outnumber the
    full colour and be accepted first. A weaker colour ``j`` on the paper
    line of a stronger colour ``i`` (:func:`_is_shade`) is ``i`` at part
    coverage when the coverage of ``i`` summed across the line at ``j``'s
    pixels (:func:`_across_coverage`) is ``i``'s line width, read the same
    way at ``i``'s own pixels, within a pixel (the resolution of that
    reading). A paler curve of its own (grey beside black) sums to its
    share times its own width: #888888 beside a 2.9 px black line sums to
    1.3 px, while the blends of R's 1 px lines sum to within 0.8 px of their
    colour's width (72 R figures, seeds 4-15).
    """
    paper = canvas.paper
    strength = [float(np.linalg.norm(a - paper)) for a in accepted]
    across: dict[int, np.ndarray] = {}
    keep = list(range(len(accepted)))
    # Strongest shades first, so that paler ones are measured against a line already whole.
    for j in np.argsort(strength)[::-1]:
        if strength[j] < MIN_CURVE_STRENGTH:
            break  # too pale to be taken for a curve: left as it is
        for i in sorted(keep, key=lambda k: -strength[k]):
            if strength[i] <= strength[j]:
                break
            if not _is_shade(accepted[j], [accepted[i]], paper):
                continue
            if i not in across:
                across[i] = _across_coverage(canvas, accepted[i])
            own, shade = (coords[np.isin(inverse, members[k])] for k in (i, j))
            width = np.median(across[i][own[:, 0], own[:, 1]])
            if abs(np.median(across[i][shade[:, 0], shade[:, 1]]) - width) < 1.0:
                members[i] += members[j]
                keep.remove(j)
                break
    return [accepted[k] for k in keep], [members[k] for k in keep]


def _across_coverage(canvas: _Canvas, rgb: np.ndarray) -> np.ndarray:
    """Coverage by colour ``rgb`` summed across the line through each pixel.

    A pixel's coverage is its position on the line from paper to ``rgb``;
    the sum runs over the vertical and over the horizontal run of covered
    pixels through it, and the smaller one is across the line (a flat line's
    column, a drop's row).
    """
    paper = canvas.paper.astype(np.float32)
    d = np.asarray(rgb, dtype=np.float32) - paper
    share, residual = _blend(canvas.pixels.astype(np.float32) - paper, d)
    cover = np.where((residual < COLOR_RESIDUAL) & (share > 0.05), np.clip(share, 0.0, 1.0), 0.0)
    sums = []
    for structure in ([[0, 1, 0]] * 3, [[0, 0, 0], [1, 1, 1], [0, 0, 0]]):
        runs, n = ndimage.label(cover > 0, structure=np.array(structure))
        sums.append(np.asarray(ndimage.sum(cover, runs, np.arange(n + 1)))[runs])
    return np.minimum(*sums)


def _longest_span(mask: np.ndarray) -> int:
    """Widest connected structure (columns), with dash gaps and letter spacing bridged."""
    structure = _widest_structure(mask)
    return 0 if structure is None else structure[1].stop - structure[1].start


def _widest_structure(mask: np.ndarray) -> tuple[slice, slice] | None:
    """Bounding box (rows, columns) of the widest connected structure, dash gaps bridged.

    Worked on 3 x 3 blocks (a block is set if any of its pixels is), which
    bridges gaps of up to about 8 pixels at a ninth of the cost.
    """
    rows, cols = (mask.shape[0] // 3) * 3, (mask.shape[1] // 3) * 3
    blocks = mask[:rows, :cols].reshape(rows // 3, 3, cols // 3, 3).any(axis=(1, 3))
    bridged = ndimage.binary_dilation(blocks, structure=np.ones((3, 3), dtype=bool))
    components, n = ndimage.label(bridged)
    if n == 0:
        return None
    widest = max(ndimage.find_objects(components), key=lambda s: s[1].stop - s[1].start)
    return tuple(slice(3 * s.start, 3 * s.stop) for s in widest)


def _is_shade(colour: np.ndarray, accepted: list[np.ndarray], paper: np.ndarray) -> bool:
    """Whether ``colour`` is a blend of paper with an accepted colour (or of two)."""
    v = colour - paper
    for a in accepted:
        d = a - paper
        share = float(v @ d / (d @ d))
        if 0.05 < share < 1.0 and np.linalg.norm(v - share * d) < COLOR_RESIDUAL:
            return True
    for i, a in enumerate(accepted):
        for b in accepted[i + 1:]:
            d = a - b
            share = float((colour - b) @ d / (d @ d))
            if 0 < share < 1 and np.linalg.norm(colour - b - share * d) < COLOR_RESIDUAL:
                return True
    return False


def _touches(points: np.ndarray, others: np.ndarray, shape) -> bool:
    """Whether most ``points`` lie next to (within 2 px of) ``others``."""
    near = np.zeros(shape, dtype=bool)
    near[others[:, 0], others[:, 1]] = True
    near = ndimage.binary_dilation(near, iterations=2)
    return near[points[:, 0], points[:, 1]].mean() > 0.6


def _assign(canvas: _Canvas, palette_rgb: np.ndarray, shares: bool = False):
    """Label each ink pixel with the palette colour whose paper-blend line it lies on.

    With ``shares``, also return each labelled pixel's position on that line
    (0 paper, 1 the full colour): the coverage of an anti-aliased pixel.
    """
    labels = np.full(canvas.ink.shape, -1, dtype=np.int16)
    v = canvas.pixels[canvas.ink].astype(np.float32) - canvas.paper
    best = np.full(len(v), np.inf)
    best_label = np.full(len(v), -1, dtype=np.int16)
    best_share = np.zeros(len(v), dtype=np.float32)
    for i, rgb in enumerate(palette_rgb):
        share, residual = _blend(v, rgb - canvas.paper)
        # Between two fits, prefer the colour the pixel matches at full strength:
        # mid-grey is a half-strength black but a full-strength grey.
        score = residual + 60.0 * np.abs(1.0 - np.minimum(share, 1.0))
        ok = (share >= MIN_COLOR_SHARE) & (share <= 1.4) & (residual < COLOR_RESIDUAL)
        better = ok & (score < best)
        best[better] = score[better]
        best_label[better] = i
        best_share[better] = share[better]
    labels[canvas.ink] = best_label
    if not shares:
        return labels
    share_map = np.zeros(canvas.ink.shape, dtype=np.float32)
    share_map[canvas.ink] = np.minimum(best_share, 1.0)
    return labels, share_map


def _evidence(canvas: _Canvas, labels: np.ndarray, share: np.ndarray, index: int,
              palette_rgb: np.ndarray, start: int | None = None) -> CurveEvidence:
    """Coverage maps of one curve colour, of the other curves and of the removed lines.

    A line's anti-aliased edge is too pale to be labelled; unlabelled pixels
    next to the colour that lie on its paper-blend line count with their
    share, so that the line's edges can be read to a fraction of a pixel.
    Where the line touches another curve's, a pixel mixes the two colours
    (and JPEG blurs the colours of neighbouring pixels together): such a
    pixel is unmixed into its shares of the two colours and paper (linear
    unmixing, least squares with two endmembers; Keshava & Mustard 2002,
    IEEE Signal Process Mag 19:44), its own share counted as the curve's
    coverage and the other as the other curve's; so are the blends JPEG
    leaves a little farther from the line (:func:`_unmix_between_curves`;
    ``start``: the row of survival 1, where the curve begins in column 0).
    """
    mask = labels == index
    own = np.where(mask, share, 0.0).astype(np.float32)
    other = np.where((labels >= 0) & ~mask, share, 0.0).astype(np.float32)
    edge = _near(mask, 1) & (labels < 0) & ~canvas.lines
    if edge.any():
        paper = canvas.paper.astype(np.float32)
        d = palette_rgb[index].astype(np.float32) - paper
        v = canvas.pixels[edge].astype(np.float32) - paper
        blend, residual = _blend(v, d)
        own_edge = np.where(residual < COLOR_RESIDUAL, np.clip(blend, 0.0, 1.0), 0.0)
        other_edge = np.zeros_like(own_edge)
        best = residual
        for k, rgb in enumerate(palette_rgb):
            if k == index:
                continue
            a, b, res = _unmix(v, d, rgb.astype(np.float32) - paper)
            mixed = (a > 0) & (b > 0) & (res < COLOR_RESIDUAL) & (res < best)
            own_edge[mixed] = np.clip(a[mixed], 0.0, 1.0)
            other_edge[mixed] = np.clip(b[mixed], 0.0, 1.0)
            best = np.where(mixed, res, best)
        own[edge] = own_edge
        other[edge] = np.maximum(other[edge], other_edge)
    _unmix_between_curves(canvas, labels, index, palette_rgb, ~edge, own, other, start)
    return CurveEvidence(own=own, mask=mask, other=other, lines=canvas.lines)


def _marks_found(canvas: _Canvas, labels: np.ndarray, share: np.ndarray, index: int,
                 palette_rgb: np.ndarray, start: int) -> tuple[CurveEvidence, TraceSettings, MarkBars]:
    """A colour's evidence without its censor marks' bars, its line settings and the bars."""
    evidence = _evidence(canvas, labels, share, index, palette_rgb, start=start)
    runs = ColumnRuns.of(evidence.mask)
    width = measure_line_width(evidence.own, runs)
    settings = TraceSettings(width, measure_dash_gap(evidence.mask, width))
    bars = find_mark_bars(evidence, runs, settings)
    return bars.remove_from(evidence), settings, bars


def _near(mask: np.ndarray, reach: int) -> np.ndarray:
    """Pixels within ``reach`` pixels (a square) of ``mask``."""
    size = 2 * reach + 1
    near = ndimage.maximum_filter1d(mask.view(np.uint8), size, axis=0)
    return ndimage.maximum_filter1d(near, size, axis=1) > 0


def _unmix_between_curves(canvas: _Canvas, labels: np.ndarray, index: int, palette_rgb: np.ndarray,
                          allowed: np.ndarray, own: np.ndarray, other: np.ndarray,
                          start: int | None = None) -> None:
    """Give the curve its share of ink pixels that only a mix of two curve colours explains.

    JPEG keeps colour at half resolution (4:2:0 chroma subsampling, 2 x 2
    pixels; Wallace 1992, IEEE Trans Consum Electron 38:xviii), so where two
    curves meet, pixels take a blend of both colours even where one line
    is drawn (a drop beside the other curve's line may show no pixel of its
    own colour). An unlabelled ink pixel (``allowed``) within
    :data:`MIX_REACH` pixels of another colour's pixels that neither colour
    explains alone (each residual at least :data:`COLOR_RESIDUAL`) but their
    unmixing does is a blend; a group of touching blends that reaches the
    curve's own coverage (at least half a pixel) or its start (column 0 at
    row ``start``, survival 1, where every curve begins), within
    :data:`MIX_REACH`, is counted as the two shares (in place, in ``own``
    and ``other``). Both curves start there, so a start drawn beside the
    other curve may show in blends only ('jpeg', seed 61).
    Anti-aliased edges of one colour are explained by it and stay as they
    were; grey ink (a blend of two complementary colours looks grey) beside
    one curve only, such as a median line or legend text, is left out.
    """
    candidates = canvas.ink & (labels < 0) & allowed
    if not candidates.any():
        return
    paper = canvas.paper.astype(np.float32)
    d = palette_rgb[index].astype(np.float32) - paper
    own_mix = np.zeros(own.shape, dtype=np.float32)
    other_mix = np.zeros(own.shape, dtype=np.float32)
    for k, rgb in enumerate(palette_rgb):
        if k == index:
            continue
        meet = candidates & _near(labels == k, MIX_REACH)
        if not meet.any():
            continue
        v = canvas.pixels[meet].astype(np.float32) - paper
        e = rgb.astype(np.float32) - paper
        a, b, res = _unmix(v, d, e)
        mixed = ((_blend(v, d)[1] >= COLOR_RESIDUAL) & (_blend(v, e)[1] >= COLOR_RESIDUAL)
                 & (a > 0) & (b > 0) & (res < COLOR_RESIDUAL))
        own_mix[meet] = np.maximum(own_mix[meet], np.where(mixed, np.clip(a, 0, 1), 0))
        other_mix[meet] = np.maximum(other_mix[meet], np.where(mixed, np.clip(b, 0, 1), 0))
    groups, n = ndimage.label(own_mix > 0, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return
    anchors = own >= 0.5
    if start is not None and 0 <= start < anchors.shape[0]:
        anchors[start, 0] = True
    touching = np.unique(groups[_near(anchors, MIX_REACH) & (groups > 0)])
    keep = np.isin(groups, touching)
    own[keep] = np.maximum(own[keep], own_mix[keep])
    other[keep] = np.maximum(other[keep], other_mix[keep])


def _blend(v: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each ``v`` (colours minus paper, last axis RGB) projected on the line from paper along ``d``.

    Returns the share of ``d`` (the coverage of an anti-aliased pixel: 0
    paper, 1 the full colour) and the distance (RGB) from that line.
    """
    share = v @ d / (d @ d)
    return share, np.linalg.norm(v - share[..., None] * d, axis=-1)


def _unmix(v: np.ndarray, d1: np.ndarray, d2: np.ndarray):
    """Least-squares shares ``a``, ``b`` of ``v = a d1 + b d2`` (colours minus paper) and the residual."""
    gram = np.array([[d1 @ d1, d1 @ d2], [d1 @ d2, d2 @ d2]])
    if abs(np.linalg.det(gram)) < 1e-6 * gram[0, 0] * gram[1, 1]:
        nothing = np.zeros(len(v), dtype=np.float32)
        return nothing, nothing, np.full(len(v), np.inf, dtype=np.float32)
    a, b = np.linalg.solve(gram, np.stack([v @ d1, v @ d2]))
    residual = np.linalg.norm(v - a[:, None] * d1 - b[:, None] * d2, axis=1)
    return a, b, residual


def _match_color(hex_color: str, palette: list[CurveColor]) -> CurveColor:
    text = hex_color.strip().lstrip("#")
    try:
        if len(text) != 6:
            raise ValueError
        rgb = np.array([int(text[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)
    except ValueError:
        raise FigureError(
            f"{hex_color!r} is not a colour; write it as #rrggbb, e.g. #1f77b4."
        ) from None
    distances = [np.linalg.norm(rgb - np.array(c.rgb)) for c in palette]
    best = int(np.argmin(distances))
    if distances[best] > SAME_COLOR_DISTANCE:
        found = ", ".join(c.hex for c in palette)
        raise FigureError(
            f"No curve of colour #{text.lower()} in the plot area. Curve colours found: {found}."
        )
    return palette[best]


def _marks_of(step: StepCurve, traced: list[StepCurve], bars: MarkBars, evidence: CurveEvidence,
              settings: TraceSettings) -> np.ndarray:
    """Columns of the censor marks on one curve: found by shape, or sticking out of it.

    Where the colour carries two curves, the other curve's line is not a mark.
    """
    others = [curve_zone(t, evidence.mask.shape) for t in traced if t is not step]
    sticking_out = censor_marks(evidence.mask, evidence.own, step, settings,
                                exclude=others[0] if others else None)
    return np.sort(np.concatenate([_bars_on(bars, step, traced, settings), sticking_out]))


def _bars_on(bars: MarkBars, step: StepCurve, traced: list[StepCurve],
             settings: TraceSettings) -> np.ndarray:
    """Columns of the marks found by shape that sit on this curve (the nearest one)."""
    if bars.centres.size == 0:
        return np.empty(0)
    x, row = bars.centres[:, 0], bars.centres[:, 1]

    def distance(curve: StepCurve) -> np.ndarray:
        upper, lower = curve_rows(curve, int(np.ceil(x.max())) + 1)
        index = np.clip(np.round(x).astype(int), 0, upper.size - 1)
        gap = np.maximum(upper[index] - row, 0) + np.maximum(row - lower[index], 0)
        return np.where(np.isnan(gap), np.inf, gap)

    own = distance(step)
    nearest = np.min([distance(t) for t in traced], axis=0)
    return x[(own <= nearest) & (own <= settings.width + 2)]


def _centres_near(bars: MarkBars, paths: list[np.ndarray], index: int) -> np.ndarray:
    """Centres of the marks found by shape no farther from ``paths[index]`` than from the colour's other paths."""
    if bars.centres.size == 0:
        return bars.centres
    cols = np.clip(np.round(bars.centres[:, 0]).astype(int), 0, paths[index].size - 1)
    gap = [np.abs(p[cols] - bars.centres[:, 1]) for p in paths]
    return bars.centres[gap[index] <= np.min(gap, axis=0)]


def _settings_of(path: np.ndarray, evidence: CurveEvidence, settings: TraceSettings) -> TraceSettings:
    """The colour's settings as one of its curves is read: the measured dash gap for a dashed one only.

    A solid curve beside a dashed one of its colour has no gaps to bridge:
    bridged over R's 7 px dash gap, its last level was followed down a
    censor mark's lower bar (a spurious final drop, 'base bw' seed 19 arm A:
    0.03 % -> 0.65 %).
    """
    if settings.gap is None or looks_dashed(path, evidence, settings):
        return settings
    solid = replace(settings, gap=None)
    return settings if solid.dash_gap == settings.dash_gap else solid


def _untraced_line(mask: np.ndarray, traced: list[StepCurve]) -> tuple[int, int] | None:
    """Columns of a curve of the colour that no traced curve follows, if there is one.

    Ink of the colour (``mask``) away from every traced curve that spans
    :data:`MIN_CURVE_SPAN` of the plot width, as a colour must to count as
    a curve (:func:`find_curve_colors`), and that leaves a traced curve at
    its left end (every curve starts at survival 1 at time 0, so a second
    one parts from the first), is a curve of that colour that was not split
    from the traced one (R's lty = 2 arm beside a solid one in black,
    'base bw' seed 7: 78 % of the width; the legend, text and marks of the
    matplotlib styles span at most 25 %, and a median line, up to 33 %,
    starts at the y axis). The digitizer must say so, never drop an arm
    silently.
    """
    followed = np.logical_or.reduce([curve_zone(t, mask.shape) for t in traced])
    structure = _widest_structure(mask & ~followed)
    if structure is None or structure[1].stop - structure[1].start < MIN_CURVE_SPAN * mask.shape[1]:
        return None
    rows, cols = structure
    # Its left end, the first three of the 3-px blocks it was found on, within 3 px of a curve.
    left = slice(cols.start, cols.start + 9)
    near = ndimage.binary_dilation(followed[rows, left], iterations=3)
    if not (near & mask[rows, left] & ~followed[rows, left]).any():
        return None
    return cols.start, cols.stop


def _untraced_warning(columns: tuple[int, int], canvas: _Canvas,
                      calibration: AxisCalibration) -> str:
    start, end = (calibration.to_data(x + canvas.left, 0.0)[0] for x in columns)
    return (
        f"the same colour shows another line from t = {max(start, 0.0):.3g} to {end:.3g} "
        f"{calibration.x_unit} that could not be split from this curve (two curves in one "
        "colour, e.g. a dashed arm); that curve is missing, digitize it by hand"
    )


def _names(hex_color: str, traced: list[StepCurve]) -> list[str]:
    if len(traced) == 1:
        return [hex_color]
    dashed = [t.gap_share > DASHED_GAP_SHARE for t in traced]
    if dashed[0] != dashed[1]:
        return [f"{hex_color}-{'dashed' if d else 'solid'}" for d in dashed]
    return [f"{hex_color}-1", f"{hex_color}-2"]


def _to_data(
    name: str,
    color: CurveColor,
    step: StepCurve,
    marks: np.ndarray,
    canvas: _Canvas,
    calibration: AxisCalibration,
    palette: list[CurveColor],
    labels: np.ndarray,
) -> DigitizedCurve:
    corner_x, corner_y = step.corner_x.copy(), step.corner_y.copy()
    x_origin, y_one = calibration.to_pixel(0.0, 1.0)
    x_origin, y_one = x_origin - canvas.left, y_one - canvas.top
    # A Kaplan-Meier curve starts at (0, 1). Its first stretch hides under the
    # frame (the top axis line at survival 1, the y axis at time 0), whose
    # pixels were removed: snap a first plateau within 1.5 pixels of
    # survival 1 to it, otherwise start at 1 and drop where the line appears.
    seen = 2 if step.start_hidden else 0
    first_seen = calibration.to_data(corner_x[seen] + canvas.left, corner_y[seen] + canvas.top)
    if abs(corner_y[0] - y_one) <= 1.5:
        corner_y[corner_y == corner_y[0]] = y_one
    else:
        corner_x = np.concatenate([[corner_x[0], corner_x[0]], corner_x])
        corner_y = np.concatenate([[y_one, y_one], corner_y])
    if corner_x[0] - x_origin < 4 * TraceSettings(step.line_width).dash_gap:
        corner_x[0] = x_origin
    ends_on_axis = _ends_on_axis_line(corner_y[-1], canvas.axis_line, step.line_width)
    if ends_on_axis:
        corner_x = np.append(corner_x, corner_x[-1])
        corner_y = np.append(corner_y, canvas.axis_line[0])
    t, s = calibration.to_data(corner_x + canvas.left, corner_y + canvas.top)
    points = pd.DataFrame({"time": np.maximum(t, 0.0), "survival": np.clip(s, 0.0, 1.0)})
    censor_t = calibration.to_data(marks + canvas.left, 0.0)[0]
    min_gap = REPORTED_GAP_SHARE * canvas.ink.shape[1]

    def time_at(x: float) -> str:
        return f"{calibration.to_data(x + canvas.left, 0.0)[0]:.3g}"

    def when(a: float, b: float) -> str:
        return f"t = {time_at(a)} to {time_at(b)} {calibration.x_unit}"

    warnings = []
    if first_seen[1] < 1 - FIRST_DROP_REPORTED:
        warnings.append(
            f"first seen at t = {first_seen[0]:.3g} {calibration.x_unit} with survival "
            f"{first_seen[1]:.3g}; joined to survival 1 at time 0 by one drop there, check "
            "the start of the curve"
        )
    for a, b in step.lost:
        if b - a + 1 >= min_gap:
            warnings.append(
                f"not visible from {when(a - 1, b + 1)} (covered, e.g. by the legend, or cut); "
                "drawn flat across the gap, check this stretch"
            )
    for a, b in step.hidden:
        if b - a + 1 >= min_gap:
            warnings.append(
                f"hidden under {_cover_color(labels, color, palette, a, b)} from {when(a, b)}; "
                "followed that curve there"
            )
    if ends_on_axis:
        warnings.append(
            f"ends on the x axis line at t = {time_at(corner_x[-1])} {calibration.x_unit}; "
            "taken to drop below the axis there (a drop would be hidden under the line), "
            "check the end of the curve"
        )
    if step.hidden_tail is not None and step.hidden_tail[1] - step.hidden_tail[0] + 1 >= min_gap:
        a, b = step.hidden_tail
        warnings.append(
            f"not visible after t = {time_at(a)} {calibration.x_unit}; it may "
            f"continue hidden under {_cover_color(labels, color, palette, a, b)}"
        )
    return DigitizedCurve(
        name=name,
        color=color.hex,
        points=points,
        censor_times=tuple(float(v) for v in np.atleast_1d(censor_t)),
        warnings=tuple(warnings),
    )


def _ends_on_axis_line(level: float, axis_line: tuple[float, int] | None, width: float) -> bool:
    """Whether a curve's last level lies so close above the x axis line that a drop from it cannot show.

    A drop from a level whose line's lower edge lies less than a line width
    above the axis line's upper edge would show at most a stub no longer than
    the line is wide, which the tracer cannot tell from the line's own edge;
    the rest of it, and all the curve below, is under the axis line (a
    survival axis starting above 0 cuts the curves where they fall below
    it). Such a curve is taken to drop to the axis where its line ends; if its
    follow-up ended there instead, that drop lies at its last time, where it
    changes nothing before it ('y axis from 0.2', seeds 25 and 28 arm B: the
    curve fell below 0.2 but ended at 0.2065 across 12-15 months, 0.65 % ->
    0.00 %). Rows are canvas rows; ``axis_line`` is the line's centre row and
    height (:func:`_bottom_frame`).
    """
    if axis_line is None:
        return False
    centre, height = axis_line
    gap = (centre - height / 2) - (level + width / 2)
    return level < centre - height / 2 and gap < width


def _cover_color(labels, color: CurveColor, palette: list[CurveColor], a: int, b: int) -> str:
    own = palette.index(color)
    seen = labels[:, a:b + 1]
    others = seen[(seen >= 0) & (seen != own)]
    if others.size == 0:
        return "another curve"
    return f"the {palette[int(np.bincount(others).argmax())].hex} curve"
