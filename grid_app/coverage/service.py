"""15-minute coverage on the stored network: the engine, and reading the stored results.

Walking distances are stored per building and facility type up to ``LIMIT_MINUTES`` of walking,
so any threshold up to that is a query, not a recomputation. The coverage job
(coverage/refresh.py) writes them when the network, the facilities or the buildings change;
everything here only reads, so it may run on the read replica.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.graph import Snaps, WalkGraph, snap
from grid_app.coverage.isochrones import isochrones
from grid_app.models import FacilityType
from grid_app.network.store import load_network, versions
from grid_app.platform.errors import Conflict, InvalidInput, NotFound

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


def stamp(session: Session, speed_m_s: float) -> str:
    """The data versions and walking speed that stored results must match to be current."""
    return versions(session, DATASETS) + f",speed:{speed_m_s}"


def has_network(session: Session) -> bool:
    """True when a walking network is stored."""
    return bool(session.scalar(text("SELECT EXISTS (SELECT 1 FROM network_edge)")))


def no_result(session: Session) -> NotFound | Conflict:
    """The error for a type with no stored result: no network yet, or the job has not run yet."""
    if not has_network(session):
        return NotFound("no walking network is stored; run flask grid import-network", code="no_network")
    return Conflict("coverage has not been computed yet; run flask grid coverage", code="coverage_not_computed")


# One statement, so one snapshot: the run and every figure come from the same complete result set
# even while the job swaps in a new one. Units are residential areas and grids (GROUPING SETS).
_SUMMARY = text("""
WITH run AS (
  SELECT computed_at, data_versions FROM coverage_run WHERE facility_type_id = :t
), homes AS (
  SELECT b.residents, b.residential_area_id, b.grid_id, r.distance_m, r.status
  FROM building b JOIN community c ON c.id = b.community_id
  LEFT JOIN coverage_result r ON r.building_id = b.id AND r.facility_type_id = :t
  WHERE c.code = :community AND b.residents > 0
), units AS (
  SELECT GROUPING(ra.code) = 0 AS is_area,
         CASE WHEN GROUPING(ra.code) = 0 THEN ra.code ELSE g.code END AS code,
         CASE WHEN GROUPING(ra.code) = 0 THEN ra.name ELSE g.name END AS name,
         sum(h.residents) AS total,
         coalesce(sum(h.residents) FILTER (WHERE h.distance_m <= :threshold), 0) AS covered,
         coalesce(sum(h.residents) FILTER (WHERE h.status = 'unsnapped'), 0) AS unsnapped,
         count(*) FILTER (WHERE h.status = 'unsnapped') AS homes_unsnapped
  FROM homes h
  LEFT JOIN residential_area ra ON ra.id = h.residential_area_id
  LEFT JOIN grid g ON g.id = h.grid_id
  GROUP BY GROUPING SETS ((ra.code, ra.name), (g.code, g.name))
)
SELECT run.computed_at, run.data_versions, (SELECT count(*) FROM facility WHERE type_id = :t) AS facilities,
       units.*
