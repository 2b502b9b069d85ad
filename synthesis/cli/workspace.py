"""``python -m synthesis workspace``: list, export and import workspace projects.

The database is ``--db`` (a SQLite path or a SQLAlchemy URL), else
``$BCMA_SYNTH_DB``, else the default SQLite file (see
:func:`synthesis.store.default_database_path`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from synthesis.errors import InvalidInputError
from synthesis.store import open_workspace
from synthesis.workspace_io import export_project, import_project

COUNT_COLUMNS = ("sources", "results", "figures", "curves", "reconstructions", "analyses")


def add_parser(subparsers) -> None:
    """Register ``workspace`` and its actions."""
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH_OR_URL",
                    help="workspace database: a SQLite file or a URL such as "
                         "postgresql+psycopg://user@host:5432/review (default: $BCMA_SYNTH_DB, "
                         "then ~/.local/share/bcma-synth/workspace.sqlite3)")
    parser = subparsers.add_parser(
        "workspace", parents=[db], help="list, export and import workspace projects",
        description="Manage the reviewer workspace: projects with their own evidence rows, "
                    "figures, curves, reconstructions and saved analyses.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    show = actions.add_parser("list", parents=[db], help="projects with what each holds")
    show.add_argument("--deleted", action="store_true", help="include projects in the bin")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.set_defaults(run=run_list)

    export = actions.add_parser("export", parents=[db], help="write a project to one zip file")
    export.add_argument("project", help="project name")
    export.add_argument("-o", "--output", type=Path,
                        help="zip file to write (default: <project>.zip in this folder)")
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    export.set_defaults(run=run_export)

    load = actions.add_parser("import", parents=[db], help="read a project from an export zip")
    load.add_argument("file", type=Path, help="zip written by 'workspace export'")
    load.add_argument("--rename", metavar="NEW_NAME", help="import under this project name")
    load.add_argument("--replace", action="store_true",
                      help="replace the existing project of that name (also one in the bin)")
    load.set_defaults(run=run_import)

    where = actions.add_parser("where", parents=[db], help="print which database is used")
    where.set_defaults(run=run_where)

    for name, help_text in (("create", "create an empty project"),
                            ("delete", "move a project to the bin (restorable)"),
                            ("restore", "bring a project back from the bin")):
        action = actions.add_parser(name, parents=[db], help=help_text)
        action.add_argument("project", help="project name")
        action.set_defaults(run=run_simple)
    rename = actions.add_parser("rename", parents=[db], help="rename a project")
    rename.add_argument("project", help="current name")
    rename.add_argument("new_name", help="new name")
    rename.set_defaults(run=run_simple)


def run_list(args: argparse.Namespace) -> int:
    projects = open_workspace(_db(args)).list_projects(include_deleted=args.deleted)
    if args.json:
        print(json.dumps([p.to_dict() for p in projects], indent=2))
        return 0
    if not projects:
        print("no projects yet")
        return 0
    header = ("project", *COUNT_COLUMNS, "updated (UTC)", "state")
    rows = [(p.name, *(str(getattr(p, c)) for c in COUNT_COLUMNS),
             p.updated_at.strftime("%Y-%m-%d %H:%M"), "in the bin" if p.deleted else "live")
            for p in projects]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def run_where(args: argparse.Namespace) -> int:
    workspace = open_workspace(_db(args))
    print(f"{workspace.where} (schema revision {workspace.schema_revision()})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    output = args.output or Path(_file_stem(args.project) + ".zip")
    if output.exists() and not args.force:
        raise InvalidInputError(f"{output} already exists; choose another --output or add --force")
    workspace = open_workspace(_db(args))
    data = export_project(workspace, args.project)
    partial = output.with_name(output.name + ".partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {output}: {exc.strerror}") from exc
    counts = workspace.project(args.project)
    summary = ", ".join(f"{getattr(counts, c)} {c}" for c in COUNT_COLUMNS)
    print(f"exported '{args.project}' ({summary}) to {output}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {args.file}: {exc.strerror}") from exc
    report = import_project(open_workspace(_db(args)), data, rename=args.rename,
                            replace=args.replace, source=str(args.file))
    summary = ", ".join(f"{n} {kind}" for kind, n in report.counts.items())
    verb = "replaced" if report.replaced else "imported"
    print(f"{verb} project '{report.project}' ({summary}) from {args.file}")
    return 0


def run_simple(args: argparse.Namespace) -> int:
    workspace = open_workspace(_db(args))
    if args.action == "rename":
        workspace.rename_project(args.project, args.new_name)
        print(f"renamed '{args.project}' to '{args.new_name}'")
    elif args.action == "create":
        workspace.create_project(args.project)
        print(f"created '{args.project}'")
    elif args.action == "delete":
        workspace.delete_project(args.project)
        print(f"moved '{args.project}' to the bin; 'workspace restore' brings it back")
    else:
        workspace.restore_project(args.project)
        print(f"restored '{args.project}'")
    return 0


def _db(args: argparse.Namespace) -> str | None:
    # --db may come before or after the action; argparse leaves it unset if absent.
    return getattr(args, "db", None)


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "project"

