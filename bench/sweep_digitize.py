"""Per-curve digitizer accuracy over many SYNTHETIC trials, for tuning and checking a change.

Run: ``python bench/sweep_digitize.py --seeds 1-42 [--styles "dashed colours;jpeg"]
[--jobs 2] [--out curves.csv] [--compare base.csv]``. For every style of
``tests/km_figures.py`` (but the large one, which ``bench_digitize.py``
times) and every seed, renders the figure of two SYNTHETIC arms, digitizes it
with the exact calibration and scores each arm against the curves of its
colour (the best of them): the tube error, as a share of the survival axis,
that the tests and ``bench_digitize.py`` use (target <= 0.005); a figure the
digitizer fails on scores ``inf`` for both arms, with the error in ``note``.

``--r-figures DIR`` scores the figures R drew instead (``DIR/manifest.csv``
and ``DIR/arms.csv``, as ``tests/reference/make_r_figures.py --out DIR``
writes them). It prints the curves within 0.5 % per style and arm; with
``--out`` it writes one row per curve (``style,seed,arm,err,note``); with
``--compare BASE.csv`` (an earlier ``--out``) it lists every curve whose
error moved by more than 0.001 of the axis or across 0.5 %, marking those
that came within 0.5 % (``IN``) or left it (``OUT``). Judge a change on seeds it was not
tuned on: the README's numbers use 85-105.
"""

from __future__ import annotations

import argparse
import sys
from multiprocessing import Pool
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from km_figures import STYLES, default_arms, parse_seeds, render_km_figure  # noqa: E402

from synthesis.digitize import digitize_curves, load_figure  # noqa: E402

#: Within this share of the survival axis a curve meets the issue's target.
TARGET = 0.005
#: Errors that moved by less than this are the same.
MOVED = 0.001
COLUMNS = ["style", "seed", "arm", "err", "note"]


def score_figure(job: tuple[str, int]) -> list[tuple]:
    """Rows (style, seed, arm, error, note) of one matplotlib figure."""
    name, seed = job
    style = STYLES[name]
    fig = render_km_figure(style, default_arms(style, seed=seed))
    try:
        curves = digitize_curves(load_figure(fig.image), fig.calibration).curves
    except Exception as exc:  # a sweep reports failures instead of stopping
        return [(name, seed, arm, float("inf"), f"failed: {exc}"[:120]) for arm in fig.colors]
    rows = []
    for arm in fig.colors:
        own = fig.curves_of(arm, curves)
        rows.append((name, seed, arm, min(fig.error(arm, c.points) for c in own), "") if own
                    else (name, seed, arm, float("inf"), "no curve of its colour"))
    return rows


def score_r_figures(folder: Path) -> pd.DataFrame:
    """Rows of every figure R drew in ``folder``, scored as ``tests/test_digitize_r_figures.py`` does."""
    import r_figures

    r_figures.FIGURES = folder
    r_figures.MANIFEST = pd.read_csv(folder / "manifest.csv")
    r_figures.ARMS = pd.read_csv(folder / "arms.csv")
    rows = [(row.style, row.seed, arm, error, "")
            for row in r_figures.MANIFEST.itertuples()
            for arm, error in r_figures.own_curve_errors(row).items()]
    return pd.DataFrame(rows, columns=COLUMNS)


def sweep(seeds: tuple[int, ...], styles: list[str], jobs: int) -> pd.DataFrame:
    work = [(name, seed) for name in styles for seed in seeds]
    with Pool(jobs) as pool:
        rows = [row for rows in pool.imap(score_figure, work, chunksize=2) for row in rows]
    return pd.DataFrame(rows, columns=COLUMNS)


def within_table(curves: pd.DataFrame) -> pd.DataFrame:
    """Curves within the target and worst error, per style and arm."""
    return curves.groupby(["style", "arm"], sort=False).err.agg(
        within=lambda e: f"{(e <= TARGET).sum()}/{e.size}", worst="max")


def moved(base: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Curves whose error moved by more than :data:`MOVED` or across the target, marked ``IN``/``OUT`` of it."""
    both = base.merge(new, on=["style", "seed", "arm"], suffixes=("_base", "_new"))
    came = (both.err_new <= TARGET) & (both.err_base > TARGET)
    left = (both.err_base <= TARGET) & (both.err_new > TARGET)
    keep = ((both.err_base - both.err_new).abs() > MOVED) | came | left
    both, came, left = both[keep].copy(), came[keep], left[keep]
    both["change"] = ["IN" if c else "OUT" if lft else "" for c, lft in zip(came, left)]
    return both.sort_values("err_new")[["change", "style", "seed", "arm", "err_base", "err_new"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("1-42"),
                        help="SYNTHETIC trials, e.g. 1-42 or 85-105 (default 1-42)")
    parser.add_argument("--styles", default="", help="styles separated by ';' (default: all but the large one)")
    parser.add_argument("--r-figures", type=Path, help="score the R figures in this folder instead")
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", type=Path, help="write one row per curve to this CSV file")
    parser.add_argument("--compare", type=Path, help="list the curves that moved from this earlier --out")
    args = parser.parse_args()
    if args.r_figures:
        curves = score_r_figures(args.r_figures)
    else:
        styles = [s for s in args.styles.split(";") if s] or [s for s in STYLES if s != "large 1600x1200"]
        unknown = [s for s in styles if s not in STYLES]
        if unknown:
            parser.error(f"unknown style(s) {unknown}; the styles are: {'; '.join(STYLES)}")
        curves = sweep(args.seeds, styles, args.jobs)
    if args.out:
        curves.to_csv(args.out, index=False)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(within_table(curves).to_string(float_format="{:.4f}".format))
        print(f"\n{(curves.err <= TARGET).sum()} of {len(curves)} curves within 0.5 %, "
              f"worst {curves.err.max():.4f}")
        if args.compare:
            base = pd.read_csv(args.compare)
            print(f"\n{args.compare}: {(base.err <= TARGET).sum()} of {len(base)} within 0.5 %; moved:")
            changes = moved(base, curves)
            print(changes.to_string(index=False, float_format="{:.5f}".format) if len(changes) else "none")


if __name__ == "__main__":
    main()
