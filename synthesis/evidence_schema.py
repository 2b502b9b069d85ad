"""Validation of evidence tables: pandera schemas plus the cross-file rules.

Every file is validated with pandera (lazy validation, so every problem is
collected) plus cross-file checks; the first problem is reported with its
file, 1-based data row and column, so that a hand-edited file fails loudly
instead of showing a half-loaded table. Kept apart from
:mod:`synthesis.evidence` because pandera takes a third of a second to import
and a validated evidence base is usually read from the cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from synthesis.evidence import (
    AE_GRADES,
    BASELINE_STATISTICS,
    CI_HIGH_STATUSES,
    DESIGNS,
    ESTIMATE_STATUSES,
    FRACTION_UNITS,
    OUTCOMES,
    POPULATIONS,
    ROLES,
    UNITS,
    VERIFICATION,
    EvidenceSchemaError,
)

RESULT_COLUMNS = [
    "result_id", "source_id", "product", "population", "outcome", "events", "n", "estimate",
    "estimate_status", "ci_low", "ci_high", "ci_high_status", "unit", "timepoint", "location",
    "quote", "status", "note", "range_low", "range_high", "check_exempt_reason",
]
SOURCE_COLUMNS = [
    "source_id", "label", "authors", "title", "journal", "year", "doi", "registry_ids",
    "data_cutoff", "design", "phase", "product", "construct", "n_treated", "role", "supersedes", "note",
]
# Columns a user-entered table may leave out; they are added empty.
OPTIONAL_COLUMNS = {"note", "range_low", "range_high", "check_exempt_reason", "authors", "title",
                    "journal", "doi", "registry_ids", "construct", "supersedes", "phase", "year",
                    "data_cutoff", "n_treated"}


_ID = r"^[A-Za-z0-9][A-Za-z0-9._'-]*$"
_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
_MAX_LISTED_PROBLEMS = 3

def _text(*, nullable: bool = False, required: bool = True, checks=None) -> pa.Column:
    return pa.Column(str, nullable=nullable, required=required, checks=checks)


def _number(dtype: str = "float64", *, nullable: bool = True, required: bool = True, checks=None) -> pa.Column:
    return pa.Column(dtype, nullable=nullable, required=required, coerce=True, checks=checks)


def _one_of(values: Iterable[str], what: str) -> pa.Check:
    values = list(values)
    return pa.Check.isin(values, error=f"is not a known {what}; valid: {', '.join(values)}")


def _name_check(vocabulary: dict[str, str], what: str, extend: bool) -> pa.Check:
    if extend:
        return pa.Check.str_matches(_NAME, error=f"is not a valid {what} name (letters, digits, underscores)")
    return _one_of(vocabulary, what)


_NON_EMPTY = pa.Check.str_length(min_value=1, error="must not be empty")


def _events() -> pa.Column:
    return _number("Int64", checks=pa.Check.ge(0, error="must not be negative"))


def _n() -> pa.Column:
    return _number("Int64", checks=pa.Check.ge(1, error="must be at least 1"))


def _provenance() -> dict[str, pa.Column]:
    return {
        "location": _text(checks=_NON_EMPTY),
        "quote": _text(checks=_NON_EMPTY),
        "status": _text(checks=_one_of(VERIFICATION, "status")),
        "note": _text(nullable=True, required=False),
        "check_exempt_reason": _text(nullable=True, required=False),
    }

SOURCES_SCHEMA = pa.DataFrameSchema(
    {
        "source_id": _text(checks=[pa.Check.str_matches(_ID, error="is not a valid id (letters, digits, . _ - ')")]),
        "label": _text(checks=_NON_EMPTY),
        "authors": _text(nullable=True, required=False),
        "title": _text(nullable=True, required=False),
        "journal": _text(nullable=True, required=False),
        "year": _number("Int64", required=False, checks=pa.Check.in_range(1990, 2100, error="is not a plausible year")),
        "doi": _text(nullable=True, required=False,
                     checks=pa.Check.str_matches(r"^10\.\S+/\S+$", error="is not a DOI (10.xxxx/...)")),
        "registry_ids": _text(nullable=True, required=False),
        "data_cutoff": _text(nullable=True, required=False, checks=pa.Check.str_matches(
            r"^\d{4}-\d{2}(-\d{2})?$", error="is not a date (YYYY-MM-DD or YYYY-MM)")),
        "design": _text(checks=_one_of(DESIGNS, "design")),
        "phase": _text(nullable=True, required=False),
        "product": _text(checks=_NON_EMPTY),
        "construct": _text(nullable=True, required=False),
        "n_treated": _number("Int64", required=False, checks=pa.Check.ge(1, error="must be at least 1")),
        "role": _text(checks=_one_of(ROLES, "role")),
        "supersedes": _text(nullable=True, required=False),
        "note": _text(nullable=True, required=False),
    },
    unique=["source_id"],
    report_duplicates="exclude_first",
)


def _results_schema(extend_vocabulary: bool) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "result_id": _text(checks=pa.Check.str_matches(_ID, error="is not a valid id")),
            "source_id": _text(checks=_NON_EMPTY),
            "product": _text(checks=_NON_EMPTY),
            "population": _text(checks=_name_check(POPULATIONS, "population", extend_vocabulary)),
            "outcome": _text(checks=_name_check(OUTCOMES, "outcome", extend_vocabulary)),
            "events": _events(),
            "n": _n(),
            "estimate": _number(checks=pa.Check.ge(0, error="must not be negative")),
            "estimate_status": _text(checks=_one_of(ESTIMATE_STATUSES, "estimate_status")),
            "ci_low": _number(),
            "ci_high": _number(),
            "ci_high_status": _text(checks=_one_of(CI_HIGH_STATUSES, "ci_high_status")),
            "unit": _text(checks=_one_of(UNITS, "unit")),
            "timepoint": _number(checks=pa.Check.gt(0, error="must be a positive number of months")),
            **_provenance(),
            "range_low": _number(required=False),
            "range_high": _number(required=False),
        },
        unique=["result_id"],
        report_duplicates="exclude_first",
    )


BASELINE_SCHEMA = pa.DataFrameSchema({
    "source_id": _text(checks=_NON_EMPTY),
    "characteristic": _text(checks=pa.Check.str_matches(_NAME, error="is not a valid characteristic name")),
    "category": _text(nullable=True),
    "statistic": _text(checks=_one_of(BASELINE_STATISTICS, "statistic")),
    "events": _events(),
    "n": _n(),
    "estimate": _number(),
    "range_low": _number(),
    "range_high": _number(),
    "unit": _text(nullable=True),
    **_provenance(),
})

ADVERSE_EVENTS_SCHEMA = pa.DataFrameSchema({
    "source_id": _text(checks=_NON_EMPTY),
    "population": _text(checks=_one_of(POPULATIONS, "population")),
    "event": _text(checks=_NON_EMPTY),
    "grade": _text(checks=_one_of(AE_GRADES, "grade")),
    "events": _events(),
    "n": _n(),
    "estimate": _number(checks=pa.Check.in_range(0, 1, error="must be a fraction between 0 and 1")),
    **_provenance(),
})


PATIENTS_SCHEMA = pa.DataFrameSchema({
    "source_id": _text(checks=_NON_EMPTY),
    "patient": _number("Int64", nullable=False, checks=pa.Check.ge(1, error="must be at least 1")),
    "age": _number("Int64", nullable=False, checks=pa.Check.in_range(18, 100, error="is not a plausible age")),
    "sex": _text(checks=_one_of(("M", "F"), "sex")),
    "monoclonal_globulin": _text(checks=_NON_EMPTY),
    "iss_stage": _text(checks=_one_of(("I", "II", "III"), "ISS stage")),
    "prior_lines": _number("Int64", nullable=False, checks=pa.Check.ge(1, error="must be at least 1")),
    "prior_asct": _text(checks=_one_of(("Yes", "No"), "prior ASCT value")),
    "extramedullary_disease": _text(checks=_one_of(("No", "EM-E", "EM-B"), "extramedullary disease value")),
    "bcma_on_mm_cells_pct": _number(nullable=False, checks=pa.Check.in_range(0, 100, error="must be a percentage")),
    "infusion_dose_1e8_cells": _number(nullable=False, checks=pa.Check.gt(0, error="must be positive")),
    "transduction_efficiency_pct": _number(nullable=False,
                                           checks=pa.Check.in_range(0, 100, error="must be a percentage")),
    "trial": _text(checks=_NON_EMPTY),
    "location": _text(checks=_NON_EMPTY),
    "quote": _text(checks=_NON_EMPTY),
    "note": _text(nullable=True, required=False),
}, unique=["source_id", "patient"], report_duplicates="exclude_first")


def _describe_failure(check: str, value) -> str:
    check = str(check)
    if check == "column_in_dataframe":
        return f"the column '{value}' is missing; add it (it may be left empty where the schema allows)"
    if check.startswith("coerce_dtype('Int64')"):
        return f"{value!r} is not a whole number; leave the cell empty for a missing value"
    if check.startswith("coerce_dtype"):
        return f"{value!r} is not a number; leave the cell empty for a missing value"
    if check == "not_nullable":
        return "is empty but required"
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        return f"{value!r} is a duplicate; ids must be unique"
    return f"{value!r} {check}"


def _pandera_problems(exc: SchemaErrors) -> list[tuple[int | None, str | None, str]]:
    cases = exc.failure_cases
    problems, seen = [], set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        # pandera repeats a failed coercion as a dtype failure and as a TypeError in the checks after it
        if check.startswith("dtype(") or "TypeError" in str(case.failure_case):
            continue
        row = None if case.index is None or pd.isna(case.index) else int(case.index) + 1
        column = None if pd.isna(case.column) else str(case.column)
        if check == "column_in_dataframe":
            column = str(case.failure_case)
        key = (row, column, check)
        if key in seen:
            continue
        seen.add(key)
        problems.append((row, column, _describe_failure(check, case.failure_case)))
    problems.sort(key=lambda p: (p[0] is not None, p[0] or 0))
    return problems


def _raise(problems: list[tuple[int | None, str | None, str]], source_name: str) -> None:
    if not problems:
        return
    row, column, message = problems[0]
    if len(problems) > 1:
        others = "; ".join(
            f"row {r}, column '{c}': {m}" for r, c, m in problems[1:1 + _MAX_LISTED_PROBLEMS])
        more = len(problems) - 1 - _MAX_LISTED_PROBLEMS
        message += f". {len(problems) - 1} more problem(s): {others}" + (f"; and {more} more" if more > 0 else "")
    raise EvidenceSchemaError(message, source=source_name, row=row, column=column, problems=problems)


def _validate(df: pd.DataFrame, schema: pa.DataFrameSchema, source_name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Blank cells become missing values, then the schema runs lazily; returns the typed table."""
    df = df.copy()
    for column in df.columns:
        if df[column].dtype == object or pd.api.types.is_string_dtype(df[column]):
            df[column] = df[column].map(lambda v: None if isinstance(v, str) and v.strip() == "" else v)
    for column in columns:
        if column not in df.columns and column in OPTIONAL_COLUMNS:
            df[column] = None
    for name, column in schema.columns.items():
        # text columns are not coerced by pandera, so user tables with numbers or all-empty columns are made text here
        if name in df.columns and not column.coerce and not pd.api.types.is_string_dtype(df[name]):
            df[name] = df[name].astype("str")
    try:
        typed = schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        _raise(_pandera_problems(exc), source_name)
    ordered = [c for c in columns if c in typed.columns]
    return typed[ordered + [c for c in typed.columns if c not in ordered]].reset_index(drop=True)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _count_rules(row, problems: list, r: int) -> None:
    if not _missing(row.events) and not _missing(row.n) and row.events > row.n:
        problems.append((r, "events", f"events ({row.events}) exceed n ({row.n})"))


