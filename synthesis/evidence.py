"""The curated evidence base: loading, validating and selecting extracted results.

The evidence lives in tidy CSV files under ``data/`` (schema and vocabulary in
``data/README.md``): ``sources.csv`` (one row per report), ``results.csv``
(one row per reported value, with its location and verbatim quote),
``baseline.csv``, ``adverse_events.csv`` and ``patients.csv``. Every file is
validated on load with pandera schemas (lazy validation, so every problem is
collected) plus cross-file checks; the first problem is reported with its file,
1-based data row and column, so that a hand-edited file fails loudly instead of
showing a half-loaded table.

Medians, CIs and follow-up are in months; rates and proportions are fractions
in [0, 1] in ``estimate`` with the printed counts in ``events``/``n``. A median
that was not reached is ``estimate_status="not_reached"`` with an empty
``estimate``: it is censored information, never a number (McGrath et al. 2025,
arXiv 2503.03065, on meta-analysing median survival).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from synthesis.errors import InvalidInputError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

OUTCOMES: dict[str, str] = {
    # response
    "ORR": "overall response rate: partial response or better (IMWG)",
    "CR_or_better": "complete response or better (CR + sCR)",
    "sCR": "stringent complete response",
    "VGPR_or_better": "very good partial response or better",
    "VGPR": "very good partial response (best response)",
    "PR": "partial response (best response)",
    "PR_or_VGPR": "partial or very good partial response (reported together)",
    "SD": "stable disease as best response",
    "MRD_negative": "minimal residual disease negativity (threshold in note)",
    "MRD_negative_CR": "complete response with MRD negativity, as a share of the population",
    "durable_response": "alive in continuous remission at the data cutoff",
    # time to event
    "PFS_median": "median progression-free survival (months)",
    "OS_median": "median overall survival (months)",
    "DOR_median": "median duration of response among responders (months)",
    "PFS_rate": "Kaplan-Meier progression-free survival at `timepoint` months (fraction)",
    "OS_rate": "Kaplan-Meier overall survival at `timepoint` months (fraction)",
    "PFS_HR": "hazard ratio for progression or death vs the comparator arm named in note",
    "OS_HR": "hazard ratio for death vs the comparator arm named in note",
    "follow_up_median": "median follow-up (months; range in range_low/range_high)",
    "alive_progression_free": "alive and progression-free at `timepoint` (observed share)",
    "alive_at_cutoff": "alive at the data cutoff",
    "relapse_free_at_cutoff": "alive without relapse or progression at the data cutoff",
    "relapse_at_cutoff": "relapsed or progressed by the data cutoff",
    "relapse_after_5y": "relapse more than 5 years after infusion",
    "PD_or_death": "progressive disease and/or death by the data cutoff",
    "PD_after_response": "progressive disease after a partial response or better",
    "death": "died on study",
    "death_PD": "died of progressive disease",
    "death_non_relapse": "died of a cause other than relapse",
    "death_SPM": "died of a second primary malignancy",
    "alive_after_PD": "alive at cutoff after progressive disease",
    "remission_duration_max": "longest remission (years, as printed)",
    "time_to_MRD_negativity_median": "median time to MRD negativity (months)",
    # subsequent therapy
    "subsequent_therapy": "received therapy after progression on CAR-T",
    "subsequent_therapy_ORR": "response (PR or better) to therapy after progression",
    "subsequent_therapy_CR": "complete response to therapy after progression",
    # safety
    "CRS_any": "cytokine release syndrome, any grade",
    "CRS_grade1_2": "cytokine release syndrome, grade 1-2",
    "CRS_grade3plus": "cytokine release syndrome, grade 3 or higher",
    "ICANS_any": "immune effector cell-associated neurotoxicity syndrome, any grade",
    "ICANS_grade3plus": "ICANS, grade 3 or higher",
    "neurotoxicity_any": "neurotoxicity of any kind (not only ICANS), any grade",
    "neurotoxicity_grade3plus": "neurotoxicity of any kind, grade 3 or higher",
    "AE_grade3plus": "any adverse event of grade 3 or higher",
    "neutropenia_grade3plus": "neutropenia, grade 3 or higher",
    "leukopenia_grade3plus": "leukopenia, grade 3 or higher",
    "anemia_grade3plus": "anaemia, grade 3 or higher",
    "thrombocytopenia_grade3plus": "thrombocytopenia, grade 3 or higher",
    "hepatic_disorder_grade3plus": "hepatic disorder, grade 3 or higher",
    "fever_any": "fever, any grade",
    "fever_grade3plus": "fever, grade 3 or higher",
    "infection_any": "infection, any grade",
    "infection_grade3plus": "infection, grade 3 or higher",
    "prolonged_cytopenia": "cytopenia not resolved to grade <=2 within one month",
    "cytopenia_resolved_1m": "cytopenias resolved to grade <=2 within one month",
    "cytopenia_resolved_3m": "prolonged cytopenia resolved within three months",
    "SPM": "second primary malignancy during follow-up",
    "leukocyte_recovery": "normal leukocyte count at `timepoint`",
    "hemoglobin_recovery": "normal haemoglobin at `timepoint`",
    "platelet_recovery": "normal platelet count at `timepoint`",
    "leukocyte_median": "median leukocyte count at `timepoint` (10^9/L)",
    "hemoglobin_median": "median haemoglobin at `timepoint` (g/L)",
    "platelet_median": "median platelet count at `timepoint` (10^9/L)",
    "AST_median": "median aspartate aminotransferase at `timepoint` (U/L)",
    "ALT_median": "median alanine aminotransferase at `timepoint` (U/L)",
    # biomarkers and cell kinetics
    "IL6_elevated": "elevated serum IL-6 after infusion",
    "IL10_elevated": "elevated serum IL-10 after infusion",
    "TNFa_elevated": "elevated serum TNF-alpha after infusion",
    "IFNg_elevated": "elevated serum IFN-gamma after infusion",
    "IL2_elevated": "elevated serum IL-2 after infusion",
    "IL4_elevated": "elevated serum IL-4 after infusion",
    "CRP_elevated": "elevated C-reactive protein after infusion",
    "B_cell_recovery": "B-cell count in the normal range at `timepoint`",
    "Ig_recovery": "serologically normal immunoglobulin levels",
    "Ig_recovery_time_median": "median time to immunoglobulin recovery (months)",
    "CAR_T_undetectable": "CAR-T cells undetectable in blood at `timepoint`",
    "CAR_T_detectable_at_cutoff": "CAR-T cells still detectable at the data cutoff (count)",
    "CAR_T_persistence_median": "median duration of CAR transgene persistence, Tlast (days)",
    "CAR_T_fraction_of_CD45": "CAR-T cells as a share of circulating CD45+ cells",
    "DN_fraction_of_CAR_T": "CD4/CD8 double-negative share of CAR-T cells",
}

POPULATIONS: dict[str, str] = {
    "all": "all treated (infused) patients of the source",
    "ITT": "intention-to-treat arm of a randomised trial",
    "as_treated": "patients of a randomised arm who received the infusion",
    "efficacy_evaluable": "efficacy-evaluable patients as the source defines them",
    "safety": "safety population as the source defines it",
    "MRD_evaluable": "patients with an evaluable MRD sample",
    "responders": "patients with a partial response or better",
    "CR": "patients with complete response or better",
    "non_CR": "patients without a complete response",
    "PR_or_VGPR": "patients whose best response was PR or VGPR",
    "MRD_negative_CR": "patients in complete response with MRD negativity",
    "MRD_negative_responders": "responders with MRD negativity",
    "non_MRD_negative_responders": "responders without MRD negativity",
    "CR_alive_in_remission": "CR patients alive and in remission at cutoff",
    "CR_Ig_evaluable": "CR patients with immunoglobulin data",
    "CR_Ig_recovered": "CR patients whose immunoglobulins recovered",
    "progressed": "patients who progressed after CAR-T",
    "progressed_with_response_data": "progressed patients with response data for later therapy",
    "subsequent_PI_based": "post-CAR-T salvage with a proteasome-inhibitor regimen",
    "subsequent_BCMA_CAR_T": "post-CAR-T salvage with another BCMA CAR-T infusion",
    "prolonged_cytopenia": "patients with prolonged cytopenia",
    "VGPR_or_better_transgene": "VGPR or better, among patients with transgene data",
    "PR_or_worse_transgene": "PR or worse, among patients with transgene data",
    "late_best_response_transgene": "best response at >= 3.3 months, with transgene data",
    "early_best_response_transgene": "best response within 3.3 months, with transgene data",
    "single_patient": "one patient (a case measurement)",
    "penta_refractory": "refractory to 2 PIs, 2 IMiDs and an anti-CD38 antibody",
    "not_IMiD_PI_refractory": "not simultaneously refractory to an IMiD and a PI",
    "first_regimen_after_T0": "first regimen after anti-CD38 refractoriness (MAMMOTH)",
    "survivors_with_COVID_history": "surviving patients with a known COVID-19 history",
}

UNITS = {
    "proportion": "fraction 0-1 of patients",
    "months": "months",
    "years": "years (as printed)",
    "days": "days",
    "HR": "hazard ratio",
    "patients": "a count of patients without a printed denominator",
    "fraction_of_cells": "fraction 0-1 of cells",
    "10^9/L": "cells per litre x 10^9",
    "g/L": "grams per litre",
    "U/L": "units per litre",
}
FRACTION_UNITS = ("proportion", "fraction_of_cells")
ESTIMATE_STATUSES = ("reported", "not_reached", "not_estimable")
CI_HIGH_STATUSES = ("reported", "not_estimable", "not_reached", "not_reported")
VERIFICATION = ("verified", "unverified")
ROLES = ("index", "comparator", "context")
DESIGNS = ("single-arm trial", "randomised trial", "single-centre cohort", "real-world cohort")
BASELINE_STATISTICS = ("proportion", "median", "mean", "count", "range", "value")
AE_GRADES = ("any", "1", "1-2", "3-4", "3-5", "3plus", "5")

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
Names = str | Sequence[str] | None


class EvidenceSchemaError(InvalidInputError):
    """An evidence table that breaks the schema or the cross-file rules.

    ``source``, ``row`` (1-based data row, the header not counted) and
    ``column`` locate the first problem; ``problems`` lists all of them as
    ``(row, column, message)``.
    """

    def __init__(self, message: str, *, source: str, row: int | None = None,
                 column: str | None = None, problems: Sequence[tuple] = ()) -> None:
        self.problems = list(problems)
        super().__init__(message, source=source, row=row, column=column)

    def _format(self) -> str:
        where = [str(self.source)]
        if self.row is not None:
            where.append(f"data row {self.row} (line {self.row + 1} counting the header)")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


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


@dataclass(frozen=True)
class EvidenceBase:
    """The validated evidence tables.

    Attributes
    ----------
    sources, results, baseline, adverse_events, patients : pandas.DataFrame
        As described in ``data/README.md``; ``sources`` and ``results`` carry an
        ``origin`` column, ``"curated"`` for ``data/`` and ``"user"`` for rows
        added with :meth:`combined_with`.
    """

    sources: pd.DataFrame
    results: pd.DataFrame
    baseline: pd.DataFrame
    adverse_events: pd.DataFrame
    patients: pd.DataFrame

    def select(self, outcome: Names = None, population: Names = None, source_id: Names = None,
               product: Names = None) -> pd.DataFrame:
        """Results rows matching every given filter, joined with the source's label, design, phase and role.

        Each filter takes a name or a list of names; ``None`` keeps everything.
        An unknown name raises :class:`InvalidInputError` listing the valid ones.
        """
        joined = self.results.merge(self.sources[["source_id", "label", "design", "phase", "role"]],
                                    on="source_id", how="left")
        valid = {
            "outcome": sorted(set(OUTCOMES) | set(self.results["outcome"])),
            "population": sorted(set(POPULATIONS) | set(self.results["population"])),
            "source_id": sorted(self.sources["source_id"]),
            "product": sorted(set(self.results["product"])),
        }
        for column, wanted in (("outcome", outcome), ("population", population),
                               ("source_id", source_id), ("product", product)):
            if wanted is None:
                continue
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            unknown = [name for name in names if name not in valid[column]]
            if unknown:
                raise InvalidInputError(
                    f"unknown {column} {', '.join(map(repr, unknown))}; valid: {', '.join(valid[column])}",
                    column=column)
            joined = joined[joined[column].isin(names)]
        return joined.reset_index(drop=True)

    def combined_with(self, sources: pd.DataFrame | None = None, results: pd.DataFrame | None = None) -> EvidenceBase:
        """A new evidence base with a user's own sources and results added (``origin="user"``).

        User rows are validated with :func:`validate_sources` and
        :func:`validate_results` (vocabulary may be extended); their ids must
        not collide with curated ones.
        """
        new_sources = self.sources
        if sources is not None and len(sources):
            user = validate_sources(sources.drop(columns=["origin"], errors="ignore"), "user sources")
            clash = sorted(set(user["source_id"]) & set(self.sources["source_id"]))
            if clash:
                raise InvalidInputError(f"source_id {', '.join(clash)} already exists in the curated evidence; "
                                        "choose another id", source="user sources", column="source_id")
            new_sources = pd.concat([self.sources, user.assign(origin="user")], ignore_index=True)
        new_results = self.results
        if results is not None and len(results):
            user = validate_results(results.drop(columns=["origin"], errors="ignore"), "user results",
                                    set(new_sources["source_id"]), extend_vocabulary=True)
            clash = sorted(set(user["result_id"]) & set(self.results["result_id"]))
            if clash:
                raise InvalidInputError(f"result_id {', '.join(clash)} already exists in the curated evidence; "
                                        "choose another id", source="user results", column="result_id")
            new_results = pd.concat([self.results, user.assign(origin="user")], ignore_index=True)
        return EvidenceBase(new_sources, new_results, self.baseline, self.adverse_events, self.patients)

    def summary_frame(self) -> pd.DataFrame:
        """One row per source: label, role, product, design, n treated, cutoff and how many values it holds."""
        counts = self.results.groupby("source_id").agg(
            results=("result_id", "size"),
            verified=("status", lambda s: int((s == "verified").sum())),
            unverified=("status", lambda s: int((s == "unverified").sum())))
        frame = self.sources[["source_id", "label", "role", "product", "design", "n_treated", "data_cutoff", "origin"]]
        frame = frame.merge(counts, left_on="source_id", right_index=True, how="left")
        for name, table in (("baseline", self.baseline), ("adverse_events", self.adverse_events)):
            frame = frame.merge(table.groupby("source_id").size().rename(name), left_on="source_id",
                                right_index=True, how="left")
        count_columns = ["results", "verified", "unverified", "baseline", "adverse_events"]
        frame[count_columns] = frame[count_columns].fillna(0).astype(int)
        return frame.reset_index(drop=True)

    def to_dict(self) -> dict[str, list[dict]]:
        """Every table as a list of JSON-ready records (missing values as ``None``)."""
        return {name: _records(getattr(self, name))
                for name in ("sources", "results", "baseline", "adverse_events", "patients")}


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in clean.to_dict(orient="records")]


def load_evidence(data_dir: str | Path | None = None) -> EvidenceBase:
    """Read and validate the evidence base in ``data_dir`` (default: the repository's ``data/``).

    Raises
    ------
    EvidenceSchemaError
        For the first broken file, naming the file, the 1-based data row, the column and the problem.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    sources = validate_sources(_read_csv(folder / "sources.csv"), str(folder / "sources.csv"))
    ids = set(sources["source_id"])
    results = validate_results(_read_csv(folder / "results.csv"), str(folder / "results.csv"), ids)
    tables = {}
    for name, schema in (("baseline", BASELINE_SCHEMA), ("adverse_events", ADVERSE_EVENTS_SCHEMA),
                         ("patients", PATIENTS_SCHEMA)):
        path = folder / f"{name}.csv"
        tables[name] = _validate_table(_read_csv(path), schema, str(path), ids)
    return EvidenceBase(sources.assign(origin="curated"), results.assign(origin="curated"), **tables)
