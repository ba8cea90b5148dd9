"""Buildings and facilities from an OpenStreetMap extract, placed in the stored communities.

OSM knows no residents, so homes get an estimate from footprint × levels (documented below); a
planner replaces it with census figures by re-importing buildings. Buildings that do not lie
wholly inside one community are skipped and counted, as the importer would refuse them.
"""
from __future__ import annotations

import json
import math
import os
import tempfile

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.network.osm import read_osm_pois
from grid_app.places.importer import import_files

RESIDENTIAL = {"apartments", "residential", "house", "detached", "semidetached_house", "terrace",
               "dormitory", "yes"}
DEFAULT_LEVELS = 3
FLOOR_M2_PER_PERSON = 35.0  # gross floor area per resident, a common planning figure
USABLE_SHARE = 0.8
_GEOD = Geod(ellps="WGS84")


def estimated_residents(area_m2: float, levels: float | None, building: str) -> int:
    """Residents of an OSM building: 0 unless residential, else floor area × 0.8 / 35 m²."""
    if building not in RESIDENTIAL:
        return 0
    return int(round(area_m2 * (levels or DEFAULT_LEVELS) * USABLE_SHARE / FLOOR_M2_PER_PERSON))


def _communities(session: Session):
    rows = session.execute(text("SELECT code, ST_AsBinary(geom) FROM community ORDER BY code")).all()
    return [r[0] for r in rows], shapely.STRtree(shapely.from_wkb([bytes(r[1]) for r in rows]))


def import_osm_pois(session: Session, path: str, progress: bool = True, commit: bool = True) -> dict:
    """Import an extract's buildings and facilities through the normal importer; return counts."""
    buildings, facilities = read_osm_pois(path)
    codes, tree = _communities(session)
    counts = {"buildings_read": len(buildings), "facilities_read": len(facilities), "buildings_outside": 0}
    polys = np.array([b.polygon for b in buildings], dtype=object)
    inside = _within(tree, polys)
    building_feats = []
    for b, c in zip(buildings, inside):
        if c < 0 or not b.polygon.is_valid:
            counts["buildings_outside"] += 1
            continue
        area = abs(_GEOD.geometry_area_perimeter(b.polygon)[0])
        residents = estimated_residents(area, b.levels, b.building)
        building_feats.append(_feature(b.polygon, code=f"{codes[c]}B-osm{b.osm_id}", name=f"OSM {b.osm_id}",
                                       community_code=codes[c], residents=residents,
                                       households=int(math.ceil(residents / 2.6)),
                                       floors=int(b.levels) if b.levels else None))
    points = np.array([f.point for f in facilities], dtype=object)
    where = _within(tree, points)
    facility_feats = [_feature(f.point, code=f"F-osm-{f.kind}-{f.osm_type[0]}{f.osm_id}",
                               name=f.name or f"OSM {f.osm_type} {f.osm_id}", type_code=f.kind,
                               community_code=codes[c] if c >= 0 else None)
                      for f, c in zip(facilities, where)]
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for layer, feats in (("buildings", building_feats), ("facilities", facility_feats)):
            if feats:
                paths.append(os.path.join(tmp, f"{layer}.geojson"))
                with open(paths[-1], "w", encoding="utf-8") as fh:
                    json.dump({"type": "FeatureCollection", "features": feats}, fh, ensure_ascii=False)
        if paths:
            report = import_files(session, paths, repair=True, progress=progress, commit=commit)
            counts["warnings"] = report.warnings
    counts.setdefault("warnings", [])
    counts.update(buildings=len(building_feats), facilities=len(facility_feats))
    return counts


def _within(tree: shapely.STRtree, geoms: np.ndarray) -> np.ndarray:
    """Index of the community covering each geometry, -1 where none covers it wholly."""
    out = np.full(len(geoms), -1, dtype=np.int64)
    if len(geoms) and len(tree.geometries):
        qi, ti = tree.query(geoms, predicate="covered_by")
        out[qi] = ti
    return out


def _feature(geom, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
