"""Benchmark the app through a real browser: start-up, re-render and memory.

Run: ``python bench/bench_app.py``. Starts ``streamlit run`` on a free port,
drives Debian's chromium with Playwright and prints a table:

- time from spawning the server to the first rendered page (target < 3 s):
  on a first start (no evidence cache yet: the base is validated) and on
  later starts (median of three),
- time from a widget change to the re-rendered page (target < 250 ms; median
  of several changes),
- the server's resident memory after visiting every page (target < 400 MB).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import (  # noqa: E402
    CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, wait_healthy, wait_rendered,
)

PAGES = ["", "evidence", "pool", "compare", "digitize", "reconstruct", "workspace"]
OUTCOMES = ["ORR", "CR_or_better", "PFS_median", "OS_median", "CRS_any"]


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


def first_render(browser, env: dict[str, str]) -> float:
    """Seconds from spawning ``streamlit run`` to the rendered home page (a new database file)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        page = browser.new_page()
        spawned = time.perf_counter()
        proc = start_streamlit(port, {**env, "BCMA_SYNTH_DB": str(Path(tmp) / "first.sqlite3")})
        try:
            # Open the page once the server answers its health check (as `streamlit run`
            # opens the browser when it is ready); retrying page loads would count timeouts.
            wait_healthy(url, proc)
            page.goto(url)
            wait_rendered(page)
            return time.perf_counter() - spawned
        finally:
            page.close()
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cache = {"BCMA_SYNTH_CACHE": str(Path(tmp) / "cache")}
        cold = first_render(browser, cache)
        warm = statistics.median(first_render(browser, cache) for _ in range(3))
        page = browser.new_page()
        proc = start_streamlit(port, {**cache, "BCMA_SYNTH_DB": str(Path(tmp) / "bench.sqlite3")})
        try:
            wait_healthy(url, proc)

            page.goto(f"{url}/evidence")
            wait_rendered(page)
            rerenders = []
            box = page.get_by_role("combobox", name="Outcome")
            counter = page.get_by_text(" values.", exact=False).first
            for outcome in OUTCOMES:
                # Each outcome adds rows, so the counter text changes every time.
                before = counter.inner_text()
                box.fill(outcome)
                option = page.get_by_role("option", name=outcome, exact=True)
                option.wait_for()
                started = time.perf_counter()
                option.click()
                page.wait_for_function(
                    "before => ![...document.querySelectorAll('p')].some(p => p.innerText === before)",
                    arg=before,
                )
                rerenders.append(time.perf_counter() - started)
                page.keyboard.press("Escape")
                wait_rendered(page)

            for path in PAGES:
                page.goto(f"{url}/{path}")
                wait_rendered(page)
            memory = resident_mb(proc.pid)
        finally:
            browser.close()
            proc.terminate()
            proc.wait(timeout=10)

    rows = [
        ("first render, first start (no cache)", f"{cold:.2f} s", "< 3 s", cold < 3),
        ("first render, later starts (median)", f"{warm:.2f} s", "< 3 s", warm < 3),
        ("widget change -> re-render (median)", f"{statistics.median(rerenders) * 1000:.0f} ms",
         "< 250 ms", statistics.median(rerenders) < 0.25),
        ("server RSS after all pages", f"{memory:.0f} MB", "< 400 MB", memory < 400),
    ]
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'measure':40} {'value':>10} {'target':>10}  met")
    for name, value, target, met in rows:
        print(f"{name:40} {value:>10} {target:>10}  {'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
