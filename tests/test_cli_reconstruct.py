"""``python -m synthesis reconstruct``: the flags, columns and JSON keys of the issue, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from synthesis.cli import main

ROOT = Path(__file__).resolve().parents[1]
CURVE = "time,survival\n0,100\n2,90\n2,80\n5,80\n5,60\n9,60\n"
AT_RISK = "time,n_risk\n0,10\n4,8\n8,5\n"


@pytest.fixture
def files(tmp_path: Path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(["reconstruct", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_to_stdout_with_risk_table(files, capsys):
    code, out, err = run(["--curve", files("c.csv", CURVE), "--at-risk", files("a.csv", AT_RISK)], capsys)
    assert code == 0
    ipd = pd.read_csv(pd.io.common.StringIO(out))
    assert list(ipd.columns) == ["time", "event"] and len(ipd) == 10
    assert ipd["event"].sum() == 4
    assert "note: survival read as percent" in err


def test_out_file_and_n_start(files, capsys, tmp_path):
    out_path = tmp_path / "ipd.csv"
    code, out, _ = run(["--curve", files("c.csv", CURVE), "--n-start", "10", "--out", str(out_path)], capsys)
    assert code == 0 and "wrote 10 pseudo-patients" in out
    assert pd.read_csv(out_path)["event"].sum() == 4


def test_json_adds_diagnostics(files, capsys):
    code, out, _ = run(
        ["--curve", files("c.csv", CURVE), "--at-risk", files("a.csv", AT_RISK), "--total-events", "4",
         "--format", "json"],
        capsys,
    )
    payload = json.loads(out)
    assert code == 0 and set(payload) == {"ipd", "diagnostics"}
    diagnostics = payload["diagnostics"]
    for key in ("n", "events", "censored", "total_events_given", "max_km_gap", "rms_km_gap",
                "max_at_risk_difference", "censoring", "cleaning", "warnings", "at_risk_check"):
        assert key in diagnostics, key
    assert diagnostics["events"] == 4 and len(payload["ipd"]) == 10
    assert diagnostics["at_risk_check"][1] == {
        "time": 4.0, "n_risk_published": 8, "n_risk_reconstructed": 8, "difference": 0,
        "events": 2, "censored": 1,
    }


def test_censor_times_and_percent_flags(files, capsys):
    bare_curve = files("bare.csv", "0,100\n3,80\n7,50\n10,50\n")
    marks = files("marks.txt", "4.5\n8\n")
    code, out, _ = run(
        ["--curve", bare_curve, "--n-start", "10", "--censor-times", marks, "--percent", "--format", "json"],
        capsys,
    )
    payload = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    assert code == 0 and payload["diagnostics"]["censoring"] == "at censor marks"
    assert payload["diagnostics"]["total_events_given"] is None
    censored = sorted(row["time"] for row in payload["ipd"] if row["event"] == 0)
    assert censored[:2] == [4.5, 8.0]


@pytest.mark.parametrize(
    ("curve", "at_risk", "extra", "message"),
    [
        ("time,survival\n0,1\n1,0.5\n2,0.9\n", None, [], "row 3, column 'survival': the curve rises"),
        (CURVE, "time,n_risk\n0,10\n8,8\n4,5\n", [], "row 3, column 'time'"),
        (CURVE, "time,n_risk\n0,10\n4,8\n8,9\n", [], "row 3, column 'n_risk': 9 cannot exceed"),
        ("time,survival\n0,1\n1,1.4\n", None, [], "row 2, column 'survival': survival 1.4 is outside"),
        (CURVE, "time,n_risk\n1,10\n4,8\n", [], "must start at time 0"),
        ("time,survival\n3,0.5\n", None, [], "at least 2"),
        (CURVE, None, ["--total-events", "11"], "larger than the 10 patients"),
        ("time;survival\n0;1\n", None, [], "needs the columns time, survival"),
    ],
)
def test_bad_input_is_one_line_with_exit_2(files, capsys, curve, at_risk, extra, message):
    argv = ["--curve", files("c.csv", curve)]
    argv += ["--at-risk", files("a.csv", at_risk)] if at_risk else ["--n-start", "10"]
    code, out, err = run(argv + extra, capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_missing_file_and_conflicting_flags(files, capsys):
    code, _, err = run(["--curve", "/nonexistent/curve.csv", "--n-start", "5"], capsys)
    assert code == 2 and "file not found" in err
    with pytest.raises(SystemExit) as caught:
        main(["reconstruct", "--curve", files("c.csv", CURVE), "--at-risk", "a.csv", "--n-start", "5"])
    assert caught.value.code == 2


def test_module_entry_point_prints_no_traceback(files):
    done = subprocess.run(
        [sys.executable, "-m", "synthesis", "reconstruct", "--curve", files("c.csv", "time,survival\n0,x\n"),
         "--n-start", "5"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "'x' is not a number" in done.stderr