def _result_rules(df: pd.DataFrame, known_source_ids: set[str]) -> list[tuple[int, str, str]]:
    problems = []
    for i, row in enumerate(df.itertuples(index=False)):
        r = i + 1
        if row.source_id not in known_source_ids:
            problems.append((r, "source_id", f"{row.source_id!r} is not in sources.csv; add the source first"))
        reported = row.estimate_status == "reported"
        if reported and _missing(row.estimate):
            problems.append((r, "estimate", "is empty although estimate_status is 'reported'"))
        if not reported and not _missing(row.estimate):
            problems.append((r, "estimate", f"must be empty when estimate_status is {row.estimate_status!r}; "
                                            "a median not reached is never a number"))
        if (row.ci_high_status == "reported") == _missing(row.ci_high):
            problems.append((r, "ci_high_status", "must be 'reported' exactly when ci_high holds a number"))
        _count_rules(row, problems, r)
        if row.unit in FRACTION_UNITS:
            for column in ("estimate", "ci_low", "ci_high"):
                value = getattr(row, column)
                if not _missing(value) and not 0 <= value <= 1:
                    problems.append((r, column, f"{value} is not a fraction in [0, 1] (unit {row.unit!r}); "
                                                "write 72.7% as 0.727"))
        if not _missing(row.ci_low) and not _missing(row.estimate) and row.ci_low > row.estimate:
            problems.append((r, "ci_low", f"{row.ci_low} is above the estimate {row.estimate}"))
        if not _missing(row.ci_high) and not _missing(row.estimate) and row.ci_high < row.estimate:
            problems.append((r, "ci_high", f"{row.ci_high} is below the estimate {row.estimate}"))
        if row.status == "unverified" and _missing(row.note):
            problems.append((r, "note", "an unverified value needs a note saying what it rests on"))
    problems += _duplicate_rows(df, ["result_id"])
    return problems


