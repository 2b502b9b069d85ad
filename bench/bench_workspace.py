"""Workspace store speed: saving and loading a review's worth of work.

Run ``python bench/bench_workspace.py`` (SQLite in a temporary folder; also
PostgreSQL when ``BCMA_SYNTH_TEST_PG_URL`` is set; its tables are dropped).
Prints one row per operation with the median of a few repeats.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path[:0] = [str(Path(__file__).resolve().parents[1]),
                str(Path(__file__).resolve().parents[1] / "tests")]

from synthesis.store import open_workspace  # noqa: E402
from synthesis.workspace_io import export_project, import_project  # noqa: E402
from test_store import reset_postgres, sample_results, sample_sources  # noqa: E402

REPEATS = 3


def timed(func) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench(url: str, backend: str) -> list[tuple]:
    ws = open_workspace(url)
    ws.create_project("bench")
    ws.add_sources("bench", sample_sources(), "bench")
    rows = []
    rng = np.random.default_rng(0)
    ipd = pd.DataFrame({"time": np.sort(rng.uniform(0, 60, 100_000)),
                        "event": rng.integers(0, 2, 100_000)})
    curve = pd.DataFrame({"time": np.linspace(0, 60, 2_000), "survival": np.linspace(1, 0, 2_000)})
    counter = iter(range(10**6))

    def add_results():
        batch_id = next(counter)
        batch = sample_results(1_000).assign(
            result_id=lambda d: d["result_id"] + f"_{batch_id}",
            quote=lambda d: d["quote"] + f" batch {batch_id}")
        ws.add_results("bench", batch, "bench")

    cases = [
        ("add 1,000 results rows", add_results),
        ("save curve (2,000 points)", lambda: ws.save_curve("bench", "arm", curve)),
        ("load curve", lambda: ws.load_curve("bench", "arm")),
        ("save reconstruction (100,000 rows)",
         lambda: ws.save_reconstruction("bench", "ipd", ipd, inputs={"curve": curve}, settings={})),
        ("load reconstruction", lambda: ws.load_reconstruction("bench", "ipd")),
        ("save analysis", lambda: ws.save_analysis("bench", "pool", "x", {"method": "REML"})),
        ("list projects with counts", ws.list_projects),
        ("project evidence (rows)", lambda: ws.project_evidence("bench")),
    ]
    for name, func in cases:
        rows.append((backend, name, timed(func)))
    data = export_project(ws, "bench")
    rows.append((backend, f"export project ({len(data) / 1e6:.1f} MB zip)",
                 timed(lambda: export_project(ws, "bench"))))
    rows.append((backend, "import project (--replace)",
                 timed(lambda: import_project(ws, data, rename="copy", replace=True))))
    ws.close()
    return rows


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows += bench(str(Path(folder) / "bench.sqlite3"), "sqlite")
    pg = os.environ.get("BCMA_SYNTH_TEST_PG_URL")
    if pg:
        reset_postgres(pg)
        rows += bench(pg, "postgresql")
    width = max(len(r[1]) for r in rows)
    print(f"{'backend':<11} {'operation':<{width}} {'median s':>9}")
    for backend, name, seconds in rows:
        print(f"{backend:<11} {name:<{width}} {seconds:>9.3f}")


if __name__ == "__main__":
    main()
