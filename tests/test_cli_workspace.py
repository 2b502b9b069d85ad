"""``python -m synthesis workspace``: list, export, import and their error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_workspace_io import fill_project

from synthesis.cli import main
from synthesis.store import open_workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_default_database(tmp_path, monkeypatch):
    """A command that forgot --db must not touch the reviewer's real workspace."""
    monkeypatch.setenv("BCMA_SYNTH_DB", str(tmp_path / "default.sqlite3"))


@pytest.fixture
def db(tmp_path) -> str:
    path = str(tmp_path / "ws.sqlite3")
    fill_project(open_workspace(path), "My review")
    return path


def test_list_as_table_and_json(db, capsys):
    assert main(["workspace", "list", "--db", db]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["project", "sources", "results"]
    assert table[1].split()[:4] == ["My", "review", "1", "3"]
    assert main(["workspace", "--db", db, "list", "--json"]) == 0
    (project,) = json.loads(capsys.readouterr().out)
    assert project["name"] == "My review" and project["curves"] == 2
    assert project["deleted_at"] is None


def test_export_then_import_under_another_name(db, tmp_path, capsys):
    target = tmp_path / "review.zip"
    assert main(["workspace", "export", "My review", "-o", str(target), "--db", db]) == 0
    assert "to " + str(target) in capsys.readouterr().out
    assert main(["workspace", "export", "My review", "-o", str(target), "--db", db]) == 2
    assert "already exists" in capsys.readouterr().err

    assert main(["workspace", "import", str(target), "--db", db]) == 2
    assert "--rename" in capsys.readouterr().err
    assert main(["workspace", "import", str(target), "--rename", "Copy", "--db", db]) == 0
    assert "imported project 'Copy' (1 sources, 3 results" in capsys.readouterr().out
    assert main(["workspace", "import", str(target), "--replace", "--db", db]) == 0
    assert "replaced project 'My review'" in capsys.readouterr().out
    names = [p.name for p in open_workspace(db).list_projects()]
    assert names == ["Copy", "My review"]


def test_default_export_name(db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["workspace", "export", "My review", "--db", db]) == 0
    assert (tmp_path / "My_review.zip").stat().st_size > 0


def test_project_actions(db, capsys):
    for argv in (["create", "B"], ["rename", "B", "C"], ["delete", "C"]):
        assert main(["workspace", *argv, "--db", db]) == 0
    capsys.readouterr()
    assert main(["workspace", "list", "--deleted", "--json", "--db", db]) == 0
    binned = {p["name"]: p["deleted_at"] for p in json.loads(capsys.readouterr().out)}
    assert binned["C"] is not None
    assert main(["workspace", "restore", "C", "--db", db]) == 0
    assert main(["workspace", "restore", "C", "--db", db]) == 2
    assert "not deleted" in capsys.readouterr().err


def test_bad_file_and_missing_project(db, tmp_path, capsys):
    bad = tmp_path / "paper.zip"
    bad.write_bytes(b"%PDF-1.4")
    assert main(["workspace", "import", str(bad), "--db", db]) == 2
    assert "paper.zip: not a project export" in capsys.readouterr().err
    assert main(["workspace", "export", "Nope", "--db", db]) == 2
    assert "no project called 'Nope'" in capsys.readouterr().err
    assert main(["workspace", "import", str(tmp_path / "absent.zip"), "--db", db]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_environment_variable_in_a_real_process(tmp_path):
    env_db = tmp_path / "from-env.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "synthesis", "workspace", "create", "Env"], cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "BCMA_SYNTH_DB": str(env_db), "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in open_workspace(env_db).list_projects()] == ["Env"]


def test_server_down_is_one_line(capsys):
    argv = ["workspace", "list", "--db", "postgresql+psycopg://nobody@127.0.0.1:9/review"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the database server 127.0.0.1:9")
    assert len(err.strip().splitlines()) == 1


def test_where_names_the_database(db, capsys):
    assert main(["workspace", "where", "--db", db]) == 0
    assert capsys.readouterr().out.strip() == f"database file {db} (schema revision 0001)"
