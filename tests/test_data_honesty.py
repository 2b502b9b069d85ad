"""Tests that hold the curated evidence in ``data/`` honest.

Every number must be traceable: index-study quotes occur verbatim in the seed
texts (whitespace normalised only), printed percentages agree with
``events``/``n`` and ``estimate`` at the printed precision, CIs and medians are
the numbers the quote prints, ids resolve and nothing is entered twice. Rows
whose printed numbers are inconsistent in the source itself are kept as
printed and listed in ``check_exempt_reason``; those rows must really fail the
check, so the allow-list cannot go stale.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from synthesis.evidence import OUTCOMES, POPULATIONS, load_evidence

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
# Slack for float noise on top of the half-unit of the printed last digit.
FLOAT_SLACK = 1e-9
NUMBER = r"\d+(?:[.·]\d+)?"
PERCENT = re.compile(rf"({NUMBER})\s*(?:%|percent\b)")
TABLE_PERCENT = re.compile(rf"\b\d+ \(({NUMBER})\)")
# Kaplan-Meier estimates are not a count over n, so only their printed value is checked.
KAPLAN_MEIER_OUTCOMES = {"PFS_rate", "OS_rate"}


def _shared_dir() -> Path | None:
    for candidate in (os.environ.get("BCMA_SHARED_DIR"), REPO.parent / "shared", Path("/work/shared")):
        if candidate and (Path(candidate) / "seeds").is_dir():
            return Path(candidate)
    return None


SHARED = _shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="../shared (seed texts, comparators research) not present")


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _number(token: str) -> float:
    return float(token.replace("·", "."))


def _half_unit(token: str) -> float:
    token = token.replace("·", ".")
    decimals = len(token.split(".")[1]) if "." in token else 0
    return 0.5 * 10 ** -decimals


def _agrees(token: str, value: float) -> bool:
    return abs(_number(token) - value) <= _half_unit(token) + FLOAT_SLACK


def _percent_tokens(quote: str) -> list[str]:
    return PERCENT.findall(quote) + TABLE_PERCENT.findall(quote)


def _computed(note) -> bool:
    return isinstance(note, str) and "estimate computed" in note


def _proportion_rows(evidence) -> list[tuple[str, int, pd.Series]]:
    rows = []
    for name, table in (("results", evidence.results), ("baseline", evidence.baseline),
                        ("adverse_events", evidence.adverse_events)):
        for i, row in table.iterrows():
            is_fraction = name == "adverse_events" or row.get("unit") == "proportion"
            if is_fraction and pd.notna(row["estimate"]):
                rows.append((name, i + 1, row))
    return rows


def _percentage_problem(row: pd.Series) -> str | None:
    """Why the row's printed percentage disagrees with its numbers, or None when it agrees."""
    if _computed(row.get("note")):
        if pd.isna(row["events"]) or pd.isna(row["n"]) or abs(row["estimate"] - row["events"] / row["n"]) > 5e-5:
            return "note says the estimate is computed, but it is not events/n"
        return None
    tokens = [t for t in _percent_tokens(row["quote"]) if _agrees(t, 100 * row["estimate"])]
    if not tokens:
        return f"no percentage in the quote matches the estimate {row['estimate']}"
    if pd.notna(row["events"]) and pd.notna(row["n"]):
        if not any(_agrees(t, 100 * row["events"] / row["n"]) for t in tokens):
            share = 100 * row["events"] / row["n"]
            return f"printed {tokens[0]}% but events/n = {row['events']}/{row['n']} = {share:.2f}%"
    elif pd.notna(row["n"]) and row.get("outcome") not in KAPLAN_MEIER_OUTCOMES:
        if not any(_agrees(t, 100 * k / row["n"]) for t in tokens for k in range(int(row["n"]) + 1)):
            return f"printed {tokens[0]}% is no whole number of n = {row['n']} patients"
    return None


