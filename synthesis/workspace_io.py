"""Export a workspace project as one zip file and import it back, losslessly.

The zip holds

* ``manifest.json``: format name and version, the database schema revision,
  the project's name and timestamps, counts, and the SHA-256 and size of
  every other file;
* ``sources.csv``, ``results.csv``: the reviewer's evidence rows (the columns
  of ``data/`` plus ``entered_by``, ``entered_at``, ``updated_at``), readable
  in a spreadsheet; the manifest records each column's type so numbers come
  back bit for bit;
* ``figures.json``, ``curves.json``, ``reconstructions.json``,
  ``analyses.json``: saved items, tables inside them as exact JSON columns;
* ``images/<sha256>.<ext>``: the figure images.

:func:`read_export` checks everything (zip, manifest, checksums, schema of
the rows, every item) before :func:`import_project` writes anything, and the
write itself is one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from synthesis.errors import InvalidInputError
from synthesis.store import (
    PROVENANCE_COLUMNS,
    Analysis,
    Curve,
    Figure,
    ProjectContent,
    Reconstruction,
    Workspace,
    _clean_name,
    _decode,
    _encode,
    prepare_rows,
    rows_frame,
)

#: Value of ``manifest.json`` ``format``: tells our exports from other zips.
FORMAT = "bcma-synth-workspace-project"
#: Layout version of the zip; importers refuse versions they do not know.
FORMAT_VERSION = 1
#: Refuse archives that would unpack to more than this (a zip bomb or a mistake).
MAX_UNPACKED_BYTES = 2 * 1024**3

_ITEM_FILES = {
    "figures": ("figures.json", Figure),
    "curves": ("curves.json", Curve),
    "reconstructions": ("reconstructions.json", Reconstruction),
    "analyses": ("analyses.json", Analysis),
}
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif",
               "image/webp": "webp", "image/svg+xml": "svg"}


class ExportFileError(InvalidInputError):
    """The file is not a valid project export; nothing was imported."""


@dataclass(frozen=True)
class ImportReport:
    """What an import stored."""

    project: str
    replaced: bool
    counts: dict

    def summary_frame(self) -> pd.DataFrame:
        """One row per kind of item with how many were imported."""
        return pd.DataFrame({"item": list(self.counts), "imported": list(self.counts.values())})

    def to_dict(self) -> dict:
        return {"project": self.project, "replaced": self.replaced, "counts": dict(self.counts)}


# -- export ------------------------------------------------------------------------


def export_project(workspace: Workspace, name: str) -> bytes:
    """The zip of project ``name`` (see the module docstring for its layout)."""
    return write_export(workspace.read_project(name), schema_revision=workspace.schema_revision())


def write_export(content: ProjectContent, *, schema_revision: str | None = None) -> bytes:
    """Serialise ``content`` as the export zip."""
    files: dict[str, bytes] = {}
    column_types = {}
    for kind in ("sources", "results"):
        data, types = _rows_csv(getattr(content, kind))
        files[f"{kind}.csv"] = data
        column_types[f"{kind}.csv"] = types
    for kind, (filename, _cls) in _ITEM_FILES.items():
        items = [item.to_dict() for item in getattr(content, kind)]
        for item in items:
            item.pop("project")
        files[filename] = json.dumps(items, indent=1).encode()
    for figure in content.figures:
        files[_image_path(figure.image_sha256, figure.media_type)] = figure.image
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": schema_revision,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "project": {"name": content.name, "created_at": content.created_at.isoformat(),
                    "updated_at": content.updated_at.isoformat()},
        "counts": content.counts(),
        "columns": column_types,
        "files": {path: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                  for path, data in files.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def _image_path(sha256: str, media_type: str) -> str:
    return f"images/{sha256}.{_EXTENSIONS.get(media_type, 'bin')}"


def _column_type(values: list) -> str:
    present = [v for v in values if v is not None]
    kinds = {type(v) for v in present}
    if not kinds or kinds == {str}:
        return "text"
    if kinds == {bool}:
        return "boolean"
    if kinds == {int}:
        return "integer"
    if kinds == {float}:
        return "number"
    return "json"


def _rows_csv(entries) -> tuple[bytes, dict[str, str]]:
    frame = rows_frame(list(entries))
    records = [record for record, *_ in entries]
    types = {c: _column_type([r.get(c) for r in records]) for c in frame.columns}
    types.update({"entered_by": "text", "entered_at": "timestamp", "updated_at": "timestamp"})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(frame.columns)
    for record, who, entered, updated in entries:
        row = {**record, "entered_by": who, "entered_at": entered, "updated_at": updated}
        writer.writerow([_cell(row.get(c), types[c]) for c in frame.columns])
    return out.getvalue().encode(), types


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "timestamp":
        return value.isoformat()
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "json":
        return json.dumps(value)
    return repr(value) if kind == "number" else str(value)


# -- import ------------------------------------------------------------------------


def import_project(
    workspace: Workspace, data: bytes, *, rename: str | None = None, replace: bool = False,
    source: str = "export file",
) -> ImportReport:
    """Validate an export zip completely, then store it as a project in one transaction.

    Parameters
    ----------
    data : bytes
        The zip written by :func:`export_project`.
    rename : str, optional
        Import under this project name.
    replace : bool
        Overwrite a project of the same name (including one in the bin).

    Raises
    ------
    ExportFileError
        The file is not a (valid, intact) export; nothing was written.
    synthesis.store.ProjectExistsError
        The name is taken and neither ``rename`` nor ``replace`` was given.
    """
    content = read_export(data, source=source)
    name = rename or content.name
    summary = workspace.write_project(content, name=name, replace=replace)
    return ImportReport(project=summary.name, replaced=replace, counts=content.counts())


def read_export(data: bytes, *, source: str = "export file") -> ProjectContent:
    """Parse and check an export zip without touching any database.

    Every file listed in the manifest must be present with its checksum,
    nothing else may be in the archive, evidence rows must pass the
    evidence schema, and every item must have the fields this version
    writes.
    """
    files = _unpack(data, source)
    manifest = _manifest(files, source)
    for path, meta in manifest["files"].items():
        if path not in files:
            raise ExportFileError(f"'{path}' is listed in the manifest but missing", source=source)
        if hashlib.sha256(files[path]).hexdigest() != meta.get("sha256"):
            raise ExportFileError(
                f"'{path}' does not match its checksum: the file is damaged or was edited",
                source=source,
            )
    extra = sorted(set(files) - set(manifest["files"]) - {"manifest.json"})
    if extra:
        raise ExportFileError(f"unexpected file(s) in the archive: {', '.join(extra)}",
                              source=source)
    head = manifest["project"]
    try:
        name = _clean_name(head["name"], "project")
        created_at, updated_at = _time(head["created_at"]), _time(head["updated_at"])
    except (KeyError, TypeError, ValueError, InvalidInputError) as exc:
        raise ExportFileError(f"the manifest's project entry is invalid ({exc})",
                              source=source) from exc
    sources = _read_rows(files, manifest, "sources", source)
    results = _read_rows(files, manifest, "results", source)
    _check_rows(sources, results, source)
    items = {kind: _read_items(files, kind, source) for kind in _ITEM_FILES}
    figures = tuple(_attach_image(f, files, source) for f in items["figures"])
    content = ProjectContent(
        name=name, created_at=created_at, updated_at=updated_at, sources=sources,
        results=results, figures=figures, curves=items["curves"],
        reconstructions=items["reconstructions"], analyses=items["analyses"],
    )
    if content.counts() != manifest.get("counts"):
        raise ExportFileError("the contents do not match the manifest's counts", source=source)
    return content


def _unpack(data: bytes, source: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if len(names) != len(set(names)):
                raise ExportFileError("the archive lists a file twice", source=source)
            if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
                raise ExportFileError("the archive unpacks to more than 2 GB", source=source)
            return {info.filename: archive.read(info) for info in infos if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise ExportFileError(
            f"not a project export: the file is not a readable zip archive ({exc})", source=source,
        ) from exc


def _manifest(files: dict[str, bytes], source: str) -> dict:
    if "manifest.json" not in files:
        raise ExportFileError("not a project export: there is no manifest.json", source=source)
    try:
        manifest = json.loads(files["manifest.json"])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportFileError(f"manifest.json is not valid JSON ({exc})", source=source) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExportFileError(
            "not a project export of this app (manifest.json has another format)", source=source,
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ExportFileError(
            f"export format version {version!r} is not supported (this app reads "
            f"{FORMAT_VERSION}); update the app", source=source,
        )
    for key in ("project", "files", "columns", "counts"):
        if not isinstance(manifest.get(key), dict):
            raise ExportFileError(f"manifest.json lacks '{key}'", source=source)
    return manifest


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"timestamp '{text}' has no time zone")
    return value.astimezone(timezone.utc)


def _read_rows(files: dict[str, bytes], manifest: dict, kind: str, source: str) -> tuple:
    path = f"{kind}.csv"
    if path not in files:
        raise ExportFileError(f"'{path}' is missing", source=source)
    types = manifest["columns"].get(path)
    if not isinstance(types, dict):
        raise ExportFileError(f"manifest.json has no column types for '{path}'", source=source)
    try:
        reader = csv.reader(io.StringIO(files[path].decode("utf-8"), newline=""))
        header = next(reader)
        body = list(reader)
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise ExportFileError(f"cannot read the table ({exc})", source=f"{source}: {path}") from exc
    if header != list(types):
        raise ExportFileError("its columns differ from the manifest", source=f"{source}: {path}")
    if header[-len(PROVENANCE_COLUMNS):] != list(PROVENANCE_COLUMNS):
        raise ExportFileError("the provenance columns are missing", source=f"{source}: {path}")
    entries = []
    for row_number, cells in enumerate(body, start=1):
        if len(cells) != len(header):
            raise ExportFileError(f"has {len(cells)} cells, expected {len(header)}",
                                  source=f"{source}: {path}", row=row_number)
        values = {}
        for column, cell in zip(header, cells, strict=True):
            try:
                values[column] = _parse_cell(cell, types[column])
            except (ValueError, json.JSONDecodeError) as exc:
                raise ExportFileError(f"cannot read '{cell}' as {types[column]}",
                                      source=f"{source}: {path}", row=row_number,
                                      column=column) from exc
        if not values["entered_at"] or not values["updated_at"]:
            raise ExportFileError("a timestamp is missing", source=f"{source}: {path}",
                                  row=row_number)
        record = {c: values[c] for c in header[:-len(PROVENANCE_COLUMNS)]}
        entries.append((record, values["entered_by"] or "", values["entered_at"],
                        values["updated_at"]))
    return tuple(entries)


def _parse_cell(cell: str, kind: str) -> Any:
    if cell == "":
        return None
    parsers = {"text": str, "integer": int, "number": float, "timestamp": _time,
               "json": json.loads, "boolean": _boolean}
    if kind not in parsers:
        raise ValueError(f"unknown column type {kind}")
    return parsers[kind](cell)


def _boolean(cell: str) -> bool:
    if cell not in ("true", "false"):
        raise ValueError(cell)
    return cell == "true"


def _check_rows(sources: tuple, results: tuple, source: str) -> None:
    """Validate the rows as ``add_sources``/``add_results`` would, the bundle's sources known."""
    empty = pd.DataFrame(columns=["source_id", "result_id"])
    own_sources = pd.DataFrame([r for r, *_ in sources]) if sources else empty
    for kind, entries, known in (("sources", sources, empty), ("results", results, own_sources)):
        if not entries:
            continue
        try:
            prepare_rows(kind, pd.DataFrame([r for r, *_ in entries]), own_sources=known,
                         own_results=empty, label=f"{source}: {kind}.csv")
        except InvalidInputError as exc:
            raise ExportFileError(exc.message, source=exc.source, row=exc.row,
                                  column=exc.column) from exc


