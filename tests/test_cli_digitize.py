"""``python -m synthesis digitize``: flags, output columns, errors as one line with exit 2."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from km_figures import STYLES, render_km_figure

from synthesis.cli import main


@pytest.fixture(scope="module")
def figure(tmp_path_factory):
    fig = render_km_figure(STYLES["default"])
    path = tmp_path_factory.mktemp("fig") / "km.png"
    path.write_bytes(fig.image)
    return fig, path


def _calib_flags(fig) -> list[str]:
    (x0, x1), (y0, y1) = fig.calibration.x_pixels, fig.calibration.y_pixels
    xv, yv = fig.calibration.x_values, fig.calibration.y_values
    return [
        "--x-calib", f"{x0}:{xv[0]:g},{x1}:{xv[1]:g}",
        "--y-calib", f"{y0}:{yv[0]:g},{y1}:{yv[1]:g}",
    ]


def test_points_and_censor_marks_to_files(figure, tmp_path):
    fig, path = figure
    out, marks = tmp_path / "curve.csv", tmp_path / "marks.csv"
    code = main(["digitize", str(path), *_calib_flags(fig), "--out", str(out), "--censor-out", str(marks)])
    assert code == 0
    points = pd.read_csv(out)
    assert list(points.columns) == ["curve", "time", "survival"]
    assert sorted(points.curve.unique()) == ["#1f77b4", "#ff7f0e"]
    assert points.survival.between(0, 1).all()
    censored = pd.read_csv(marks)
    assert list(censored.columns) == ["curve", "time"] and len(censored) > 20


def test_auto_axes_and_one_colour_to_stdout(figure, capsys):
    _, path = figure
    code = main([
        "digitize", str(path), "--auto-axes", "--x-range", "0,36", "--y-range", "0,100",
        "--color", "#ff7f0e",
    ])
    assert code == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "curve,time,survival"
    points = pd.read_csv(io.StringIO(text))
    assert set(points.curve) == {"#ff7f0e"}
    assert points.iloc[0][["time", "survival"]].tolist() == [0.0, 1.0]


def test_output_feeds_reconstruct(figure, tmp_path, capsys):
    """Image -> digitize -> reconstruct on the command line, one arm."""
    fig, path = figure
    curve, marks, at_risk, ipd = (tmp_path / n for n in ("a.csv", "m.csv", "r.csv", "ipd.csv"))
    assert main(["digitize", str(path), *_calib_flags(fig), "--color", fig.colors["A"],
                 "--out", str(curve), "--censor-out", str(marks)]) == 0
    fig.at_risk["A"].to_csv(at_risk, index=False)
    assert main(["reconstruct", "--curve", str(curve), "--at-risk", str(at_risk),
                 "--censor-times", str(marks), "--out", str(ipd)]) == 0
    patients = pd.read_csv(ipd)
    assert len(patients) == fig.at_risk["A"].n_risk.iloc[0]
    assert abs(patients.event.sum() - fig.arms["A"].event.sum()) <= 3


def test_fractional_pixels_are_accepted(figure, tmp_path):
    _, path = figure
    out = tmp_path / "c.csv"
    assert main(["digitize", str(path), "--x-calib", "96.0:0,760.5:36", "--y-calib", "540.25:0,30:1",
                 "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) > 50


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--x-calib", "96:0,97:36", "--y-calib", "540:0,30:1"], "on top of each other"),
        (["--x-calib", "96-0,760-36", "--y-calib", "540:0,30:1"], "PIXEL:VALUE"),
        (["--x-calib", "96:0,760:36"], "Calibrate the axes"),
        (["--auto-axes", "--x-range", "0,36"], "--y-range"),
        (["--x-calib", "96:0,760:36", "--y-calib", "540:0,30:1", "--color", "#00ff00"], "No curve of colour"),
    ],
)
def test_errors_are_one_line_with_exit_2(figure, capsys, flags, message):
    _, path = figure
    assert main(["digitize", str(path), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_not_an_image(tmp_path, capsys):
    bogus = tmp_path / "figure.pdf"
    bogus.write_bytes(b"%PDF-1.7")
    assert main(["digitize", str(bogus), "--auto-axes", "--x-range", "0,36", "--y-range", "0,1"]) == 2
    assert "PNG or JPEG" in capsys.readouterr().err