FROM run LEFT JOIN units ON true
ORDER BY units.is_area DESC, units.code NULLS LAST
""")
NO_FACILITIES = "no facilities of this type are stored, so no home is counted as covered or uncovered"
STALE = "the data changed since this result was computed; coverage is being recomputed"


def _share(covered, total):
    return round(covered / total, 4) if total and covered is not None else None


def _unit(r, no_facilities: bool) -> dict:
    covered = None if no_facilities else int(r.covered)
    return {"code": r.code, "name": r.name, "residents_total": int(r.total), "residents_covered": covered,
            "share": _share(covered, int(r.total)), "residents_unsnapped": int(r.unsnapped)}


def coverage_for_community(session: Session, community_code: str, type_code: str, minutes,
                           speed_m_s: float) -> dict:
    """The last computed coverage of a community for a type: in all, per residential area and per grid.

    Read-only: says how old the result is and whether newer data wait for the coverage job."""
    from grid_app.places.hierarchy import community_by_code
    community = community_by_code(session, community_code)
    ftype = facility_type(session, type_code)
    mins = check_minutes(minutes, ftype.circle_minutes)
    threshold = mins * 60.0 * speed_m_s
    rows = session.execute(_SUMMARY, {"threshold": threshold, "t": ftype.id, "community": community.code}).all()
    if not rows:
        raise no_result(session)
    head = rows[0]
    stale = head.data_versions != stamp(session, speed_m_s)
    no_facilities = head.facilities == 0
    units = [r for r in rows if r.is_area is not None]
    areas = [_unit(r, no_facilities) for r in units if r.is_area]
    total = sum(a["residents_total"] for a in areas)
    covered = None if no_facilities else sum(a["residents_covered"] for a in areas)
    notices = ([{"code": "no_facilities", "message": NO_FACILITIES}] if no_facilities else []) + (
        [{"code": "stale", "message": STALE}] if stale else [])
    return {
        "community": {"code": community.code, "name": community.name},
        "type": {"code": ftype.code, "name": ftype.name, "circle_minutes": ftype.circle_minutes},
        "minutes": mins, "threshold_m": round(threshold, 1), "speed_m_s": speed_m_s,
        "residents_total": total, "residents_covered": covered, "share": _share(covered, total),
        # Homes farther than MAX_ACCESS_M from any path: never counted as covered, named here.
        "residents_unsnapped": sum(a["residents_unsnapped"] for a in areas),
        "homes_unsnapped": sum(int(r.homes_unsnapped) for r in units if r.is_area), "access_limit_m": MAX_ACCESS_M,
        "facilities": int(head.facilities), "no_facilities": no_facilities,
        "computed_at": head.computed_at.isoformat(), "stale": stale, "notices": notices,
        # Buildings in no residential area (or grid) come as one row with code and name null.
        "by_residential_area": areas,
        "by_grid": [_unit(r, no_facilities) for r in units if not r.is_area],
    }


def building_distances(session: Session, community_code: str, type_code: str,
                       speed_m_s: float) -> list[dict]:
    """Every building of a community with its stored walking distance and status.

    status: ok, beyond (farther than the stored limit), unsnapped (off the network),
    nofacility (the type had no facility), none (no result: no residents, or newer than the result)."""
    ftype = facility_type(session, type_code)
    rows = session.execute(text("""
        SELECT b.code, b.name, b.residents, r.distance_m, coalesce(r.status, 'none') AS status,
               ra.code AS area_code
        FROM building b JOIN community c ON c.id = b.community_id
        LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
        LEFT JOIN coverage_result r ON r.building_id = b.id AND r.facility_type_id = :t
        WHERE c.code = :community ORDER BY b.code"""), {"t": ftype.id, "community": community_code}).all()
    return [dict(r._mapping) for r in rows]


def default_type_code(session: Session) -> str:
    """The first facility type (in the usual order) that has a facility, else the first type."""
    from grid_app.platform.reference import facility_types
    types = facility_types(session)
    with_any = set(session.scalars(text("SELECT DISTINCT type_id FROM facility")).all())
    return next((t.code for t in types if t.id in with_any), types[0].code if types else "")


def isochrones_geojson(session: Session, type_code: str, minutes, speed_m_s: float,
                       community_code: str | None = None) -> dict:
    """Walking-time areas of each facility of a type, from the reachable network (GeoJSON)."""
    ftype = facility_type(session, type_code)
    mins = check_minutes(minutes, ftype.circle_minutes)
    eng = engine(session)  # built from stored data, cached in the process: nothing is written
    codes, names, xy = facility_points(session, ftype.id)
    if not len(codes):
        return {"type": "FeatureCollection", "features": [], "no_facilities": True, "message": NO_FACILITIES}
    if community_code:
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
