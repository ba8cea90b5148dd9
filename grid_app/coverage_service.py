"""15-minute coverage on the stored network: compute, store, refresh when data change, query.

Walking distances are stored per building and facility type up to ``LIMIT_MINUTES`` of walking,
so any threshold up to that is a query, not a recomputation. Results are recomputed when the
network, the facilities or the buildings change (dataset versions), the first time they are asked for.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .coverage.engine import PreparedHomes
from .coverage.graph import Snaps, WalkGraph, snap
from .coverage.isochrones import isochrones
from .errors import InvalidInput, NotFound
from .models import CoverageResult, CoverageRun, FacilityType
from .network_store import load_network, versions

LIMIT_MINUTES = 30
MAX_ACCESS_M = 150.0  # a home or facility farther than this from any path is reported, not guessed
DATASETS = ("network", "facilities", "buildings")
_cache_lock = threading.Lock()
_cache: dict = {}


@dataclass
class Homes:
    """Buildings with residents, as points tied to the network."""

    building_id: np.ndarray
    residents: np.ndarray
    snaps: Snaps


@dataclass
class Engine:
    """The graph and prepared homes for one stamp of data versions (cached per process)."""

    stamp: str
    graph: WalkGraph
    homes: Homes
    prepared: PreparedHomes


def facility_type(session: Session, code: str) -> FacilityType:
    """The facility type with this code, or NotFound."""
    found = session.scalar(select(FacilityType).where(FacilityType.code == code))
    if found is None:
        raise NotFound(f"no facility type {code!r}; see /api/v1/facility-types", code="type_not_found")
    return found


def engine(session: Session) -> Engine:
    """The computation engine for the current data (rebuilt when the network or buildings change)."""
    stamp = versions(session, ("network", "buildings"))
    key = (str(session.get_bind().engine.url), stamp)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
    network = load_network(session)
    if network is None:
        raise NotFound("no walking network is stored; run flask grid import-network", code="no_network")
    graph = WalkGraph(network)
    rows = session.execute(text(
        "SELECT id, residents, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
        "FROM building WHERE residents > 0 ORDER BY id")).all()
    xy = np.array([(r[2], r[3]) for r in rows], dtype=np.float64).reshape(-1, 2)
    homes = Homes(np.array([r[0] for r in rows], dtype=np.int64),
                  np.array([r[1] for r in rows], dtype=np.float64), snap(graph, xy, MAX_ACCESS_M))
    built = Engine(stamp, graph, homes, PreparedHomes(graph, homes.snaps))
    with _cache_lock:
        _cache.clear()  # one generation at a time: old graphs are large
        _cache[key] = built
    return built


def facility_points(session: Session, type_id: int, community_code: str | None = None):
    """(codes, names, lon/lat array) of the facilities of a type."""
    sql = ("SELECT f.code, f.name, ST_X(f.geom), ST_Y(f.geom) FROM facility f "
           "WHERE f.type_id = :t ORDER BY f.code")
    rows = session.execute(text(sql), {"t": type_id}).all()
    xy = np.array([(r[2], r[3]) for r in rows], dtype=np.float64).reshape(-1, 2)
    return [r[0] for r in rows], [r[1] for r in rows], xy


def limit_m(speed_m_s: float) -> float:
    """The farthest walk stored: LIMIT_MINUTES at the configured speed."""
    return LIMIT_MINUTES * 60.0 * speed_m_s


def compute(session: Session, type_code: str, speed_m_s: float) -> dict:
    """Recompute and store every building's distance to the nearest facility of the type."""
    started = time.perf_counter()
    ftype = facility_type(session, type_code)
    eng = engine(session)
    _, _, xy = facility_points(session, ftype.id)
    fac_snaps = snap(eng.graph, xy, MAX_ACCESS_M)
    dist = eng.prepared.distances(fac_snaps, limit_m(speed_m_s))
    status = np.where(~eng.homes.snaps.snapped, "unsnapped", np.where(np.isfinite(dist), "ok", "beyond"))
    session.execute(delete(CoverageResult).where(CoverageResult.facility_type_id == ftype.id))
    rows = [{"building_id": int(b), "facility_type_id": ftype.id,
             "distance_m": float(d) if np.isfinite(d) else None, "status": str(s)}
            for b, d, s in zip(eng.homes.building_id, dist, status)]
    for start in range(0, len(rows), 5000):
        session.execute(insert(CoverageResult.__table__), rows[start:start + 5000])
    seconds = time.perf_counter() - started
    run = {"facility_type_id": ftype.id, "computed_at": func.now(), "limit_m": limit_m(speed_m_s),
           "data_versions": versions(session, DATASETS) + f",speed:{speed_m_s}", "seconds": seconds}
    stmt = insert(CoverageRun.__table__).values(run)
    session.execute(stmt.on_conflict_do_update(index_elements=["facility_type_id"],
                                               set_={k: stmt.excluded[k] for k in run if k != "facility_type_id"}))
    session.commit()
    return {"type": type_code, "homes": len(rows), "facilities": int(len(xy)),
            "facilities_unsnapped": int((~fac_snaps.snapped).sum()),
            "homes_unsnapped": int((status == "unsnapped").sum()), "seconds": round(seconds, 3)}


