"""Logging a case: validate, locate, store once per idempotency key, keep its photos."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, joinedload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from grid_app.access.scope import case_read_clause, require_may_log
from grid_app.cases import clock, photos, workflow
from grid_app.models import (CHANNELS, OPEN_STATES, Building, Case, CaseEvent, Category, Community, Grid,
                              ResidentialArea, User)
from grid_app.places import locate
from grid_app.platform.errors import Conflict, InvalidInput
from grid_app.platform.text import number, optional_text

KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
MAX_DESCRIPTION = 2000
MAX_ADDRESS = 300
MAX_CODE = 20  # category codes and CRS names are short
MAX_ACCURACY_M = 100_000
SEVERITIES = (1, 3)  # lowest and highest; 3 starts a case at community level (workflow.level_for)
# The reporter's contact details (the API's name/phone/email, and what Open311 clients send), with length limits.
CONTACT_FIELDS = {"name": 100, "phone": 30, "email": 254, "first_name": 100, "last_name": 100,
                  "device_id": 100, "account_id": 100}
DUPLICATE_RADIUS_M = 50
DUPLICATE_DAYS = 7


@dataclass(frozen=True)
class CaseInput:
    """A checked intake request (coordinates already in WGS84)."""

    category: Category
    lon: float
    lat: float
    accuracy_m: float | None
    address: str | None
    description: str
    severity: int
    idempotency_key: str
    channel: str
    contact: dict | None


def parse_case_input(session: Session, form, channel: str = "worker") -> CaseInput:
    """Check the fields of an intake request (JSON dict or form) or raise InvalidInput."""
    code = optional_text(form.get("category"), "category", MAX_CODE, code="bad_category")
    if not code:
        raise InvalidInput("category is required", code="bad_category")
    category = session.scalar(_CATEGORY, {"code": code})
    if category is None:
        raise InvalidInput(f"unknown category {code!r}; see /api/v1/categories", code="bad_category")
    if form.get("lon") in (None, "") or form.get("lat") in (None, ""):
        raise InvalidInput("lon and lat are required", code="bad_coordinates")
    crs = optional_text(form.get("crs"), "crs", MAX_CODE, code="bad_crs") or "wgs84"
    lon, lat = locate.check_coordinates(form.get("lon"), form.get("lat"), crs)
    accuracy = _optional_float(form.get("accuracy_m"), "accuracy_m", 0, MAX_ACCURACY_M)
    severity = _optional_int(form.get("severity"), "severity", *SEVERITIES) or SEVERITIES[0]
    description = optional_text(form.get("description"), "description", MAX_DESCRIPTION, code="bad_description")
    if not description:
        raise InvalidInput("description is required", code="bad_description")
    key = optional_text(form.get("idempotency_key"), "idempotency_key", 100, code="bad_idempotency_key") or ""
    if not KEY_PATTERN.match(key):
        raise InvalidInput("idempotency_key must be 8-100 letters, digits or . _ : - (a UUID is ideal)",
                           code="bad_idempotency_key")
    address = optional_text(form.get("address"), "address", MAX_ADDRESS, code="bad_address")
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", code="bad_channel")
    contact = parse_contact(form.get("contact"))
    return CaseInput(category, lon, lat, accuracy, address, description, severity, key, channel, contact)


def parse_contact(value) -> dict | None:
    """The reporter's contact details: an object of short texts (CONTACT_FIELDS), else InvalidInput."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        raise InvalidInput("contact must be an object such as {\"name\": ..., \"phone\": ..., \"email\": ...}",
                           code="bad_contact")
    unknown = [str(key)[:40] for key in value if key not in CONTACT_FIELDS]
    if unknown:
        raise InvalidInput(f"contact has unknown fields ({', '.join(unknown[:3])}); "
                           f"it may hold {', '.join(CONTACT_FIELDS)}", code="bad_contact")
    contact = {}
    for key, limit in CONTACT_FIELDS.items():
        text = optional_text(value.get(key), f"contact.{key}", limit, code="bad_contact")
        if text:
            contact[key] = text
    return contact or None


def _optional_float(value, name: str, lo: float, hi: float) -> float | None:
    if value in (None, ""):
        return None
    found = number(value, name, f"bad_{name}")
    if not (lo <= found <= hi):
        raise InvalidInput(f"{name} must be between {lo} and {hi}", code=f"bad_{name}")
    return locate.flush_tiny(found)


def _optional_int(value, name: str, lo: int, hi: int) -> int | None:
    number = _optional_float(value, name, lo, hi)
    if number is not None and number != int(number):
        raise InvalidInput(f"{name} must be a whole number", code=f"bad_{name}")
    return None if number is None else int(number)


# The statements every case logged runs are built once: building them anew (expressions and their
# cache keys) cost each case about 1.5 ms of CPU, measured in-process over 200 intakes.
_CATEGORY = select(Category).where(Category.code == bindparam("code"), Category.active)
_BY_KEY = select(Case).where(Case.idempotency_key == bindparam("key"))
_INSERT = insert(Case).on_conflict_do_nothing(index_elements=[Case.idempotency_key]).returning(Case)
_READ_NEW = select(Case).where(Case.id == bindparam("case_id")).options(
    *(joinedload(rel).load_only(model.code, model.name) for rel, model in (
        (Case.grid, Grid), (Case.community, Community), (Case.residential_area, ResidentialArea),
        (Case.building, Building))))


