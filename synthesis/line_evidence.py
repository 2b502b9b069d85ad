"""What the plot area shows of one curve colour, and how it is measured along a path.

This module owns the pixel evidence the tracer works on (:class:`CurveEvidence`:
the colour's anti-aliased coverage, what may hide it, the censor marks taken
out), the pixel sizes derived from the measured line width
and dash gap (:class:`TraceSettings`, :func:`measure_line_width`), the vertical runs of a
colour per column (:class:`ColumnRuns`) and the reading of a line along a
traced path (:func:`band_coverage`, :data:`SEEN`, :func:`column_spans`).
Every other part of the step-function tracer (:mod:`synthesis.step_trace`)
builds on these.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

#: Share of the line's band covered from which the line counts as seen.
SEEN = 0.35


@dataclass
class ColumnRuns:
    """Vertical runs of ``True`` pixels per column: ``starts[x]``, ``ends[x]`` (inclusive)."""

    starts: list[np.ndarray]
    ends: list[np.ndarray]

    @classmethod
    def of(cls, mask: np.ndarray) -> ColumnRuns:
        # Column-major and contiguous, so that runs come out sorted by column.
        padded = np.zeros((mask.shape[1], mask.shape[0] + 2), dtype=np.int8)
        padded[:, 1:-1] = mask.T
        edges = np.diff(padded, axis=1)
        xs, ys = np.nonzero(edges)
        rising = edges[xs, ys] == 1
        columns = np.arange(1, mask.shape[1])
        starts = np.split(ys[rising], np.searchsorted(xs[rising], columns))
        ends = np.split(ys[~rising] - 1, np.searchsorted(xs[~rising], columns))
        return cls(starts, ends)

    def heights(self) -> np.ndarray:
        return np.concatenate([e - s + 1 for s, e in zip(self.starts, self.ends)] or [[]])


@dataclass(frozen=True)
class CurveEvidence:
    """What the plot area shows of one curve colour (plot-area pixels).

    Attributes
    ----------
    own : numpy.ndarray
        Coverage (0-1, float) of each pixel by the curve's colour, anti-aliased
        edges included.
    mask : numpy.ndarray
        Pixels of the curve's colour at full strength (bool).
    other : numpy.ndarray
        Coverage by the other curve colours.
    lines : numpy.ndarray
        Pixels of axis, frame and grid lines that were removed (bool).
    marks : numpy.ndarray, optional
        Pixels of censor marks taken out of ``own`` (bool): not ink to follow,
        and unknown when the line is read to a fraction of a pixel.
    crossbars : numpy.ndarray, optional
        Pixels of the crossbars of '+' marks (bool), left in ``own``: they
        lie on the line and are followed, but on a dashed line they fill
        the gaps the line leaves.
    cover_marks : numpy.ndarray, optional
        Pixels of the other curves' censor marks that stick out of their
        lines (bool): they may hide this curve, but are no line that it
        runs along.
    under_marks : numpy.ndarray, optional
        The colour's coverage of the pixels in ``marks`` (0 elsewhere), as
        it was before they were taken out of ``own``: a dotted line's dot
        beside a mark's bar shows there.
    """

    own: np.ndarray
    mask: np.ndarray
    other: np.ndarray
    lines: np.ndarray
    marks: np.ndarray | None = None
    crossbars: np.ndarray | None = None
    cover_marks: np.ndarray | None = None
    under_marks: np.ndarray | None = None

    def mark_pixels(self) -> np.ndarray | None:
        """Pixels of the curve's censor marks, their crossbars included (``None`` without marks)."""
        masks = [m for m in (self.marks, self.crossbars) if m is not None]
        return np.logical_or.reduce(masks) if masks else None

    def unknown(self) -> np.ndarray:
        """Pixels whose coverage by the curve cannot be read: hidden, or a mark's."""
        hidden = self.hidden_coverage >= 0.5
        return hidden if self.marks is None else hidden | self.marks

    @cached_property
    def hidden_coverage(self) -> np.ndarray:
        """Coverage by anything that may hide the curve: other curves and axis lines."""
        return np.maximum(self.other, self.lines.astype(np.float32))


