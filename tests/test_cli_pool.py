"""``python -m synthesis pool``: flags, output formats and bad input (exit 2).

The numbers themselves are checked against metafor in test_proportions.py;
here the command must give the same numbers as the engine, with the JSON keys
and CSV columns the README documents.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from synthesis.cli import main
from synthesis.proportions import pool_proportions

ROOT = Path(__file__).resolve().parents[1]
#: Counts from /work/shared/research/comparators.csv and the index-study seeds.
ROWS = [
    ("Single-centre 2025", 8, 11, "in-house"),
    ("LEGEND-2 (5-year)", 65, 74, "cilta-cel"),
    ("KarMMa", 94, 128, "ide-cel"),
    ("CARTITUDE-1 (2-year)", 95, 97, "cilta-cel"),
    ("CARTIFAN-1", 43, 48, "cilta-cel"),
    ("CT053 IIT phase 1", 21, 24, "zevor-cel"),
    ("LUMMICAR-1 phase 1", 14, 14, "zevor-cel"),
]
TOP_KEYS = {"k", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "h2",
            "q", "q_df", "q_p", "measure", "method", "studies"}


def write_csv(path: Path, rows, header=("study", "events", "n", "product")) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def orr_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "orr.csv", ROWS)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["pool", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_has_the_documented_keys_and_engine_numbers(orr_csv, capsys) -> None:
    code, out, _ = run_cli(capsys, str(orr_csv), "--method", "REML", "--hksj")
    assert code == 0
    data = json.loads(out)
    assert TOP_KEYS <= set(data)
    assert (data["measure"], data["method"], data["k"]) == ("PLO", "REML", 7)
    expected = pool_proportions([r[1] for r in ROWS], [r[2] for r in ROWS],
                                method="REML", hksj=True)
    assert data["estimate"] == pytest.approx(expected.estimate, abs=1e-12)
    assert data["pi_high"] == pytest.approx(expected.pi_high, abs=1e-12)
    assert 0 <= data["i2"] <= 100
    study = data["studies"][0]
    assert set(study) == {"study", "events", "n", "proportion", "ci_low", "ci_high", "weight"}
    assert study["study"] == "Single-centre 2025" and study["events"] == 8
    assert sum(s["weight"] for s in data["studies"]) == pytest.approx(100)


def test_defaults_are_logit_glmm(orr_csv, capsys) -> None:
    data = json.loads(run_cli(capsys, str(orr_csv))[1])
    assert (data["measure"], data["method"]) == ("PLO", "GLMM")
    assert data["ci_method"] == "clopper-pearson"


def test_other_measures_default_to_reml(orr_csv, capsys) -> None:
    data = json.loads(run_cli(capsys, str(orr_csv), "--measure", "PFT")[1])
    assert (data["measure"], data["method"]) == ("PFT", "REML")
    assert any("Schwarzer" in note for note in data["notes"])


def test_subgroups_and_test_between(orr_csv, capsys) -> None:
    data = json.loads(run_cli(capsys, str(orr_csv), "--subgroup", "product", "--method", "DL")[1])
    assert [g["subgroup"] for g in data["subgroups"]] == ["in-house", "cilta-cel", "ide-cel",
                                                         "zevor-cel"]
    assert data["test_between"]["df"] == 3
    assert 0 <= data["test_between"]["p"] <= 1


def test_csv_output_has_study_and_pooled_rows(orr_csv, capsys) -> None:
    code, out, _ = run_cli(capsys, str(orr_csv), "--format", "csv", "--ci-method", "wilson",
                           "--level", "0.9")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["row_type"] for r in rows].count("study") == 7
    assert rows[-2]["row_type"] == "pooled" and rows[-1]["row_type"] == "prediction"
    assert rows[0]["events"] == "8"


def test_text_output_reports_heterogeneity_and_notes(orr_csv, capsys) -> None:
    code, out, _ = run_cli(capsys, str(orr_csv), "--format", "text")
    assert code == 0
    assert "Heterogeneity: Q =" in out and "I^2" in out
    assert "Note:" in out  # LUMMICAR-1 has all events: the correction is stated


@pytest.mark.parametrize(("rows", "text"), [
    ([("A", 5, 10, "x"), ("B", 12, 11, "x")], "row 3, column 'events': study 'B': 12 events"),
    ([("A", 5, 10, "x"), ("B", -1, 11, "x")], "row 3, column 'events': study 'B'"),
    ([("A", 5, 0, "x")], "row 2, column 'n': study 'A': n = 0"),
    ([("A", 2.5, 10, "x")], "column 'events': study 'A': events = 2.5 is not a whole number"),
    ([("A", "", 10, "x")], "column 'events': study 'A': events is empty"),
    ([("", 3, 10, "x")], "row 2, column 'study'"),
    ([], "no study to pool"),
])
def test_bad_rows_give_one_line_error_and_exit_2(tmp_path, capsys, rows, text) -> None:
    path = write_csv(tmp_path / "bad.csv", rows)
    code, out, err = run_cli(capsys, str(path))
    assert code == 2
    assert out == ""
    assert text in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_column_and_file(tmp_path, capsys) -> None:
    path = write_csv(tmp_path / "cols.csv", [("A", 3)], header=("study", "events"))
    code, _, err = run_cli(capsys, str(path))
    assert code == 2 and "no column 'n'" in err
    code, _, err = run_cli(capsys, str(tmp_path / "absent.csv"))
    assert code == 2 and "file not found" in err
    code, _, err = run_cli(capsys, str(write_csv(tmp_path / "ok.csv", ROWS)), "--subgroup", "phase")
    assert code == 2 and "no column 'phase'" in err


def test_runs_as_a_module(orr_csv) -> None:
    proc = subprocess.run([sys.executable, "-m", "synthesis", "pool", str(orr_csv), "--method",
                           "FE", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["method"] == "FE"