def create_case(session: Session, user: User | None, data: CaseInput, uploads: list[tuple[str, bytes]],
                *, upload_dir: str, snap_m: float,
                also_write: Callable[[Case], None] | None = None) -> tuple[Case, bool]:
    """Store a new case (True) or return the one already made with this key (False), in one commit.

    `also_write(case)` runs in the same transaction just before that commit: it adds the caller's rows of
    the same operation (Open311's request record) or reads what the answer needs (the API's); it is not
    called for a case that already exists.
    """
    if user is not None:
        require_may_log(user)
    existing = _by_key(session, data.idempotency_key, user)
    if existing is not None:
        return existing, False
    checked = photos.check_photos(uploads)  # before anything is stored
    place = locate.locate_one(session, data.lon, data.lat, snap_m)
    now = clock.now()
    level = workflow.level_for(data.category.default_level, data.severity)
    hours = data.category.deadline_hours
    community = place.community
    values = dict(
        category_id=data.category.id, severity=data.severity, description=data.description,
        address=data.address, geom=from_shape(Point(data.lon, data.lat), srid=4326),
        accuracy_m=data.accuracy_m, channel=data.channel, reporter_id=user.id if user else None,
        reporter_contact=data.contact, idempotency_key=data.idempotency_key, state="collected",
        level=level, max_level=level, snapped_m=place.snapped_m,
        grid_id=place.grid.id if place.grid else None,
        community_id=community.id if community else None,
        residential_area_id=place.residential_area.id if place.residential_area else None,
        building_id=place.building.id if place.building else None,
        # hierarchical codes: street 9 digits + community 3
        street_code=community.code[:9] if community else None,
        deadline=now + timedelta(hours=hours["register"]),
        resolve_by=now + timedelta(hours=sum(hours[s] for s in workflow.STEPS)),
        created_at=now, updated_at=now,
    )
    # One round trip, and no savepoint: a request with the same key that won the race makes this insert
    # a no-op (its row is then answered), where a flush would raise and need a savepoint to recover.
    case = session.scalars(_INSERT, [values]).one_or_none()
    if case is None:
        existing = _by_key(session, data.idempotency_key, user)
        if existing is None:
            raise Conflict("this idempotency_key is being used by another request; try again", code="key_in_use")
        return existing, False
    session.add(CaseEvent(case_id=case.id, action="collect", actor_id=case.reporter_id, at=now,
                          from_state=None, to_state="collected", from_level=None, to_level=level,
                          note=None if place.located else "unlocated: held for triage"))
    if also_write is not None:
        also_write(case)
    photos.commit_with_photos(session, upload_dir, case.id, checked, "before")
    return case, True


def read_new(session: Session, case: Case) -> Case:
    """A case this transaction inserted, with its places' codes and names loaded, read before the commit.

    Its photos are added by the commit (photos.commit_with_photos), so the collection starts empty here;
    `read_photos` loads it afterwards when there were any.
    """
    found = session.scalar(_READ_NEW, {"case_id": case.id})
    set_committed_value(found, "photos", [])
    return found


def read_photos(session: Session, case: Case) -> None:
    """Load the photos a committed intake stored with its case."""
    session.refresh(case, ["photos"])


def _by_key(session: Session, key: str, user: User | None) -> Case | None:
    case = session.scalar(_BY_KEY, {"key": key})
    if case is not None and user is not None and case.reporter_id not in (None, user.id):
        raise Conflict("this idempotency_key belongs to another reporter's case", code="key_in_use")
    if case is not None and case.hidden_at is not None and (user is None or user.role != "admin"):
        raise Conflict("this idempotency_key was used by a case that is no longer shown", code="key_in_use")
    return case


def possible_duplicates(session: Session, case: Case, user: User) -> list[Case]:
    """Open cases the user may read, of the same category, within 50 m, logged in the 7 days before this one."""
    return list(session.scalars(_DUPLICATES.where(case_read_clause(user)), {
        "case_id": case.id, "category_id": case.category_id, "until": case.created_at,
        "since": case.created_at - timedelta(days=DUPLICATE_DAYS)}))


def _duplicates_query():
    here = select(Case.geom).where(Case.id == bindparam("case_id")).scalar_subquery()
    # Callers show a duplicate's id, text and date: the other columns (the point, contact) stay unloaded.
    return (select(Case).options(load_only(Case.id, Case.description, Case.created_at)).where(
        Case.id != bindparam("case_id"), Case.category_id == bindparam("category_id"),
        Case.state.in_(OPEN_STATES), Case.created_at >= bindparam("since"), Case.created_at <= bindparam("until"),
        # the box lets the GiST index find candidates; the geography test is the exact 50 m
        Case.geom.intersects(func.ST_Expand(here, DUPLICATE_RADIUS_M / (
            111_000.0 * func.cos(func.radians(func.least(func.abs(func.ST_Y(here)), 89.0)))))),
        func.ST_DWithin(func.Geography(Case.geom), func.Geography(here), DUPLICATE_RADIUS_M))
        .order_by(Case.created_at.desc()).limit(10))


# Built once (only the reader's scope is added per call): every case logged runs it.
_DUPLICATES = _duplicates_query()