def test_printed_percentages_agree_with_counts_at_printed_precision(evidence):
    problems = [f"{name} row {r} ({row.get('result_id', row['source_id'])}): {why}"
                for name, r, row in _proportion_rows(evidence)
                if pd.isna(row.get("check_exempt_reason")) and (why := _percentage_problem(row))]
    assert not problems, "\n".join(problems)


def test_exempt_rows_really_fail_the_check(evidence):
    """The allow-list holds only rows whose printed numbers are inconsistent in the source."""
    exempt = [(name, r, row) for name, r, row in _proportion_rows(evidence) if pd.notna(row.get("check_exempt_reason"))]
    assert exempt, "the known source inconsistencies (e.g. '75 of 103, 74.3 percent') should be listed"
    stale = [f"{name} row {r}" for name, r, row in exempt if _percentage_problem(row) is None]
    assert not stale, f"exempt but consistent, remove the exemption: {stale}"


def test_confidence_limits_are_printed_in_the_quote(evidence):
    problems = []
    for i, row in evidence.results.iterrows():
        scale = 100 if row["unit"] == "proportion" else 1
        numbers = re.findall(NUMBER, row["quote"])
        for column in ("ci_low", "ci_high"):
            if pd.notna(row[column]) and not any(_agrees(t, scale * row[column]) for t in numbers):
                problems.append(f"results row {i + 1} ({row['result_id']}): {column} {row[column]} not in the quote")
    assert not problems, "\n".join(problems)


def test_medians_and_other_numbers_are_printed_in_the_quote(evidence):
    problems = []
    for i, row in evidence.results.iterrows():
        if row["unit"] in ("proportion", "fraction_of_cells") or pd.isna(row["estimate"]) or _computed(row["note"]):
            continue
        if row["unit"] == "patients":
            # a count printed in words ("in one patient"): the estimate is the count
            assert row["estimate"] == row["events"], row["result_id"]
            continue
        if not any(_agrees(t, row["estimate"]) for t in re.findall(NUMBER, row["quote"])):
            problems.append(f"results row {i + 1} ({row['result_id']}): {row['estimate']} not in the quote")
    assert not problems, "\n".join(problems)


def test_cell_fractions_are_printed_in_the_quote(evidence):
    rows = evidence.results[evidence.results["unit"] == "fraction_of_cells"]
    assert len(rows)
    for _, row in rows.iterrows():
        assert any(_agrees(t, 100 * row["estimate"]) for t in _percent_tokens(row["quote"])), row["result_id"]


def test_every_row_has_a_source_location_and_quote(evidence):
    for name in ("results", "baseline", "adverse_events", "patients"):
        table = getattr(evidence, name)
        for column in ("source_id", "location", "quote"):
            assert table[column].notna().all() and (table[column].str.strip() != "").all(), (name, column)
        assert set(table["source_id"]) <= set(evidence.sources["source_id"]), name


def test_ids_resolve_and_are_unique(evidence):
    assert evidence.sources["source_id"].is_unique
    assert evidence.results["result_id"].is_unique
    for value in evidence.sources["supersedes"].dropna():
        assert set(value.split(";")) <= set(evidence.sources["source_id"]), value


def test_no_duplicate_rows_or_keys(evidence):
    results = evidence.results
    assert not results.drop(columns="result_id").astype(str).duplicated().any()
    key = ["source_id", "product", "population", "outcome", "timepoint", "location"]
    assert not results[key].astype(str).duplicated().any(), results[results[key].astype(str).duplicated(keep=False)]
    for name in ("baseline", "adverse_events", "patients"):
        assert not getattr(evidence, name).astype(str).duplicated().any(), name


def test_unverified_values_say_what_they_rest_on(evidence):
    unverified = evidence.results[evidence.results["status"] == "unverified"]
    assert len(unverified)
    assert unverified["note"].str.contains("unverified: rests on").all()


def test_index_rows_are_all_verified(evidence):
    index_ids = set(evidence.sources.loc[evidence.sources["role"] == "index", "source_id"])
    assert index_ids == {"single-centre", "LEGEND-2_5y"}
    rows = evidence.results[evidence.results["source_id"].isin(index_ids)]
    assert (rows["status"] == "verified").all()


