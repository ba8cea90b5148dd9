"""Visits to key residents (走访): the next visit due, the due list, and recording a visit once per key."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import DateTime, and_, cast, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from grid_app.access import scope
from grid_app.cases import clock, dates
from grid_app.cases.intake import KEY_PATTERN
from grid_app.models import Building, User
from grid_app.models.care import VISIT_KINDS, CareLevel, ResidentCare, Visit
from grid_app.models.people import Household, Resident
from grid_app.people.masking import mask_name
from grid_app.people.queries import current_resident, get_resident, grid_in_scope
from grid_app.places import locate
from grid_app.platform.errors import Conflict, InvalidInput
from grid_app.platform.text import optional_text

MAX_FINDING = 2000
MAX_CRS = 20
FAR_FROM_HOME_M = 200  # a home visit recorded farther than this from the building is flagged
CLOCK_SKEW = timedelta(minutes=5)  # a phone's clock may run a little ahead


def next_due(last_visit, interval_days, now):
    """The one rule: last visit + the shortest visit interval of the resident's care levels; never visited: now."""
    return func.coalesce(last_visit + func.make_interval(0, 0, 0, interval_days), now)


def interval_plans():
    """Per key resident, the shortest visit interval among their care levels (resident_id, days)."""
    return (select(ResidentCare.resident_id, func.min(CareLevel.visit_days).label("days"))
            .join(CareLevel, ResidentCare.level_id == CareLevel.id).group_by(ResidentCare.resident_id).subquery())


def last_visits():
    """Per visited resident, the time of the last visit (resident_id, last)."""
    return select(Visit.resident_id, func.max(Visit.at).label("last")).group_by(Visit.resident_id).subquery()


def due_list(session: Session, user: User, *, grid: str | None = None, now: datetime | None = None,
             limit: int = 500, offset: int = 0) -> dict:
    """Key residents the user reads with their next visit due, overdue first (a named grid out of scope: 404)."""
    scope.require_register_role(user)
    now = now or clock.now()
    at = literal(now, DateTime(timezone=True))
    plans, last = interval_plans(), last_visits()
    due = next_due(last.c.last, plans.c.days, at).label("due")
    where = [scope.resident_clause(user), current_resident()]
    if grid:
        where.append(Building.grid_id == grid_in_scope(session, user, grid).id)
    base = (select(Resident.id, last.c.last, due).join(plans, plans.c.resident_id == Resident.id)
            .outerjoin(last, last.c.resident_id == Resident.id)
            .join(Household, Resident.household_id == Household.id)
            .join(Building, Household.building_id == Building.id).where(and_(*where)))
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by((due < at).desc(), due, Resident.id).limit(limit).offset(offset)).all()
    residents = {r.id: r for r in session.scalars(
        select(Resident).where(Resident.id.in_([row.id for row in rows]))
        .options(joinedload(Resident.household).joinedload(Household.building)))}
    cares = _cares(session, list(residents))
    show_tags = scope.may_see_care_tags(user)
    return {"total": total, "now": now.isoformat(), "residents": [
        _due_json(residents[row.id], row.last, row.due, now, cares.get(row.id, []), show_tags) for row in rows]}


def _cares(session: Session, ids: list[int]) -> dict[int, list[ResidentCare]]:
    found: dict[int, list[ResidentCare]] = {}
    for care in session.scalars(select(ResidentCare).where(ResidentCare.resident_id.in_(ids))
                                .options(joinedload(ResidentCare.tag), joinedload(ResidentCare.level))
                                .order_by(ResidentCare.id)):
        found.setdefault(care.resident_id, []).append(care)
    return found


def _due_json(resident: Resident, last, due, now, cares: list[ResidentCare], show_tags: bool) -> dict:
    building = resident.household.building
    urgent = min(cares, key=lambda c: c.level.visit_days) if cares else None
    item = {"id": resident.id, "name": mask_name(resident.name), "building": building.code,
            "building_name": building.name,  # what the worker reads on the phone
            "unit": resident.household.unit, "room": resident.household.room,
            "level": urgent.level.code if urgent else None,
            "interval_days": urgent.level.visit_days if urgent else None,
            "last_visit": last.isoformat() if last else None, "next_due": due.isoformat(),
            "due": due <= now, "overdue": due < now}
    if show_tags:  # a sensitive category (PIPL Art. 28): only for the roles that care for the resident
        item["tags"] = [{"code": c.tag.code, "name": c.tag.name, "name_en": c.tag.name_en} for c in cares]
    return item


@dataclass(frozen=True)
class VisitInput:
    """A checked visit (coordinates already in WGS84)."""

    resident_id: int
    kind: str
    finding: str | None
    follow_up: bool
    lon: float | None
    lat: float | None
    at: datetime | None
    idempotency_key: str


