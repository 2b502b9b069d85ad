"""The reviewer workspace: projects and their saved work, in a real database.

A systematic review takes weeks; the rows a reviewer adds, the figures they
digitize, the pseudo-IPD they reconstruct and the analyses they tune are kept
per named *project* in a SQL database through SQLAlchemy Core:

* **SQLite by default**, one file created on first use with no set-up step:
  ``$BCMA_SYNTH_DB`` if set (a path or a SQLAlchemy URL), otherwise
  ``$XDG_DATA_HOME/bcma-synth/workspace.sqlite3`` (``~/.local/share/...``).
  WAL journal, a busy timeout and retried write transactions let several
  app sessions share the file.
* **PostgreSQL** for a team: give a URL such as
  ``postgresql+psycopg://user@host:5432/review``.

The schema is versioned with Alembic (``synthesis/migrations``) and brought
to the current revision whenever a workspace is opened. Every write is one
transaction: a failure half-way leaves the database as it was.

Examples
--------
>>> ws = open_workspace("sqlite://")                      # doctest: +SKIP
>>> ws.create_project("CAR-T review")                     # doctest: +SKIP
>>> ws.save_analysis("CAR-T review", "pool", "ORR REML", {"measure": "PLO"})  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from synthesis import evidence
from synthesis.errors import InvalidInputError, SynthesisError

T = TypeVar("T")

#: Environment variable naming the workspace database (a path or a URL).
DB_ENV = "BCMA_SYNTH_DB"
#: Seconds a write waits for another session's lock before giving up.
BUSY_TIMEOUT = 10.0
#: Write attempts before a persistent lock is reported to the user.
WRITE_ATTEMPTS = 5
#: Longest project, arm, label or reviewer name the schema stores.
NAME_LENGTH = 200
#: Rows per INSERT statement: PostgreSQL limits bind parameters per statement.
CHUNK = 500

MIGRATIONS = Path(__file__).with_name("migrations")
#: The newest revision in ``migrations/versions`` (a test keeps the two in step).
SCHEMA_REVISION = "0001"


class WorkspaceError(SynthesisError):
    """The workspace database cannot do what was asked; the message says why."""


class WorkspaceBusyError(WorkspaceError):
    """Another session held the database lock for longer than the busy timeout."""


class WorkspaceReadOnlyError(WorkspaceError):
    """The database file (or its folder) cannot be written."""


class WorkspaceUnavailableError(WorkspaceError):
    """The database server cannot be reached or the file cannot be opened."""


class ProjectNotFoundError(WorkspaceError, InvalidInputError):
    """No (live) project has the given name."""


class ProjectExistsError(WorkspaceError, InvalidInputError):
    """A project with that name already exists."""


# -- exact JSON --------------------------------------------------------------------

_FRAME = "__frame__"


def frame_to_json(frame: pd.DataFrame) -> dict:
    """Describe ``frame`` as JSON-ready columns that load back bit for bit.

    Floats are kept as Python floats (``json`` writes their shortest exact
    ``repr``), missing values as ``null``; the dtype of every column is
    recorded. The index is not kept: frames come back with a RangeIndex;
    column names come back as text, and a missing value in an ``object``
    column as ``None``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(f"expected a table (DataFrame), got {type(frame).__name__}")
    if not frame.columns.is_unique:
        raise InvalidInputError("the table has two columns of the same name; rename one")
    columns, dtypes, data = [], [], []
    for name in frame.columns:
        series = frame[name]
        dtype = series.dtype
        if not _storable_dtype(dtype):
            raise InvalidInputError(
                f"column '{name}' holds {dtype} values; store numbers, text or true/false",
            )
        columns.append(str(name))
        dtypes.append(str(dtype))
        data.append([_json_scalar(v) for v in series.tolist()])
    return {"columns": columns, "dtypes": dtypes, "data": data}


def frame_from_json(spec: Mapping) -> pd.DataFrame:
    """Rebuild the DataFrame :func:`frame_to_json` described."""
    columns = {
        name: pd.Series(values, dtype=_dtype(dtype))
        for name, dtype, values in zip(spec["columns"], spec["dtypes"], spec["data"], strict=True)
    }
    return pd.DataFrame(columns, columns=list(spec["columns"]))


def _dtype(name: str):
    return object if name == "object" else name


def _storable_dtype(dtype) -> bool:
    types = pd.api.types
    return (isinstance(dtype, pd.StringDtype) or dtype == object or types.is_bool_dtype(dtype)
            or types.is_integer_dtype(dtype) or types.is_float_dtype(dtype))


def _json_scalar(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    raise InvalidInputError(f"cannot store the value {value!r} ({type(value).__name__})")


def _encode(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return {_FRAME: frame_to_json(value)}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_encode(v) for v in list(value)]
    return _json_scalar(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_FRAME}:
            return frame_from_json(value[_FRAME])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps_exact(value: Any) -> str:
    """Serialise settings, frames (anywhere inside) and numbers exactly.

    Tuples come back as lists; infinities are written as ``Infinity``.
    """
    return json.dumps(_encode(value), sort_keys=False, separators=(",", ":"))


def loads_exact(text: str) -> Any:
    """Inverse of :func:`dumps_exact`."""
    return _decode(json.loads(text))


# -- records -----------------------------------------------------------------------


class _Record:
    """Shared ``to_dict`` of the frozen records below (frames as JSON columns)."""

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, bytes):
                continue  # images travel as files, not inside JSON
            else:
                value = _encode(value)
            out[f.name] = value
        return out


@dataclass(frozen=True)
class ProjectSummary(_Record):
    """One project and how much it holds."""

    name: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    sources: int = 0
    results: int = 0
    figures: int = 0
    curves: int = 0
    reconstructions: int = 0
    analyses: int = 0

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class Figure(_Record):
    """A figure image (stored once per content hash) with its axis calibration."""

    project: str
    name: str
    image_sha256: str
    media_type: str
    calibration: dict
    entered_by: str
    created_at: datetime
    updated_at: datetime
    image: bytes = field(repr=False, default=b"")


# Compared by identity: DataFrame fields have no single truth value for ==.
@dataclass(frozen=True, eq=False)
class Curve(_Record):
    """A digitized Kaplan-Meier arm: points, censor marks and at-risk table."""

    project: str
    arm: str
    curve: pd.DataFrame
    censor_times: tuple[float, ...]
    at_risk: pd.DataFrame | None
    figure: str | None
    origin: str
    entered_by: str
    created_at: datetime
    updated_at: datetime

    def summary_frame(self) -> pd.DataFrame:
        """The curve points (``time``, ``survival``) as digitized."""
        return self.curve