def _duplicate_rows(df: pd.DataFrame, ignore: Sequence[str]) -> list[tuple[int, str | None, str]]:
    content = df.drop(columns=[c for c in ignore if c in df.columns])
    duplicated = content.astype(str).duplicated(keep="first")
    return [(i + 1, None, "repeats an earlier row of the same file") for i in np.flatnonzero(duplicated.to_numpy())]


def _source_id_rule(df: pd.DataFrame, known_source_ids: set[str]) -> list[tuple[int, str, str]]:
    return [(i + 1, "source_id", f"{sid!r} is not in sources.csv; add the source first")
            for i, sid in enumerate(df["source_id"]) if sid not in known_source_ids]


def validate_sources(df: pd.DataFrame, source_name: str) -> pd.DataFrame:
    """Validate a sources table and return it typed.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per report, columns as in ``data/README.md`` (blank cells allowed where optional).
    source_name : str
        Where the table came from, named in error messages (e.g. ``"data/sources.csv"``).

    Raises
    ------
    EvidenceSchemaError
        Naming the file, the 1-based data row, the column and the problem.
    """
    typed = _validate(df, SOURCES_SCHEMA, source_name, SOURCE_COLUMNS)
    ids = set(typed["source_id"])
    problems = []
    for i, value in enumerate(typed["supersedes"]):
        for target in ([] if _missing(value) else str(value).split(";")):
            if target.strip() not in ids:
                problems.append((i + 1, "supersedes", f"{target.strip()!r} is not a source_id of this table"))
    _raise(problems, source_name)
    return typed


