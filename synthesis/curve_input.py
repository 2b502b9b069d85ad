"""Read, check and clean what a reviewer digitized from a Kaplan-Meier figure.

Three inputs feed a reconstruction (Guyot et al. 2012): the digitized points
``time, survival`` of one curve, the numbers-at-risk table ``time, n_risk``
printed under the figure, and optionally the times of the censor marks drawn
on the curve. Digitized points are noisy by nature, so the curve is *repaired*
(sorted, put on the fraction scale, made non-increasing, started at (0, 1))
and every repair is reported; the risk table is typed by hand, so mistakes
there are *refused* with the row at fault, because guessing a count would
silently change the reconstruction.

Rows in messages are counted from the first data row (row 1), as a table
editor shows them.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from synthesis.errors import InvalidInputError

#: Survival values a little outside [0, 1] are digitizing noise around the
#: axis lines and are clipped; beyond this margin the value is a mistake
#: (another scale, a typo) and is refused.
SURVIVAL_MARGIN = 0.05

#: A survival maximum above this is read as percent. No fraction-scale curve
#: reaches 1.5 even with noise, and no percent-scale curve with a real start at
#: 100% stays below it.
PERCENT_THRESHOLD = 1.5

#: Largest rise of the curve above an earlier point that is still treated as
#: digitizing noise (SurvdigitizeR reports an RMSE of about 0.012, and a pair
#: of step corners clicked in the wrong order rises by one step, 0.05 for 20
#: patients). A bigger rise usually means points of two arms were mixed.
MAX_RISE = 0.15

#: Two neighbouring points closer in time than this fraction of the time
#: span, the later one higher by more than :data:`CORNER_RISE`, are the two
#: corners of one step clicked with a little horizontal jitter; their
#: survival values are swapped back. Manual clicks land within a pixel or two
#: (about 0.3% of a 600-pixel axis).
CORNER_TIME_MARGIN = 0.01

#: Smaller rises are left to the isotonic regression: they are as likely
#: vertical noise, and swapping noise on a flat stretch would turn it into a
#: staircase of small drops, that is, invented deaths ...
CORNER_RISE = 0.02

#: ... unless the two points are closer in time to each other than to the
#: points on either side: then they are the two corners of one step (a drop
#: of one patient in 100 is 0.01) and are swapped back from this rise on,
#: about two pixels of a 600-pixel axis, beyond two clicks' vertical noise.
#: Averaged instead, half of the drop was left until the next step, one event
#: in every such pair came one step late, and the median at n = 100 late.
PAIRED_CORNER_RISE = 0.005

#: Negative times down to this fraction of the time span are clicks slightly
#: left of the y axis and are set to 0; earlier ones are refused.
NEGATIVE_TIME_MARGIN = 0.02

CURVE_COLUMNS = ("time", "survival")
AT_RISK_COLUMNS = ("time", "n_risk")


@dataclass(frozen=True)
class CleanCurve:
    """A digitized curve ready for reconstruction, with what was changed.

    Attributes
    ----------
    time, survival : numpy.ndarray
        Strictly increasing times starting at 0; non-increasing survival in
        [0, 1] starting at 1.
    changes : tuple of str
        One sentence per repair made to the points as given.
    step_end : numpy.ndarray
        True where a point merges points given at the same time: the lower
        corner of a step whose two corners were given at one time, so the
        curve runs flat from the point before it and drops there.
    rises : int
        How many points, sorted by time with crossed step corners swapped
        back, lie above the point before them: a Kaplan-Meier curve never
        rises, so these tell the size of the clicks' noise
        (:func:`synthesis.dense_curve.click_noise`).
    """

    time: np.ndarray
    survival: np.ndarray
    changes: tuple[str, ...]
    step_end: np.ndarray
    rises: int = 0

    def frame(self) -> pd.DataFrame:
        """The cleaned points as a DataFrame with columns ``time, survival``."""
        return pd.DataFrame({"time": self.time, "survival": self.survival})


def _normalise_columns(table: pd.DataFrame, columns: tuple[str, ...], source: str) -> dict[str, pd.Series]:
    """The needed columns, matched case- and space-insensitively."""
    if not isinstance(table, pd.DataFrame):
        raise InvalidInputError(
            f"expected a table with columns {', '.join(columns)}", source=source
        )
    found = {str(c).strip().lower(): c for c in table.columns}
    missing = [c for c in columns if c not in found]
    if missing:
        listed = ", ".join(map(str, table.columns)) or "none"
        raise InvalidInputError(
            f"needs the columns {', '.join(columns)} (found: {listed}); "
            "rename the columns or use the template",
            source=source,
        )
    return {c: table[found[c]] for c in columns}


def _refuse_first(bad: np.ndarray, message, rows: np.ndarray, column: str, source: str) -> None:
    """Raise for the first row where ``bad`` holds; ``message(i)`` says what is wrong there."""
    if bad.any():
        first = int(np.argmax(bad))
        raise InvalidInputError(message(first), source=source, row=int(rows[first]), column=column)


def _column_numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The column as floats (NaN where not a number) and where it was blank."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        numbers = column.to_numpy(dtype=float, na_value=np.nan)
        return numbers, np.isnan(numbers)
    text = column.astype("string").str.strip()
    blank = (text.isna() | (text == "")).to_numpy()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return numbers, blank


def _numeric_columns(
    table: pd.DataFrame, columns: tuple[str, ...], source: str
) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """Numbers of each column, 1-based row numbers, and how many blank rows were dropped."""
    table = _normalise_columns(table, columns, source)
    parsed = {c: _column_numbers(series) for c, series in table.items()}
    keep = ~np.logical_and.reduce([blank for _, blank in parsed.values()])
    rows = np.flatnonzero(keep) + 1
    values = {}
    for column in columns:
        numbers = parsed[column][0][keep]
        bad = ~np.isfinite(numbers)
        if bad.any():
            first = int(np.argmax(bad))
            cell = table[column].to_numpy()[keep][first]
            shown = "an empty cell" if parsed[column][1][keep][first] else f"'{cell}'"
            raise InvalidInputError(
                f"{shown} is not a number; enter a number or delete the row",
                source=source,
                row=int(rows[first]),
                column=column,
            )
        values[column] = numbers
    return values, rows, int((~keep).sum())


def clean_curve(curve: pd.DataFrame, *, percent: bool | None = None, source: str = "curve") -> CleanCurve:
    """Check and repair digitized Kaplan-Meier points; report each repair.

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``time, survival`` (case-insensitive), one row per point.
    percent : bool, optional
        ``True`` if survival is in percent, ``False`` if it is a fraction;
        ``None`` (default) detects percent from the largest value.
    source : str
        Name of the input in messages.

    Returns
    -------
    CleanCurve

    Raises
    ------
    InvalidInputError
        Non-numeric cells, survival far outside [0, 1], times well before 0,
        a rise too large to be noise, or fewer than two usable points.

    Notes
    -----
    Repairs, in order: blank rows dropped; percent divided by 100; survival
    clipped to [0, 1] within :data:`SURVIVAL_MARGIN`; small negative times set
    to 0; points sorted by time; step corners clicked in reverse order
    swapped back (:func:`_swap_crossed_corners`); small rises removed by
    isotonic regression (the least-squares non-increasing curve, which
    averages noise instead of ratcheting down as carrying the minimum forward
    would, so a noisy flat tail stays flat and no deaths are invented there);
    points sharing a time (the two corners of a step) merged into the lower
    one, which is the value of a right-continuous KM curve at that time;
    (0, 1) added or enforced. This is the cleaning step of Guyot et al.
    (2012), made explicit.

    References
    ----------
    Guyot P, Ades AE, Ouwens MJ, Welton NJ. Enhanced secondary analysis of
    survival data: reconstructing the data from published Kaplan-Meier
    survival curves. BMC Med Res Methodol. 2012;12:9.
    """
    values, rows, blank = _numeric_columns(curve, CURVE_COLUMNS, source)
    time, survival = values["time"], values["survival"]
    changes: list[str] = []
    if blank:
        changes.append(f"dropped {blank} empty row(s)")
    if time.size < 2:
        raise InvalidInputError(
            f"needs at least 2 digitized points, got {time.size}; digitize the curve "
            "from its start to its end",
            source=source,
        )

    top = float(survival.max())
    if percent or (percent is None and top > PERCENT_THRESHOLD):
        survival = survival / 100.0
        changes.append(
            "survival read as percent and divided by 100"
            + ("" if percent else f" (largest value {top:g} > {PERCENT_THRESHOLD:g})")
        )
    _refuse_first(
        (survival > 1 + SURVIVAL_MARGIN) | (survival < -SURVIVAL_MARGIN),
        lambda i: f"survival {survival[i]:g} is outside [0, 1]; give survival as a fraction (0-1) "
        "or in percent (0-100, or force it with --percent)",
        rows, "survival", source,
    )
    clipped = (survival > 1) | (survival < 0)
    if clipped.any():
        survival = np.clip(survival, 0.0, 1.0)
        changes.append(f"clipped {int(clipped.sum())} survival value(s) to [0, 1]")

    span = float(time.max() - min(time.min(), 0.0))
    _refuse_first(
        time < -NEGATIVE_TIME_MARGIN * span,
        lambda i: f"time {time[i]:g} is before the start of follow-up; times start at 0",
        rows, "time", source,
    )
    if (time < 0).any():
        changes.append(f"set {int((time < 0).sum())} slightly negative time(s) to 0")
        time = np.maximum(time, 0.0)

    # Ties in time keep the higher value first: the upper corner of a step.
    order = np.lexsort((-survival, time))
    if (order != np.arange(order.size)).any():
        changes.append(f"sorted the points by time ({int((order != np.arange(order.size)).sum())} moved)")
        time, survival, rows = time[order], survival[order], rows[order]

    survival, swapped = _swap_crossed_corners(time, survival, CORNER_TIME_MARGIN * span)
    if swapped:
        changes.append(
            f"swapped {swapped} pair(s) of step corners whose times were clicked in reverse order"
        )
    rises = int((np.diff(survival) > 0).sum())
    rise = survival - np.minimum.accumulate(np.concatenate(([np.inf], survival[:-1])))
    # Only a rise above points clearly earlier (beyond click jitter) is refused.
    earlier = np.searchsorted(time, time - CORNER_TIME_MARGIN * span, side="left")
    clear_rise = survival - np.concatenate(([np.inf], np.minimum.accumulate(survival)))[earlier]
    _refuse_first(
        clear_rise > MAX_RISE,
        lambda i: f"the curve rises by {clear_rise[i]:.3f} at time {time[i]:g}; a Kaplan-Meier "
        "curve never rises: check this point, or whether points of two arms were mixed",
        rows, "survival", source,
    )
    if (rise > 0).any():
        survival = isotonic_regression(survival, increasing=False).x
        changes.append(
            f"made the curve non-increasing: {int((rise > 0).sum())} point(s) rose above an "
            f"earlier one (largest rise {rise.max():.4f}); averaged by isotonic regression"
        )

    last_of_time = np.concatenate((time[1:] != time[:-1], [True]))
    step_end = np.concatenate(([False], time[1:] == time[:-1]))[last_of_time]
    if not last_of_time.all():
        changes.append(
            f"merged {int((~last_of_time).sum())} point(s) sharing a time with another "
            "(step corners) into the lower value"
        )
        time, survival = time[last_of_time], survival[last_of_time]

    if time[0] > 0:
        time = np.concatenate(([0.0], time))
        survival = np.concatenate(([1.0], survival))
        step_end = np.concatenate(([False], step_end))
        changes.append("added the starting point (0, 1)")
    elif survival[0] < 1:
        changes.append(f"set survival at time 0 from {survival[0]:g} to 1")
        survival = survival.copy()
        survival[0] = 1.0
    if time.size < 2:
        raise InvalidInputError(
            "needs points after time 0; digitize the curve from its start to its end",
            source=source,
        )
    step_end[0] = False
    return CleanCurve(time=time, survival=survival, changes=tuple(changes), step_end=step_end, rises=rises)


def _swap_crossed_corners(time: np.ndarray, survival: np.ndarray, margin: float) -> tuple[np.ndarray, int]:
    """Put back in order the corners of steps clicked in reverse order.

    Around each rise above :data:`CORNER_RISE` between points closer than
    ``margin``, the survival values of the points within ``margin`` are
    sorted downwards (a local rearrangement, Chernozhukov et al. 2009). A
    rise above :data:`PAIRED_CORNER_RISE` between two points closer to each
    other than to their neighbours (so clicked as the corners of one step,
    as on curves with fewer steps than clicks) swaps just the two. On the
    benchmark's designs at n = 100 with a risk table (``bench/
    bench_reconstruct.py``; 360 arms, 60 trials per design), the mean
    relative median error falls from 0.0169 to 0.0103, the events error per
    arm from 0.56 to 0.43 and the log HR error from 0.0103 to 0.0094 (with
    censor marks: 0.0186 to 0.0095, 0.26 to 0.14, 0.0081 to 0.0064); at
    n = 1000, where the steps are below the click noise, the changes are
    within noise.
    """
    gap, rise = np.diff(time), np.diff(survival)
    # The gaps to the points before and after each pair (infinite at the ends).
    around = np.minimum(np.concatenate(([np.inf], gap[:-1])), np.concatenate((gap[1:], [np.inf])))
    crossed = np.flatnonzero((gap <= margin) & ((rise > CORNER_RISE) | ((gap < around) & (rise > PAIRED_CORNER_RISE))))
    if not crossed.size:
        return survival, 0
    survival = survival.copy()
    for i in crossed:
        window = slice(
            np.searchsorted(time, time[i] - margin), np.searchsorted(time, time[i + 1] + margin, side="right")
        ) if rise[i] > CORNER_RISE else slice(i, i + 2)
        survival[window] = np.sort(survival[window])[::-1]
    return survival, int(crossed.size)


def clean_at_risk(at_risk: pd.DataFrame, *, source: str = "at-risk table") -> pd.DataFrame:
    """Check a numbers-at-risk table; refuse it with the faulty row if wrong.

    Parameters
    ----------
    at_risk : pandas.DataFrame
        Columns ``time, n_risk``: the times printed under the figure and the
        number of patients still at risk at each.
    source : str
        Name of the input in messages.

    Returns
    -------
    pandas.DataFrame
        ``time`` (float) and ``n_risk`` (int), blank rows dropped.

    Raises
    ------
    InvalidInputError
        No rows, a first row not at time 0, times not increasing, counts that
        are negative, fractional or increase, or a first count of 0.
    """
    values, rows, _ = _numeric_columns(at_risk, AT_RISK_COLUMNS, source)
    time, n_risk = values["time"], values["n_risk"]
    if time.size == 0:
        raise InvalidInputError("is empty; enter the number at risk at time 0 at least", source=source)
    if time[0] != 0:
        raise InvalidInputError(
            f"must start at time 0 (its first time is {time[0]:g}); add the number "
            "randomised or treated at time 0 as the first row",
            source=source,
            row=int(rows[0]),
            column="time",
        )
    for name, bad, what in (
        ("n_risk", (n_risk < 0) | (n_risk != np.round(n_risk)), "must be a whole number of patients, 0 or more"),
        ("time", np.concatenate(([False], np.diff(time) <= 0)), "must be later than the time in the row above"),
        ("n_risk", np.concatenate(([False], np.diff(n_risk) > 0)),
         "cannot exceed the number in the row above: patients only leave the risk set"),
    ):
        _refuse_first(bad, lambda i, name=name, what=what: f"{values[name][i]:g} {what}", rows, name, source)
    if n_risk[0] < 1:
        raise InvalidInputError("has nobody at risk at time 0", source=source, row=int(rows[0]), column="n_risk")
    return pd.DataFrame({"time": time, "n_risk": n_risk.astype(int)})


def clean_censor_times(censor_times, *, source: str = "censor times") -> np.ndarray:
    """Sorted censor-mark times as floats; refuse non-numbers and negative times."""
    values = np.asarray(
        pd.to_numeric(pd.Series(list(censor_times), dtype="object"), errors="coerce"), dtype=float
    )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = int(np.argmax(bad))
        raise InvalidInputError(
            f"{list(censor_times)[first]!r} is not a time of 0 or more", source=source, row=first + 1
        )
    return np.sort(values)


_SEPARATORS = re.compile(r"[\s,;]+")


def parse_number_row(text: str, *, source: str = "row") -> list[float]:
    """Numbers typed on one line, separated by spaces, tabs, commas or semicolons.

    >>> parse_number_row("138 86 35 17 7 2 0")
    [138.0, 86.0, 35.0, 17.0, 7.0, 2.0, 0.0]
    """
    numbers = []
    for position, token in enumerate(t for t in _SEPARATORS.split(text.strip()) if t):
        try:
            numbers.append(float(token))
        except ValueError:
            raise InvalidInputError(
                f"'{token}' (entry {position + 1}) is not a number", source=source
            ) from None
    return numbers


def risk_table_from_rows(times: str, counts: str) -> pd.DataFrame:
    """Build a ``time, n_risk`` table from the two rows printed under a figure.

    Parameters
    ----------
    times : str
        The time ticks, e.g. ``"0 6 12 18 24 30 36"``.
    counts : str
        The numbers at risk under them, e.g. ``"138 86 35 17 7 2 0"``.

    Returns
    -------
    pandas.DataFrame
        Checked with :func:`clean_at_risk`.
    """
    tick_values = parse_number_row(times, source="risk-table times")
    count_values = parse_number_row(counts, source="risk-table counts")
    if len(tick_values) != len(count_values):
        raise InvalidInputError(
            f"{len(count_values)} counts for {len(tick_values)} times; type one number at risk "
            "under each time",
            source="risk-table counts",
        )
    return clean_at_risk(pd.DataFrame({"time": tick_values, "n_risk": count_values}))


def read_points_csv(
    path: str | PathLike | io.IOBase, columns: tuple[str, ...], *, source: str | None = None
) -> pd.DataFrame:
    """Read a CSV of points or counts; a file without header gets ``columns``.

    Digitizers often export bare ``x,y`` lines, so a first row of numbers is
    read as data rather than as a header. Lines starting with ``#`` are
    comments (the synthetic examples say so there), except a row starting
    with a colour code and a separator (``#1f77b4,0.5,0.9``, the curve name the
    digitizer writes); a ``#`` further on in a line is data.
    """
    name = source or str(getattr(path, "name", path))
    try:
        text = _without_comment_lines(path)
        table = pd.read_csv(io.StringIO(text), dtype="string", skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInputError(f"cannot be read as CSV ({exc})", source=name) from None
    header = [str(c).strip() for c in table.columns]
    if all(_is_number(c) for c in header):
        table = pd.read_csv(io.StringIO(text), dtype="string", header=None, skipinitialspace=True)
        header = list(columns[: table.shape[1]]) + [f"extra_{i}" for i in range(table.shape[1] - len(columns))]
        table.columns = header
    return table


#: A data row starting with a curve named by its colour, as the digitizer writes it
#: (``#1f77b4``, ``#1f77b4-dashed``, ``#00000080-2``), then a field separator.
_COLOUR_ROW = re.compile(r"#[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?(?:-\w+)?\s*[,;\t]")


def _without_comment_lines(path: str | PathLike | io.IOBase) -> str:
    """The file's text without its comment lines (pandas' ``comment`` would cut every line at a ``#``)."""
    if hasattr(path, "read"):
        content = path.read()
    else:
        with open(path, "rb") as file:
            content = file.read()
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    return "".join(line for line in content.splitlines(keepends=True)
                   if not line.lstrip().startswith("#") or _COLOUR_ROW.match(line.lstrip()))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
