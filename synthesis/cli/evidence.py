"""``python -m synthesis evidence``: print the curated results with their provenance.

Filters by study (``source_id``), outcome and population; prints CSV (default)
or JSON with the columns of :data:`OUTPUT_COLUMNS`. A median that was not
reached has an empty ``estimate`` and ``estimate_status = not_reached``.
"""

from __future__ import annotations

import argparse
import json
import sys

from synthesis.errors import InvalidInputError
from synthesis.evidence import OUTCOMES, POPULATIONS, load_evidence

OUTPUT_COLUMNS = [
    "source_id", "product", "population", "outcome", "events", "n", "estimate", "ci_low", "ci_high",
    "unit", "timepoint", "location", "quote", "status", "estimate_status", "ci_high_status",
]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``evidence`` sub-command."""
    parser = subparsers.add_parser(
        "evidence",
        help="list the curated results with their source, location and quote",
        description="Print the curated evidence (results.csv), filtered, with provenance columns.",
    )
    parser.add_argument("--study", metavar="ID", help="a source_id from data/sources.csv")
    parser.add_argument("--outcome", metavar="NAME", help="an outcome name (see data/README.md)")
    parser.add_argument("--population", metavar="NAME", help="a population name (see data/README.md)")
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    parser.add_argument("--data-dir", metavar="DIR", help="evidence folder (default: the repository's data/)")
    parser.set_defaults(run=run)


def _check_name(value: str | None, valid: list[str], what: str) -> None:
    if value is not None and value not in valid:
        raise InvalidInputError(f"unknown {what} {value!r}; valid: {', '.join(valid)}")


def run(args: argparse.Namespace) -> int:
    """Print the selected results; returns the exit status."""
    evidence = load_evidence(args.data_dir)
    _check_name(args.study, list(evidence.sources["source_id"]), "study")
    _check_name(args.outcome, sorted(OUTCOMES), "outcome")
    _check_name(args.population, sorted(POPULATIONS), "population")
    table = evidence.select(outcome=args.outcome, population=args.population, source_id=args.study)
    table = table[OUTPUT_COLUMNS]
    if args.format == "json":
        records = json.loads(table.to_json(orient="records", force_ascii=False))
        json.dump(records, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0