def _read_items(files: dict[str, bytes], kind: str, source: str) -> tuple:
    path, cls = _ITEM_FILES[kind]
    where = f"{source}: {path}"
    try:
        raw = json.loads(files[path])
    except KeyError as exc:
        raise ExportFileError(f"'{path}' is missing", source=source) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportFileError(f"not valid JSON ({exc})", source=where) from exc
    if not isinstance(raw, list):
        raise ExportFileError("expected a list of items", source=where)
    expected = [f.name for f in fields(cls) if f.name not in ("project", "image")]
    key = expected[0] if cls is not Analysis else "name"
    seen = set()
    items = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or sorted(entry) != sorted(expected):
            raise ExportFileError(f"item {number} does not have the fields {', '.join(expected)}",
                                  source=where)
        try:
            item = _build_item(cls, entry)
        except (TypeError, ValueError, KeyError, InvalidInputError) as exc:
            raise ExportFileError(f"item {number} is invalid ({exc})", source=where) from exc
        identity = (getattr(item, "kind", None), getattr(item, key))
        if identity in seen:
            raise ExportFileError(f"item {number} repeats the name '{identity[1]}'", source=where)
        seen.add(identity)
        items.append(item)
    return tuple(items)


def _build_item(cls, entry: dict):
    values = {}
    for f in fields(cls):
        if f.name in ("project", "image"):
            continue
        value = entry[f.name]
        if f.name in ("created_at", "updated_at"):
            value = _time(value)
        elif f.name in ("arm", "label", "name", "kind", "origin"):
            value = _clean_name(value, f.name)
        else:
            value = _decode(value)
        values[f.name] = value
    _check_types(cls, values)
    if cls is Curve:
        values["censor_times"] = tuple(values["censor_times"])
    return cls(project="", **values)


