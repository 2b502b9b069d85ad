"""Axis calibration of a figure image: pixel positions to data values and back.

A Kaplan-Meier figure has a linear time axis and a linear survival axis. As in
WebPlotDigitizer, two known points on each axis (a pixel position and the
value printed there) fix the mapping. Pixel coordinates have their origin at
the top-left corner of the image, the centre of pixel column ``i`` at
``x = i``, and may be fractional.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthesis.errors import InvalidInputError

#: Two calibration points closer than this (in pixels) cannot fix a scale: a
#: click error of one pixel would change every value by more than 10 %.
MIN_CALIBRATION_DISTANCE_PX = 10.0

#: A survival axis whose larger calibration value exceeds this is read as
#: per cent (0-100) rather than as a fraction (0-1).
PERCENT_AXIS_THRESHOLD = 1.5

#: Dark pixels (luminance below this, 0-255) can belong to an axis line.
AXIS_LINE_MAX_LUMINANCE = 140

#: An axis line must run over at least this share of the image width/height.
AXIS_LINE_MIN_SHARE = 0.3

CALIBRATION_COLUMNS = ["axis", "pixel", "value"]


@dataclass(frozen=True)
class AxisCalibration:
    """Linear mapping between image pixels and (time, survival).

    Parameters
    ----------
    x_pixels, x_values : tuple of float
        Two pixel columns on the time axis and the times printed there.
    y_pixels, y_values : tuple of float
        Two pixel rows on the survival axis and the survival printed there,
        already as fractions (use :meth:`from_points`, which accepts per cent).
    x_unit : str
        Unit of time as typed by the user ("months" or "days"); kept as a
        label, values are never converted.
    y_percent : bool
        Whether the figure's survival axis was printed in per cent; the values
        here are fractions either way.

    Examples
    --------
    >>> cal = AxisCalibration.from_points(x=[(100, 0), (700, 36)], y=[(530, 0), (70, 100)])
    >>> cal.to_data(400, 300)
    (18.0, 0.5)
    """

    x_pixels: tuple[float, float]
    x_values: tuple[float, float]
    y_pixels: tuple[float, float]
    y_values: tuple[float, float]
    x_unit: str = "months"
    y_percent: bool = False

    def __post_init__(self) -> None:
        for axis, pixels, values in (
            ("x", self.x_pixels, self.x_values),
            ("y", self.y_pixels, self.y_values),
        ):
            if len(pixels) != 2 or len(values) != 2:
                raise InvalidInputError(
                    f"The {axis} axis needs exactly two calibration points (pixel and value)."
                )
            if not all(np.isfinite(v) for v in (*pixels, *values)):
                raise InvalidInputError(
                    f"The {axis} calibration points must be numbers; got pixels {pixels}, "
                    f"values {values}."
                )
            if abs(pixels[1] - pixels[0]) < MIN_CALIBRATION_DISTANCE_PX:
                raise InvalidInputError(
                    f"The two {axis} calibration points are on top of each other (pixels "
                    f"{pixels[0]:g} and {pixels[1]:g}); pick two points at least "
                    f"{MIN_CALIBRATION_DISTANCE_PX:g} pixels apart, ideally the two ends "
                    "of the axis."
                )
            if values[0] == values[1]:
                raise InvalidInputError(
                    f"The two {axis} calibration points have the same value ({values[0]:g}); "
                    "type the value printed at each of the two points."
                )

    @classmethod
    def from_points(
        cls,
        *,
        x: list[tuple[float, float]],
        y: list[tuple[float, float]],
        x_unit: str = "months",
    ) -> AxisCalibration:
        """Build a calibration from ``[(pixel, value), (pixel, value)]`` per axis.

        Survival values above 1.5 mean the axis is in per cent; they are
        divided by 100 so that the calibration always yields fractions.
        """
        x_pairs = _two_pairs(x, "x")
        y_pairs = _two_pairs(y, "y")
        y_vals = [v for _, v in y_pairs]
        percent = max(abs(v) for v in y_vals) > PERCENT_AXIS_THRESHOLD
        scale = 100.0 if percent else 1.0
        return cls(
            x_pixels=(x_pairs[0][0], x_pairs[1][0]),
            x_values=(x_pairs[0][1], x_pairs[1][1]),
            y_pixels=(y_pairs[0][0], y_pairs[1][0]),
            y_values=(y_vals[0] / scale, y_vals[1] / scale),
            x_unit=x_unit,
            y_percent=percent,
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, x_unit: str = "months") -> AxisCalibration:
        """Build a calibration from a table with columns ``axis, pixel, value``.

        The table holds two ``x`` rows and two ``y`` rows, as
        :meth:`summary_frame` writes it; this is the editable form on the page.
        """
        missing = [c for c in CALIBRATION_COLUMNS if c not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"The calibration table lacks the column(s) {', '.join(missing)}; it needs "
                "axis, pixel and value.",
                source="calibration",
            )
        pairs: dict[str, list[tuple[float, float]]] = {"x": [], "y": []}
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            axis = str(row.axis).strip().lower()
            if axis not in pairs:
                raise InvalidInputError(
                    f"axis must be 'x' or 'y', not {row.axis!r}.",
                    source="calibration", row=i, column="axis",
                )
            try:
                pairs[axis].append((float(row.pixel), float(row.value)))
            except (TypeError, ValueError):
                raise InvalidInputError(
                    "pixel and value must be numbers.", source="calibration", row=i
                ) from None
        return cls.from_points(x=pairs["x"], y=pairs["y"], x_unit=x_unit)

    @classmethod
    def auto_detect(
        cls,
        image: np.ndarray,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        *,
        x_unit: str = "months",
    ) -> AxisCalibration:
        """Find the axis lines of the plot and map their ends to the typed ranges.

        The x axis is the lowest long dark horizontal line, the y axis the
        leftmost long dark vertical line. ``x_range`` are the times at the left
        and right ends of the x axis line, ``y_range`` the survival at the
        bottom and top ends of the y axis line (as matplotlib, ggplot frames
        and most journal figures draw them); survival may be in per cent.

        Raises
        ------
        InvalidInputError
            When no axis line is found (then calibrate with two points per axis).
        """
        rgb = np.asarray(image)
        if rgb.ndim != 3:
            raise InvalidInputError("Expected a colour image (height x width x 3).")
        dark = rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114]) < (
            AXIS_LINE_MAX_LUMINANCE
        )
        height, width = dark.shape
        row = _longest_line(dark, min_length=AXIS_LINE_MIN_SHARE * width, pick="last")
        col = _longest_line(dark.T, min_length=AXIS_LINE_MIN_SHARE * height, pick="first")
        if row is None or col is None:
            raise InvalidInputError(
                "Could not find the axis lines of the plot automatically; click two "
                "known points on each axis instead."
            )
        x_center, x_start, x_end, x_thick = row
        y_center, y_start, y_end, y_thick = col
        left = x_start + (x_thick - 1) / 2
        bottom = y_end - (y_thick - 1) / 2
        # Tick marks at the origin stick out of the corner; where the two
        # axis lines meet, the corner is their crossing.
        if abs(y_center - left) <= 0.05 * (x_end - x_start):
            left = y_center
        if abs(x_center - bottom) <= 0.05 * (y_end - y_start):
            bottom = x_center
        return cls.from_points(
            x=[(left, x_range[0]), (x_end - (x_thick - 1) / 2, x_range[1])],
            y=[(bottom, y_range[0]), (y_start + (y_thick - 1) / 2, y_range[1])],
            x_unit=x_unit,
        )

    def to_data(self, px, py):
        """Pixel position(s) to ``(time, survival)`` with survival as a fraction."""
        t = _linear(px, self.x_pixels, self.x_values)
        s = _linear(py, self.y_pixels, self.y_values)
        return t, s

    def to_pixel(self, t, s):
        """``(time, survival)`` (survival as a fraction) to pixel position(s)."""
        px = _linear(t, self.x_values, self.x_pixels)
        py = _linear(s, self.y_values, self.y_pixels)
        return px, py

    def summary_frame(self) -> pd.DataFrame:
        """The four calibration points as ``axis, pixel, value`` (value as printed)."""
        y_scale = 100.0 if self.y_percent else 1.0
        return pd.DataFrame(
            {
                "axis": ["x", "x", "y", "y"],
                "pixel": [*self.x_pixels, *self.y_pixels],
                "value": [*self.x_values, *(v * y_scale for v in self.y_values)],
            }
        )

    def to_dict(self) -> dict:
        """JSON-ready form; :meth:`from_points` rebuilds it."""
        frame = self.summary_frame()
        return {
            "x": frame.loc[frame.axis == "x", ["pixel", "value"]].values.tolist(),
            "y": frame.loc[frame.axis == "y", ["pixel", "value"]].values.tolist(),
            "x_unit": self.x_unit,
            "y_percent": self.y_percent,
        }


def _two_pairs(points, axis: str) -> list[tuple[float, float]]:
    try:
        pairs = [(float(p), float(v)) for p, v in points]
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"The {axis} calibration must be two (pixel, value) pairs of numbers."
        ) from None
    if len(pairs) != 2:
        raise InvalidInputError(
            f"The {axis} axis needs exactly two calibration points; got {len(pairs)}."
        )
    return pairs


def _linear(u, from_pair, to_pair):
    slope = (to_pair[1] - to_pair[0]) / (from_pair[1] - from_pair[0])
    result = to_pair[0] + (np.asarray(u, dtype=float) - from_pair[0]) * slope
    return float(result) if result.ndim == 0 else result


def _longest_line(dark: np.ndarray, *, min_length: float, pick: str):
    """Longest straight run of dark pixels per row; the first/last long band.

    Returns ``(centre_row, start, end, thickness)`` of the chosen band of
    adjacent rows whose longest run is at least 80 % of the longest run in
    the image, or ``None`` when no run reaches ``min_length``.
    """
    padded = np.pad(dark, ((0, 0), (1, 1))).astype(np.int8)
    edges = np.diff(padded, axis=1)
    rows_s, cols_s = np.nonzero(edges == 1)
    _, cols_e = np.nonzero(edges == -1)
    if rows_s.size == 0:
        return None
    lengths = cols_e - cols_s
    best = np.zeros(dark.shape[0], dtype=int)
    np.maximum.at(best, rows_s, lengths)
    longest = best.max()
    if longest < min_length:
        return None
    long_rows = np.nonzero(best >= 0.8 * longest)[0]
    band_edge = long_rows[-1] if pick == "last" else long_rows[0]
    band = [band_edge]
    step = -1 if pick == "last" else 1
    long_set = set(long_rows.tolist())
    while (band[-1] + step) in long_set:
        band.append(band[-1] + step)
    band_rows = np.array(sorted(band))
    in_band = np.isin(rows_s, band_rows) & (lengths >= 0.8 * longest)
    start = np.median(cols_s[in_band])
    end = np.median(cols_e[in_band]) - 1
    return float(band_rows.mean()), float(start), float(end), len(band_rows)


def pixel_from_click(
    x: float, y: float, *, shown_size: tuple[float, float], image_size: tuple[int, int]
) -> tuple[float, float]:
    """Image pixel of a click on the image shown at ``shown_size`` (width, height).

    Pages show large figures scaled down; a click at (x, y) on the shown
    image is at (x * width / shown_width, y * height / shown_height) in the
    image itself (origin top-left in both).
    """
    if min(shown_size) <= 0:
        raise InvalidInputError("The clicked image has no size; click on the figure again.")
    return x * image_size[0] / shown_size[0], y * image_size[1] / shown_size[1]
