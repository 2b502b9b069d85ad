"""The workspace survives a killed process and concurrent writers.

A child process is killed with SIGKILL in the middle of a large write (held
there deterministically by a SQLAlchemy event hook, or wherever a loop of
large writes happens to be); the database must pass SQLite's
``PRAGMA integrity_check``, keep everything committed before, and show
nothing of the interrupted write. Two processes writing to one SQLite file
at once must both succeed without corrupting it.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_store import sample_results, sample_sources, workspace_url  # noqa: F401 (fixture)

from synthesis import store
from synthesis.store import open_workspace

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys, time
sys.path[:0] = [{root!r}, {tests!r}]
import numpy as np, pandas as pd, sqlalchemy as sa
from synthesis import store
from synthesis.store import open_workspace
from test_store import sample_results

url, mode = sys.argv[1], sys.argv[2]
ws = open_workspace(url)
ws.ensure_project("p")
if mode == "hang-mid-write":
    done = []
    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO USER_RESULTS"):
            done.append(1)
            if len(done) == 2:
                print("MID-WRITE", flush=True)
                time.sleep(600)
    sa.event.listen(ws.engine, "after_cursor_execute", hold)
    big = sample_results(4 * store.CHUNK).assign(result_id=lambda d: d["result_id"] + "_big",
                                                 quote=lambda d: d["quote"] + " big")
    ws.add_results("p", big, "child")
elif mode == "loop":
    ipd = pd.DataFrame({{"time": np.linspace(0, 60, 40000), "event": np.arange(40000) % 2}})
    for i in range(10000):
        ws.save_reconstruction("p", f"rec {{i:05d}}", ipd, inputs={{"i": i}}, settings={{}})
        print(f"SAVED {{i}}", flush=True)
elif mode == "writer":
    name = sys.argv[3]
    for i in range(40):
        ws.save_analysis("p", "pool", f"{{name}} {{i:03d}}", {{"i": i, "by": name}})
        ws.save_curve("p", f"{{name}} arm {{i:03d}}",
                      pd.DataFrame({{"time": [0.0, float(i)], "survival": [1.0, 0.5]}}))
    print("DONE", flush=True)
"""


def start_child(tmp_path: Path, url: str, *args: str) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT), tests=str(ROOT / "tests")))
    return subprocess.Popen([sys.executable, str(script), url, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(proc: subprocess.Popen, wanted: str) -> None:
    for line in proc.stdout:
        if line.strip() == wanted:
            return
    pytest.fail(f"child ended before printing {wanted!r}: {proc.stderr.read()[-2000:]}")


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def integrity(path: str) -> str:
    with sqlite3.connect(path) as raw:
        return raw.execute("PRAGMA integrity_check").fetchone()[0]


def test_kill_in_the_middle_of_a_large_write(tmp_path, workspace_url):  # noqa: F811
    ws = open_workspace(workspace_url)
    ws.create_project("p")
    ws.add_sources("p", sample_sources(), "ann")
    ws.add_results("p", sample_results(2), "ann")
    before = ws.read_project("p")
    ws.close()

    child = start_child(tmp_path, workspace_url, "hang-mid-write")
    wait_for_line(child, "MID-WRITE")  # two chunks of rows are written, not committed
    kill(child)

    if "://" not in workspace_url:
        assert integrity(workspace_url) == "ok"
    after = open_workspace(workspace_url).read_project("p")
    assert after.results == before.results and after.sources == before.sources


def test_kill_during_a_loop_of_large_writes(tmp_path):
    path = str(tmp_path / "ws.sqlite3")
    child = start_child(tmp_path, path, "loop")
    wait_for_line(child, "SAVED 2")
    kill(child)  # wherever the next write happens to be

    assert integrity(path) == "ok"
    ws = open_workspace(path)
    saved = ws.list_reconstructions("p")
    assert len(saved) >= 3
    assert all(len(r.ipd) == 40000 and r.inputs == {"i": int(r.label.split()[1])}
               for r in saved)


def test_two_processes_writing_one_sqlite_file(tmp_path):
    path = str(tmp_path / "fresh.sqlite3")  # both also race to create the schema
    writers = [start_child(tmp_path, path, "writer", name) for name in ("ann", "bob")]
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err[-2000:]
        assert out.strip() == "DONE"

    assert integrity(path) == "ok"
    ws = open_workspace(path)
    analyses = ws.list_analyses("p", "pool")
    assert len(analyses) == 80 and len(ws.list_curves("p")) == 80
    assert {a.settings["by"] for a in analyses} == {"ann", "bob"}
    assert pd.Series([a.name for a in analyses]).is_unique
    assert ws.schema_revision() == "0001" and store.WRITE_ATTEMPTS >= 2
