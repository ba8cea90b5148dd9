"""15-minute coverage read from the stored results: one entry per request, resolved once.

Walking distances are stored per building and facility type up to ``LIMIT_MINUTES`` of walking,
so any threshold up to that is a query, not a recomputation. The coverage job
(coverage/refresh.py) writes them when the network, the facilities or the buildings change;
everything here only reads, so it may run on the read replica.

A page, the API and the planner's report each call `view` once: it resolves the facility type, the
minutes and the stored result's freshness, and returns plain data for maps, JSON and files.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
import shapely
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grid_app.coverage.graph import snap
from grid_app.coverage.isochrones import DEFAULT_BUFFER_M, isochrones
from grid_app.coverage.prepared import MAX_ACCESS_M, PreparedNetwork, ensure_faces, prepared_network
from grid_app.models import Community, FacilityType
from grid_app.network.store import versions
from grid_app.platform.errors import Conflict, InvalidInput, NotFound
from grid_app.platform.reference import facility_types

LIMIT_MINUTES = 30
DATASETS = ("network", "facilities", "buildings")
QUAD_SEGS = 2  # isochrone buffers: segments per quarter circle


@dataclass(frozen=True)
class Walk:
    """What a coverage request asks, checked: a facility type and a walking time at a speed."""

    type_id: int
    type_code: str
    type_name: str
    type_name_en: str | None
    circle_minutes: int
    minutes: float
    speed_m_s: float

    @property
    def threshold_m(self) -> float:
        """How far `minutes` walk at `speed_m_s` reaches, in metres."""
        return self.minutes * 60.0 * self.speed_m_s


@dataclass(frozen=True)
class CoverageView:
    """A community's stored coverage for one walk: everything a page, the API or a report shows."""

    walk: Walk
    summary: dict  # the API's answer: in all, per residential area and per grid
    computed_at: datetime  # freshness: when the shown result was computed,
    stale: bool  # and whether newer data wait for the coverage job
    distances: list[dict] | None = None  # every building with its stored distance and status
    facilities: list[dict] | None = None  # facilities that can serve the community (GeoJSON points)
    isochrones: list[dict] | None = None  # their walking-time areas (GeoJSON features)

    @property
    def no_facilities(self) -> bool:
        """True when the type has no facility at all."""
        return self.summary["no_facilities"]


def facility_type(session: Session, code: str) -> FacilityType:
    """The facility type with this code, or NotFound."""
    found = session.scalar(select(FacilityType).where(FacilityType.code == code))
    if found is None:
        raise NotFound(f"no facility type {code!r}; see /api/v1/facility-types", code="type_not_found")
    return found


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


def walk(session: Session, type_code: str, minutes, speed_m_s: float) -> Walk:
    """The type (NotFound) and minutes (InvalidInput; default the type's circle level) of a request."""
    ftype = facility_type(session, type_code)
    return Walk(ftype.id, ftype.code, ftype.name, ftype.name_en, ftype.circle_minutes,
                check_minutes(minutes, ftype.circle_minutes), speed_m_s)


def limit_m(speed_m_s: float) -> float:
    """The farthest walk stored: LIMIT_MINUTES at the configured speed."""
    return LIMIT_MINUTES * 60.0 * speed_m_s


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


def view(session: Session, community: Community, type_code: str, minutes, speed_m_s: float, *,
         distances: bool = True, isochrones: bool = True) -> CoverageView:
    """The community's last computed coverage for a type and walking time: the one entry of a request.

    The summary always; every building's distance and the facilities with their isochrones on request."""
    found = _summary(session, community, walk(session, type_code, minutes, speed_m_s))
    if distances:
        found = replace(found, distances=_distances(session, community, found.walk))
    return with_isochrones(session, found) if isochrones else found


def with_isochrones(session: Session, found: CoverageView) -> CoverageView:
    """The view with the facilities that can serve its community and their walking-time areas."""
    net = prepared_network(session)  # built from stored data, cached in the process: nothing is written
    _total, near, xy = _facilities(session, found.walk, found.summary["community"]["code"])
    return replace(found, facilities=near, isochrones=_isochrones(net, found.walk, near, xy))


