"""``python -m synthesis compare``: the key contract, NR as null/"NR", errors as exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synthesis.cli import main

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
ARM_A, ARM_B = str(REF / "compare_arm_a.csv"), str(REF / "compare_arm_b.csv")
REFERENCE = json.loads((REF / "survival.json").read_text())["datasets"]["cart"]
KEYS = ["hr", "hr_ci_low", "hr_ci_high", "logrank_p", "rmst_a", "rmst_b", "rmst_diff",
        "rmst_diff_ci_low", "rmst_diff_ci_high", "median_a", "median_b", "median_ratio",
        "median_ratio_ci_low", "median_ratio_ci_high"]
#: R prints 15 significant digits; the Cox fit iterates.
RTOL = 1e-6


def run(capsys, *argv):
    code = main(["compare", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_keys_and_values_match_r(capsys):
    code, out, _ = run(capsys, ARM_A, ARM_B, "--tau", "24")
    assert code == 0
    data = json.loads(out)
    assert list(data) == KEYS
    # R's coxph in survival.R is B versus A; the command reports A versus B.
    assert data["hr"] == pytest.approx(1 / REFERENCE["cox"]["hr"], rel=RTOL)
    assert data["hr_ci_low"] == pytest.approx(1 / REFERENCE["cox"]["ci_high"], rel=RTOL)
    assert data["logrank_p"] == pytest.approx(REFERENCE["logrank"]["p_value"], rel=RTOL)
    diff = next(d for d in REFERENCE["rmst_diff"] if d["tau"] == 24)
    assert data["rmst_diff"] == pytest.approx(-diff["diff"], rel=RTOL)
    assert data["rmst_diff_ci_low"] == pytest.approx(-diff["ci_high"], rel=RTOL)
    assert data["median_a"] is None and data["median_ratio"] is None
    assert data["median_b"] == pytest.approx(10.55)


def test_text_shows_nr(capsys):
    code, out, _ = run(capsys, ARM_A, ARM_B, "--format", "text")
    assert code == 0
    lines = dict(line.split(None, 1) for line in out.splitlines()[:14])
    assert list(lines) == KEYS
    assert lines["median_a"].strip() == "NR"
    assert "cross-trial" in out


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("columns", "missing column"),
        ("no_events", "no events"),
        ("missing", "file not found"),
    ],
)
def test_bad_input_exit_2(tmp_path, capsys, setup, message):
    path = tmp_path / "bad.csv"
    if setup == "columns":
        pd.DataFrame({"t": [1, 2], "status": [1, 0]}).to_csv(path, index=False)
    elif setup == "no_events":
        pd.DataFrame({"time": [1, 2], "event": [0, 0]}).to_csv(path, index=False)
    code, _, err = run(capsys, str(path), ARM_B)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_tau_beyond_follow_up_exit_2(capsys):
    code, _, err = run(capsys, ARM_A, ARM_B, "--tau", "40")
    assert code == 2 and "beyond the follow-up" in err


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "synthesis", "compare", ARM_A, ARM_B, "--n-boot", "200"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["median_a"] is None