def ensure_fresh(session: Session, type_code: str, speed_m_s: float) -> None:
    """Recompute the type's results if the data changed since they were computed."""
    ftype = facility_type(session, type_code)
    run = session.get(CoverageRun, ftype.id)
    if run is None or run.data_versions != versions(session, DATASETS) + f",speed:{speed_m_s}":
        compute(session, type_code, speed_m_s)


def check_minutes(minutes, default: int) -> float:
    """Walking minutes from a query value (default: the type's circle level)."""
    if minutes in (None, ""):
        return float(default)
    try:
        value = float(minutes)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("minutes must be a number", code="bad_minutes") from exc
    if not 0 < value <= LIMIT_MINUTES:
        raise InvalidInput(f"minutes must be between 0 and {LIMIT_MINUTES}", code="bad_minutes")
    return value





# Residents covered per residential area or grid of a community (the unit a building belongs to).
_BY_UNIT = """
SELECT u.code, u.name,
       coalesce(sum(b.residents), 0) AS total,
       coalesce(sum(b.residents) FILTER (WHERE r.distance_m <= :threshold), 0) AS covered
FROM building b
JOIN community c ON c.id = b.community_id
LEFT JOIN {unit} u ON u.id = b.{unit}_id
LEFT JOIN coverage_result r ON r.building_id = b.id AND r.facility_type_id = :t
WHERE c.code = :community AND b.residents > 0
GROUP BY u.code, u.name ORDER BY u.code NULLS LAST
"""
_BY_AREA = text(_BY_UNIT.format(unit="residential_area"))
_BY_GRID = text(_BY_UNIT.format(unit="grid"))


def _shares(rows) -> list[dict]:
    return [{"code": r.code, "name": r.name, "residents_total": int(r.total), "residents_covered": int(r.covered),
             "share": round(int(r.covered) / int(r.total), 4) if r.total else None} for r in rows]


def coverage_for_community(session: Session, community_code: str, type_code: str, minutes,
                           speed_m_s: float) -> dict:
    """Residents within the walking time of a facility type, for a community and its areas."""
    from .hierarchy import community_by_code
    community = community_by_code(session, community_code)
    ftype = facility_type(session, type_code)
    mins = check_minutes(minutes, ftype.circle_minutes)
    ensure_fresh(session, type_code, speed_m_s)
    threshold = mins * 60.0 * speed_m_s
    params = {"threshold": threshold, "t": ftype.id, "community": community.code}
    rows = session.execute(_BY_AREA, params).all()
    total = sum(int(r.total) for r in rows)
    covered = sum(int(r.covered) for r in rows)
    return {
        "community": {"code": community.code, "name": community.name},
        "type": {"code": ftype.code, "name": ftype.name, "circle_minutes": ftype.circle_minutes},
        "minutes": mins, "threshold_m": round(threshold, 1), "speed_m_s": speed_m_s,
        "residents_total": total, "residents_covered": covered,
        "share": round(covered / total, 4) if total else None,
        # Buildings in no residential area come as one row with code and name null.
        "by_residential_area": _shares(rows),
        "by_grid": _shares(session.execute(_BY_GRID, params).all()),
    }


def building_distances(session: Session, community_code: str, type_code: str,
                       speed_m_s: float) -> list[dict]:
    """Every building of a community with residents and its walking distance (None: beyond/unsnapped)."""
    ftype = facility_type(session, type_code)
    ensure_fresh(session, type_code, speed_m_s)
    rows = session.execute(text("""
        SELECT b.code, b.name, b.residents, r.distance_m, coalesce(r.status, 'none') AS status,
               ra.code AS area_code
        FROM building b JOIN community c ON c.id = b.community_id
        LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
        LEFT JOIN coverage_result r ON r.building_id = b.id AND r.facility_type_id = :t
        WHERE c.code = :community ORDER BY b.code"""), {"t": ftype.id, "community": community_code}).all()
    return [dict(r._mapping) for r in rows]


def isochrones_geojson(session: Session, type_code: str, minutes, speed_m_s: float,
                       community_code: str | None = None) -> dict:
    """Walking-time areas of each facility of a type, from the reachable network (GeoJSON)."""
    ftype = facility_type(session, type_code)
    mins = check_minutes(minutes, ftype.circle_minutes)
    eng = engine(session)
    codes, names, xy = facility_points(session, ftype.id)
    if community_code and len(codes):
        near = session.execute(text("""
            SELECT f.code FROM facility f, community c WHERE c.code = :c AND f.type_id = :t
              AND ST_DWithin(f.geom::geography, c.geom::geography, :d)"""),
            {"c": community_code, "t": ftype.id, "d": mins * 60 * speed_m_s}).scalars().all()
        keep = np.array([c in set(near) for c in codes], dtype=bool)
        codes, names, xy = [c for c, k in zip(codes, keep) if k], [n for n, k in zip(names, keep) if k], xy[keep]
    if not len(codes):
        return {"type": "FeatureCollection", "features": []}
    polys = isochrones(eng.graph, snap(eng.graph, xy, MAX_ACCESS_M), [mins * 60 * speed_m_s])[:, 0]
    import shapely
    features = [{"type": "Feature", "properties": {"facility": c, "name": n, "minutes": mins},
                 "geometry": shapely.geometry.mapping(p)}
                for c, n, p in zip(codes, names, polys) if not p.is_empty]
    return {"type": "FeatureCollection", "features": features}
