"""Project export and import: lossless round trip, and bad files rejected before any write."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from test_store import (  # noqa: F401 (workspace_url is a fixture)
    random_curve,
    sample_results,
    sample_sources,
    workspace_url,
)

from synthesis.store import ProjectExistsError, open_workspace
from synthesis.workspace_io import (
    ExportFileError,
    export_project,
    import_project,
    read_export,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff" + bytes(100)


@pytest.fixture
def ws(workspace_url):  # noqa: F811
    workspace = open_workspace(workspace_url)
    fill_project(workspace, "review")
    yield workspace
    workspace.close()


def fill_project(ws, name: str) -> None:
    """A project holding one of everything, with awkward values."""
    ws.create_project(name)
    ws.add_sources(name, sample_sources(), "Ann, \"the\" reviewer")
    results = sample_results(3)
    results.loc[1, "quote"] = 'multi-line\n"quoted", with commas'
    results.loc[2, ["ci_high", "ci_high_status"]] = [0.6 + 1 / 3, "reported"]
    ws.add_results(name, results, "Ann")
    ws.save_figure(name, PNG, {"x": [[0, 0.0], [400, 60.0]], "y": [[300, 0.0], [0, 1.0]]},
                   name="Fig 2A", entered_by="Ann")
    ws.save_figure(name, JPEG, {"x": [], "y": []}, name="Fig 3")
    curve = random_curve(120)
    curve.loc[3, "survival"] = np.nan
    ws.save_curve(name, "LEGEND-2 PFS", curve, figure="Fig 2A", censor_times=[0.1 + 0.2, 12.5],
                  at_risk=pd.DataFrame({"time": [0.0, 12.0], "n_risk": [97, 70]}))
    ws.save_curve(name, "CARTITUDE-1 PFS", random_curve(30, seed=9))
    ipd = pd.DataFrame({"time": np.linspace(0.05, 48, 500), "event": np.arange(500) % 3 == 0})
    ws.save_reconstruction(name, "LEGEND-2 PFS", ipd,
                           inputs={"curve": curve, "n_total": 97, "censor_times": [0.3]},
                           settings={"method": "Guyot 2012", "tol": 1e-10})
    ws.save_analysis(name, "pool", "ORR REML", {"measure": "PLO", "level": 0.95, "hksj": True})
    ws.save_analysis(name, "compare", "PFS", {"tau": 24.0, "arms": ["a", "b"]})


def as_plain(content) -> dict:
    """Everything in a ProjectContent as comparable plain values (project name aside)."""
    out = {"created_at": content.created_at, "updated_at": content.updated_at,
           "sources": content.sources, "results": content.results}
    for kind in ("figures", "curves", "reconstructions", "analyses"):
        out[kind] = [{k: v for k, v in item.to_dict().items() if k != "project"}
                     for item in getattr(content, kind)]
    out["images"] = [f.image for f in content.figures]
    return out


def rezip(data: bytes, *, change: dict | None = None, drop: tuple = (), fix_checksums=False):
    """Rewrite an export with some files changed or dropped (to simulate damage or tampering)."""
    change = change or {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files.update({k: v.encode() if isinstance(v, str) else v for k, v in change.items()})
    for name in drop:
        files.pop(name)
    if fix_checksums:
        manifest = json.loads(files["manifest.json"])
        for name in manifest["files"]:
            if name in files:
                manifest["files"][name]["sha256"] = hashlib.sha256(files[name]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_round_trip_is_lossless(ws):
    data = export_project(ws, "review")
    report = import_project(ws, data, rename="review (copy)")
    assert report.project == "review (copy)"
    assert report.counts == {"sources": 1, "results": 3, "figures": 2, "curves": 2,
                             "reconstructions": 1, "analyses": 2}
    original, copy = ws.read_project("review"), ws.read_project("review (copy)")
    assert as_plain(copy) == as_plain(original)
    assert copy.reconstructions[0].ipd["event"].dtype == bool

    again = export_project(ws, "review (copy)")
    with zipfile.ZipFile(io.BytesIO(data)) as a, zipfile.ZipFile(io.BytesIO(again)) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "manifest.json":
                assert a.read(name) == b.read(name), name


def test_export_layout(ws):
    with zipfile.ZipFile(io.BytesIO(export_project(ws, "review"))) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        results = pd.read_csv(archive.open("results.csv"))
    assert {"manifest.json", "sources.csv", "results.csv", "figures.json", "curves.json",
            "reconstructions.json", "analyses.json"} <= names
    assert sum(name.startswith("images/") for name in names) == 2
    assert manifest["format"] == "bcma-synth-workspace-project"
    assert manifest["format_version"] == 1 and manifest["schema_revision"] == "0001"
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert list(results.columns[-3:]) == ["entered_by", "entered_at", "updated_at"]
    assert results.loc[1, "quote"] == 'multi-line\n"quoted", with commas'


def test_name_conflict_writes_nothing_then_replace_works(ws):
    data = export_project(ws, "review")
    ws.save_analysis("review", "pool", "added later", {})
    with pytest.raises(ProjectExistsError, match="--rename.*--replace"):
        import_project(ws, data)
    assert len(ws.list_analyses("review")) == 3
    report = import_project(ws, data, replace=True)
    assert report.replaced and len(ws.list_analyses("review")) == 2
    assert [p.name for p in ws.list_projects()] == ["review"]


def test_import_over_a_project_in_the_bin_needs_replace(ws):
    data = export_project(ws, "review")
    ws.delete_project("review")
    with pytest.raises(ProjectExistsError):
        import_project(ws, data)
    import_project(ws, data, replace=True)
    assert [p.name for p in ws.list_projects()] == ["review"]


def damaged_exports(data: bytes) -> dict[str, tuple[bytes, str]]:
    results = zipfile.ZipFile(io.BytesIO(data)).read("results.csv").decode()
    curves = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("curves.json"))
    images = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("images/")]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    foreign = io.BytesIO()
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("README.txt", "some other zip")
    return {
        "truncated": (data[: len(data) // 2], "not a readable zip"),
        "not a zip": (b"%PDF-1.4 a paper, not an export", "not a readable zip"),
        "foreign zip": (foreign.getvalue(), "no manifest.json"),
        "other format": (rezip(data, change={"manifest.json": json.dumps(
            {**manifest, "format": "something-else"}).encode()}), "another format"),
        "newer format": (rezip(data, change={"manifest.json": json.dumps(
            {**manifest, "format_version": 99}).encode()}), "version 99"),
        "edited file": (rezip(data, change={"results.csv": results.replace("0.5", "0.6")}),
                        "results.csv' does not match its checksum"),
        "missing file": (rezip(data, drop=("curves.json",)), "'curves.json' is listed"),
        "extra file": (rezip(data, change={"notes.txt": b"hi"}), "unexpected file"),
        "bad row": (rezip(data, change={"results.csv": results.replace("user_r1", "user_r0")},
                          fix_checksums=True), "results.csv, row 2.*appears twice"),
        "bad cell": (rezip(data, change={"results.csv": results.replace(",20,", ",twenty,", 1)},
                           fix_checksums=True), "cannot read 'twenty' as integer"),
        "bad item": (rezip(data, change={"curves.json": json.dumps(
            [{**curves[0], "curve": "not a table"}]).encode()}, fix_checksums=True),
            "curves.json: item 1 is invalid"),
        "missing image": (rezip(data, drop=(images[0],), fix_checksums=True),
                          "is listed in the manifest but missing"),
    }


def test_damaged_or_foreign_files_are_refused_and_nothing_is_written(ws):
    data = export_project(ws, "review")
    ws.delete_project("review", permanently=True)
    for case, (damaged, message) in damaged_exports(data).items():
        with pytest.raises(ExportFileError, match=message):
            import_project(ws, damaged)
        assert ws.list_projects(include_deleted=True) == [], case
    import_project(ws, data)
    assert [p.name for p in ws.list_projects()] == ["review"]


def test_read_export_needs_no_database(ws):
    content = read_export(export_project(ws, "review"))
    assert content.name == "review" and content.counts()["curves"] == 2