# Compared by identity: DataFrame fields have no single truth value for ==.
@dataclass(frozen=True, eq=False)
class Reconstruction(_Record):
    """Pseudo-IPD with the inputs and settings that produced it."""

    project: str
    label: str
    ipd: pd.DataFrame
    inputs: dict
    settings: dict
    origin: str
    entered_by: str
    created_at: datetime
    updated_at: datetime

    def summary_frame(self) -> pd.DataFrame:
        """The pseudo-IPD rows (``time``, ``event``)."""
        return self.ipd


@dataclass(frozen=True)
class Analysis(_Record):
    """Saved settings of a pooling, a comparison or another analysis."""

    project: str
    kind: str
    name: str
    settings: dict
    entered_by: str
    created_at: datetime
    updated_at: datetime


#: A stored evidence row: (record, entered_by, entered_at, updated_at).
RowEntry = tuple[dict, str, datetime, datetime]


@dataclass(frozen=True)
class ProjectContent:
    """Everything one project holds, as exported and imported in one piece."""

    name: str
    created_at: datetime
    updated_at: datetime
    sources: tuple[RowEntry, ...]
    results: tuple[RowEntry, ...]
    figures: tuple[Figure, ...]
    curves: tuple[Curve, ...]
    reconstructions: tuple[Reconstruction, ...]
    analyses: tuple[Analysis, ...]

    def counts(self) -> dict[str, int]:
        """How many items of each kind the project holds."""
        return {key: len(getattr(self, key)) for key in _COUNT_KEYS}


# -- tables (the current shape; migrations/versions holds their history) ----------
# New databases are created from these definitions; a test compares them with the
# schema the migrations build, constraints included, on SQLite and PostgreSQL.

metadata = sa.MetaData()


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("entered_by", sa.String(NAME_LENGTH), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _project_fk() -> sa.Column:
    return sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False)