# Results of one building: LIMIT keeps the subquery apart, so it is one primary-key probe per building of
# the community. As a plain join the planner may read the type's results for the whole city instead.
_RESULT = """LEFT JOIN LATERAL (SELECT distance_m, status FROM coverage_result
                     WHERE building_id = b.id AND facility_type_id = :t LIMIT 1) r ON true"""
# One statement, so one snapshot: the run and every figure come from the same complete result set
# even while the job swaps in a new one. Units are residential areas and grids (GROUPING SETS), summed
# by id and named afterwards, a key lookup per unit: joined before, every area and grid of the city was
# read (hash joins sized by the planner's guess of hundreds of units). Time grows with the community only.
_SUMMARY = text(f"""
WITH run AS (
  SELECT computed_at, data_versions FROM coverage_run WHERE facility_type_id = :t
), units AS (
  SELECT GROUPING(b.residential_area_id) = 0 AS is_area,
         CASE WHEN GROUPING(b.residential_area_id) = 0 THEN b.residential_area_id ELSE b.grid_id END AS unit_id,
         sum(b.residents) AS total,
         coalesce(sum(b.residents) FILTER (WHERE r.distance_m <= :threshold), 0) AS covered,
         coalesce(sum(b.residents) FILTER (WHERE r.status = 'unsnapped'), 0) AS unsnapped,
         count(*) FILTER (WHERE r.status = 'unsnapped') AS homes_unsnapped
  FROM building b
  {_RESULT}
  WHERE b.community_id = :community AND b.residents > 0
  GROUP BY GROUPING SETS ((b.residential_area_id), (b.grid_id))
)
SELECT run.computed_at, run.data_versions, (SELECT count(*) FROM facility WHERE type_id = :t) AS facilities,
       u.is_area, n.code, n.name, u.total, u.covered, u.unsnapped, u.homes_unsnapped
FROM run LEFT JOIN units u ON true
LEFT JOIN LATERAL (SELECT code, name FROM residential_area WHERE u.is_area AND id = u.unit_id
                   UNION ALL
                   SELECT code, name FROM grid WHERE NOT u.is_area AND id = u.unit_id) n ON true
ORDER BY u.is_area DESC, n.code NULLS LAST
""")
NO_FACILITIES = "no facilities of this type are stored, so no home is counted as covered or uncovered"
STALE = "the data changed since this result was computed; coverage is being recomputed"


def _share(covered, total):
    return round(covered / total, 4) if total and covered is not None else None


def _unit(r, no_facilities: bool) -> dict:
    covered = None if no_facilities else int(r.covered)
    return {"code": r.code, "name": r.name, "residents_total": int(r.total), "residents_covered": covered,
            "share": _share(covered, int(r.total)), "residents_unsnapped": int(r.unsnapped)}


