"""Reading cases as Open311 service requests: the query parameters, the search and the public fields.

Only public fields are ever produced here; a reporter's contact details never leave case_record.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from grid_app.access.scope import public_case_clause
from grid_app.cases import clock, dates, workflow
from grid_app.models import OPEN_STATES, Case, Category, Open311Request, Street
from grid_app.open311 import services
from grid_app.platform.errors import InvalidInput, NotFound

FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
          "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
          "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")
DEFAULT_DAYS = MAX_SPAN_DAYS = 90
MAX_PAGE_SIZE = 1000
MAX_IDS = 1000


@dataclass(frozen=True)
class RequestQuery:
    """Checked GET requests parameters; ids, when given, override every other filter (as the spec says)."""

    ids: tuple[int, ...] | None = None
    codes: tuple[str, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def parse_query(args) -> RequestQuery:
    """Check the query string of GET requests or raise InvalidInput."""
    page = _whole(args.get("page"), "page", 1, 1, 1_000_000)
    size = _whole(args.get("page_size"), "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    if args.get("service_request_id"):
        ids = tuple(parse_id(p) for p in str(args["service_request_id"]).split(",") if p.strip())
        if len(ids) > MAX_IDS:
            raise InvalidInput(f"at most {MAX_IDS} service_request_id values", code="bad_query")
        return RequestQuery(ids=ids, page=page, page_size=size)
    codes = tuple(c.strip() for c in str(args.get("service_code") or "").split(",") if c.strip()) or None
    statuses = tuple(s.strip() for s in str(args.get("status") or "").split(",") if s.strip()) or None
    if statuses and not set(statuses) <= {"open", "closed"}:
        raise InvalidInput("status must be open or closed (or both, comma separated)", code="bad_query")
    start, end = _when(args.get("start_date"), "start_date"), _when(args.get("end_date"), "end_date")
    span = timedelta(days=MAX_SPAN_DAYS)
    if end is None:
        end = min(clock.now(), start + span) if start else clock.now()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise InvalidInput("start_date must be before end_date", code="bad_query")
    if end - start > span:
        raise InvalidInput(f"start_date to end_date may not span more than {MAX_SPAN_DAYS} days", code="bad_query")
    return RequestQuery(codes=codes, start=start, end=end, statuses=statuses, page=page, page_size=size)


def parse_id(raw: str) -> int:
    """A service_request_id as a case id, or InvalidInput."""
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:  # isdigit alone takes '²', which int() refuses
        raise InvalidInput(f"service_request_id {text!r} is not a request id", code="bad_query")
    return int(text)


def _whole(raw, name: str, default: int, lo: int, hi: int) -> int:
    if raw in (None, ""):
        return default
    if not (str(raw).isascii() and str(raw).isdigit()) or not (lo <= int(raw) <= hi):
        raise InvalidInput(f"{name} must be a whole number from {lo} to {hi}", code="bad_query")
    return int(raw)


def _when(raw, name: str) -> datetime | None:
    return dates.parse_time(raw, name, code="bad_query")


def find(session: Session, q: RequestQuery) -> tuple[list[Case], int]:
    """One page of matching cases, newest first, and the number matching."""
    query = select(Case.id).where(public_case_clause())
    if q.ids is not None:
        query = query.where(Case.id.in_(q.ids))
    else:
        query = query.where(Case.created_at >= q.start, Case.created_at < q.end)
        if q.codes:
            query = query.where(Case.category_id.in_(select(Category.id).where(Category.code.in_(q.codes))))
        if q.statuses and len(set(q.statuses)) == 1:
            is_open = Case.state.in_(OPEN_STATES)
            query = query.where(is_open if q.statuses[0] == "open" else ~is_open)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    cases = session.scalars(
        select(Case).where(Case.id.in_(query.scalar_subquery()))
        .options(selectinload(Case.category), selectinload(Case.grid), selectinload(Case.community),
                 selectinload(Case.residential_area), selectinload(Case.building))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(q.page_size).offset((q.page - 1) * q.page_size)).all()
    return list(cases), total


def one(session: Session, raw_id: str) -> Case:
    """The case behind a service_request_id, or NotFound."""
    try:
        case_id = parse_id(raw_id)
    except InvalidInput as exc:
        raise NotFound(f"no service request {raw_id!r}", code="request_not_found") from exc
    case = session.scalar(select(Case).where(Case.id == case_id, public_case_clause()))
    if case is None:  # internal cases look absent
        raise NotFound(f"no service request {raw_id!r}", code="request_not_found")
    return case


def as_open311(session: Session, cases: list[Case], lang: str) -> list[dict]:
    """The cases as Open311 service requests, with exactly the spec's fields."""
    ids = [c.id for c in cases]
    media = dict(session.execute(select(Open311Request.case_id, Open311Request.media_url)
                                 .where(Open311Request.case_id.in_(ids))).all()) if ids else {}
    codes = {c.street_code for c in cases if c.street_code}
    streets = dict(session.execute(select(Street.code, Street.name).where(Street.code.in_(codes))).all()) \
        if codes else {}
    targets = {c.merged_into_id for c in cases if c.merged_into_id}
    public_ids = set(session.scalars(select(Case.id).where(Case.id.in_(targets), public_case_clause()))) \
        if targets else set()
    return [_request(c, lang, media.get(c.id), streets, public_ids) for c in cases]


def _request(case: Case, lang: str, media_url: str | None, streets: dict, public_ids: set[int]) -> dict:
    point = to_shape(case.geom)
    pick = 0 if lang == "zh" else 1
    notes = workflow.STATE_NAMES[case.state][pick]
    if case.state == "merged" and case.merged_into_id and case.merged_into_id in public_ids:
        notes += f" → {case.merged_into_id}"  # only when the target is public too
    body = {
        "service_request_id": str(case.id),
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": notes,
        "service_name": services.service_name(case.category, lang),
        "service_code": case.category.code,
        "description": case.description,
        "agency_responsible": _agency(case, streets),
        "service_notice": services.notice(case.category, case.level, lang, located=case.grid_id is not None),
        "requested_datetime": _w3c(case.created_at),
        "updated_datetime": _w3c(case.updated_at),
        "expected_datetime": _w3c(case.resolve_by),
        "address": case.address or _place_name(case),
        "address_id": (case.building.code if case.building else
                       case.residential_area.code if case.residential_area else None),
        "zipcode": None,
        "lat": round(point.y, 7),
        "long": round(point.x, 7),
        "media_url": media_url,
    }
    return {k: body[k] for k in FIELDS}


def _agency(case: Case, streets: dict) -> str | None:
    # The unit that holds the case now, by its level: the grid, its community, or the street.
    if case.level == "grid" and case.grid:
        return case.grid.name
    if case.level in ("grid", "community") and case.community:
        return case.community.name
    return streets.get(case.street_code)


def _place_name(case: Case) -> str | None:
    parts = [p.name for p in (case.community, case.residential_area, case.building) if p is not None]
    return " ".join(parts) or None


def _w3c(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() if value else None