projects = sa.Table(
    "projects", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True)),
)
user_sources = sa.Table(
    "user_sources", metadata,
    sa.Column("id", sa.Integer, primary_key=True), _project_fk(),
    sa.Column("source_id", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("data", sa.Text, nullable=False), *_stamps(),
    sa.UniqueConstraint("project_id", "source_id"),
)
user_results = sa.Table(
    "user_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True), _project_fk(),
    sa.Column("result_id", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("source_id", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("data", sa.Text, nullable=False), *_stamps(),
    sa.UniqueConstraint("project_id", "result_id"),
)
images = sa.Table(
    "images", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
figures = sa.Table(
    "figures", metadata,
    sa.Column("id", sa.Integer, primary_key=True), _project_fk(),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("image_sha256", sa.String(64), sa.ForeignKey("images.sha256"), nullable=False),
    sa.Column("calibration", sa.Text, nullable=False), *_stamps(),
    sa.UniqueConstraint("project_id", "name"),
)
curves = sa.Table(
    "curves", metadata,
    sa.Column("id", sa.Integer, primary_key=True), _project_fk(),
    sa.Column("arm", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("figure", sa.String(NAME_LENGTH)),
    sa.Column("origin", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("points", sa.Text, nullable=False),
    sa.Column("censor_times", sa.Text, nullable=False),
    sa.Column("at_risk", sa.Text), *_stamps(),
    sa.UniqueConstraint("project_id", "arm"),
)
reconstructions = sa.Table(
    "reconstructions", metadata,
    sa.Column("id", sa.Integer, primary_key=True), _project_fk(),
    sa.Column("label", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("origin", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("ipd", sa.Text, nullable=False),
    sa.Column("inputs", sa.Text, nullable=False),
    sa.Column("settings", sa.Text, nullable=False), *_stamps(),
    sa.UniqueConstraint("project_id", "label"),
)
analyses = sa.Table(
    "analyses", metadata,
    sa.Column("id", sa.Integer, primary_key=True), _project_fk(),
    sa.Column("kind", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("settings", sa.Text, nullable=False), *_stamps(),
    sa.UniqueConstraint("project_id", "kind", "name"),
)

#: Alembic's own record of the schema revision, written as Alembic writes it when a
#: new database is created without it (see :meth:`Workspace.upgrade`).
_VERSION_TABLE = sa.Table(
    "alembic_version", sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def _stored_revision(conn: sa.Connection) -> str | None:
    """The revision in ``alembic_version``; ``None`` if the database has no such table."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.select(_VERSION_TABLE.c.version_num)).scalar()


#: Tables holding a project's content, children before parents.
PROJECT_TABLES = (user_results, user_sources, figures, curves, reconstructions, analyses)

#: Provenance columns added to user-entered evidence rows.
PROVENANCE_COLUMNS = ("entered_by", "entered_at", "updated_at")


# -- user-entered evidence rows ----------------------------------------------------

_ROW_KEYS = {"sources": ("source_id",), "results": ("result_id", "source_id")}


_CURATED: dict[tuple, Any] = {}


def _curated_base():
    """The curated evidence base (re-read when a file of ``data/`` changes)."""
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                  for p in sorted(Path(evidence.DATA_DIR).glob("*.csv")))
    if stamp not in _CURATED:
        _CURATED.clear()
        _CURATED[stamp] = evidence.load_evidence()
    return _CURATED[stamp]


def prepare_rows(
    kind: str, df: pd.DataFrame, *, own_sources: pd.DataFrame, own_results: pd.DataFrame,
    replace: bool = False, label: str | None = None,
) -> list[dict]:
    """Validate reviewer rows for a project and return them as JSON-ready records.

    Parameters
    ----------
    kind : {"sources", "results"}
        Which table of ``data/`` the rows follow.
    df : DataFrame
        The rows; provenance columns (``entered_by``...) and ``origin`` are
        ignored.
    own_sources, own_results : DataFrame
        The project's rows already stored (``source_id``/``result_id`` known).
    replace : bool
        Whether an id the project already holds may be overwritten.
    label : str, optional
        Name of the input in messages.

    Raises
    ------
    InvalidInputError
        Naming the (1-based data) row and column: schema violations (checked
        by :mod:`synthesis.evidence`, with the outcome and population
        vocabulary open to new names as in ``EvidenceBase.combined_with``),
        ids used twice, ids of the curated base, results citing an unknown
        source.
    """
    label = label or f"new {kind} rows"
    if not isinstance(df, pd.DataFrame) or df.empty:
        raise InvalidInputError(f"{label}: no rows to add")
    df = df.drop(columns=[c for c in (*PROVENANCE_COLUMNS, "origin") if c in df.columns])
    df = df.reset_index(drop=True)
    for column in _ROW_KEYS[kind]:
        if column not in df.columns:
            raise InvalidInputError("the column is missing", source=label, column=column)
    key = _ROW_KEYS[kind][0]
    # Imported here: pandera is slow to import, and only writes of evidence rows need it.
    from synthesis import evidence_schema

    base = _curated_base()
    curated_ids = set(base.sources["source_id"] if kind == "sources" else base.results["result_id"])
    stored = own_sources if kind == "sources" else own_results
    own = set(stored[key]) if len(stored) else set()
    seen: set[str] = set()
    # Rows are numbered as synthesis.evidence numbers them: 1-based data rows.
    for row, value in enumerate(df[key], start=1):
        if value in seen:
            raise InvalidInputError(f"'{value}' appears twice", source=label, row=row, column=key)
        if value in curated_ids:
            raise InvalidInputError(f"'{value}' is already in the curated base; choose another id",
                                    source=label, row=row, column=key)
        if value in own and not replace:
            raise InvalidInputError(
                f"the project already has '{value}'; choose another id or replace it",
                source=label, row=row, column=key,
            )
        seen.add(value)
    known = set(base.sources["source_id"]) | (set(own_sources["source_id"]) if len(own_sources)
                                              else set())

    def validate(rows: pd.DataFrame, name: str) -> pd.DataFrame:
        if kind == "sources":
            return evidence_schema.validate_sources(rows, name)
        return evidence_schema.validate_results(rows, name, known, extend_vocabulary=True)

    df = validate(df, label).drop(columns=["origin"], errors="ignore")
    # Rules across rows (e.g. no repeated row) must hold for the project as a whole,
    # which is what EvidenceBase.combined_with will check when a page reads it.
    kept = stored[~stored[key].isin(seen)] if len(stored) else stored
    if len(kept):
        kept = kept.drop(columns=[c for c in PROVENANCE_COLUMNS if c in kept.columns])
        try:
            validate(pd.concat([kept, df], ignore_index=True), label)
        except InvalidInputError as exc:
            raise InvalidInputError(
                f"together with the project's {len(kept)} stored {kind} rows (numbered "
                f"first): {exc}",
            ) from exc
    return [{str(c): _row_value(v) for c, v in zip(df.columns, values, strict=True)}
            for values in df.itertuples(index=False, name=None)]


def _row_value(value: Any) -> Any:
    # An empty cell in data/*.csv is a missing value; keep one spelling of it.
    value = _json_scalar(value)
    return None if isinstance(value, str) and not value.strip() else value


def rows_frame(entries: list[tuple[dict, str, datetime, datetime]]) -> pd.DataFrame:
    """Stored records with their provenance as one DataFrame (``data/`` columns first)."""
    columns: dict[str, None] = {}
    for record, *_ in entries:
        columns.update(dict.fromkeys(record))
    rows = [{**record, "entered_by": who, "entered_at": created, "updated_at": updated}
            for record, who, created, updated in entries]
    return pd.DataFrame(rows, columns=[*columns, *PROVENANCE_COLUMNS])


# -- opening -----------------------------------------------------------------------


def default_database_path() -> Path:
    """Where the SQLite workspace lives unless ``BCMA_SYNTH_DB`` says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "bcma-synth" / "workspace.sqlite3"


def database_url(url: str | os.PathLike | None = None) -> sa.URL:
    """Resolve ``url``, then ``$BCMA_SYNTH_DB``, then the default SQLite file.

    A value with ``://`` is a SQLAlchemy URL; anything else is a file path
    (its folder is created).
    """
    raw = url if url not in (None, "") else os.environ.get(DB_ENV) or default_database_path()
    text = str(raw)
    if "://" in text:
        try:
            return sa.make_url(text)
        except (sa.exc.ArgumentError, ValueError) as exc:
            raise WorkspaceError(
                f"'{text}' is not a database URL; give a file path or a URL such as "
                "postgresql+psycopg://user@host:5432/review",
            ) from exc
    path = Path(text).expanduser().resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceReadOnlyError(
            f"cannot create the folder {path.parent} for the workspace database ({exc.strerror}); "
            f"set {DB_ENV} to a writable location",
        ) from exc
    return sa.URL.create("sqlite", database=str(path))


def open_workspace(
    url: str | os.PathLike | None = None, *, busy_timeout: float = BUSY_TIMEOUT
) -> Workspace:
    """Open (and create or upgrade if needed) the workspace database.

    Parameters
    ----------
    url : str or path, optional
        A SQLAlchemy URL (``postgresql+psycopg://...``, ``sqlite:///...``) or
        a SQLite file path. Defaults to ``$BCMA_SYNTH_DB``, then
        :func:`default_database_path`.
    busy_timeout : float
        Seconds a write waits for another session's lock before each retry.

    Raises
    ------
    WorkspaceError
        With a message naming the database and what to do (locked file,
        read-only file, unreachable server, newer schema, not a database).
    """
    resolved = database_url(url)
    workspace = Workspace(resolved, busy_timeout=busy_timeout)
    try:
        workspace.upgrade()
    except WorkspaceError:
        workspace.close()
        raise
    return workspace


def _where(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"database file {url.database or '(in memory)'}"
    return f"database server {url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _clean_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"give the {what} a name")
    value = value.strip()
    if len(value) > NAME_LENGTH or re.search(r"[\x00-\x1f]", value):
        raise InvalidInputError(
            f"the {what} name must be one line of at most {NAME_LENGTH} characters",
        )
    return value


def _clean_reviewer(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > NAME_LENGTH:
        raise InvalidInputError(f"the reviewer name must be at most {NAME_LENGTH} characters")
    return value


class Workspace:
    """A workspace database holding named projects.

    Use :func:`open_workspace`; every method opens its own short transaction,
    so one ``Workspace`` can serve several threads (Streamlit sessions).
    """

    def __init__(self, url: sa.URL, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.url = url
        self.where = _where(url)
        self.busy_timeout = busy_timeout
        self.is_sqlite = url.get_backend_name() == "sqlite"
        try:
            if self.is_sqlite:
                # One shared connection for an in-memory database, else each would be empty.
                memory = {"poolclass": sa.pool.StaticPool} if url.database in (None, "", ":memory:") else {}
                self.engine = sa.create_engine(
                    url, connect_args={"timeout": busy_timeout, "check_same_thread": False},
                    **memory,
                )
                _configure_sqlite(self.engine, busy_timeout)
            else:
                connect_args = ({"connect_timeout": 5} if url.get_backend_name() == "postgresql"
                                else {})
                self.engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise WorkspaceError(
                f"cannot use the database URL '{url.render_as_string()}' ({exc}); use SQLite "
                "(a file path) or postgresql+psycopg://user@host:5432/database",
            ) from exc
        self._writer = self.engine.execution_options(workspace_write=True)

    def close(self) -> None:
        """Release pooled connections (the database itself stays as it is)."""
        self.engine.dispose()

    # -- transactions ---------------------------------------------------------

    def _read(self, work: Callable[[sa.Connection], T]) -> T:
        try:
            with self.engine.connect() as conn:
                return work(conn)
        except DBAPIError as exc:
            raise self._translate(exc) from exc

    def _write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in one transaction, retrying while another session holds the lock."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self._writer.begin() as conn:
                    return work(conn)
            except OperationalError as exc:
                if _is_busy(exc) and attempt < WRITE_ATTEMPTS - 1:
                    time.sleep(0.05 * 2**attempt + random.uniform(0, 0.05))
                    continue
                raise self._translate(exc) from exc
            except IntegrityError as exc:
                raise WorkspaceError(
                    f"the {self.where} refused the change (another session may have saved "
                    f"the same name at the same moment); reload and try again: {_first_line(exc)}",
                ) from exc
            except DBAPIError as exc:
                raise self._translate(exc) from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def _translate(self, exc: DBAPIError) -> WorkspaceError:
        text = str(exc.orig).lower()
        if _is_busy(exc):
            return WorkspaceBusyError(
                f"the {self.where} is locked by another session (waited "
                f"{self.busy_timeout:g} s, {WRITE_ATTEMPTS} attempts); nothing was changed. "
                "Let the other session finish, then try again.",
            )
        if "readonly" in text or "read-only" in text or "read only" in text:
            return WorkspaceReadOnlyError(
                f"the {self.where} is read-only; nothing was changed. Make it (and its folder) "
                f"writable, or set {DB_ENV} to another location.",
            )
        if "not a database" in text or "malformed" in text:
            return WorkspaceUnavailableError(
                f"the {self.where} is not a readable SQLite workspace ({_first_line(exc)}); "
                f"point {DB_ENV} at another file and keep this one for inspection.",
            )
        if "unable to open" in text:
            return WorkspaceUnavailableError(
                f"cannot open the {self.where}: check that its folder exists and is writable.",
            )
        if not self.is_sqlite and (exc.connection_invalidated or isinstance(exc, OperationalError)):
            return WorkspaceUnavailableError(
                f"cannot reach the {self.where} ({_first_line(exc)}). Is the server running "
                "and the URL right? Nothing was changed.",
            )
        return WorkspaceError(f"the {self.where} failed: {_first_line(exc)}")

    # -- schema ---------------------------------------------------------------

    def upgrade(self) -> str:
        """Bring the schema to :data:`SCHEMA_REVISION`; return that revision.

        A database already there is recognised with one query and a new one is
        created from the table definitions and stamped, so Alembic (about
        0.1 s to import, a third of opening) runs only to migrate an older
        schema. ``tests/test_store.py`` checks that both ways give the schema
        the migrations build.
        """
        current = self._read(_stored_revision)
        if current == SCHEMA_REVISION:
            return current

        def create_or_migrate(conn: sa.Connection) -> None:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7170501)"))
            # Checked again under the lock: another session may have just done it.
            if not sa.inspect(conn).get_table_names():
                metadata.create_all(conn)
                _VERSION_TABLE.create(conn)
                conn.execute(_VERSION_TABLE.insert().values(version_num=SCHEMA_REVISION))
            elif _stored_revision(conn) != SCHEMA_REVISION:
                self._migrate(conn, current)

        self._write(create_or_migrate)
        return SCHEMA_REVISION

    def _migrate(self, conn: sa.Connection, found: str | None) -> None:
        """Run the Alembic migrations from revision ``found`` to the newest, on ``conn``."""
        from alembic import command
        from alembic.config import Config
        from alembic.util import CommandError

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise WorkspaceError(
                f"the {self.where} has schema revision '{found}', which this version of the "
                "app does not know (written by a newer version?). Update the app or use "
                f"another database. ({exc})",
            ) from exc

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (``None`` for an empty database)."""
        return self._read(_stored_revision)

    # -- projects -------------------------------------------------------------

    def list_projects(self, *, include_deleted: bool = False) -> list[ProjectSummary]:
        """Projects by name with how many rows, figures, curves... each holds."""

        def work(conn: sa.Connection) -> list[ProjectSummary]:
            query = sa.select(projects).order_by(projects.c.name)
            if not include_deleted:
                query = query.where(projects.c.deleted_at.is_(None))
            rows = conn.execute(query).mappings().all()
            counts: dict[str, dict[int, int]] = {}
            for key, table in _COUNT_TABLES.items():
                counts[key] = dict(
                    conn.execute(
                        sa.select(table.c.project_id, sa.func.count()).group_by(table.c.project_id)
                    ).all()
                )
            return [
                ProjectSummary(
                    name=row["name"],
                    created_at=_utc(row["created_at"]),
                    updated_at=_utc(row["updated_at"]),
                    deleted_at=_utc(row["deleted_at"]),
                    **{key: counts[key].get(row["id"], 0) for key in _COUNT_KEYS},
                )
                for row in rows
            ]

        return self._read(work)

    def projects_frame(self, *, include_deleted: bool = False) -> pd.DataFrame:
        """:meth:`list_projects` as a table (one row per project)."""
        rows = [p.to_dict() for p in self.list_projects(include_deleted=include_deleted)]
        columns = [f.name for f in fields(ProjectSummary)]
        return pd.DataFrame(rows, columns=columns)

    def create_project(self, name: str) -> ProjectSummary:
        """Create an empty project called ``name``."""
        name = _clean_name(name, "project")

        def work(conn: sa.Connection) -> None:
            self._check_free(conn, name)
            now = _now()
            conn.execute(projects.insert().values(name=name, created_at=now, updated_at=now))

        self._write(work)
        return self.project(name)

    def project(self, name: str, *, include_deleted: bool = False) -> ProjectSummary:
        """The summary of one project."""
        for summary in self.list_projects(include_deleted=True):
            if summary.name == name and (include_deleted or not summary.deleted):
                return summary
        raise self._not_found(name)

    def ensure_project(self, name: str) -> ProjectSummary:
        """Return live project ``name``, creating it if no project has that name.

        Raises :class:`ProjectExistsError` if it sits in the bin (restore it
        or choose another name).
        """
        try:
            return self.project(name)
        except ProjectNotFoundError:
            try:
                return self.create_project(name)
            except WorkspaceError:
                # Another session may have created it meanwhile; if not, say why.
                summary = self.project(name, include_deleted=True)
                if summary.deleted:
                    self._check_free_now(name)
                return summary

    def _check_free_now(self, name: str) -> None:
        self._read(lambda conn: self._check_free(conn, name))

    def rename_project(self, name: str, new_name: str) -> ProjectSummary:
        """Give project ``name`` the name ``new_name``."""
        new_name = _clean_name(new_name, "project")

        def work(conn: sa.Connection) -> None:
            project_id = self._project_id(conn, name)
            if new_name != name:
                self._check_free(conn, new_name)
            conn.execute(
                projects.update().where(projects.c.id == project_id)
                .values(name=new_name, updated_at=_now())
            )

        self._write(work)
        return self.project(new_name)

    def delete_project(self, name: str, *, permanently: bool = False) -> None:
        """Move project ``name`` to the bin (restorable), or erase it for good.

        ``permanently=True`` also erases a project already in the bin.
        """

        def work(conn: sa.Connection) -> None:
            project_id = self._project_id(conn, name, include_deleted=permanently)
            if permanently:
                self._erase(conn, project_id)
            else:
                conn.execute(
                    projects.update().where(projects.c.id == project_id)
                    .values(deleted_at=_now())
                )

        self._write(work)

    def restore_project(self, name: str) -> ProjectSummary:
        """Bring project ``name`` back from the bin."""

        def work(conn: sa.Connection) -> None:
            row = conn.execute(
                sa.select(projects.c.id, projects.c.deleted_at).where(projects.c.name == name)
            ).first()
            if row is None:
                raise self._not_found(name)
            if row.deleted_at is None:
                raise InvalidInputError(f"project '{name}' is not deleted; nothing to restore")
            conn.execute(
                projects.update().where(projects.c.id == row.id)
                .values(deleted_at=None, updated_at=_now())
            )

        self._write(work)
        return self.project(name)

    def _erase(self, conn: sa.Connection, project_id: int) -> None:
        for table in PROJECT_TABLES:
            conn.execute(table.delete().where(table.c.project_id == project_id))
        conn.execute(projects.delete().where(projects.c.id == project_id))
        used = sa.select(figures.c.image_sha256)
        conn.execute(images.delete().where(images.c.sha256.not_in(used)))

    def _check_free(self, conn: sa.Connection, name: str) -> None:
        row = conn.execute(
            sa.select(projects.c.deleted_at).where(projects.c.name == name)
        ).first()
        if row is not None:
            where = " (in the bin: restore it or delete it permanently)" if row.deleted_at else ""
            raise ProjectExistsError(
                f"a project called '{name}' already exists{where}; choose another name",
            )

    def _project_id(self, conn: sa.Connection, name: str, *, include_deleted: bool = False) -> int:
        query = sa.select(projects.c.id).where(projects.c.name == name)
        if not include_deleted:
            query = query.where(projects.c.deleted_at.is_(None))
        project_id = conn.execute(query).scalar()
        if project_id is None:
            raise self._not_found(name, conn)
        return project_id

    def _not_found(self, name: str, conn: sa.Connection | None = None) -> ProjectNotFoundError:
        def names(c: sa.Connection) -> list[str]:
            return list(c.execute(
                sa.select(projects.c.name).where(projects.c.deleted_at.is_(None))
                .order_by(projects.c.name)
            ).scalars())

        known = names(conn) if conn is not None else self._read(names)
        listing = ", ".join(f"'{n}'" for n in known) or "none yet"
        return ProjectNotFoundError(f"no project called '{name}' (projects: {listing})")

    def _touch(self, conn: sa.Connection, project_id: int, now: datetime) -> None:
        conn.execute(projects.update().where(projects.c.id == project_id).values(updated_at=now))

    def _upsert(
        self, conn: sa.Connection, table: sa.Table, project_id: int,
        keys: Mapping[str, Any], values: Mapping[str, Any], now: datetime,
    ) -> None:
        """Insert a named item or overwrite the one of that name (keeping created_at)."""
        match = sa.and_(table.c.project_id == project_id,
                        *(table.c[k] == v for k, v in keys.items()))
        if conn.execute(sa.select(table.c.id).where(match)).first() is None:
            conn.execute(table.insert().values(
                project_id=project_id, **keys, **values, created_at=now, updated_at=now,
            ))
        else:
            conn.execute(table.update().where(match).values(**values, updated_at=now))
        self._touch(conn, project_id, now)

    # -- user-entered evidence rows --------------------------------------------

    def add_sources(
        self, project: str, df: pd.DataFrame, entered_by: str, *, replace: bool = False
    ) -> int:
        """Add sources rows (the schema of ``data/sources.csv``) entered by a reviewer.

        Rows are validated with :func:`synthesis.evidence_schema.validate_sources`;
        a ``source_id`` already in the curated base or the project is refused
        unless ``replace=True`` (which overwrites the project's row). Returns
        the number of rows written.
        """
        return self._add_rows(project, df, entered_by, kind="sources", replace=replace)

    def add_results(
        self, project: str, df: pd.DataFrame, entered_by: str, *, replace: bool = False
    ) -> int:
        """Add results rows (the schema of ``data/results.csv``) entered by a reviewer.

        Rows are validated with :func:`synthesis.evidence_schema.validate_results`
        against the curated sources plus the project's own; their
        ``source_id`` must be one of those. Returns the number of rows written.
        """
        return self._add_rows(project, df, entered_by, kind="results", replace=replace)

    def _add_rows(
        self, project: str, df: pd.DataFrame, entered_by: str, *, kind: str, replace: bool
    ) -> int:
        entered_by = _clean_reviewer(entered_by)
        if not entered_by:
            raise InvalidInputError("say who entered these rows (reviewer name)")
        own_sources, own_results = self.project_evidence(project)
        prepared = prepare_rows(
            kind, df, own_sources=own_sources, own_results=own_results, replace=replace,
        )
        now = _now()
        stamps = [(entered_by, now, now)] * len(prepared)

        def work(conn: sa.Connection) -> int:
            project_id = self._project_id(conn, project)
            self._insert_rows(conn, kind, project_id, prepared, stamps, replace=replace)
            self._touch(conn, project_id, now)
            return len(prepared)

        return self._write(work)

    def _insert_rows(
        self, conn: sa.Connection, kind: str, project_id: int, records: list[dict],
        stamps: list[tuple[str, datetime, datetime]], *, replace: bool,
    ) -> None:
        table, key = (user_sources, "source_id") if kind == "sources" else (user_results, "result_id")
        ids = [r[key] for r in records]
        if replace:
            for start in range(0, len(ids), CHUNK):
                conn.execute(table.delete().where(
                    table.c.project_id == project_id, table.c[key].in_(ids[start:start + CHUNK])
                ))
        rows = []
        for record, (who, created, updated) in zip(records, stamps, strict=True):
            row = {"project_id": project_id, key: record[key], "data": json.dumps(record),
                   "entered_by": who, "created_at": created, "updated_at": updated}
            if kind == "results":
                row["source_id"] = record["source_id"]
            rows.append(row)
        for start in range(0, len(rows), CHUNK):
            conn.execute(table.insert(), rows[start:start + CHUNK])

    def remove_rows(self, project: str, *, source_ids: Iterable[str] = (),
                    result_ids: Iterable[str] = ()) -> int:
        """Delete the project's own sources/results rows with these ids."""
        source_ids, result_ids = list(source_ids), list(result_ids)

        def work(conn: sa.Connection) -> int:
            project_id = self._project_id(conn, project)
            dependent = conn.execute(sa.select(user_results.c.result_id).where(
                user_results.c.project_id == project_id,
                user_results.c.source_id.in_(source_ids),
                user_results.c.result_id.not_in(result_ids),
            )).scalars().all()
            if dependent:
                raise InvalidInputError(
                    f"results {', '.join(dependent)} still cite these sources; remove them too",
                )
            removed = 0
            for table, key, ids in ((user_results, "result_id", result_ids),
                                    (user_sources, "source_id", source_ids)):
                if ids:
                    removed += conn.execute(table.delete().where(
                        table.c.project_id == project_id, table.c[key].in_(ids)
                    )).rowcount
            self._touch(conn, project_id, _now())
            return removed

        return self._write(work)

    def project_evidence(self, project: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The project's own ``(sources, results)`` rows, in entry order.

        Columns are those of ``data/`` followed by ``entered_by``,
        ``entered_at`` and ``updated_at`` (UTC); pass them to
        ``EvidenceBase.combined_with`` to read them beside the curated base.
        """
        def work(conn: sa.Connection) -> tuple[list, list]:
            project_id = self._project_id(conn, project)
            out = []
            for table in (user_sources, user_results):
                rows = conn.execute(
                    sa.select(table.c.data, table.c.entered_by, table.c.created_at,
                              table.c.updated_at)
                    .where(table.c.project_id == project_id).order_by(table.c.id)
                ).all()
                out.append([(json.loads(r.data), r.entered_by, _utc(r.created_at),
                             _utc(r.updated_at)) for r in rows])
            return out[0], out[1]

        sources, results = self._read(work)
        return rows_frame(sources), rows_frame(results)

    # -- figures ---------------------------------------------------------------

    def save_figure(
        self, project: str, image_bytes: bytes, calibration: Mapping, *,
        name: str | None = None, entered_by: str = "",
    ) -> Figure:
        """Keep a figure image (stored once per SHA-256) and its axis calibration.

        ``name`` defaults to the first 12 hex digits of the image hash; saving
        under an existing name replaces that figure.
        """
        if not isinstance(image_bytes, (bytes, bytearray)) or not image_bytes:
            raise InvalidInputError("the figure image is empty; upload a PNG or JPEG file")
        image_bytes = bytes(image_bytes)
        sha = hashlib.sha256(image_bytes).hexdigest()
        name = _clean_name(name or sha[:12], "figure")
        media_type = _media_type(image_bytes)
        calibration_json = _settings_json(calibration, "calibration")
        entered_by = _clean_reviewer(entered_by)
        now = _now()

        def work(conn: sa.Connection) -> None:
            project_id = self._project_id(conn, project)
            self._store_image(conn, sha, media_type, image_bytes, now)
            self._upsert(conn, figures, project_id, {"name": name},
                         {"image_sha256": sha, "calibration": calibration_json,
                          "entered_by": entered_by}, now)

        self._write(work)
        return self.load_figure(project, name)

    def _store_image(self, conn: sa.Connection, sha: str, media_type: str,
                     content: bytes, now: datetime) -> None:
        if conn.execute(sa.select(images.c.sha256).where(images.c.sha256 == sha)).first() is None:
            conn.execute(images.insert().values(
                sha256=sha, media_type=media_type, content=content, created_at=now,
            ))

    def list_figures(self, project: str) -> list[Figure]:
        """The project's figures by name (with their image bytes)."""
        return self._load_items(project, figures, "name", self._figure)

    def load_figure(self, project: str, name: str) -> Figure:
        """One figure by name."""
        return self._load_item(project, figures, "name", name, self._figure, "figure")

    def _figure(self, project: str, row: Mapping, conn: sa.Connection) -> Figure:
        image = conn.execute(sa.select(images).where(images.c.sha256 == row["image_sha256"])).one()
        return Figure(
            project=project, name=row["name"], image_sha256=row["image_sha256"],
            media_type=image.media_type, calibration=json.loads(row["calibration"]),
            entered_by=row["entered_by"], created_at=_utc(row["created_at"]),
            updated_at=_utc(row["updated_at"]), image=bytes(image.content),
        )

    # -- curves ----------------------------------------------------------------

    def save_curve(
        self, project: str, arm: str, curve: pd.DataFrame, *,
        at_risk: pd.DataFrame | None = None, censor_times: Iterable[float] = (),
        figure: str | None = None, origin: str = "digitized", entered_by: str = "",
    ) -> Curve:
        """Keep a digitized arm (``time``, ``survival`` points), its censor marks and at-risk table.

        Saving under an existing ``arm`` name replaces that arm.
        """
        arm = _clean_name(arm, "arm")
        points = json.dumps(frame_to_json(curve))
        risk = None if at_risk is None else json.dumps(frame_to_json(at_risk))
        censors = [_json_scalar(float(t)) for t in censor_times]
        figure = None if figure in (None, "") else _clean_name(figure, "figure")
        values = {"figure": figure, "origin": _clean_name(origin, "origin"), "points": points,
                  "censor_times": json.dumps(censors), "at_risk": risk,
                  "entered_by": _clean_reviewer(entered_by)}
        now = _now()

        def work(conn: sa.Connection) -> None:
            self._upsert(conn, curves, self._project_id(conn, project), {"arm": arm}, values, now)

        self._write(work)
        return self.load_curve(project, arm)

    def list_curves(self, project: str) -> list[Curve]:
        """The project's digitized arms by name."""
        return self._load_items(project, curves, "arm", self._curve)

    def load_curve(self, project: str, arm: str) -> Curve:
        """One digitized arm by name."""
        return self._load_item(project, curves, "arm", arm, self._curve, "curve")

    @staticmethod
    def _curve(project: str, row: Mapping, conn: sa.Connection) -> Curve:
        return Curve(
            project=project, arm=row["arm"], curve=frame_from_json(json.loads(row["points"])),
            censor_times=tuple(json.loads(row["censor_times"])),
            at_risk=None if row["at_risk"] is None else frame_from_json(json.loads(row["at_risk"])),
            figure=row["figure"], origin=row["origin"], entered_by=row["entered_by"],
            created_at=_utc(row["created_at"]), updated_at=_utc(row["updated_at"]),
        )

    # -- reconstructions --------------------------------------------------------

    def save_reconstruction(
        self, project: str, label: str, ipd: pd.DataFrame, *,
        inputs: Mapping, settings: Mapping, origin: str = "reconstructed", entered_by: str = "",
    ) -> Reconstruction:
        """Keep pseudo-IPD with the inputs (curve, at-risk table, ...) and settings behind it.

        ``inputs`` and ``settings`` may hold DataFrames anywhere inside; they
        come back exactly. Saving under an existing ``label`` replaces it.
        """
        label = _clean_name(label, "reconstruction")
        values = {"ipd": json.dumps(frame_to_json(ipd)),
                  "inputs": _settings_json(inputs, "inputs"),
                  "settings": _settings_json(settings, "settings"),
                  "origin": _clean_name(origin, "origin"),
                  "entered_by": _clean_reviewer(entered_by)}
        now = _now()

        def work(conn: sa.Connection) -> None:
            project_id = self._project_id(conn, project)
            self._upsert(conn, reconstructions, project_id, {"label": label}, values, now)

        self._write(work)
        return self.load_reconstruction(project, label)

    def list_reconstructions(self, project: str) -> list[Reconstruction]:
        """The project's reconstructions by label."""
        return self._load_items(project, reconstructions, "label", self._reconstruction)

    def load_reconstruction(self, project: str, label: str) -> Reconstruction:
        """One reconstruction by label."""
        return self._load_item(project, reconstructions, "label", label,
                               self._reconstruction, "reconstruction")

    @staticmethod
    def _reconstruction(project: str, row: Mapping, conn: sa.Connection) -> Reconstruction:
        return Reconstruction(
            project=project, label=row["label"], ipd=frame_from_json(json.loads(row["ipd"])),
            inputs=loads_exact(row["inputs"]), settings=loads_exact(row["settings"]),
            origin=row["origin"], entered_by=row["entered_by"],
            created_at=_utc(row["created_at"]), updated_at=_utc(row["updated_at"]),
        )

    # -- analyses ---------------------------------------------------------------

    def save_analysis(
        self, project: str, kind: str, name: str, settings: Mapping, *, entered_by: str = ""
    ) -> Analysis:
        """Keep the settings of an analysis (``kind`` such as ``"pool"`` or ``"compare"``).

        Saving under an existing ``(kind, name)`` replaces it.
        """
        kind, name = _clean_name(kind, "analysis kind"), _clean_name(name, "analysis")
        values = {"settings": _settings_json(settings, "settings"),
                  "entered_by": _clean_reviewer(entered_by)}
        now = _now()

        def work(conn: sa.Connection) -> None:
            project_id = self._project_id(conn, project)
            self._upsert(conn, analyses, project_id, {"kind": kind, "name": name}, values, now)

        self._write(work)
        return self.load_analysis(project, kind, name)

    def list_analyses(self, project: str, kind: str | None = None) -> list[Analysis]:
        """The project's saved analyses (of one ``kind`` if given) by kind and name."""
        items = self._load_items(project, analyses, "name", self._analysis,
                                 order=(analyses.c.kind, analyses.c.name))
        return [a for a in items if kind is None or a.kind == kind]

    def load_analysis(self, project: str, kind: str, name: str) -> Analysis:
        """One saved analysis by kind and name."""
        for analysis in self.list_analyses(project, kind):
            if analysis.name == name:
                return analysis
        raise InvalidInputError(f"project '{project}' has no saved {kind} analysis '{name}'")

    @staticmethod
    def _analysis(project: str, row: Mapping, conn: sa.Connection) -> Analysis:
        return Analysis(
            project=project, kind=row["kind"], name=row["name"],
            settings=loads_exact(row["settings"]), entered_by=row["entered_by"],
            created_at=_utc(row["created_at"]), updated_at=_utc(row["updated_at"]),
        )

    # -- whole projects (export and import) ------------------------------------------

    def read_project(self, name: str) -> ProjectContent:
        """Everything project ``name`` holds, read in one transaction."""

        def work(conn: sa.Connection) -> ProjectContent:
            project_id = self._project_id(conn, name)
            head = conn.execute(sa.select(projects).where(projects.c.id == project_id)).one()
            rows = {}
            for kind, table in (("sources", user_sources), ("results", user_results)):
                rows[kind] = tuple(
                    (json.loads(r.data), r.entered_by, _utc(r.created_at), _utc(r.updated_at))
                    for r in conn.execute(sa.select(table).where(table.c.project_id == project_id)
                                          .order_by(table.c.id))
                )

            def items(table: sa.Table, build, *order) -> tuple:
                found = conn.execute(sa.select(table).where(table.c.project_id == project_id)
                                     .order_by(*order)).mappings().all()
                return tuple(build(name, row, conn) for row in found)

            return ProjectContent(
                name=name, created_at=_utc(head.created_at), updated_at=_utc(head.updated_at),
                sources=rows["sources"], results=rows["results"],
                figures=items(figures, self._figure, figures.c.name),
                curves=items(curves, self._curve, curves.c.arm),
                reconstructions=items(reconstructions, self._reconstruction,
                                      reconstructions.c.label),
                analyses=items(analyses, self._analysis, analyses.c.kind, analyses.c.name),
            )

        return self._read(work)

    def write_project(
        self, content: ProjectContent, *, name: str | None = None, replace: bool = False
    ) -> ProjectSummary:
        """Store ``content`` as a new project in one transaction, keeping its timestamps.

        Parameters
        ----------
        content : ProjectContent
            Already validated (see :func:`synthesis.workspace_io.read_export`).
        name : str, optional
            Store under this name instead of ``content.name``.
        replace : bool
            Erase an existing project of that name (live or in the bin) in
            the same transaction; otherwise a name conflict is an error and
            nothing is written.
        """
        name = _clean_name(name or content.name, "project")

        def work(conn: sa.Connection) -> None:
            existing = conn.execute(
                sa.select(projects.c.id).where(projects.c.name == name)
            ).scalar()
            if existing is not None:
                if not replace:
                    raise ProjectExistsError(
                        f"a project called '{name}' already exists; nothing was imported. "
                        "Import under another name (--rename NEW) or replace it (--replace).",
                    )
                self._erase(conn, existing)
            project_id = conn.execute(projects.insert().values(
                name=name, created_at=content.created_at, updated_at=content.updated_at,
            ).returning(projects.c.id)).scalar_one()
            for kind in ("sources", "results"):
                entries = getattr(content, kind)
                self._insert_rows(conn, kind, project_id, [e[0] for e in entries],
                                  [e[1:] for e in entries], replace=False)
            for figure in content.figures:
                self._store_image(conn, figure.image_sha256, figure.media_type, figure.image,
                                  figure.created_at)
            self._insert_items(conn, figures, project_id, content.figures, lambda f: {
                "name": f.name, "image_sha256": f.image_sha256,
                "calibration": _settings_json(f.calibration, "calibration")})
            self._insert_items(conn, curves, project_id, content.curves, lambda c: {
                "arm": c.arm, "figure": c.figure, "origin": c.origin,
                "points": json.dumps(frame_to_json(c.curve)),
                "censor_times": json.dumps([_json_scalar(t) for t in c.censor_times]),
                "at_risk": None if c.at_risk is None else json.dumps(frame_to_json(c.at_risk))})
            self._insert_items(conn, reconstructions, project_id, content.reconstructions,
                               lambda r: {
                "label": r.label, "origin": r.origin, "ipd": json.dumps(frame_to_json(r.ipd)),
                "inputs": _settings_json(r.inputs, "inputs"),
                "settings": _settings_json(r.settings, "settings")})
            self._insert_items(conn, analyses, project_id, content.analyses, lambda a: {
                "kind": a.kind, "name": a.name,
                "settings": _settings_json(a.settings, "settings")})

        self._write(work)
        return self.project(name)

    @staticmethod
    def _insert_items(conn: sa.Connection, table: sa.Table, project_id: int, items: Iterable,
                      values: Callable[[Any], dict]) -> None:
        rows = [{**values(item), "project_id": project_id, "entered_by": item.entered_by,
                 "created_at": item.created_at, "updated_at": item.updated_at} for item in items]
        if rows:
            conn.execute(table.insert(), rows)

    # -- shared item plumbing -----------------------------------------------------

    def delete_item(self, project: str, kind: str, name: str) -> None:
        """Delete one saved figure, curve, reconstruction or analysis.

        ``kind`` is ``"figure"``, ``"curve"``, ``"reconstruction"`` or, for
        analyses, the analysis kind prefixed with ``"analysis:"``.
        """
        if kind.startswith("analysis:"):
            table, match = analyses, {"kind": kind.split(":", 1)[1], "name": name}
        else:
            table, key = _ITEM_TABLES.get(kind, (None, None))
            if table is None:
                raise InvalidInputError(f"unknown kind '{kind}'")
            match = {key: name}

        def work(conn: sa.Connection) -> None:
            project_id = self._project_id(conn, project)
            gone = conn.execute(table.delete().where(
                table.c.project_id == project_id, *(table.c[k] == v for k, v in match.items())
            )).rowcount
            if not gone:
                raise InvalidInputError(f"project '{project}' has no {kind} '{name}'")
            self._touch(conn, project_id, _now())

        self._write(work)

    def _load_items(self, project: str, table: sa.Table, key: str, build, *, order=None) -> list:
        def work(conn: sa.Connection) -> list:
            project_id = self._project_id(conn, project)
            rows = conn.execute(
                sa.select(table).where(table.c.project_id == project_id)
                .order_by(*(order or (table.c[key],)))
            ).mappings().all()
            return [build(project, row, conn) for row in rows]

        return self._read(work)

    def _load_item(self, project: str, table: sa.Table, key: str, value: str, build,
                   what: str):
        def work(conn: sa.Connection):
            project_id = self._project_id(conn, project)
            row = conn.execute(
                sa.select(table).where(table.c.project_id == project_id, table.c[key] == value)
            ).mappings().first()
            if row is None:
                raise InvalidInputError(f"project '{project}' has no {what} '{value}'")
            return build(project, row, conn)

        return self._read(work)


_COUNT_TABLES = {"sources": user_sources, "results": user_results, "figures": figures,
                 "curves": curves, "reconstructions": reconstructions, "analyses": analyses}
_COUNT_KEYS = tuple(_COUNT_TABLES)
_ITEM_TABLES = {"figure": (figures, "name"), "curve": (curves, "arm"),
                "reconstruction": (reconstructions, "label")}


def _settings_json(value: Mapping, what: str) -> str:
    if not isinstance(value, Mapping):
        raise InvalidInputError(f"the {what} must be a mapping of names to values")
    try:
        return dumps_exact(dict(value))
    except InvalidInputError as exc:
        raise InvalidInputError(f"the {what} cannot be stored: {exc.message}") from exc


def _media_type(content: bytes) -> str:
    signatures = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
                  b"GIF8": "image/gif", b"RIFF": "image/webp", b"<svg": "image/svg+xml"}
    for magic, media_type in signatures.items():
        if content.startswith(magic):
            return media_type
    return "application/octet-stream"


def _is_busy(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text or (
        getattr(exc.orig, "sqlstate", None) in ("40001", "40P01")
    )


def _first_line(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc).__name__


def _configure_sqlite(engine: sa.Engine, busy_timeout: float) -> None:
    """WAL, busy timeout, foreign keys; writers take the lock at BEGIN.

    pysqlite's own transaction handling is switched off so that a write
    transaction can start with ``BEGIN IMMEDIATE``: a session then waits
    for the write lock up front instead of failing on a lock upgrade after
    it has read (SQLAlchemy's documented SQLite recipe).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("workspace_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
