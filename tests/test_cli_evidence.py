"""Tests of ``python -m synthesis evidence``."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synthesis.cli import main
from synthesis.cli.evidence import OUTPUT_COLUMNS

REPO = Path(__file__).resolve().parent.parent
LEADING_COLUMNS = ["source_id", "product", "population", "outcome", "events", "n", "estimate", "ci_low",
                   "ci_high", "unit", "timepoint", "location", "quote", "status"]


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_default_csv_lists_every_value_with_its_quote(capsys):
    assert main(["evidence"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split(",")
    assert header[:14] == LEADING_COLUMNS and header == OUTPUT_COLUMNS
    rows = _csv_rows(out)
    assert len(rows) > 250
    index_rows = [r for r in rows if r["source_id"] in ("single-centre", "LEGEND-2_5y")]
    assert len(index_rows) > 100 and all(r["quote"] and r["location"] for r in index_rows)


def test_filters_and_the_printed_values(capsys):
    assert main(["evidence", "--study", "LEGEND-2_5y", "--outcome", "PFS_rate", "--population", "all"]) == 0
    (row,) = _csv_rows(capsys.readouterr().out)
    assert (row["estimate"], row["ci_low"], row["ci_high"], row["timepoint"]) == ("0.21", "0.122", "0.314", "60.0")
    assert row["unit"] == "proportion" and row["status"] == "verified"


def test_not_reached_median_is_not_a_number(capsys):
    assert main(["evidence", "--study", "LEGEND-2_5y", "--outcome", "OS_median", "--population", "CR",
                 "--format", "json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert list(record) == OUTPUT_COLUMNS
    assert record["estimate"] is None and record["estimate_status"] == "not_reached"
    assert record["n"] == 54 and "not reached" in record["quote"]


def test_json_counts_are_integers(capsys):
    assert main(["evidence", "--study", "single-centre", "--outcome", "ORR", "--format", "json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["events"], record["n"], record["estimate"]) == (8, 11, 0.727)


@pytest.mark.parametrize(("flag", "value", "listed"), [("--study", "KarMa", "KarMMa_FDA_review"),
                                                      ("--outcome", "ORRR", "CR_or_better"),
                                                      ("--population", "everyone", "MRD_negative_CR")])
def test_unknown_name_lists_the_valid_ones_and_exits_2(capsys, flag, value, listed):
    assert main(["evidence", flag, value]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert f"unknown {flag[2:]} '{value}'" in line and "valid:" in line and listed in line


def test_broken_data_exits_2_naming_file_row_and_column(tmp_path, capsys):
    folder = tmp_path / "data"
    shutil.copytree(REPO / "data", folder)
    lines = (folder / "results.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",proportion,", ",percent,", 1)
    (folder / "results.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["evidence", "--data-dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "results.csv, data row 3 (line 4 counting the header), column 'unit'" in err


def test_module_entry_point_as_a_subprocess():
    done = subprocess.run([sys.executable, "-m", "synthesis", "evidence", "--outcome", "nope"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "unknown outcome 'nope'" in done.stderr and "Traceback" not in done.stderr
