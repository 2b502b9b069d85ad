"""The grid a Kaplan-Meier reconstruction walks, and the walk's state on it.

The grid holds the cleaned digitized points of the curve with the published
risk-table times put on it (Guyot et al. 2012 fit the censorings one
risk-table interval at a time, so every interval must start on a point).
Between two points the curve is read as the straight line joining them, so
a risk-table time between two points splits the drop across it (see
:func:`risk_grid`), a departure from Guyot's code, which puts every drop at
the later point.

References
----------
Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
survival data: reconstructing the data from published Kaplan-Meier
survival curves. BMC Med Res Methodol. 2012;12:9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Points:
    """The points walked: the cleaned digitized points plus those put in for the risk table.

    ``digitized`` marks the points given; ``step_end`` those where the curve
    drops vertically, their two corners given at one time (see
    :class:`synthesis.curve_input.CleanCurve`).
    """

    time: np.ndarray
    survival: np.ndarray
    digitized: np.ndarray
    step_end: np.ndarray

    def insert(self, at: np.ndarray, time: np.ndarray, survival: np.ndarray) -> Points:
        """Points put in before the indices ``at`` (neither digitized nor step ends)."""
        return Points(
            np.insert(self.time, at, time), np.insert(self.survival, at, survival),
            np.insert(self.digitized, at, False), np.insert(self.step_end, at, False),
        )


@dataclass
class Grid:
    """The walk's state: points, the risk-interval starts and what was placed.

    Attributes
    ----------
    time, survival, step_end, digitized
        The grid's points (see :class:`Points`).
    lower : list of int
        Index of the point at each risk-table time, the start of its interval.
    marks : numpy.ndarray or None
        Sorted censor-mark times, or None without marks.
    events, censored, km : numpy.ndarray
        Per point, as the kept walks left them: events at it, censorings
        after its events, and the reconstructed Kaplan-Meier estimate.
    censor_times : list of numpy.ndarray
        The censoring times kept, one array per fitted interval.
    """

    time: np.ndarray
    survival: list[float]
    step_end: np.ndarray
    digitized: np.ndarray
    lower: list[int]
    marks: np.ndarray | None
    events: np.ndarray
    censored: np.ndarray
    km: np.ndarray
    censor_times: list[np.ndarray]


def risk_grid(points: Points, at_risk: pd.DataFrame) -> tuple[Points, list[int], list[int], bool, list[str]]:
    """Put the risk-table times on the curve's grid.

    Returns the grid's points, the index of each risk time on the grid, the
    counts used, whether the table falls to 0 after the curve ends, and the
    changes made. Points after a count of 0 are dropped, and a curve ending
    before a later positive count is extended flat to it: those patients
    were followed that long without an event. The risk times are then put
    on the grid (:func:`_split_at_risk_times`).
    """
    changes = []
    time = points.time
    risk_time = at_risk["time"].to_numpy(dtype=float)
    n_risk = at_risk["n_risk"].to_numpy()
    zero = np.flatnonzero(n_risk == 0)
    if zero.size and risk_time[zero[0]] < time[-1]:
        cut = risk_time[zero[0]]
        dropped = int((time > cut).sum())
        changes.append(
            f"dropped {dropped} point(s) after time {cut:g}, where the risk table shows nobody at risk"
        )
        keep = time <= cut
        points = Points(time[keep], points.survival[keep], points.digitized[keep], points.step_end[keep])
        time = points.time
    positive_after = risk_time[(risk_time > time[-1]) & (n_risk > 0)]
    if positive_after.size:
        changes.append(
            f"extended the curve flat from time {time[-1]:g} to {positive_after.max():g}, "
            "where the risk table still shows patients at risk"
        )
        points = points.insert(np.array([time.size]), positive_after.max(), points.survival[-1])
        time = points.time
    ends_empty = bool(n_risk[-1] == 0 and risk_time[-1] > time[-1])
    used = risk_time <= time[-1]
    risk_time, n_risk = risk_time[used], n_risk[used]
    points = _split_at_risk_times(points, risk_time)
    lower = np.searchsorted(points.time, risk_time).tolist()
    return points, lower, n_risk.astype(int).tolist(), ends_empty, changes


def _split_at_risk_times(points: Points, risk_time: np.ndarray) -> Points:
    """Put the risk times (after 0, within the curve) on the grid, splitting the drops across them.

    Read along the line joining two points, the curve at a risk time T
    between them has the line's value, and the part of the drop before T
    happened before it; so does the whole drop into a point at T. That part
    goes to a grid point halfway between the point (or risk time) before T
    and T, so that its events fall in the interval ending at T, whose
    published count does not include them. At a step end the curve is flat
    up to the drop: a T before it takes the level before, and a drop at T
    stays at T.
    """
    time, survival = points.time, points.survival
    later = np.searchsorted(time, risk_time[1:])
    on_point = time[later] == risk_time[1:]
    level = np.where(
        points.step_end[later] & ~on_point, survival[later - 1], np.interp(risk_time[1:], time, survival)
    )
    # Several risk times may fall between the same two points.
    before = np.maximum(time[later - 1], risk_time[:-1])
    split = ~(on_point & points.step_end[later])
    at, new_time, new_level = [], [], []
    for index, t, prev, value, on, cut in zip(later, risk_time[1:], before, level, on_point, split, strict=True):
        if cut:
            at.append(index)
            new_time.append((prev + t) / 2)
            new_level.append(value)
        if not on:
            at.append(index)
            new_time.append(t)
            new_level.append(value)
    return points.insert(np.array(at, dtype=int), np.array(new_time), np.array(new_level)) if at else points