def validate_results(df: pd.DataFrame, source_name: str, known_source_ids: Iterable[str], *,
                     extend_vocabulary: bool = False) -> pd.DataFrame:
    """Validate a results table against the schema and the cross-file rules.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per reported value (columns in ``data/README.md``).
    source_name : str
        Where the table came from, named in error messages.
    known_source_ids : iterable of str
        The ``source_id`` values the rows may refer to.
    extend_vocabulary : bool, default False
        Accept outcome and population names outside :data:`OUTCOMES` and
        :data:`POPULATIONS` (for a user's own extractions); they must still be
        identifiers.

    Returns
    -------
    pandas.DataFrame
        The typed table (``events``/``n`` as nullable integers, numbers as floats).

    Raises
    ------
    EvidenceSchemaError
        Naming the file, the 1-based data row, the column and the problem.
    """
    typed = _validate(df, _results_schema(extend_vocabulary), source_name, RESULT_COLUMNS)
    _raise(_result_rules(typed, set(known_source_ids)), source_name)
    return typed


def _validate_table(df, schema, source_name, known_source_ids) -> pd.DataFrame:
    typed = _validate(df, schema, source_name, list(schema.columns))
    problems = _source_id_rule(typed, known_source_ids)
    if {"events", "n"} <= set(typed.columns):
        for i, row in enumerate(typed.itertuples(index=False)):
            _count_rules(row, problems, i + 1)
            if getattr(row, "unit", None) == "proportion" and not _missing(row.estimate) and not 0 <= row.estimate <= 1:
                problems.append((i + 1, "estimate",
                                 f"{row.estimate} is not a fraction in [0, 1]; write 45.5% as 0.455"))
    problems += _duplicate_rows(typed, [])
    _raise(sorted(problems, key=lambda p: p[0]), source_name)
    return typed


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise EvidenceSchemaError(f"the file is missing; expected it in {path.parent}", source=str(path))
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise EvidenceSchemaError(f"cannot be read as UTF-8 CSV: {exc}", source=str(path)) from exc




def validate_evidence_files(folder: Path) -> dict[str, pd.DataFrame]:
    """Read and validate the five evidence files in ``folder``.

    Returns the typed tables by name (``sources``, ``results``, ``baseline``,
    ``adverse_events``, ``patients``), ``sources`` and ``results`` with
    ``origin="curated"``.

    Raises
    ------
    EvidenceSchemaError
        For the first broken file, naming the file, the 1-based data row, the column and the problem.
    """
    sources = validate_sources(_read_csv(folder / "sources.csv"), str(folder / "sources.csv"))
    ids = set(sources["source_id"])
    results = validate_results(_read_csv(folder / "results.csv"), str(folder / "results.csv"), ids)
    tables = {"sources": sources.assign(origin="curated"), "results": results.assign(origin="curated")}
    for name, schema in (("baseline", BASELINE_SCHEMA), ("adverse_events", ADVERSE_EVENTS_SCHEMA),
                         ("patients", PATIENTS_SCHEMA)):
        path = folder / f"{name}.csv"
        tables[name] = _validate_table(_read_csv(path), schema, str(path), ids)
    return tables
