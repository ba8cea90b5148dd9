"""Logging a case: validate, locate, store once per idempotency key, keep its photos."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from grid_app.access.scope import require_may_log
from grid_app.cases import category_cache, clock, intake_sql, photos, workflow
from grid_app.models import CHANNELS, Case, Category, User
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
    category = category_cache.active_category(session, code) or _category_of_stored(
        session, code, form.get("idempotency_key"))
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


def _category_of_stored(session: Session, code: str, key) -> Category | None:
    """The category of the case already stored under this key, when it has this code, else None.

    A phone resending a case it logged before the category was switched off finds its case (200), as any
    retry does, instead of being told the case failed."""
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        return None
    return session.scalar(select(Category).join(Case, Case.category_id == Category.id).where(
        Case.idempotency_key == key, Category.code == code))


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


# Built once: building statements anew (expressions and their cache keys) cost each case about 1.5 ms of
# CPU, measured in-process over 200 intakes (the insert and read-back are built once too: intake_sql).
_BY_KEY = select(Case).where(Case.idempotency_key == bindparam("key"))


@dataclass(frozen=True)
class Duplicate:
    """A possible duplicate: what callers show of it."""

    id: int
    description: str
    created_at: datetime


@dataclass(frozen=True)
class ReadBack:
    """What an answer shows beside a case's own columns, read with it."""

    places: dict  # community / grid / residential_area / building: {"code", "name"} or None
    may_act: bool  # the reader may move the case through the workflow
    duplicates: list[Duplicate]  # open cases of its kind nearby, newest first


@dataclass(frozen=True)
class Logged:
    """The outcome of logging a case: the case, whether this call made it, and the reader's read-back."""

    case: Case
    created: bool
    back: ReadBack | None  # for a new case when a reader was given


def create_case(session: Session, user: User | None, data: CaseInput, uploads: list[tuple[str, bytes]],
                *, upload_dir: str, snap_m: float,
                also_write: Callable[[Case], None] | None = None) -> tuple[Case, bool]:
    """Store a new case (True) or return the one already made with this key (False), in one commit."""
    logged = log_case(session, user, data, uploads, upload_dir=upload_dir, snap_m=snap_m, also_write=also_write)
    return logged.case, logged.created


def log_case(session: Session, user: User | None, data: CaseInput, uploads: list[tuple[str, bytes]],
             *, upload_dir: str, snap_m: float, also_write: Callable[[Case], None] | None = None,
             read_for: User | None = None) -> Logged:
    """Store a new case or find the one already made with this key; with `read_for`, read a new one back.

    The point is located, the case and its `collect` event stored and (for `read_for`) its places,
    whether that user may act on it and its possible duplicates read, all in one statement.
    `also_write(case)` runs in the same transaction just before the commit: it adds the caller's rows of
    the same operation (Open311's request record); it is not called for a case that already exists.
    """
    if user is not None:
        require_may_log(user)
    checked = photos.check_photos(uploads)  # before anything is stored
    stored = intake_sql.insert(session, read_for, _values(data, user, snap_m))
    if stored is None:
        # A replay of a stored key is rare: the insert finds it (ON CONFLICT), with no look-up before every case.
        existing = _by_key(session, data.idempotency_key, user)
        if existing is not None:
            return Logged(existing, False, None)
        fresh = _changed_category(session, data.category)
        if fresh is None:
            raise Conflict("this idempotency_key is being used by another request; try again", code="key_in_use")
        # The category changed since it was read: the case is logged with it as it is now.
        stored = intake_sql.insert(session, read_for, _values(replace(data, category=fresh), user, snap_m))
        if stored is None:
            raise Conflict("the category or this idempotency_key changed meanwhile; try again", code="key_in_use")
    case, row = stored
    set_committed_value(case, "photos", [])  # a new case: its photos are the ones committed below
    if also_write is not None:
        also_write(case)
    photos.commit_with_photos(session, upload_dir, case.id, checked, "before")
    return Logged(case, True, _read_back_of(row) if read_for is not None else None)


def _values(data: CaseInput, user: User | None, snap_m: float) -> dict:
    """The insert's parameters: the new case's columns and what its category was when read."""
    now = clock.now()
    category = data.category
    level = workflow.level_for(category.default_level, data.severity)
    hours = category.deadline_hours
    return dict(
        category_id=category.id, severity=data.severity, description=data.description,
        address=data.address, lon=data.lon, lat=data.lat, snap_m=float(snap_m),
        accuracy_m=data.accuracy_m, channel=data.channel, reporter_id=user.id if user else None,
        reporter_contact=data.contact, idempotency_key=data.idempotency_key, state="collected",
        level=level, max_level=level,
        deadline=now + timedelta(hours=hours["register"]),
        resolve_by=workflow.resolve_by(now, hours),
        created_at=now, updated_at=now, closed_at=None, rating=None, reopen_count=0, merged_into_id=None,
        version=1, published=False, handler_id=None, hidden_at=None, redacted_at=None, visit_id=None,
        unlocated_note=workflow.UNLOCATED_NOTE, category_code=category.code, category_level=category.default_level,
        category_hours=hours)


def _changed_category(session: Session, category: Category) -> Category | None:
    """The category as stored now when it differs from what intake used, None when unchanged; InvalidInput if gone."""
    used = (category.id, category.default_level, dict(category.deadline_hours))
    category_cache.forget(session, category.code)
    now = session.execute(_CATEGORY_NOW, {"code": category.code}).one_or_none()
    if now is None:
        raise InvalidInput(f"unknown category {category.code!r}; see /api/v1/categories", code="bad_category")
    if tuple(now) == used:
        return None
    session.expire(category)
    return session.get(Category, now.id)


_CATEGORY_NOW = select(Category.id, Category.default_level, Category.deadline_hours).where(
    Category.code == bindparam("code"), Category.active)


def read_back(session: Session, case: Case, user: User) -> ReadBack:
    """A stored case's places, whether the user may act on it and its possible duplicates, in one statement."""
    return _read_back_of(intake_sql.read(session, case.id, user))


def possible_duplicates(session: Session, case: Case, user: User) -> list[Duplicate]:
    """Open cases the user may read, of the same category, within 50 m, logged in the 7 days before this one."""
    return read_back(session, case, user).duplicates


def read_photos(session: Session, case: Case) -> None:
    """Load the photos a committed intake stored with its case."""
    session.refresh(case, ["photos"])


def _by_key(session: Session, key: str, user: User | None) -> Case | None:
    case = session.scalar(_BY_KEY, {"key": key})
    # A signed-in reporter replays only their own cases: a public (Open311) case has no reporter, and its
    # key must not hand it to whoever guesses the key.
    if case is not None and user is not None and case.reporter_id != user.id:
        raise Conflict("this idempotency_key belongs to another reporter's case", code="key_in_use")
    if case is not None and case.hidden_at is not None and (user is None or user.role != "admin"):
        raise Conflict("this idempotency_key was used by a case that is no longer shown", code="key_in_use")
    return case


def _read_back_of(row) -> ReadBack:
    places = {kind: ({"code": getattr(row, f"{kind}_code"), "name": getattr(row, f"{kind}_name")}
                     if getattr(row, f"{kind}_code") is not None else None) for kind in intake_sql.PLACE_KINDS}
    duplicates = [Duplicate(*d) for d in zip(row.dup_ids or (), row.dup_texts or (), row.dup_times or ())]
    return ReadBack(places, bool(row.may_act), duplicates)
