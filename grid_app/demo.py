"""Loading the bundled demo district."""
from __future__ import annotations

import os

from sqlalchemy.orm import Session

from .importer import import_files
from .reference import seed_reference_data

DEMO_LAYERS = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")


def load_demo_data(session: Session, folder: str, config) -> list[str]:
    """Seed reference data and import every demo layer; return lines to print."""
    seed_reference_data(session)
    session.commit()
    paths = [os.path.join(folder, f"{layer}.geojson") for layer in DEMO_LAYERS]
    report = import_files(session, paths)
    lines = [f"{name}: {count}" for name, count in report.counts.items()]
    lines.append(f"{len(report.warnings)} warning(s) (e.g. street-side buildings in no residential area)")
    return lines
