"""Regenerate the R-rendered Kaplan-Meier figures of ``tests/test_digitize_r_figures.py``.

Run ``python tests/reference/make_r_figures.py`` on a machine with R and its
packages survival and ggplot2 (``apt-get install -y r-base-core
r-cran-survival r-cran-ggplot2``). It writes the SYNTHETIC arms of
:func:`km_figures.default_arms` (the matplotlib tests' default style, seeds
1-3) to ``r_figures/arms.csv``, and ``km_figures_r.R`` draws them with base
R's ``plot.survfit`` and with ggplot2 in six styles, writing the PNGs and
``r_figures/manifest.csv`` (each figure's exact calibration in pixels, from
R's own coordinate transforms). The tests read those files and need no R.

``--seeds 4-15 --out DIR`` draws other SYNTHETIC trials into another folder,
for checking a change to the digitizer on figures no test uses
(``python bench/sweep_digitize.py --r-figures DIR`` scores them).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from km_figures import STYLES, default_arms, parse_seeds  # noqa: E402

SEEDS = (1, 2, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=SEEDS, help="SYNTHETIC trials (default 1-3)")
    parser.add_argument("--out", type=Path, default=HERE / "r_figures", help="folder (default r_figures)")
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    arms = pd.concat([
        arm.assign(arm=name, seed=seed)
        for seed in args.seeds
        for name, arm in default_arms(STYLES["default"], seed=seed).items()
    ])
    arms.to_csv(out / "arms.csv", index=False)
    manifest = subprocess.run(
        ["Rscript", str(HERE / "km_figures_r.R"), str(out / "arms.csv"), str(out)],
        check=True, capture_output=True, text=True,
    ).stdout
    (out / "manifest.csv").write_text(manifest)
    print(f"wrote {len(manifest.splitlines()) - 1} figures to {out}")


if __name__ == "__main__":
    main()