def _check_types(cls, values: dict) -> None:
    expect = {"curve": pd.DataFrame, "ipd": pd.DataFrame, "inputs": dict, "settings": dict,
              "calibration": dict, "censor_times": list, "entered_by": str,
              "image_sha256": str, "media_type": str}
    for name, kind in expect.items():
        if name in values and not isinstance(values[name], kind):
            raise TypeError(f"'{name}' should be {kind.__name__}")
    if cls is Curve:
        if values["at_risk"] is not None and not isinstance(values["at_risk"], pd.DataFrame):
            raise TypeError("'at_risk' should be a table or null")
        if values["figure"] is not None and not isinstance(values["figure"], str):
            raise TypeError("'figure' should be text or null")
        if not all(isinstance(t, (int, float)) for t in values["censor_times"]):
            raise TypeError("'censor_times' should be numbers")
    # Encoding again proves the item can be stored as it is.
    _encode({k: v for k, v in values.items() if not isinstance(v, datetime)})


def _attach_image(figure: Figure, files: dict[str, bytes], source: str) -> Figure:
    path = _image_path(figure.image_sha256, figure.media_type)
    content = files.get(path)
    if content is None or hashlib.sha256(content).hexdigest() != figure.image_sha256:
        raise ExportFileError(f"the image of figure '{figure.name}' ({path}) is missing or damaged",
                              source=source)
    return Figure(**{**{f.name: getattr(figure, f.name) for f in fields(Figure)},
                     "image": content})
