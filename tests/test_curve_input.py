"""Reading curve files: comment lines, and curves named by a colour such as ``#1f77b4``."""

from __future__ import annotations

import io

import pandas as pd

from synthesis.cli import main
from synthesis.curve_input import CURVE_COLUMNS, read_points_csv

# The digitizer's output for one arm (step corners), its curve named by the line colour.
POINTS = [("0.0", "1.0"), ("2.0", "0.9"), ("2.0", "0.8"), ("5.0", "0.8"), ("5.0", "0.6"), ("9.0", "0.6")]
UNQUOTED = "curve,time,survival\n" + "".join(f"#1f77b4,{t},{s}\n" for t, s in POINTS)
QUOTED = "curve,time,survival\n" + "".join(f'"#1f77b4",{t},{s}\n' for t, s in POINTS)


def test_unquoted_colour_names_keep_their_rows():
    table = read_points_csv(io.StringIO(UNQUOTED), CURVE_COLUMNS)
    assert table["curve"].tolist() == ["#1f77b4"] * len(POINTS)
    assert list(zip(table["time"], table["survival"], strict=True)) == POINTS
    pd.testing.assert_frame_equal(table, read_points_csv(io.StringIO(QUOTED), CURVE_COLUMNS))


def test_lines_starting_with_a_hash_are_comments_anywhere_in_the_file():
    text = "# SYNTHETIC points, not from any study\ntime,survival\n0,1\n  # a note, indented\n2,0.8\n#4,0.5\n"
    table = read_points_csv(io.StringIO(text), CURVE_COLUMNS)
    assert table.to_dict("list") == {"time": ["0", "2"], "survival": ["1", "0.8"]}


def test_suffixed_colour_names_and_a_hash_later_in_a_line_are_data():
    text = "curve,time,survival\n#000000-dashed,0,1\n#000000-dashed,3,0.7\narm #2,0,1\n"
    table = read_points_csv(io.StringIO(text), CURVE_COLUMNS)
    assert table["curve"].tolist() == ["#000000-dashed", "#000000-dashed", "arm #2"]


def test_bytes_upload_with_a_byte_order_mark_and_no_header():
    table = read_points_csv(io.BytesIO("\ufeff# exported\n0,1\n2,0.8\n".encode()), CURVE_COLUMNS)
    assert list(table.columns) == ["time", "survival"] and table["time"].tolist() == ["0", "2"]


def test_reconstruct_command_reads_the_unquoted_digitizer_output(tmp_path, capsys):
    unquoted, quoted = tmp_path / "unquoted.csv", tmp_path / "quoted.csv"
    unquoted.write_text(UNQUOTED)
    quoted.write_text(QUOTED)
    outputs = []
    for path in (unquoted, quoted):
        assert main(["reconstruct", "--curve", str(path), "--n-start", "10"]) == 0
        outputs.append(capsys.readouterr().out)
    ipd = pd.read_csv(io.StringIO(outputs[0]))
    assert outputs[0] == outputs[1]
    assert len(ipd) == 10 and ipd["event"].sum() == 4
