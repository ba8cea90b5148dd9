"""Importing hierarchy and facility layers from files, all or nothing."""
from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from grid_app.network.store import bump_version
from grid_app.places import layers, validation
from grid_app.places.importer.checks import check_feature, duplicate_codes
from grid_app.places.importer.problems import ImportFailed, Problem
from grid_app.places.importer.reader import SourceFile, read_features
from grid_app.places.importer.specs import SPECS, layer_for
from grid_app.places.importer.writer import write_source

__all__ = ["ImportFailed", "ImportReport", "Problem", "import_files"]


@dataclass
class ImportReport:
    """What an import wrote, and the non-blocking issues it saw."""

    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[validation.Issue] = field(default_factory=list)
    where: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)  # (table, code) -> file, feature


def import_files(session: Session, paths: list[str], *, level: str | None = None,
                 repair: bool = False, encoding: str | None = None,
                 progress: bool = True, commit: bool = True) -> ImportReport:
    """Check and write the files in one transaction; on any problem raise ImportFailed, write nothing.

    commit=False leaves the transaction open for a caller that writes more in the same one.
    """
    sources, problems = _read_and_check(paths, level, repair, encoding)
    if problems:
        raise ImportFailed(problems)
    report = ImportReport()
    touched: set[int] = set()
    try:
        for source in sources:
            write_problems, communities = write_source(session, source, progress)
            problems.extend(write_problems)
            touched |= communities
            report.counts[os.path.basename(source.path)] = len(source.features)
            if source.layer in ("buildings", "facilities"):
                bump_version(session, source.layer)  # stored coverage results are now stale
            if source.layer != "facilities":
                bump_version(session, "hierarchy")  # the in-process locate index is now stale
            session.flush()
        if not problems and touched:
            ids = sorted(touched)
            validation.assign_grids(session, ids)
            issues = validation.validate(session, ids)
            problems.extend(_as_problems(issues, sources))
            report.warnings = [i for i in issues if not i.blocking]
            report.where = _where(sources)
    except Exception:
        session.rollback()
        raise
    if problems:
        session.rollback()
        raise ImportFailed(problems)
    if commit:
        session.commit()
    return report


def _read_and_check(paths, level, repair, encoding) -> tuple[list[SourceFile], list[Problem]]:
    sources, problems = [], []
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            return [], [Problem("--encoding", None, f"unknown text encoding {encoding!r} (e.g. UTF-8, GBK, GB18030)")]
    for path in paths:
        if not os.path.isfile(path):  # said before guessing the layer from a name that is not there
            reason = "is a folder, not a file" if os.path.isdir(path) else "file not found"
            problems.append(Problem(os.path.basename(path.rstrip(os.sep)) or path, None, reason))
            continue
        try:
            spec = layer_for(path, level)
            sources.append(SourceFile(path, spec.name, read_features(path, encoding)))
        except ImportFailed as exc:
            problems.extend(exc.problems)
    sources.sort(key=lambda s: layers.ORDER.index(s.layer))
    seen: dict[str, dict] = {}
    for source in sources:
        if not source.features:
            problems.append(Problem(os.path.basename(source.path), None, "the file has no features"))
        for feat in source.features:
            problems.extend(check_feature(source.path, SPECS[source.layer], feat, repair))
        problems.extend(duplicate_codes(source.path, source.features, seen.setdefault(source.layer, {})))
    return sources, problems


def _where(sources: list[SourceFile]) -> dict[tuple[str, str], tuple[str, int]]:
    """(table, code) -> (file name, feature index) of every feature the import carried."""
    return {(layers.MODELS[source.layer].__tablename__, feat.properties.get("code")): (os.path.basename(source.path), feat.index)
            for source in sources for feat in source.features}


def _as_problems(issues: list[validation.Issue], sources: list[SourceFile]) -> list[Problem]:
    """Name the file and feature of each blocking issue where the import carried it."""
    where = _where(sources)
    problems = []
    for issue in issues:
        if not issue.blocking:
            continue
        file, index = where.get((issue.table, issue.code), ("(stored data)", None))
        reason = issue.reason + (f" ({issue.area_m2:.1f} m²)" if issue.area_m2 is not None else "")
        if issue.lon is not None:
            reason += f" near {issue.lon:.6f},{issue.lat:.6f}"
        problems.append(Problem(file, index, f"{issue.kind}: {reason}", issue.code))
    return problems
