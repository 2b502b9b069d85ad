"""Shared fixtures: a real ``streamlit run`` server and Debian's chromium.

Browser tests (marker ``browser``) drive ``/usr/bin/chromium`` through
pytest-playwright; ``playwright install`` cannot download a browser here, so
the launch arguments point at the system one. The server runs with its own
throwaway workspace database so tests never touch a reviewer's data.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(port: int, env_extra: dict[str, str]) -> subprocess.Popen:
    """Start ``streamlit run streamlit_app.py`` on 127.0.0.1:port."""
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **env_extra}
    return subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
            "--server.address", "127.0.0.1",
            "--server.port", str(port),
            "--server.headless", "true",
            "--server.fileWatcherType", "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("streamlit did not become healthy in time")


@pytest.fixture(autouse=True, scope="session")
def throwaway_evidence_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The validated-evidence cache of this test session (and its servers), never the reviewer's."""
    from synthesis.evidence import CACHE_ENV

    folder = tmp_path_factory.mktemp("evidence-cache")
    previous = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = previous


@pytest.fixture(autouse=True)
def throwaway_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own workspace file; none touches a reviewer's database."""
    db = tmp_path / "workspace.sqlite3"
    monkeypatch.setenv("BCMA_SYNTH_DB", str(db))
    return db


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a live app server with an empty, throwaway workspace."""
    db = tmp_path_factory.mktemp("workspace") / "workspace.sqlite3"
    port = free_port()
    proc = start_streamlit(port, {"BCMA_SYNTH_DB": str(db)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def own_server(tmp_path):
    """Start (and restart) a server of our own on a throwaway workspace file."""
    db = tmp_path / "workspace.sqlite3"
    servers = []

    def start() -> str:
        port = free_port()
        proc = start_streamlit(port, {"BCMA_SYNTH_DB": str(db)})
        servers.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        return url

    def stop() -> None:
        proc = servers[-1]
        proc.terminate()
        proc.wait(timeout=15)

    yield start, stop
    for proc in servers:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Launch Debian's chromium instead of a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def wait_rendered(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script for the page.

    ``stApp`` carries the script state (``initial`` -> ``running`` ->
    ``notRunning``); waiting for a title alone can see the previous run.
    """
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout
    )
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)


@pytest.fixture
def open_app_page(page, app_url: str) -> Callable[[str], object]:
    """Open ``app_url/<path>`` in chromium and wait until it has rendered."""

    def _open(path: str = ""):
        page.goto(f"{app_url}/{path}")
        wait_rendered(page)
        return page

    return _open


def assert_no_error_elements(page) -> None:
    """Fail on any Streamlit exception or error box on the current page."""
    for selector in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]'):
        found = page.locator(selector)
        if found.count():
            pytest.fail(f"{selector} on {page.url}: {found.first.inner_text()[:500]}")


def app_test(page_file: str | None = None, *, state: dict | None = None, timeout: float = 60):
    """Run the app in AppTest, switched to ``pages/<page_file>`` if given.

    Pages run through the entry point, as Streamlit's navigation needs;
    ``state`` is put into ``st.session_state`` before switching (as another
    page would have left it). Fails the test on an exception in the page.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout)
    at.run()
    for key, value in (state or {}).items():
        at.session_state[key] = value
    if page_file is not None:
        at.switch_page(f"pages/{page_file}")
        at.run()
    assert not at.exception, at.exception
    return at


def frame_with(at, column: str):
    """The first table on the page that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)
