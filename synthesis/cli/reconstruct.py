"""``python -m synthesis reconstruct --curve CURVE.csv ...``: pseudo-IPD from one KM curve.

CURVE.csv has the columns ``time,survival`` (survival as a fraction, or in
percent: detected, or forced with ``--percent``; a file without header is
read as those two columns). ATRISK.csv has ``time,n_risk`` with its first row
at time 0. The censor-times file has a ``time`` column or one time per line.
The output has the columns ``time,event`` (1 = event, 0 = censored), one row
per pseudo-patient; ``--format json`` gives ``{"ipd": [...], "diagnostics":
{...}}``. Repairs made to the curve are listed on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from synthesis.curve_input import AT_RISK_COLUMNS, CURVE_COLUMNS, read_points_csv
from synthesis.errors import InvalidInputError
from synthesis.reconstruct import reconstruct_ipd


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``reconstruct`` sub-command."""
    parser = subparsers.add_parser(
        "reconstruct",
        help="rebuild pseudo-IPD (time,event) from a digitized Kaplan-Meier curve",
        description="Reconstruct pseudo individual patient data for one arm from the digitized "
        "points of its Kaplan-Meier curve and its numbers at risk (Guyot et al. 2012).",
    )
    parser.add_argument("--curve", required=True, metavar="CURVE.csv",
                        help="digitized points: CSV with time,survival")
    counts = parser.add_mutually_exclusive_group()
    counts.add_argument("--at-risk", metavar="ATRISK.csv",
                        help="numbers at risk: CSV with time,n_risk, first row at time 0")
    counts.add_argument("--n-start", type=int, metavar="N",
                        help="number of patients at the start, when there is no risk table")
    parser.add_argument("--total-events", type=int, metavar="E", help="total events in the arm, if reported")
    parser.add_argument("--censor-times", metavar="FILE",
                        help="times of the censor marks on the curve (CSV column 'time' or one per line)")
    parser.add_argument("--percent", action="store_true", default=None,
                        help="survival is in percent (default: detected)")
    parser.add_argument("--out", metavar="IPD.csv", help="write the output to this file instead of stdout")
    parser.add_argument("--format", choices=["csv", "json"], default="csv",
                        help="csv: time,event; json: the IPD and the diagnostics (default csv)")
    parser.set_defaults(run=run)


def _read(path: str, columns: tuple[str, ...]):
    if not Path(path).is_file():
        raise InvalidInputError("file not found", source=path)
    return read_points_csv(Path(path), columns, source=path)


def run(args: argparse.Namespace) -> int:
    """Reconstruct the arm and write its IPD (and diagnostics)."""
    curve = _read(args.curve, CURVE_COLUMNS)
    at_risk = _read(args.at_risk, AT_RISK_COLUMNS) if args.at_risk else None
    censor_times = None
    if args.censor_times:
        marks = _read(args.censor_times, ("time",))
        if "time" not in marks.columns:
            raise InvalidInputError("needs a column 'time' (or one time per line)", source=args.censor_times)
        censor_times = marks["time"].dropna().tolist()
    result = reconstruct_ipd(
        curve, at_risk=at_risk, n_start=args.n_start, total_events=args.total_events,
        censor_times=censor_times, percent=args.percent,
    )
    if args.format == "json":
        text = json.dumps(result.to_dict(), indent=2) + "\n"
    else:
        text = result.ipd.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    for change in result.cleaning:
        print(f"note: {change}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out:
        try:
            Path(args.out).write_text(text)
        except OSError as exc:
            raise InvalidInputError(f"cannot be written ({exc.strerror})", source=args.out) from None
        print(
            f"wrote {result.n} pseudo-patients ({result.events} events) to {args.out}; "
            f"largest KM gap {result.max_km_gap:.4f}, largest at-risk difference "
            f"{result.max_at_risk_difference}"
        )
    else:
        sys.stdout.write(text)
    return 0
