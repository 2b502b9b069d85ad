"""Tests of the evidence loader, its schema and the EvidenceBase API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synthesis.errors import InvalidInputError
from synthesis.evidence import (
    OUTCOMES,
    POPULATIONS,
    EvidenceSchemaError,
    load_evidence,
)
from synthesis.evidence_schema import validate_results, validate_sources

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def _broken_copy(tmp_path: Path, name: str, mutate) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    table = pd.read_csv(folder / name, dtype=str, keep_default_na=False)
    mutate(table).to_csv(folder / name, index=False)
    return folder


def _set(column: str, row: int, value: str):
    def mutate(table: pd.DataFrame) -> pd.DataFrame:
        table.loc[row, column] = value
        return table
    return mutate


def test_valid_load(evidence):
    assert len(evidence.sources) == 31
    assert len(evidence.results) > 250
    assert len(evidence.patients) == 11
    assert set(evidence.results["origin"]) == {"curated"}
    assert str(evidence.results["events"].dtype) == "Int64"
    assert evidence.results["estimate"].dtype == "float64"


@pytest.mark.parametrize(
    ("name", "mutate", "row", "column", "fragment"),
    [
        ("results.csv", _set("events", 4, "eight"), 5, "events", "'eight' is not a whole number"),
        ("results.csv", _set("estimate", 2, "0,545"), 3, "estimate", "is not a number"),
        ("results.csv", _set("outcome", 4, "ORRR"), 5, "outcome", "'ORRR' is not a known outcome; valid: ORR"),
        ("results.csv", _set("population", 7, "everyone"), 8, "population", "is not a known population"),
        ("results.csv", lambda t: t.drop(columns="n"), None, "n", "the column 'n' is missing"),
        ("results.csv", _set("source_id", 9, "KarMa"), 10, "source_id", "'KarMa' is not in sources.csv"),
        ("results.csv", _set("events", 0, "12"), 1, "events", "events (12) exceed n (11)"),
        ("results.csv", _set("estimate", 0, "72.7"), 1, "estimate", "not a fraction in [0, 1]"),
        ("results.csv", _set("result_id", 3, "single-centre-001"), 4, "result_id", "is a duplicate"),
        ("sources.csv", _set("role", 2, "indx"), 3, "role", "'indx' is not a known role"),
        ("sources.csv", _set("supersedes", 1, "LEGEND-2_3y"), 2, "supersedes", "'LEGEND-2_3y' is not a source_id"),
        ("baseline.csv", _set("source_id", 2, "nope"), 3, "source_id", "'nope' is not in sources.csv"),
        ("adverse_events.csv", _set("events", 0, "99"), 1, "events", "events (99) exceed n (11)"),
        ("patients.csv", _set("age", 2, "5x"), 3, "age", "'5x' is not a whole number"),
    ],
)
def test_hand_broken_file_names_file_row_and_column(tmp_path, name, mutate, row, column, fragment):
    folder = _broken_copy(tmp_path, name, mutate)
    with pytest.raises(EvidenceSchemaError) as info:
        load_evidence(folder)
    error = info.value
    assert isinstance(error, InvalidInputError)
    assert error.source.endswith(name) and error.row == row and error.column == column
    message = str(error)
    assert name in message and f"column '{column}'" in message and fragment in message
    if row is not None:
        assert f"data row {row} (line {row + 1} counting the header)" in message


def test_not_reached_median_with_a_number_is_rejected(tmp_path):
    def mutate(table):
        row = table.index[table["estimate_status"] == "not_reached"][0]
        table.loc[row, "estimate"] = "30"
        return table
    with pytest.raises(EvidenceSchemaError, match="a median not reached is never a number"):
        load_evidence(_broken_copy(tmp_path, "results.csv", mutate))


def test_duplicate_row_is_rejected(tmp_path):
    def mutate(table):
        copy = table.iloc[[5]].copy()
        copy["result_id"] = "single-centre-999"
        return pd.concat([table, copy], ignore_index=True)
    with pytest.raises(EvidenceSchemaError, match="repeats an earlier row"):
        load_evidence(_broken_copy(tmp_path, "results.csv", mutate))


def test_every_problem_is_collected(tmp_path):
    def mutate(table):
        table.loc[1, "events"] = "x"
        table.loc[3, "unit"] = "percent"
        return table
    with pytest.raises(EvidenceSchemaError) as info:
        load_evidence(_broken_copy(tmp_path, "results.csv", mutate))
    assert [(r, c) for r, c, _ in info.value.problems] == [(2, "events"), (4, "unit")]
    assert "1 more problem(s): row 4, column 'unit'" in str(info.value)


def test_missing_file(tmp_path):
    folder = _broken_copy(tmp_path, "patients.csv", lambda t: t)
    (folder / "patients.csv").unlink()
    with pytest.raises(EvidenceSchemaError, match="the file is missing"):
        load_evidence(folder)


def test_select_joins_the_source_and_filters(evidence):
    rows = evidence.select(outcome="ORR", population="all", source_id="LEGEND-2_5y")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["events"], row["n"], row["estimate"]) == (65, 74, 0.878)
    source = (row["label"], row["design"], row["phase"], row["role"])
    assert source == ("LEGEND-2 (5-year)", "single-arm trial", "1", "index")
    cilta = evidence.select(product=["cilta-cel"], outcome=["ORR", "CR_or_better"])
    assert set(cilta["product"]) == {"cilta-cel"} and set(cilta["outcome"]) == {"ORR", "CR_or_better"}
    assert len(evidence.select()) == len(evidence.results)


@pytest.mark.parametrize("kwargs", [{"outcome": "ORRR"}, {"population": "everyone"}, {"source_id": "KarMa"},
                                    {"product": "abecma"}])
def test_select_rejects_unknown_names_listing_valid_ones(evidence, kwargs):
    with pytest.raises(InvalidInputError, match="valid: "):
        evidence.select(**kwargs)


def test_combined_with_user_rows(evidence):
    sources = pd.DataFrame([{"source_id": "my_study", "label": "My study", "design": "single-arm trial",
                             "product": "cilta-cel", "role": "comparator", "n_treated": "20"}])
    results = pd.DataFrame([{
        "result_id": "my_study-001", "source_id": "my_study", "product": "cilta-cel", "population": "all",
        "outcome": "ORR_confirmed", "events": "18", "n": "20", "estimate": "0.9", "estimate_status": "reported",
        "ci_low": "", "ci_high": "", "ci_high_status": "not_reported", "unit": "proportion", "timepoint": "",
        "location": "Table 2", "quote": "18/20 (90%)", "status": "verified", "note": ""}])
    combined = evidence.combined_with(sources=sources, results=results)
    assert len(combined.results) == len(evidence.results) + 1
    assert combined.results["origin"].iloc[-1] == "user" and combined.sources["origin"].iloc[-1] == "user"
    assert combined.select(source_id="my_study")["label"].tolist() == ["My study"]
    assert len(evidence.results) == len(load_evidence().results), "the original is unchanged"
    with pytest.raises(InvalidInputError, match="already exists"):
        evidence.combined_with(sources=evidence.sources.head(1))


def test_validate_results_reports_user_rows(evidence):
    bad = evidence.results.head(3).drop(columns="origin").copy()
    bad.loc[2, "n"] = 0
    with pytest.raises(EvidenceSchemaError) as info:
        validate_results(bad, "workspace results", set(evidence.sources["source_id"]))
    assert (info.value.source, info.value.row, info.value.column) == ("workspace results", 3, "n")


def test_validate_sources_requires_columns():
    with pytest.raises(EvidenceSchemaError, match="the column 'role' is missing"):
        validate_sources(pd.DataFrame([{"source_id": "x", "label": "X", "design": "single-arm trial",
                                        "product": "p"}]), "user sources")


def test_summary_frame_and_to_dict(evidence):
    summary = evidence.summary_frame()
    assert len(summary) == len(evidence.sources)
    index_rows = summary.set_index("source_id").loc[["single-centre", "LEGEND-2_5y"]]
    assert (index_rows["results"] > 40).all() and (index_rows["unverified"] == 0).all()
    assert summary["results"].sum() == len(evidence.results)
    payload = evidence.to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert len(payload["patients"]) == 11 and "NaN" not in text


def test_vocabulary_names_are_identifiers():
    for name in list(OUTCOMES) + list(POPULATIONS):
        assert name.replace("_", "").isalnum(), name


# -- the validated-evidence cache -------------------------------------------------


def _cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("evidence-*.pickle"))


def test_cached_base_equals_a_freshly_validated_one(tmp_path, monkeypatch):
    from synthesis import evidence as module

    monkeypatch.setenv(module.CACHE_ENV, str(tmp_path / "cache"))
    validated = load_evidence()
    assert len(_cache_files(tmp_path / "cache")) == 1
    cached = load_evidence()
    for name in ("sources", "results", "baseline", "adverse_events", "patients"):
        pd.testing.assert_frame_equal(getattr(cached, name), getattr(validated, name), check_exact=True)


def test_a_changed_file_is_validated_again_not_read_from_the_cache(tmp_path, monkeypatch):
    from synthesis import evidence as module

    monkeypatch.setenv(module.CACHE_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    load_evidence(folder)
    results = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    results.loc[3, "events"] = "-1"
    results.to_csv(folder / "results.csv", index=False)
    with pytest.raises(EvidenceSchemaError) as info:
        load_evidence(folder)
    assert info.value.row == 4 and info.value.column == "events"
    assert len(_cache_files(tmp_path / "cache")) == 1  # a broken base is never cached


def test_an_unreadable_cache_is_ignored_and_rewritten(tmp_path, monkeypatch):
    from synthesis import evidence as module

    monkeypatch.setenv(module.CACHE_ENV, str(tmp_path / "cache"))
    expected = load_evidence()
    (cached,) = _cache_files(tmp_path / "cache")
    cached.write_bytes(b"not a pickle")
    again = load_evidence()
    pd.testing.assert_frame_equal(again.results, expected.results)
    assert cached.read_bytes() != b"not a pickle"


def test_old_caches_are_pruned_to_the_newest_few(tmp_path, monkeypatch):
    from synthesis import evidence as module

    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv(module.CACHE_ENV, str(cache))
    stale = [cache / f"evidence-{i:032x}.pickle" for i in range(module.CACHE_KEEP + 2)]
    for age, path in enumerate(stale):
        path.write_bytes(b"an older base")
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    unrelated = cache / "notes.txt"
    unrelated.write_text("not a cache")
    load_evidence()
    kept = _cache_files(cache)
    assert len(kept) == module.CACHE_KEEP
    assert _cache_path_now(module) in kept  # the base just written stays
    assert set(kept) - {_cache_path_now(module)} == set(stale[-(module.CACHE_KEEP - 1):])  # newest old ones
    assert unrelated.exists()


def _cache_path_now(module) -> Path:
    return module._cache_path(module.DATA_DIR)


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    from synthesis import evidence as module

    monkeypatch.setenv(module.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert len(load_evidence().results) > 0
    assert not list(tmp_path.rglob("*.pickle"))


def test_reading_the_cached_base_does_not_import_pandera(tmp_path):
    script = ("import sys; from synthesis.evidence import load_evidence; load_evidence(); "
              "print('pandera' in sys.modules)")
    env = {**os.environ, "BCMA_SYNTH_CACHE": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                           cwd=DATA.parent, check=True).stdout.strip() for _ in range(2)]
    assert runs == ["True", "False"]  # validated (and cached) once, then read back


def test_callers_at_the_same_moment_validate_once(tmp_path, monkeypatch):
    import threading
    import time

    from synthesis import evidence as module
    from synthesis import evidence_schema

    monkeypatch.setenv(module.CACHE_ENV, str(tmp_path / "cache"))
    real, calls = evidence_schema.validate_evidence_files, []

    def slow_validation(folder):
        calls.append(folder)
        time.sleep(0.3)  # the second caller arrives while this one validates
        return real(folder)

    monkeypatch.setattr(evidence_schema, "validate_evidence_files", slow_validation)
    bases = []
    threads = [threading.Thread(target=lambda: bases.append(load_evidence())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(bases) == 2
    pd.testing.assert_frame_equal(bases[0].results, bases[1].results)
