"""``python -m synthesis digitize``: curve coordinates from a Kaplan-Meier figure.

Writes the step corners of every curve (or of the ``--color`` ones) as CSV
``curve,time,survival`` (survival as a fraction) to ``--out`` or stdout, and
the censor marks as ``curve,time`` to ``--censor-out``. Where a curve could
not be followed, a warning naming the place goes to stderr.
"""

from __future__ import annotations

import argparse
import sys

from synthesis.calibration import AxisCalibration
from synthesis.digitize import digitize_curves, load_figure
from synthesis.errors import InvalidInputError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "digitize",
        help="extract Kaplan-Meier curves from a PNG/JPEG figure",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("image", metavar="IMAGE", help="PNG or JPEG figure")
    parser.add_argument(
        "--x-calib", metavar="PX:VALUE,PX:VALUE",
        help="two pixel columns on the time axis and their times (origin top-left)",
    )
    parser.add_argument(
        "--y-calib", metavar="PY:VALUE,PY:VALUE",
        help="two pixel rows on the survival axis and their survival (0-1 or 0-100)",
    )
    parser.add_argument(
        "--auto-axes", action="store_true",
        help="find the axis lines; give --x-range and --y-range instead of calibration points",
    )
    parser.add_argument("--x-range", metavar="MIN,MAX", help="times at the ends of the x axis")
    parser.add_argument("--y-range", metavar="MIN,MAX", help="survival at the ends of the y axis")
    parser.add_argument(
        "--x-unit", default="months", choices=["months", "days", "weeks", "years"],
        help="unit of the time axis, as printed (default months)",
    )
    parser.add_argument(
        "--color", action="append", metavar="HEX",
        help="curve colour to extract, e.g. '#1f77b4' (repeatable; default: every curve)",
    )
    parser.add_argument("--out", metavar="CURVE.csv", help="output CSV (default: stdout)")
    parser.add_argument("--censor-out", metavar="FILE", help="write censor marks as curve,time")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    calibration = calibration_from_args(args)
    image = load_figure(args.image)
    if args.auto_axes:
        calibration = AxisCalibration.auto_detect(
            image, args.x_range, args.y_range, x_unit=args.x_unit
        )
    figure = digitize_curves(image, calibration, colors=args.color)
    points = figure.points_frame()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            write_csv(points, out)
    else:
        write_csv(points, sys.stdout)
    if args.censor_out:
        with open(args.censor_out, "w", encoding="utf-8") as out:
            write_csv(figure.censor_frame(), out)
    for curve in figure.curves:
        for warning in curve.warnings:
            print(f"warning: {curve.name}: {warning}", file=sys.stderr)
    return 0


def write_csv(frame, out) -> None:
    """CSV with the curve names quoted.

    A colour name starts with '#', which CSV readers that skip comment lines
    (pandas' ``comment="#"``, as ``reconstruct`` reads) would take for one.
    """
    out.write(",".join(frame.columns) + "\n")
    for row in frame.itertuples(index=False):
        out.write(",".join([f'"{row[0]}"', *(repr(float(v)) for v in row[1:])]) + "\n")


def calibration_from_args(args: argparse.Namespace) -> AxisCalibration | None:
    """Check the calibration flags; parse the points (auto axes are found later)."""
    if args.auto_axes:
        if args.x_calib or args.y_calib:
            raise InvalidInputError("Give either --auto-axes or --x-calib/--y-calib, not both.")
        if not (args.x_range and args.y_range):
            raise InvalidInputError(
                "--auto-axes needs --x-range MIN,MAX and --y-range MIN,MAX (the values at the "
                "ends of the axis lines)."
            )
        args.x_range = _pair(args.x_range, "--x-range")
        args.y_range = _pair(args.y_range, "--y-range")
        return None
    if not (args.x_calib and args.y_calib):
        raise InvalidInputError(
            "Calibrate the axes: --x-calib PX:VALUE,PX:VALUE and --y-calib PY:VALUE,PY:VALUE, "
            "or --auto-axes --x-range MIN,MAX --y-range MIN,MAX."
        )
    return AxisCalibration.from_points(
        x=_points(args.x_calib, "--x-calib"), y=_points(args.y_calib, "--y-calib"),
        x_unit=args.x_unit,
    )


def _points(text: str, flag: str) -> list[tuple[float, float]]:
    try:
        pairs = [item.split(":") for item in text.split(",")]
        points = [(float(p), float(v)) for p, v in pairs]
    except ValueError:
        raise InvalidInputError(
            f"{flag} must be two PIXEL:VALUE pairs separated by a comma, e.g. 96:0,760:36; "
            f"got {text!r}."
        ) from None
    if len(points) != 2:
        raise InvalidInputError(f"{flag} needs exactly two PIXEL:VALUE pairs; got {text!r}.")
    return points


def _pair(text: str, flag: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInputError(f"{flag} must be MIN,MAX, e.g. 0,36; got {text!r}.") from None
    return low, high
