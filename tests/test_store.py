"""Workspace store: projects, saved work, exact round trips, transactions, bad databases.

Every test taking ``workspace_url`` runs on a fresh SQLite file and, when
``BCMA_SYNTH_TEST_PG_URL`` points at a PostgreSQL server (``tests/run_suite.sh``
starts one), on that server with all tables dropped first.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from synthesis import store
from synthesis.errors import InvalidInputError
from synthesis.store import (
    ProjectExistsError,
    ProjectNotFoundError,
    WorkspaceBusyError,
    WorkspaceError,
    WorkspaceReadOnlyError,
    WorkspaceUnavailableError,
    open_workspace,
)

PG_URL = os.environ.get("BCMA_SYNTH_TEST_PG_URL")


def reset_postgres(url: str) -> None:
    """Drop every workspace table so the test starts from an empty database."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        store.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="BCMA_SYNTH_TEST_PG_URL is not set "
                               "(tests/run_suite.sh starts a PostgreSQL server)"),
        ]),
    ]
)
def workspace_url(request, tmp_path) -> str:
    """URL of an empty workspace database: a SQLite file, or the test PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "workspace.sqlite3")
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def ws(workspace_url):
    workspace = open_workspace(workspace_url)
    yield workspace
    workspace.close()


def random_curve(n: int = 50, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"time": np.sort(rng.uniform(0, 60, n)),
                         "survival": np.sort(rng.uniform(0, 1, n))[::-1].copy()})


def sample_sources() -> pd.DataFrame:
    """One user-entered source in the schema of data/sources.csv (invented, for tests)."""
    return pd.DataFrame([{
        "source_id": "user_doe2026", "label": "Doe 2026 (test)", "authors": "Doe J",
        "title": "A test study", "journal": "Test Journal", "year": 2026, "doi": None,
        "registry_ids": None, "data_cutoff": "2026-01-01", "design": "single-arm trial",
        "phase": "1", "product": "LCAR-B38M", "construct": "bispecific", "n_treated": 20,
        "role": "context", "supersedes": None, "note": "invented row for the test suite",
    }])


def sample_results(n: int = 2, source_id: str = "user_doe2026") -> pd.DataFrame:
    """``n`` user-entered ORR rows citing ``source_id`` (invented, for tests)."""
    return pd.DataFrame([{
        "result_id": f"user_r{i}", "source_id": source_id, "product": "LCAR-B38M",
        "population": "all", "outcome": "ORR", "events": 10 + i % 10, "n": 20,
        "estimate": (10 + i % 10) / 20, "estimate_status": "reported",
        "ci_low": 0.1 + 0.2, "ci_high": None, "ci_high_status": "not_reported",
        "unit": "proportion", "timepoint": None, "location": "Table 2",
        "quote": f'"{10 + i % 10} of 20 responded" (invented row {i})', "status": "unverified",
        "note": "invented row",
    } for i in range(n)])


def bits(frame: pd.DataFrame) -> list:
    """Column values with floats as raw IEEE bits, to compare exactly."""
    return [frame[c].to_numpy().view(np.int64).tolist() if frame[c].dtype == np.float64
            else frame[c].tolist() for c in frame.columns]


# -- opening -----------------------------------------------------------------------


def test_first_use_creates_the_sqlite_file_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "nested" / "folder" / "ws.sqlite3"
    monkeypatch.setenv(store.DB_ENV, str(path))
    ws = open_workspace()
    assert path.exists()
    assert ws.schema_revision() == "0001"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ws.close()


def test_default_location_follows_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.delenv(store.DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert store.default_database_path() == tmp_path / "bcma-synth" / "workspace.sqlite3"
    assert store.database_url().database == str(tmp_path / "bcma-synth" / "workspace.sqlite3")


def test_reopening_keeps_the_data_and_does_not_migrate_again(workspace_url):
    first = open_workspace(workspace_url)
    first.create_project("review")
    first.close()
    again = open_workspace(workspace_url)
    assert [p.name for p in again.list_projects()] == ["review"]
    assert again.upgrade() == "0001"
    again.close()


# -- projects ----------------------------------------------------------------------


def test_project_lifecycle(ws):
    ws.create_project("CAR-T review")
    with pytest.raises(ProjectExistsError, match="already exists"):
        ws.create_project("CAR-T review")
    ws.rename_project("CAR-T review", "BCMA review")
    assert [p.name for p in ws.list_projects()] == ["BCMA review"]

    ws.delete_project("BCMA review")
    assert ws.list_projects() == []
    binned = ws.list_projects(include_deleted=True)
    assert binned[0].deleted
    with pytest.raises(ProjectExistsError, match="in the bin"):
        ws.create_project("BCMA review")
    with pytest.raises(ProjectNotFoundError):
        ws.save_analysis("BCMA review", "pool", "x", {})

    ws.restore_project("BCMA review")
    assert not ws.project("BCMA review").deleted
    ws.delete_project("BCMA review", permanently=True)
    assert ws.list_projects(include_deleted=True) == []


def test_unknown_project_message_lists_the_projects(ws):
    ws.create_project("alpha")
    with pytest.raises(ProjectNotFoundError, match="no project called 'beta'.*'alpha'"):
        ws.list_curves("beta")


@pytest.mark.parametrize("bad", ["", "   ", "two\nlines", "x" * 201])
def test_bad_project_names_are_refused(ws, bad):
    with pytest.raises(InvalidInputError):
        ws.create_project(bad)


def test_ensure_project_creates_once(ws):
    ws.ensure_project("default")
    ws.ensure_project("default")
    assert [p.name for p in ws.list_projects()] == ["default"]


def test_counts_per_project(ws):
    ws.create_project("a")
    ws.create_project("b")
    ws.save_curve("a", "arm 1", random_curve())
    ws.save_curve("a", "arm 2", random_curve())
    ws.save_analysis("b", "pool", "ORR", {"method": "REML"})
    frame = ws.projects_frame().set_index("name")
    assert frame.loc["a", "curves"] == 2 and frame.loc["a", "analyses"] == 0
    assert frame.loc["b", "analyses"] == 1 and frame.loc["b", "curves"] == 0


# -- saved items round trip exactly ---------------------------------------------------


def test_curve_round_trip_is_bit_exact(ws):
    ws.create_project("p")
    curve = random_curve(200)
    curve.loc[5, "survival"] = np.nan
    at_risk = pd.DataFrame({"time": [0.0, 6.0, 12.0], "n_risk": [97, 80, 61]})
    saved = ws.save_curve("p", "LEGEND-2 PFS", curve, at_risk=at_risk,
                          censor_times=[1 / 3, 0.1 + 0.2], figure="fig 2A", entered_by="ann")
    loaded = ws.load_curve("p", "LEGEND-2 PFS")
    assert bits(loaded.curve) == bits(curve)
    assert loaded.curve.dtypes.tolist() == curve.dtypes.tolist()
    assert loaded.at_risk.equals(at_risk) and loaded.at_risk["n_risk"].dtype == np.int64
    assert loaded.censor_times == (1 / 3, 0.1 + 0.2)
    assert (loaded.figure, loaded.origin, loaded.entered_by) == ("fig 2A", "digitized", "ann")
    assert saved.created_at == loaded.created_at and loaded.created_at.tzinfo is not None


def test_saving_under_the_same_name_replaces(ws):
    ws.create_project("p")
    first = ws.save_curve("p", "arm", random_curve(seed=1))
    second = ws.save_curve("p", "arm", random_curve(seed=2))
    assert len(ws.list_curves("p")) == 1
    assert second.curve.equals(random_curve(seed=2))
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at


def test_reconstruction_keeps_inputs_and_settings(ws):
    ws.create_project("p")
    ipd = pd.DataFrame({"time": np.linspace(0.1, 40, 300), "event": np.arange(300) % 2})
    inputs = {"curve": random_curve(), "at_risk": pd.DataFrame({"time": [0.0], "n_risk": [97]}),
              "total_events": None, "censor_times": [2.5, 7.25]}
    settings = {"method": "Guyot 2012", "tolerance": 1e-12, "nested": {"flag": True}}
    ws.save_reconstruction("p", "LEGEND-2 PFS", ipd, inputs=inputs, settings=settings)
    loaded = ws.load_reconstruction("p", "LEGEND-2 PFS")
    assert bits(loaded.ipd) == bits(ipd)
    assert loaded.inputs["curve"].equals(inputs["curve"])
    assert loaded.inputs["at_risk"].equals(inputs["at_risk"])
    assert loaded.inputs["censor_times"] == [2.5, 7.25] and loaded.inputs["total_events"] is None
    assert loaded.settings == settings
    assert loaded.to_dict()["ipd"]["__frame__"]["columns"] == ["time", "event"]


def test_figure_images_are_stored_once_per_content_hash(ws, workspace_url):
    ws.create_project("p")
    ws.create_project("q")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    calibration = {"x": [[10, 0.0], [410, 60.0]], "y": [[300, 0.0], [20, 1.0]], "log": False}
    fig = ws.save_figure("p", png, calibration, name="Fig 2A", entered_by="ann")
    ws.save_figure("q", png, calibration)
    assert fig.media_type == "image/png" and fig.image == png
    assert ws.load_figure("p", "Fig 2A").calibration == calibration
    assert ws.list_figures("q")[0].name == fig.image_sha256[:12]
    with ws.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.images)).scalar() == 1
    with pytest.raises(InvalidInputError, match="empty"):
        ws.save_figure("p", b"", calibration)


def test_analyses_by_kind(ws):
    ws.create_project("p")
    ws.save_analysis("p", "pool", "ORR REML", {"measure": "PLO", "method": "REML", "hksj": True})
    ws.save_analysis("p", "compare", "PFS", {"arms": ["a", "b"], "tau": 24.0})
    ws.save_analysis("p", "pool", "ORR REML", {"measure": "PFT", "method": "REML"})
    assert [a.name for a in ws.list_analyses("p", "pool")] == ["ORR REML"]
    assert ws.load_analysis("p", "pool", "ORR REML").settings["measure"] == "PFT"
    assert len(ws.list_analyses("p")) == 2
    ws.delete_item("p", "analysis:compare", "PFS")
    assert [a.kind for a in ws.list_analyses("p")] == ["pool"]
    with pytest.raises(InvalidInputError, match="no saved"):
        ws.load_analysis("p", "compare", "PFS")


def test_settings_that_cannot_be_stored_are_refused(ws):
    ws.create_project("p")
    with pytest.raises(InvalidInputError, match="cannot be stored"):
        ws.save_analysis("p", "pool", "x", {"when": object()})


# -- user-entered evidence rows --------------------------------------------------------


def test_user_rows_round_trip_with_provenance(ws):
    ws.create_project("p")
    ws.add_sources("p", sample_sources(), "Ann Reviewer")
    ws.add_results("p", sample_results(3), "Ann Reviewer")
    sources, results = ws.project_evidence("p")
    assert list(sources["source_id"]) == ["user_doe2026"]
    assert list(results["result_id"]) == ["user_r0", "user_r1", "user_r2"]
    assert set(results["entered_by"]) == {"Ann Reviewer"}
    assert results["entered_at"].notna().all()
    assert results["ci_low"].tolist() == [0.1 + 0.2] * 3
    assert list(results.columns[-3:]) == list(store.PROVENANCE_COLUMNS)


def test_user_rows_are_validated(ws):
    ws.create_project("p")
    with pytest.raises(InvalidInputError, match="who entered"):
        ws.add_sources("p", sample_sources(), "  ")
    ws.add_sources("p", sample_sources(), "ann")
    with pytest.raises(InvalidInputError, match="already has 'user_doe2026'"):
        ws.add_sources("p", sample_sources(), "ann")
    assert ws.add_sources("p", sample_sources(), "bob", replace=True) == 1
    twice = pd.concat([sample_results(1), sample_results(1)])
    with pytest.raises(InvalidInputError, match="appears twice"):
        ws.add_results("p", twice, "ann")
    with pytest.raises(InvalidInputError, match="result_id"):
        ws.add_results("p", sample_results(1).drop(columns="result_id"), "ann")
    assert ws.project_evidence("p")[1].empty


def test_removing_a_source_cited_by_results_is_refused(ws):
    ws.create_project("p")
    ws.add_sources("p", sample_sources(), "ann")
    ws.add_results("p", sample_results(2), "ann")
    with pytest.raises(InvalidInputError, match="still cite"):
        ws.remove_rows("p", source_ids=["user_doe2026"])
    assert ws.remove_rows("p", source_ids=["user_doe2026"], result_ids=["user_r0", "user_r1"]) == 3


# -- transactions ------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def fail_after_statements(engine: sa.Engine, count: int, table: str):
    """Make the ``count``-th INSERT into ``table`` fail, as a crash half-way would."""
    seen = []

    def hook(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
            seen.append(statement)
            if len(seen) == count:
                raise Boom("simulated failure half-way through the write")

    sa.event.listen(engine, "before_cursor_execute", hook)
    return lambda: sa.event.remove(engine, "before_cursor_execute", hook)


def test_failure_half_way_leaves_the_database_as_it_was(ws):
    ws.create_project("p")
    ws.add_sources("p", sample_sources(), "ann")
    ws.add_results("p", sample_results(2), "ann")
    before = ws.read_project("p")
    big = sample_results(3 * store.CHUNK).assign(result_id=lambda d: d["result_id"] + "_big",
                                                 quote=lambda d: d["quote"] + " big")
    undo = fail_after_statements(ws.engine, 2, "user_results")
    try:
        with pytest.raises(Boom):
            ws.add_results("p", big, "ann")
    finally:
        undo()
    after = ws.read_project("p")
    assert after.results == before.results and after.updated_at == before.updated_at


def test_failed_replacing_import_keeps_the_old_project(ws):
    ws.create_project("p")
    ws.save_curve("p", "arm", random_curve())
    content = ws.read_project("p")
    undo = fail_after_statements(ws.engine, 1, "curves")
    try:
        with pytest.raises(Boom):
            ws.write_project(content, replace=True)
    finally:
        undo()
    assert ws.load_curve("p", "arm").curve.equals(random_curve())


# -- bad databases -------------------------------------------------------------------------


def test_locked_database_gives_a_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "ws.sqlite3"
    ws = open_workspace(path, busy_timeout=0.05)
    ws.create_project("p")
    monkeypatch.setattr(store, "WRITE_ATTEMPTS", 2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(WorkspaceBusyError, match="locked by another session.*nothing was"):
            ws.save_analysis("p", "pool", "x", {})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    ws.save_analysis("p", "pool", "x", {})
    assert len(ws.list_analyses("p")) == 1


def test_read_only_database_reads_but_refuses_writes(tmp_path):
    path = tmp_path / "ws.sqlite3"
    writable = open_workspace(path)
    writable.create_project("p")
    writable.close()
    read_only = open_workspace(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert [p.name for p in read_only.list_projects()] == ["p"]
    with pytest.raises(WorkspaceReadOnlyError, match="read-only"):
        read_only.create_project("q")


def test_server_down_gives_a_clear_message():
    with pytest.raises(WorkspaceUnavailableError, match="cannot reach.*127.0.0.1:9"):
        open_workspace("postgresql+psycopg://nobody@127.0.0.1:9/review")


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(WorkspaceUnavailableError, match="not a readable SQLite workspace"):
        open_workspace(path)
    assert path.read_text().startswith("these are my notes")


def test_a_database_from_a_newer_version_is_not_touched(workspace_url):
    ws = open_workspace(workspace_url)
    with ws.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    ws.close()
    with pytest.raises(WorkspaceError, match="newer version"):
        open_workspace(workspace_url)


def test_a_bad_url_is_explained():
    with pytest.raises(WorkspaceError, match="not a database URL"):
        open_workspace("postgresql+psycopg://user@host:notaport/x")


def test_an_unknown_database_kind_is_explained():
    with pytest.raises(WorkspaceError, match="cannot use the database URL"):
        open_workspace("nosuchdb://user@host/x")


def test_rows_added_in_two_batches_must_fit_together(ws):
    ws.create_project("p")
    ws.add_sources("p", sample_sources(), "ann")
    ws.add_results("p", sample_results(1), "ann")
    same_content = sample_results(1).assign(result_id="user_again")
    with pytest.raises(InvalidInputError, match="together with the project's 1 stored"):
        ws.add_results("p", same_content, "ann")
    assert len(ws.project_evidence("p")[1]) == 1


def test_ensure_project_does_not_hand_out_a_deleted_project(ws):
    ws.create_project("default")
    ws.delete_project("default")
    with pytest.raises(ProjectExistsError, match="in the bin"):
        ws.ensure_project("default")


@pytest.mark.parametrize("column", [
    pd.Series([0.1 + 0.2, np.nan, -0.0, 1e-300, np.inf], dtype="float64"),
    pd.Series([1, 2, -3, 2**62, 0], dtype="int64"),
    pd.Series([1, None, 3, 4, 5], dtype="Int64"),
    pd.Series([True, False, True, True, False], dtype=bool),
    pd.Series(["a", None, "é, \"x\"\n", "", "z"], dtype="str"),
    pd.Series(["a", None, 1, 2.5, True], dtype=object),
    pd.Series([1.5, None, 2.0, 3.0, 4.0], dtype="float32"),
])
def test_frame_codec_is_exact_per_dtype(column):
    frame = pd.DataFrame({"x": column})
    back = store.frame_from_json(store.frame_to_json(frame))
    assert back["x"].dtype == column.dtype
    pd.testing.assert_frame_equal(back, frame)
    if column.dtype == np.float64:
        assert bits(back) == bits(frame)


def test_frame_codec_refuses_what_it_cannot_keep():
    with pytest.raises(InvalidInputError, match="datetime64"):
        store.frame_to_json(pd.DataFrame({"when": pd.to_datetime(["2026-01-01"])}))
    with pytest.raises(InvalidInputError, match="two columns of the same name"):
        store.frame_to_json(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_in_memory_workspace_is_one_database_across_threads():
    import threading

    ws = open_workspace("sqlite://")
    ws.create_project("scratch")
    seen = []
    thread = threading.Thread(target=lambda: seen.extend(p.name for p in ws.list_projects()))
    thread.start()
    thread.join()
    assert seen == ["scratch"]


# -- schema: created from the tables, or migrated; Alembic only when needed ---------


def test_schema_revision_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == store.SCHEMA_REVISION


def _schema_differences(url) -> tuple[list, dict]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(store.database_url(url))
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), store.metadata)
        # compare_metadata skips unnamed unique constraints on SQLite: compare them here.
        inspector = sa.inspect(conn)
        unique = {table: sorted(tuple(c["column_names"]) for c in inspector.get_unique_constraints(table))
                  for table in inspector.get_table_names()}
    engine.dispose()
    return differences, unique


def test_new_database_has_the_schema_the_migrations_build(workspace_url):
    from alembic import command
    from alembic.config import Config

    created = open_workspace(workspace_url)  # new database: tables created and stamped
    assert created.schema_revision() == store.SCHEMA_REVISION
    differences, unique = _schema_differences(workspace_url)
    assert differences == []
    assert unique["curves"] == [("project_id", "arm")]
    created.close()

    # The same database built by the migrations instead compares the same.
    engine = sa.create_engine(store.database_url(workspace_url))
    with engine.begin() as conn:
        store.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE alembic_version"))
        config = Config()
        config.set_main_option("script_location", str(store.MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    engine.dispose()
    assert _schema_differences(workspace_url) == ([], unique)
    migrated = open_workspace(workspace_url)
    assert migrated.schema_revision() == store.SCHEMA_REVISION
    migrated.create_project("review")
    migrated.close()


def test_opening_does_not_import_alembic(tmp_path):
    """Alembic is for migrating old schemas; new and current databases open without it."""
    script = (
        "import sys; from synthesis.store import open_workspace\n"
        f"open_workspace({str(tmp_path / 'ws.sqlite3')!r}).close()\n"
        f"open_workspace({str(tmp_path / 'ws.sqlite3')!r}).close()\n"
        "print(sorted(m for m in sys.modules if m.startswith('alembic')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(store.__file__).parents[1], check=True)
    assert done.stdout.strip() == "[]"
