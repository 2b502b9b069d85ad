"""The curated evidence base: loading, validating and selecting extracted results.

The evidence lives in tidy CSV files under ``data/`` (schema and vocabulary in
``data/README.md``): ``sources.csv`` (one row per report), ``results.csv``
(one row per reported value, with its location and verbatim quote),
``baseline.csv``, ``adverse_events.csv`` and ``patients.csv``. Every file is
validated on load (:mod:`synthesis.evidence_schema`: pandera schemas plus
cross-file checks), so that a hand-edited file fails loudly instead of
showing a half-loaded table.

Medians, CIs and follow-up are in months; rates and proportions are fractions
in [0, 1] in ``estimate`` with the printed counts in ``events``/``n``. A median
that was not reached is ``estimate_status="not_reached"`` with an empty
``estimate``: it is censored information, never a number (McGrath et al. 2025,
arXiv 2503.03065, on meta-analysing median survival).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synthesis.errors import InvalidInputError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

OUTCOMES: dict[str, str] = {
    # response
    "ORR": "overall response rate: partial response or better (IMWG)",
    "CR_or_better": "complete response or better (CR + sCR)",
    "sCR": "stringent complete response",
    "VGPR_or_better": "very good partial response or better",
    "VGPR": "very good partial response (best response)",
    "PR": "partial response (best response)",
    "PR_or_VGPR": "partial or very good partial response (reported together)",
    "SD": "stable disease as best response",
    "MRD_negative": "minimal residual disease negativity (threshold in note)",
    "MRD_negative_CR": "complete response with MRD negativity, as a share of the population",
    "durable_response": "alive in continuous remission at the data cutoff",
    # time to event
    "PFS_median": "median progression-free survival (months)",
    "OS_median": "median overall survival (months)",
    "DOR_median": "median duration of response among responders (months)",
    "PFS_rate": "Kaplan-Meier progression-free survival at `timepoint` months (fraction)",
    "OS_rate": "Kaplan-Meier overall survival at `timepoint` months (fraction)",
    "PFS_HR": "hazard ratio for progression or death vs the comparator arm named in note",
    "OS_HR": "hazard ratio for death vs the comparator arm named in note",
    "follow_up_median": "median follow-up (months; range in range_low/range_high)",
    "alive_progression_free": "alive and progression-free at `timepoint` (observed share)",
    "alive_at_cutoff": "alive at the data cutoff",
    "relapse_free_at_cutoff": "alive without relapse or progression at the data cutoff",
    "relapse_at_cutoff": "relapsed or progressed by the data cutoff",
    "relapse_after_5y": "relapse more than 5 years after infusion",
    "PD_or_death": "progressive disease and/or death by the data cutoff",
    "PD_after_response": "progressive disease after a partial response or better",
    "death": "died on study",
    "death_PD": "died of progressive disease",
    "death_non_relapse": "died of a cause other than relapse",
    "death_SPM": "died of a second primary malignancy",
    "alive_after_PD": "alive at cutoff after progressive disease",
    "remission_duration_max": "longest remission (years, as printed)",
    "time_to_MRD_negativity_median": "median time to MRD negativity (months)",
    # subsequent therapy
    "subsequent_therapy": "received therapy after progression on CAR-T",
    "subsequent_therapy_ORR": "response (PR or better) to therapy after progression",
    "subsequent_therapy_CR": "complete response to therapy after progression",
    # safety
    "CRS_any": "cytokine release syndrome, any grade",
    "CRS_grade1_2": "cytokine release syndrome, grade 1-2",
    "CRS_grade3plus": "cytokine release syndrome, grade 3 or higher",
    "ICANS_any": "immune effector cell-associated neurotoxicity syndrome, any grade",
    "ICANS_grade3plus": "ICANS, grade 3 or higher",
    "neurotoxicity_any": "neurotoxicity of any kind (not only ICANS), any grade",
    "neurotoxicity_grade3plus": "neurotoxicity of any kind, grade 3 or higher",
    "AE_grade3plus": "any adverse event of grade 3 or higher",
    "neutropenia_grade3plus": "neutropenia, grade 3 or higher",
    "leukopenia_grade3plus": "leukopenia, grade 3 or higher",
    "anemia_grade3plus": "anaemia, grade 3 or higher",
    "thrombocytopenia_grade3plus": "thrombocytopenia, grade 3 or higher",
    "hepatic_disorder_grade3plus": "hepatic disorder, grade 3 or higher",
    "fever_any": "fever, any grade",
    "fever_grade3plus": "fever, grade 3 or higher",
    "infection_any": "infection, any grade",
    "infection_grade3plus": "infection, grade 3 or higher",
    "prolonged_cytopenia": "cytopenia not resolved to grade <=2 within one month",
    "cytopenia_resolved_1m": "cytopenias resolved to grade <=2 within one month",
    "cytopenia_resolved_3m": "prolonged cytopenia resolved within three months",
    "SPM": "second primary malignancy during follow-up",
    "leukocyte_recovery": "normal leukocyte count at `timepoint`",
    "hemoglobin_recovery": "normal haemoglobin at `timepoint`",
    "platelet_recovery": "normal platelet count at `timepoint`",
    "leukocyte_median": "median leukocyte count at `timepoint` (10^9/L)",
    "hemoglobin_median": "median haemoglobin at `timepoint` (g/L)",
    "platelet_median": "median platelet count at `timepoint` (10^9/L)",
    "AST_median": "median aspartate aminotransferase at `timepoint` (U/L)",
    "ALT_median": "median alanine aminotransferase at `timepoint` (U/L)",
    # biomarkers and cell kinetics
    "IL6_elevated": "elevated serum IL-6 after infusion",
    "IL10_elevated": "elevated serum IL-10 after infusion",
    "TNFa_elevated": "elevated serum TNF-alpha after infusion",
    "IFNg_elevated": "elevated serum IFN-gamma after infusion",
    "IL2_elevated": "elevated serum IL-2 after infusion",
    "IL4_elevated": "elevated serum IL-4 after infusion",
    "CRP_elevated": "elevated C-reactive protein after infusion",
    "B_cell_recovery": "B-cell count in the normal range at `timepoint`",
    "Ig_recovery": "serologically normal immunoglobulin levels",
    "Ig_recovery_time_median": "median time to immunoglobulin recovery (months)",
    "CAR_T_undetectable": "CAR-T cells undetectable in blood at `timepoint`",
    "CAR_T_detectable_at_cutoff": "CAR-T cells still detectable at the data cutoff (count)",
    "CAR_T_persistence_median": "median duration of CAR transgene persistence, Tlast (days)",
    "CAR_T_fraction_of_CD45": "CAR-T cells as a share of circulating CD45+ cells",
    "DN_fraction_of_CAR_T": "CD4/CD8 double-negative share of CAR-T cells",
}

POPULATIONS: dict[str, str] = {
    "all": "all treated (infused) patients of the source",
    "ITT": "intention-to-treat arm of a randomised trial",
    "as_treated": "patients of a randomised arm who received the infusion",
    "efficacy_evaluable": "efficacy-evaluable patients as the source defines them",
    "safety": "safety population as the source defines it",
    "MRD_evaluable": "patients with an evaluable MRD sample",
    "responders": "patients with a partial response or better",
    "CR": "patients with complete response or better",
    "non_CR": "patients without a complete response",
    "PR_or_VGPR": "patients whose best response was PR or VGPR",
    "MRD_negative_CR": "patients in complete response with MRD negativity",
    "MRD_negative_responders": "responders with MRD negativity",
    "non_MRD_negative_responders": "responders without MRD negativity",
    "CR_alive_in_remission": "CR patients alive and in remission at cutoff",
    "CR_Ig_evaluable": "CR patients with immunoglobulin data",
    "CR_Ig_recovered": "CR patients whose immunoglobulins recovered",
    "progressed": "patients who progressed after CAR-T",
    "progressed_with_response_data": "progressed patients with response data for later therapy",
    "subsequent_PI_based": "post-CAR-T salvage with a proteasome-inhibitor regimen",
    "subsequent_BCMA_CAR_T": "post-CAR-T salvage with another BCMA CAR-T infusion",
    "prolonged_cytopenia": "patients with prolonged cytopenia",
    "VGPR_or_better_transgene": "VGPR or better, among patients with transgene data",
    "PR_or_worse_transgene": "PR or worse, among patients with transgene data",
    "late_best_response_transgene": "best response at >= 3.3 months, with transgene data",
    "early_best_response_transgene": "best response within 3.3 months, with transgene data",
    "single_patient": "one patient (a case measurement)",
    "penta_refractory": "refractory to 2 PIs, 2 IMiDs and an anti-CD38 antibody",
    "not_IMiD_PI_refractory": "not simultaneously refractory to an IMiD and a PI",
    "first_regimen_after_T0": "first regimen after anti-CD38 refractoriness (MAMMOTH)",
    "survivors_with_COVID_history": "surviving patients with a known COVID-19 history",
}

UNITS = {
    "proportion": "fraction 0-1 of patients",
    "months": "months",
    "years": "years (as printed)",
    "days": "days",
    "HR": "hazard ratio",
    "patients": "a count of patients without a printed denominator",
    "fraction_of_cells": "fraction 0-1 of cells",
    "10^9/L": "cells per litre x 10^9",
    "g/L": "grams per litre",
    "U/L": "units per litre",
}
FRACTION_UNITS = ("proportion", "fraction_of_cells")
ESTIMATE_STATUSES = ("reported", "not_reached", "not_estimable")
CI_HIGH_STATUSES = ("reported", "not_estimable", "not_reached", "not_reported")
VERIFICATION = ("verified", "unverified")
ROLES = ("index", "comparator", "context")
DESIGNS = ("single-arm trial", "randomised trial", "single-centre cohort", "real-world cohort")
BASELINE_STATISTICS = ("proportion", "median", "mean", "count", "range", "value")
AE_GRADES = ("any", "1", "1-2", "3-4", "3-5", "3plus", "5")

Names = str | Sequence[str] | None


class EvidenceSchemaError(InvalidInputError):
    """An evidence table that breaks the schema or the cross-file rules.

    ``source``, ``row`` (1-based data row, the header not counted) and
    ``column`` locate the first problem; ``problems`` lists all of them as
    ``(row, column, message)``.
    """

    def __init__(self, message: str, *, source: str, row: int | None = None,
                 column: str | None = None, problems: Sequence[tuple] = ()) -> None:
        self.problems = list(problems)
        super().__init__(message, source=source, row=row, column=column)

    def _format(self) -> str:
        where = [str(self.source)]
        if self.row is not None:
            where.append(f"data row {self.row} (line {self.row + 1} counting the header)")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class EvidenceBase:
    """The validated evidence tables.

    Attributes
    ----------
    sources, results, baseline, adverse_events, patients : pandas.DataFrame
        As described in ``data/README.md``; ``sources`` and ``results`` carry an
        ``origin`` column, ``"curated"`` for ``data/`` and ``"user"`` for rows
        added with :meth:`combined_with`.
    """

    sources: pd.DataFrame
    results: pd.DataFrame
    baseline: pd.DataFrame
    adverse_events: pd.DataFrame
    patients: pd.DataFrame

    def select(self, outcome: Names = None, population: Names = None, source_id: Names = None,
               product: Names = None) -> pd.DataFrame:
        """Results rows matching every given filter, joined with the source's label, design, phase and role.

        Each filter takes a name or a list of names; ``None`` keeps everything.
        An unknown name raises :class:`InvalidInputError` listing the valid ones.
        """
        joined = self.results.merge(self.sources[["source_id", "label", "design", "phase", "role"]],
                                    on="source_id", how="left")
        valid = {
            "outcome": sorted(set(OUTCOMES) | set(self.results["outcome"])),
            "population": sorted(set(POPULATIONS) | set(self.results["population"])),
            "source_id": sorted(self.sources["source_id"]),
            "product": sorted(set(self.results["product"])),
        }
        for column, wanted in (("outcome", outcome), ("population", population),
                               ("source_id", source_id), ("product", product)):
            if wanted is None:
                continue
            names = [wanted] if isinstance(wanted, str) else list(wanted)
            unknown = [name for name in names if name not in valid[column]]
            if unknown:
                raise InvalidInputError(
                    f"unknown {column} {', '.join(map(repr, unknown))}; valid: {', '.join(valid[column])}",
                    column=column)
            joined = joined[joined[column].isin(names)]
        return joined.reset_index(drop=True)

    def combined_with(self, sources: pd.DataFrame | None = None, results: pd.DataFrame | None = None) -> EvidenceBase:
        """A new evidence base with a user's own sources and results added (``origin="user"``).

        User rows are validated with :func:`validate_sources` and
        :func:`validate_results` (vocabulary may be extended); their ids must
        not collide with curated ones.
        """
        from synthesis.evidence_schema import validate_results, validate_sources

        new_sources = self.sources
        if sources is not None and len(sources):
            user = validate_sources(sources.drop(columns=["origin"], errors="ignore"), "user sources")
            clash = sorted(set(user["source_id"]) & set(self.sources["source_id"]))
            if clash:
                raise InvalidInputError(f"source_id {', '.join(clash)} already exists in the curated evidence; "
                                        "choose another id", source="user sources", column="source_id")
            new_sources = pd.concat([self.sources, user.assign(origin="user")], ignore_index=True)
        new_results = self.results
        if results is not None and len(results):
            user = validate_results(results.drop(columns=["origin"], errors="ignore"), "user results",
                                    set(new_sources["source_id"]), extend_vocabulary=True)
            clash = sorted(set(user["result_id"]) & set(self.results["result_id"]))
            if clash:
                raise InvalidInputError(f"result_id {', '.join(clash)} already exists in the curated evidence; "
                                        "choose another id", source="user results", column="result_id")
            new_results = pd.concat([self.results, user.assign(origin="user")], ignore_index=True)
        return EvidenceBase(new_sources, new_results, self.baseline, self.adverse_events, self.patients)

    def summary_frame(self) -> pd.DataFrame:
        """One row per source: label, role, product, design, n treated, cutoff and how many values it holds."""
        counts = self.results.groupby("source_id").agg(
            results=("result_id", "size"),
            verified=("status", lambda s: int((s == "verified").sum())),
            unverified=("status", lambda s: int((s == "unverified").sum())))
        frame = self.sources[["source_id", "label", "role", "product", "design", "n_treated", "data_cutoff", "origin"]]
        frame = frame.merge(counts, left_on="source_id", right_index=True, how="left")
        for name, table in (("baseline", self.baseline), ("adverse_events", self.adverse_events)):
            frame = frame.merge(table.groupby("source_id").size().rename(name), left_on="source_id",
                                right_index=True, how="left")
        count_columns = ["results", "verified", "unverified", "baseline", "adverse_events"]
        frame[count_columns] = frame[count_columns].fillna(0).astype(int)
        return frame.reset_index(drop=True)

    def to_dict(self) -> dict[str, list[dict]]:
        """Every table as a list of JSON-ready records (missing values as ``None``)."""
        return {name: _records(getattr(self, name))
                for name in ("sources", "results", "baseline", "adverse_events", "patients")}


def _records(frame: pd.DataFrame) -> list[dict]:
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in clean.to_dict(orient="records")]


def load_evidence(data_dir: str | Path | None = None) -> EvidenceBase:
    """Read and validate the evidence base in ``data_dir`` (default: the repository's ``data/``).

    A validated base is kept in the cache folder (:func:`evidence_cache_dir`)
    under a key made of the files' bytes and the code that validates them, so
    an unchanged base is read back in milliseconds instead of being validated
    again (about half a second, a third of it importing pandera). Any change
    to a file, even one byte, validates it again; a cache that cannot be read
    or written is ignored.

    Raises
    ------
    EvidenceSchemaError
        For the first broken file, naming the file, the 1-based data row, the column and the problem.
    """
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    cached = _cache_path(folder)
    base = _read_cache(cached)
    if base is not None:
        return base
    # One validation at a time: a second caller (the app's warm-up thread and its
    # first page, say) waits for it and reads its result instead of doing it again.
    with _VALIDATING:
        base = _read_cache(cached)
        if base is None:
            from synthesis.evidence_schema import validate_evidence_files

            base = EvidenceBase(**validate_evidence_files(folder))
            if cached is not None:
                _write_cache(cached, base)
    return base


_VALIDATING = threading.Lock()


def _read_cache(path: Path | None) -> EvidenceBase | None:
    """The evidence base cached at ``path``; None if there is none or it cannot be read."""
    if path is None:
        return None
    try:
        with path.open("rb") as handle:
            base = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return base if isinstance(base, EvidenceBase) else None


#: Environment variable naming the cache folder; ``off`` disables the cache.
CACHE_ENV = "BCMA_SYNTH_CACHE"
EVIDENCE_FILES = ("sources.csv", "results.csv", "baseline.csv", "adverse_events.csv", "patients.csv")


def evidence_cache_dir() -> Path | None:
    """``$BCMA_SYNTH_CACHE``, else ``$XDG_CACHE_HOME/bcma-synth`` (``~/.cache/bcma-synth``); None if ``off``."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return None if chosen.lower() == "off" else Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bcma-synth"


def _cache_path(folder: Path) -> Path | None:
    """The cache file for the evidence files in ``folder`` as they are now (None: no cache)."""
    cache_dir = evidence_cache_dir()
    if cache_dir is None:
        return None
    digest = hashlib.sha256()
    # The validating code and the library versions are part of the key: a change to
    # a rule or to pandas' pickles must not be answered from an older cache.
    here = Path(__file__).resolve().parent
    for code in (here / "evidence.py", here / "evidence_schema.py"):
        digest.update(code.read_bytes())
    digest.update(f"{sys.version_info[:2]} {pd.__version__} {np.__version__}".encode())
    for name in EVIDENCE_FILES:
        path = folder / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"(missing)")
    return cache_dir / f"evidence-{digest.hexdigest()[:32]}.pickle"


def _write_cache(path: Path, base: EvidenceBase) -> None:
    """Write ``base`` to ``path`` atomically; a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as handle:
            pickle.dump(base, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
        _prune_cache(path.parent, keep=CACHE_KEEP)
    except OSError:
        pass


#: Cached bases kept: enough for a few checkouts or data versions used side by
#: side (each about 0.2 MB), so switching between them does not validate again.
CACHE_KEEP = 8


def _prune_cache(cache_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently written evidence caches in ``cache_dir``.

    Every edit of a data file or of the validating code leaves its old cache
    behind; without this the folder would only grow.
    """
    caches = sorted(cache_dir.glob("evidence-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in caches[keep:]:
        stale.unlink(missing_ok=True)