def test_not_reached_medians_are_never_numbers(evidence):
    results = evidence.results
    not_reached = results[results["estimate_status"] != "reported"]
    assert len(not_reached) >= 5
    assert not_reached["estimate"].isna().all()
    legend_cr_os = results[(results["source_id"] == "LEGEND-2_5y") & (results["outcome"] == "OS_median")
                           & (results["population"] == "CR")]
    assert legend_cr_os["estimate_status"].tolist() == ["not_reached"]


def test_required_vocabulary_is_present_and_documented():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    required_outcomes = {"ORR", "CR_or_better", "VGPR_or_better", "MRD_negative", "PFS_median", "OS_median",
                         "DOR_median", "PFS_rate", "OS_rate", "follow_up_median", "CRS_any", "CRS_grade3plus",
                         "ICANS_any", "ICANS_grade3plus"}
    assert required_outcomes <= set(OUTCOMES)
    assert {"all", "responders", "CR", "non_CR", "MRD_negative_CR"} <= set(POPULATIONS)
    for name in list(OUTCOMES) + list(POPULATIONS):
        assert f"`{name}`" in readme, f"{name} is not documented in data/README.md"


def test_every_column_is_documented():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for path in DATA.glob("*.csv"):
        for column in pd.read_csv(path, nrows=0).columns:
            assert f"`{column}`" in readme, f"{path.name}: column {column} is not documented in data/README.md"


def test_single_centre_table_1_has_eleven_patients_matching_table_2(evidence):
    patients = evidence.patients
    assert len(patients) == 11
    assert patients["patient"].tolist() == list(range(1, 12))
    # Table 2 summarises Table 1; the two transcriptions must agree.
    assert patients["age"].median() == 58 and (patients["age"].min(), patients["age"].max()) == (54, 70)
    assert (patients["sex"] == "M").sum() == 6
    assert (patients["prior_asct"] == "Yes").sum() == 2
    assert (patients["extramedullary_disease"] != "No").sum() == 2
    lines = patients["prior_lines"]
    assert lines.median() == 4 and (lines.min(), lines.max()) == (2, 9)
    assert patients["bcma_on_mm_cells_pct"].median() == 66.23
    assert patients["iss_stage"].value_counts().to_dict() == {"II": 6, "III": 4, "I": 1}
    assert patients["monoclonal_globulin"].str.startswith("Light chain").sum() == 5
    assert (patients["trial"] == "NCT03975907").sum() == 1


def _seed_texts(evidence) -> dict[str, str]:
    texts = {}
    for row in evidence.sources.itertuples():
        match = re.search(r"seeds/(\S+\.txt)", row.note or "")
        if row.role == "index":
            assert match, f"index source {row.source_id} must name its seed file in note"
            texts[row.source_id] = _normalise((SHARED / "seeds" / match.group(1)).read_text(encoding="utf-8"))
    return texts


@needs_shared
def test_index_quotes_occur_verbatim_in_the_seed_texts(evidence):
    texts = _seed_texts(evidence)
    checked, missing = 0, []
    for name in ("results", "baseline", "adverse_events", "patients"):
        table = getattr(evidence, name)
        for i, row in table[table["source_id"].isin(texts)].iterrows():
            checked += 1
            if _normalise(row["quote"]) not in texts[row["source_id"]]:
                missing.append(f"{name} row {i + 1}: {row['quote'][:80]!r}")
    assert checked > 200
    assert not missing, "\n".join(missing)


@needs_shared
def test_every_comparator_research_row_is_accounted_for(evidence):
    research = pd.read_csv(SHARED / "research" / "comparators.csv", dtype=str, keep_default_na=False)
    text = " ".join(pd.concat([evidence.results["note"], evidence.baseline["note"], evidence.sources["note"]])
                    .dropna())
    cited = {int(n) for n in re.findall(r"comparators\.csv data row (\d+)", text)}
    assert cited == set(range(1, len(research) + 1))