@dataclass(frozen=True)
class TraceSettings:
    """Pixel sizes derived from the measured line width ``width`` (may be fractional).

    ``gap`` is the colour's dash gap in pixels where one was measured in
    the image (:func:`synthesis.dashed_lines.measure_dash_gap`); ``None``
    for a solid line.
    """

    width: float
    gap: float | None = None

    @property
    def half(self) -> int:
        """Rows a flat line covers on each side of its centre row."""
        return max(0, int(np.ceil(self.width / 2 - 0.5)))

    @property
    def template(self) -> np.ndarray:
        """Coverage of the rows of a flat line centred on a row (its band)."""
        k = np.arange(-self.half, self.half + 1)
        return np.clip(self.width / 2 + 0.5 - np.abs(k), 0.0, 1.0)

    @property
    def dash_gap(self) -> int:
        """Longest dash gap bridged: the measured gap, a pixel of anti-aliasing added.

        At least 1.8 line widths (4 px): the gaps a removed mark's bar or
        JPEG leaves in any line, and matplotlib's dash gaps (1.6-1.65 line
        widths). R's lty = 2 gaps are 4 line widths (7-8 px at lwd = 2 and
        110 dpi).
        """
        floor = max(4, int(np.ceil(1.8 * self.width)) + 1)
        return floor if self.gap is None else max(floor, int(np.ceil(self.gap)) + 1)


def measure_line_width(own: np.ndarray, runs: ColumnRuns) -> float:
    """Line width in pixels, to a fraction of a pixel.

    Where a column holds one flat run of the colour (``runs``, the most
    common run height), its summed coverage, a pixel either side included,
    is the width of the anti-aliased line.
    """
    heights = runs.heights()
    if heights.size == 0:
        return 1.0
    mode = int(np.bincount(heights.astype(int)).argmax())
    single = [(x, s[0]) for x, (s, e) in enumerate(zip(runs.starts, runs.ends))
              if s.size == 1 and e[0] - s[0] + 1 == mode]
    if not single:
        return float(mode)
    cols, tops = np.array(single).T
    rows = np.clip(tops[:, None] + np.arange(-1, mode + 1)[None, :], 0, own.shape[0] - 1)
    return float(np.median(own[rows, cols[:, None]].sum(axis=1)))


def band_coverage(coverage: np.ndarray, path: np.ndarray, settings: TraceSettings) -> np.ndarray:
    """Share of the line's band covered at the path's row, per column."""
    template = settings.template
    rows = path[None, :] + np.arange(-settings.half, settings.half + 1)[:, None]
    inside = (rows >= 0) & (rows < coverage.shape[0])
    cols = np.broadcast_to(np.arange(path.size), rows.shape)
    values = np.where(inside, coverage[np.clip(rows, 0, coverage.shape[0] - 1), cols], 0.0)
    return (template[:, None] * values).sum(axis=0) / template.sum()


def pixel_share(centres: np.ndarray, low, high) -> np.ndarray:
    """Share of each unit pixel centred at ``centres`` inside ``[low, high]`` (broadcast)."""
    # At most 1 already: both ends lie within the pixel.
    share = np.minimum(centres + 0.5, high) - np.maximum(centres - 0.5, low)
    return np.maximum(share, 0.0, out=share)


def column_spans(columns: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive column indices grouped as (first, last)."""
    if columns.size == 0:
        return []
    breaks = np.nonzero(np.diff(columns) > 1)[0]
    firsts = np.concatenate([[columns[0]], columns[breaks + 1]])
    lasts = np.concatenate([columns[breaks], [columns[-1]]])
    return [(int(a), int(b)) for a, b in zip(firsts, lasts)]


def path_zone(path: np.ndarray, shape: tuple[int, int], settings: TraceSettings) -> np.ndarray:
    """Pixels of the line along a traced path, its drops included."""
    reach = settings.half + 1
    padded = np.concatenate([np.full(reach, path[0]), path, np.full(reach, path[-1])])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    rows = np.arange(shape[0])[:, None]
    return (rows >= windows.min(axis=1)[None, :] - reach) & (rows <= windows.max(axis=1)[None, :] + reach)
