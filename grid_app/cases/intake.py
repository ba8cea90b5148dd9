"""Logging a case: validate, locate, store once per idempotency key, keep its photos."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Boolean, DateTime, Integer, String, Text, bindparam, column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.util import ClauseAdapter

from grid_app.access.scope import case_act_clause, case_read_clause, require_may_log
from grid_app.cases import category_cache, clock, photos, workflow
from grid_app.models import CHANNELS, OPEN_STATES, Case, Category, User
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
DUPLICATE_SHOWN = 10  # newest first
DUPLICATE_CANDIDATES = 50  # the nearest open cases looked at: bounds the work at a crowded spot


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
    category = category_cache.active_category(session, code)
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
_BY_KEY = select(Case).where(Case.idempotency_key == bindparam("key"))


# Columns of a new case taken from where its point lies; the others come from the request.
_PLACE_COLUMNS = ("street_code", "community_id", "grid_id", "residential_area_id", "building_id", "snapped_m")
_CASE_COLUMNS = [c.name for c in Case.__table__.c if c.name != "id"]


def _insert_value(name: str) -> str:
    """The SQL value of one column of a new case, in the insert from the located point."""
    if name == "geom":
        return "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    if name == "snapped_m":
        return "CASE WHEN loc.grid_id IS NULL THEN NULL ELSE loc.snapped_m END"
    return f"loc.{name}" if name in _PLACE_COLUMNS else f":{name}"


UNLOCATED_NOTE = "unlocated: held for triage"
PLACE_KINDS = ("community", "grid", "residential_area", "building")


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
    row = session.execute(_statement(_INSERT, read_for), _values(data, user, snap_m)).one_or_none()
    if row is None:
        # A replay of a stored key is rare: the insert finds it (ON CONFLICT), with no look-up before every case.
        existing = _by_key(session, data.idempotency_key, user)
        if existing is not None:
            return Logged(existing, False, None)
        fresh = _changed_category(session, data.category)
        if fresh is None:
            raise Conflict("this idempotency_key is being used by another request; try again", code="key_in_use")
        # The category changed since it was read: the case is logged with it as it is now.
        row = session.execute(_statement(_INSERT, read_for),
                              _values(replace(data, category=fresh), user, snap_m)).one_or_none()
        if row is None:
            raise Conflict("the category or this idempotency_key changed meanwhile; try again", code="key_in_use")
    case = row[0]
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
        resolve_by=now + timedelta(hours=sum(hours[s] for s in workflow.STEPS)),
        created_at=now, updated_at=now, closed_at=None, rating=None, reopen_count=0, merged_into_id=None,
        version=1, published=False, handler_id=None, hidden_at=None, redacted_at=None, visit_id=None,
        unlocated_note=UNLOCATED_NOTE, category_code=category.code, category_level=category.default_level,
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
    return _read_back_of(session.execute(_statement(_READ, user), {"case_id": case.id}).one())


def possible_duplicates(session: Session, case: Case, user: User) -> list[Duplicate]:
    """Open cases the user may read, of the same category, within 50 m, logged in the 7 days before this one."""
    return read_back(session, case, user).duplicates


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


def _read_back_of(row) -> ReadBack:
    places = {kind: ({"code": getattr(row, f"{kind}_code"), "name": getattr(row, f"{kind}_name")}
                     if getattr(row, f"{kind}_code") is not None else None) for kind in PLACE_KINDS}
    duplicates = [Duplicate(*d) for d in zip(row.dup_ids or (), row.dup_texts or (), row.dup_times or ())]
    return ReadBack(places, bool(row.may_act), duplicates)


# Statements by kind and by everything the scope clauses read from the reader (a change of role or
# place makes a new one): the scope is compiled in once per user, as users are few and cases many.
_INSERT, _READ = "insert", "read"
_STATEMENTS: dict[tuple, object] = {}
_STATEMENTS_MAX = 4096


def _statement(kind: str, reader: User | None):
    """The insert (with or without a read-back) or the read-back of a stored case, for this reader."""
    key = (kind,) if reader is None else (kind, reader.id, reader.role, reader.community_id, reader.street_id)
    found = _STATEMENTS.get(key)
    if found is None:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        found = _STATEMENTS[key] = _insert_statement(reader) if kind == _INSERT else _read_statement(reader)
    return found


_READ_BACK_COLUMNS = [column(f"{kind}_{part}", String) for kind in PLACE_KINDS for part in ("code", "name")] + [
    column("may_act", Boolean), column("dup_ids", ARRAY(Integer)), column("dup_texts", ARRAY(Text)),
    column("dup_times", ARRAY(DateTime(timezone=True)))]


def _insert_statement(reader: User | None):
    """Locate, insert the case and its `collect` event, answer the case row (and the reader's read-back).

    One round trip, no flush, no savepoint. A request with the same key that won the race makes the
    insert a no-op and the statement answers no row. The case comes back in the model's column order
    (the table's differs: later migrations added columns last).
    """
    columns = ", ".join("ST_AsEWKB(nc.geom) AS geom" if c.name == "geom" else f"nc.{c.name}"
                        for c in Case.__table__.c)
    if reader is not None:
        columns += ", " + ", ".join(f"loc.{kind}_{part}" for kind in PLACE_KINDS for part in ("code", "name"))
        columns += ", " + _scoped_read_back(reader)
    sql = text(f"""
WITH pts AS (SELECT 1 AS i, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
loc AS ({locate.LOCATED_SELECT}),
ins AS (
    INSERT INTO case_record ({", ".join(_CASE_COLUMNS)})
    SELECT {", ".join(_insert_value(name) for name in _CASE_COLUMNS)} FROM loc
    -- the category as it was read (intake may use a copy kept for a few seconds): still so, or nothing is stored
    WHERE EXISTS (SELECT 1 FROM category k WHERE k.id = :category_id AND k.code = :category_code AND k.active
                  AND k.default_level = :category_level AND k.deadline_hours = :category_hours)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *
), ev AS (
    INSERT INTO case_event (case_id, action, actor_id, at, to_state, to_level, note, street_code)
    SELECT id, 'collect', reporter_id, created_at, state, level,
           CASE WHEN grid_id IS NULL THEN :unlocated_note END, street_code
    FROM ins
)
SELECT {columns}
FROM ins nc CROSS JOIN loc {_duplicates_join(reader) if reader is not None else ""}
""").bindparams(bindparam("reporter_contact", type_=Case.__table__.c.reporter_contact.type),
                 bindparam("category_hours", type_=Category.__table__.c.deadline_hours.type))
    textual = sql.columns(*Case.__table__.c, *(_READ_BACK_COLUMNS if reader is not None else ()))
    extra = [textual.selected_columns[c.name] for c in _READ_BACK_COLUMNS] if reader is not None else []
    return select(Case, *extra).from_statement(textual)


def _read_statement(reader: User):
    """The read-back of a stored case."""
    names = ", ".join(f"{alias}.code AS {kind}_code, {alias}.name AS {kind}_name"
                      for kind, alias in zip(PLACE_KINDS, ("co", "g", "ra", "b")))
    return text(f"""
SELECT {names}, {_scoped_read_back(reader)}
FROM case_record nc
LEFT JOIN community co ON co.id = nc.community_id
LEFT JOIN grid g ON g.id = nc.grid_id
LEFT JOIN residential_area ra ON ra.id = nc.residential_area_id
LEFT JOIN building b ON b.id = nc.building_id
{_duplicates_join(reader)}
WHERE nc.id = :case_id""")


def _scoped_read_back(reader: User) -> str:
    """The read-back's own columns over the case `nc`: may the reader act on it, its duplicates."""
    act = _literal_sql(ClauseAdapter(Case.__table__.alias("nc")).traverse(case_act_clause(reader)))
    return f"({act}) AS may_act, d.ids AS dup_ids, d.texts AS dup_texts, d.times AS dup_times"


def _duplicates_join(reader: User) -> str:
    """Open cases the reader may read, of the case `nc`'s category, within 50 m, in the 7 days before it."""
    read = _literal_sql(case_read_clause(reader))
    open_states = ", ".join(f"'{state}'" for state in OPEN_STATES)
    # The box lets the open cases' GiST index find candidates nearest first; the geography test is the
    # exact 50 m. At most DUPLICATE_CANDIDATES nearest are looked at, so a spot where hundreds of the same
    # case pile up (a flood, a mass report) costs no more than any other. A case this statement inserts
    # is not visible to it: it is excluded anyway.
    return f"""LEFT JOIN LATERAL (
    SELECT array_agg(x.id) AS ids, array_agg(x.description) AS texts, array_agg(x.created_at) AS times
    FROM (SELECT near.id, near.description, near.created_at FROM (
              SELECT case_record.id, case_record.description, case_record.created_at, case_record.geom
              FROM case_record
              WHERE case_record.id <> nc.id AND case_record.category_id = nc.category_id
                AND case_record.state IN ({open_states})
                AND case_record.created_at >= nc.created_at - make_interval(days => {DUPLICATE_DAYS})
                AND case_record.created_at <= nc.created_at
                AND case_record.geom && ST_Expand(nc.geom, {DUPLICATE_RADIUS_M} / (111000.0 * cos(radians(
                    LEAST(abs(ST_Y(nc.geom)), 89.0)))))
                AND ({read})
              ORDER BY case_record.geom <-> nc.geom LIMIT {DUPLICATE_CANDIDATES}) near
          WHERE ST_DWithin(near.geom::geography, nc.geom::geography, {DUPLICATE_RADIUS_M})
          ORDER BY near.created_at DESC LIMIT {DUPLICATE_SHOWN}) x
) d ON true"""


def _literal_sql(clause) -> str:
    # The scope holds only ids and codes read from the user's row (integers, short codes): safe as literals.
    return str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