def _summary(session: Session, community: Community, w: Walk) -> CoverageView:
    """In all, per residential area and per grid, with the result's age and staleness (read-only)."""
    rows = session.execute(_SUMMARY, {"threshold": w.threshold_m, "t": w.type_id, "community": community.id}).all()
    if not rows:
        raise no_result(session)
    head = rows[0]
    stale = head.data_versions != stamp(session, w.speed_m_s)
    no_facilities = head.facilities == 0
    units = [r for r in rows if r.is_area is not None]
    areas = [_unit(r, no_facilities) for r in units if r.is_area]
    total = sum(a["residents_total"] for a in areas)
    covered = None if no_facilities else sum(a["residents_covered"] for a in areas)
    notices = ([{"code": "no_facilities", "message": NO_FACILITIES}] if no_facilities else []) + (
        [{"code": "stale", "message": STALE}] if stale else [])
    summary = {
        "community": {"code": community.code, "name": community.name},
        "type": {"code": w.type_code, "name": w.type_name, "circle_minutes": w.circle_minutes},
        "minutes": w.minutes, "threshold_m": round(w.threshold_m, 1), "speed_m_s": w.speed_m_s,
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
    return CoverageView(w, summary, head.computed_at, stale)


def _distances(session: Session, community: Community, w: Walk) -> list[dict]:
    """Every building of a community with its stored walking distance and status.

    status: ok, beyond (farther than the stored limit), unsnapped (off the network),
    nofacility (the type had no facility), none (no result: no residents, or newer than the result)."""
    # Per building: its result and its area's code by key (see _RESULT), never a scan of the city's.
    rows = session.execute(text(f"""
        SELECT b.code, b.name, b.residents, r.distance_m, coalesce(r.status, 'none') AS status,
               (SELECT ra.code FROM residential_area ra WHERE ra.id = b.residential_area_id) AS area_code
        FROM building b
        {_RESULT}
        WHERE b.community_id = :community ORDER BY b.code"""), {"t": w.type_id, "community": community.id}).all()
    return [dict(r._mapping) for r in rows]


_FACILITY_COLUMNS = "f.code, f.name, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, ST_AsGeoJSON(f.geom, 6) AS geojson"
_ALL_FACILITIES = text(f"SELECT {_FACILITY_COLUMNS} FROM facility f WHERE f.type_id = :t ORDER BY f.code")
# A box around the community, in degrees wide enough at its farthest latitude (plus one degree), lets the
# GiST index pick the candidates; the geography test is the exact walk. (Testing every facility of the
# type in the city took 34-297 ms a request at 1.14M edges.)
_NEAR_FACILITIES = text(f"""
WITH c AS (SELECT geom, ST_Expand(geom::box2d, :d / (110000.0 * cos(radians(least(89.0,
                  greatest(abs(ST_YMin(geom::box2d)), abs(ST_YMax(geom::box2d))) + 1.0))))) AS box
           FROM community WHERE code = :c)
SELECT {_FACILITY_COLUMNS}
FROM facility f JOIN c ON f.geom && c.box AND ST_DWithin(f.geom::geography, c.geom::geography, :d)
WHERE f.type_id = :t ORDER BY f.code""")
_COUNT_FACILITIES = text("SELECT count(*) FROM facility WHERE type_id = :t")


def _facilities(session: Session, w: Walk, community_code: str | None) -> tuple[int, list[dict], np.ndarray]:
    """How many facilities the type has, and those within the walk of the community (all without one):
    as GeoJSON points and as a lon/lat array."""
    if community_code is None:
        near = session.execute(_ALL_FACILITIES, {"t": w.type_id}).all()
        total = len(near)
    else:
        near = session.execute(_NEAR_FACILITIES, {"c": community_code, "t": w.type_id, "d": w.threshold_m}).all()
        total = session.scalar(_COUNT_FACILITIES, {"t": w.type_id})
    features = [{"type": "Feature", "id": r.code, "properties": {"code": r.code, "name": r.name},
                 "geometry": json.loads(r.geojson)} for r in near]
    return total, features, np.array([(r.lon, r.lat) for r in near], dtype=np.float64).reshape(-1, 2)


def _isochrones(net: PreparedNetwork, w: Walk, facilities: list[dict], xy: np.ndarray) -> list[dict]:
    """Walking-time areas of each facility, from the reachable network (GeoJSON features)."""
    if not facilities:
        return []
    ensure_faces(net, DEFAULT_BUFFER_M, QUAD_SEGS)  # a cold process reads the block index from disk
    polys = isochrones(net.graph, snap(net.graph, xy, MAX_ACCESS_M), [w.threshold_m],
                       buffer_m=DEFAULT_BUFFER_M, quad_segs=QUAD_SEGS)[:, 0]
    return [{"type": "Feature", "properties": {"facility": f["id"], "name": f["properties"]["name"],
                                               "minutes": w.minutes},
             "geometry": shapely.geometry.mapping(p)}
            for f, p in zip(facilities, polys) if not p.is_empty]


def isochrones_geojson(session: Session, type_code: str, minutes, speed_m_s: float,
                       community_code: str | None = None) -> dict:
    """Walking-time areas of each facility of a type (near a community, if one is named): the API's answer."""
    w = walk(session, type_code, minutes, speed_m_s)
    net = prepared_network(session)
    total, near, xy = _facilities(session, w, community_code)
    if not total:
        return {"type": "FeatureCollection", "features": [], "no_facilities": True, "message": NO_FACILITIES}
    return {"type": "FeatureCollection", "features": _isochrones(net, w, near, xy)}


def default_type_code(session: Session) -> str:
    """The first facility type (in the usual order) that has a facility, else the first type."""
    types = facility_types(session)
    with_any = set(session.scalars(text("SELECT DISTINCT type_id FROM facility")).all())
    return next((t.code for t in types if t.id in with_any), types[0].code if types else "")
