"""``python -m synthesis pool INPUT.csv``: pool proportions from a CSV file.

INPUT.csv has the columns ``study, events, n`` (and any subgroup column).
Output is JSON (default), CSV (the per-study and pooled rows of
``PoolResult.summary_frame()``) or a text report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from synthesis.errors import InvalidInputError
from synthesis.proportions import CI_METHODS, MEASURES, METHODS, PoolResult, pool_proportions

REQUIRED_COLUMNS = ("study", "events", "n")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``pool`` sub-command."""
    parser = subparsers.add_parser(
        "pool",
        help="meta-analysis of proportions (response or adverse-event rates)",
        description="Pool single-arm proportions as R's metafor does. INPUT.csv has the "
        "columns study,events,n (and any subgroup column).",
    )
    parser.add_argument("input", metavar="INPUT.csv", help="CSV with study,events,n")
    parser.add_argument("--measure", choices=list(MEASURES), default="PLO",
                        help="scale of pooling (default PLO, the logit)")
    parser.add_argument("--method", choices=list(METHODS), default=None,
                        help="model (default GLMM with PLO, REML with other measures)")
    parser.add_argument("--hksj", action="store_true",
                        help="Knapp-Hartung (HKSJ) t-based intervals")
    parser.add_argument("--ci-method", choices=list(CI_METHODS), default="clopper-pearson",
                        help="confidence interval of single studies")
    parser.add_argument("--subgroup", metavar="COLUMN",
                        help="column defining subgroups (adds the test for subgroup differences)")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    parser.add_argument("--format", choices=("json", "csv", "text"), default="json",
                        help="output format (default json)")
    parser.set_defaults(run=run)


def read_input(path: str, subgroup: str | None) -> pd.DataFrame:
    """Read INPUT.csv as text cells, checking that the needed columns exist."""
    source = Path(path)
    if not source.is_file():
        raise InvalidInputError("file not found; give the path of a CSV with study,events,n.",
                                source=path)
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot be read as CSV ({exc}).", source=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in (*REQUIRED_COLUMNS, *([subgroup] if subgroup else [])):
        if column not in frame.columns:
            raise InvalidInputError(
                f"no column '{column}'; the header must include {', '.join(REQUIRED_COLUMNS)}"
                + (f" and {subgroup}" if subgroup else "") + ".",
                source=path, column=column,
            )
    return frame


def run(args: argparse.Namespace) -> int:
    """Pool INPUT.csv and print the result in the requested format."""
    frame = read_input(args.input, args.subgroup)
    method = args.method or ("GLMM" if args.measure == "PLO" else "REML")
    result = pool_proportions(
        frame["events"].tolist(), frame["n"].tolist(),
        studies=frame["study"].tolist(), measure=args.measure, method=method,
        hksj=args.hksj, ci_method=args.ci_method, level=args.level,
        subgroup=frame[args.subgroup].tolist() if args.subgroup else None,
        subgroup_column=args.subgroup or "subgroup",
        source=args.input, first_row=2,
    )
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    elif args.format == "csv":
        print(result.summary_frame().to_csv(index=False), end="")
    else:
        print(format_text(result))
    return 0


def _pct(value: float | None) -> str:
    return "NA" if value is None else f"{100 * value:.1f}%"


def _pooled_line(result: PoolResult) -> str:
    line = (f"{_pct(result.estimate)} [{_pct(result.ci_low)}, {_pct(result.ci_high)}]")
    if result.pi_low is not None:
        line += f"; prediction interval [{_pct(result.pi_low)}, {_pct(result.pi_high)}]"
    return line


def _heterogeneity_line(result: PoolResult) -> str:
    return (f"Q = {result.q:.2f} (df = {result.q_df}, p = {result.q_p:.4g}); "
            f"I^2 = {result.i2:.1f}%; H^2 = {result.h2:.2f}; "
            f"tau^2 = {result.tau2:.4g}; tau = {result.tau:.4g}")


def format_text(result: PoolResult) -> str:
    """A plain-text report: studies, pooled estimate, heterogeneity, notes."""
    level = f"{100 * result.level:g}%"
    lines = [
        f"Pooled proportion: {result.measure} ({MEASURES[result.measure]}), "
        f"{result.method} ({METHODS[result.method]})"
        + (", Knapp-Hartung" if result.hksj else ""),
        f"k = {result.k} studies; {level} intervals; study CIs {CI_METHODS[result.ci_method]}",
        "",
        result.studies[["study", "events", "n", "proportion", "ci_low", "ci_high", "weight"]]
        .to_string(index=False, float_format=lambda v: f"{v:.4f}"),
        "",
        f"Pooled: {_pooled_line(result)}",
        f"Heterogeneity: {_heterogeneity_line(result)}",
    ]
    if result.q_lrt is not None:
        lines.append(f"Likelihood-ratio heterogeneity test: {result.q_lrt:.2f} "
                     f"(df = {result.q_df}, p = {result.q_lrt_p:.4g})")
    for group in result.subgroups:
        fallback = f", GLMM not fitted: {group.fallback_reason}" if group.fallback_reason else ""
        lines.append(f"Subgroup {group.label} (k = {group.k}, {group.method}{fallback}): "
                     f"{_pooled_line(group)}; I^2 = {group.i2:.1f}%")
    if result.test_between is not None:
        t = result.test_between
        lines.append(f"Test for subgroup differences: Q = {t.q:.2f} (df = {t.df}, p = {t.p:.4g})")
    lines.extend(f"Note: {note}" for note in result.notes)
    return "\n".join(lines)