def parse_visit(body) -> VisitInput:
    """Check a visit's JSON body or raise InvalidInput naming the field."""
    if not isinstance(body, dict):
        raise InvalidInput('body must be a JSON object {"resident_id": ..., "kind": ..., "idempotency_key": ...}',
                           code="bad_body")
    resident_id = body.get("resident_id")
    if isinstance(resident_id, bool) or not isinstance(resident_id, int) or not 0 < resident_id < 2 ** 31:
        raise InvalidInput("resident_id must be a resident's id (a positive whole number)", code="bad_resident_id")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in VISIT_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(VISIT_KINDS)}", code="bad_kind")
    finding = optional_text(body.get("finding"), "finding", MAX_FINDING, code="bad_finding")
    follow_up = body.get("follow_up", False)
    if not isinstance(follow_up, bool):
        raise InvalidInput("follow_up must be true or false", code="bad_follow_up")
    lon, lat = body.get("lon"), body.get("lat")
    if (lon is None) != (lat is None):
        raise InvalidInput("give both lon and lat, or neither", code="bad_coordinates")
    if lon is not None:
        crs = optional_text(body.get("crs"), "crs", MAX_CRS, code="bad_crs") or "wgs84"
        lon, lat = locate.check_coordinates(lon, lat, crs)
    at = body.get("at")
    if at is not None and not isinstance(at, str):
        raise InvalidInput("at must be an ISO 8601 date-time", code="bad_at")
    at = dates.parse_time(at, "at", code="bad_at")
    if at is not None and at > clock.now() + CLOCK_SKEW:
        raise InvalidInput("at must not be in the future", code="bad_at")
    key = optional_text(body.get("idempotency_key"), "idempotency_key", 100, code="bad_idempotency_key") or ""
    if not KEY_PATTERN.match(key):
        raise InvalidInput("idempotency_key must be 8-100 letters, digits or . _ : - (a UUID is ideal)",
                           code="bad_idempotency_key")
    return VisitInput(resident_id, kind, finding, follow_up, lon, lat, at, key)


def record_visit(session: Session, user: User, data: VisitInput) -> tuple[Visit, bool]:
    """Store a visit (True) or return the one this worker already sent with the key (False), in one commit."""
    scope.require_register_role(user)
    existing = _by_key(session, data.idempotency_key, user)
    if existing is not None:
        return existing, False
    resident = get_resident(session, user, data.resident_id)  # out of scope: 404
    point = None if data.lon is None else from_shape(Point(data.lon, data.lat), srid=4326)
    visit = Visit(resident_id=resident.id, worker_id=user.id, street_code=resident.street_code, kind=data.kind,
                  at=data.at or clock.now(), finding=data.finding, follow_up=data.follow_up, geom=point,
                  far_from_home=data.kind == "home" and point is not None and _far(session, resident, point),
                  idempotency_key=data.idempotency_key)
    try:
        with session.begin_nested():
            session.add(visit)
            session.flush()
    except IntegrityError:
        existing = _by_key(session, data.idempotency_key, user)  # the same key won a race
        if existing is None:
            raise
        return existing, False
    session.commit()
    return visit, True


def _far(session: Session, resident: Resident, point) -> bool:
    distance = func.ST_Distance(cast(Building.geom, Geography), cast(point, Geography))
    return bool(session.scalar(select(distance > FAR_FROM_HOME_M).join(Household, Household.building_id == Building.id)
                               .where(Household.id == resident.household_id)))


def _by_key(session: Session, key: str, user: User) -> Visit | None:
    visit = session.scalar(select(Visit).where(Visit.idempotency_key == key))
    if visit is not None and visit.worker_id != user.id:
        raise Conflict("this idempotency_key belongs to another worker's visit", code="key_in_use")
    return visit


def resident_visits(session: Session, user: User, resident_id: int, *, limit: int = 500, offset: int = 0) -> dict:
    """The visits of one resident the user reads, newest first."""
    resident = get_resident(session, user, resident_id)
    query = select(Visit).where(Visit.resident_id == resident.id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Visit.at.desc(), Visit.id.desc()).limit(limit).offset(offset))
    return {"resident_id": resident.id, "total": total, "visits": [visit_json(v) for v in rows]}


def visit_json(visit: Visit) -> dict:
    """A visit as the API shows it."""
    point = None if visit.geom is None else to_shape(visit.geom)
    return {"id": visit.id, "resident_id": visit.resident_id, "worker_id": visit.worker_id, "kind": visit.kind,
            "at": visit.at.isoformat(), "finding": visit.finding, "follow_up": visit.follow_up,
            "lon": point.x if point else None, "lat": point.y if point else None,
            "far_from_home": visit.far_from_home, "idempotency_key": visit.idempotency_key}
