"""A scenario's change set, checked before anything is computed or written.

The shared format (issue 18): {"type": CODE, "minutes": 10, "speed_m_s": 0.8, "crs": "wgs84"|"gcj02",
"add": [{"lon", "lat", "name"?, "capacity"?}], "remove": [facility id, ...]}.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from grid_app.coverage import service as coverage_service
from grid_app.coverage.service import Walk
from grid_app.models import Community, Facility
from grid_app.places.locate import check_coordinates
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.text import number, optional_text

MAX_ADDED = 50  # planned sites per scenario: a live answer, not a siting run
MAX_REMOVED = 200
SPEED_RANGE = (0.3, 2.5)  # m/s: from a frail walker to a brisk one
KEYS = {"type", "minutes", "speed_m_s", "crs", "add", "remove", "community", "name"}


@dataclass(frozen=True)
class Site:
    """A planned facility at a WGS84 point."""

    lon: float
    lat: float
    name: str | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class Changes:
    """A checked change set for one community and facility type."""

    walk: Walk  # type and minutes at the scenario's walking speed
    add: tuple[Site, ...]
    remove: tuple[int, ...]

    def as_json(self) -> dict:
        """The change set in the shared format (WGS84), as stored with a saved scenario."""
        return {"type": self.walk.type_code, "minutes": self.walk.minutes, "speed_m_s": self.walk.speed_m_s,
                "add": [{k: v for k, v in (("lon", s.lon), ("lat", s.lat), ("name", s.name),
                                           ("capacity", s.capacity)) if v is not None} for s in self.add],
                "remove": list(self.remove)}


def check_changes(session: Session, community: Community, body, default_speed: float) -> Changes:
    """The change set of a request body, or InvalidInput naming what is wrong (nothing is written)."""
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object with type, add and remove", code="bad_body")
    unknown = sorted(set(body) - KEYS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", code="bad_body")
    code = body.get("type")
    if not isinstance(code, str) or not code:
        raise InvalidInput("type (a facility type code) is required", code="missing_type")
    try:
        ftype = coverage_service.facility_type(session, code)
    except NotFound as exc:  # a bad value in a body is a bad request, not a missing resource
        raise InvalidInput(exc.message, code="unknown_type") from exc
    speed = _speed(body.get("speed_m_s"), default_speed)
    walk = Walk(ftype.id, ftype.code, ftype.name, ftype.name_en, ftype.circle_minutes,
                coverage_service.check_minutes(body.get("minutes"), ftype.circle_minutes), speed)
    crs = body.get("crs") or "wgs84"
    add = _sites(body.get("add"), crs)
    _inside(session, community, add)
    return Changes(walk, add, _removed(session, community, ftype.id, body.get("remove")))


def _speed(value, default: float) -> float:
    if value is None:
        return float(default)
    speed = number(value, "speed_m_s", "bad_speed")
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        raise InvalidInput(f"speed_m_s must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]} m/s",
                           code="bad_speed")
    return speed


def _sites(value, crs) -> tuple[Site, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput("add must be a list of sites", code="bad_add")
    if len(value) > MAX_ADDED:
        raise InvalidInput(f"at most {MAX_ADDED} planned sites per scenario", code="too_many_sites")
    sites = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict) or "lon" not in item or "lat" not in item:
            raise InvalidInput(f"add[{i}] must be an object with lon and lat", code="bad_add")
        lon, lat = check_coordinates(item["lon"], item["lat"], crs if isinstance(crs, str) else repr(crs))
        capacity = item.get("capacity")
        if capacity is not None:
            capacity = number(capacity, f"add[{i}].capacity", "bad_capacity")
            if capacity < 0 or capacity != int(capacity) or capacity > 1_000_000:
                raise InvalidInput(f"add[{i}].capacity must be a whole number from 0 to 1000000",
                                   code="bad_capacity")
            capacity = int(capacity)
        sites.append(Site(round(lon, 7), round(lat, 7), optional_text(item.get("name"), "name", 200,
                                                                      code="bad_add"), capacity))
    return tuple(sites)


def _inside(session: Session, community: Community, sites: tuple[Site, ...]) -> None:
    """Every planned site lies in the community (on its boundary counts)."""
    if not sites:
        return
    outside = session.execute(text("""
        SELECT p.i FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p(lon, lat, i)
        WHERE NOT ST_Covers((SELECT geom FROM community WHERE id = :c), ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
        ORDER BY p.i"""), {"lon": [s.lon for s in sites], "lat": [s.lat for s in sites], "c": community.id}).scalars().all()
    if outside:
        raise InvalidInput(f"planned site(s) {', '.join(f'add[{i}]' for i in outside)} lie outside community "
                           f"{community.code}", code="site_outside_community", details={"sites": list(outside)})


def _removed(session: Session, community: Community, type_id: int, value) -> tuple[int, ...]:
    """Facility ids to close: each of this type and in this community."""
    if value is None:
        return ()
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise InvalidInput("remove must be a list of facility ids (integers)", code="bad_remove")
    if len(value) > MAX_REMOVED:
        raise InvalidInput(f"at most {MAX_REMOVED} facilities removed per scenario", code="bad_remove")
    ids = tuple(dict.fromkeys(value))
    found = set(session.scalars(select(Facility.id).where(
        Facility.id.in_(ids), Facility.type_id == type_id, Facility.community_id == community.id)).all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"no facility of this type in community {community.code} with id "
                           f"{', '.join(map(str, missing))}", code="unknown_facility", details={"ids": missing})
    return ids
