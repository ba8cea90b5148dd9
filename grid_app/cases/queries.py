"""Listing cases with filters and paging, and turning a case into its JSON form."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geoalchemy2.shape import to_shape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from grid_app.access.scope import case_area_clause, few_grids, readable_cases
from grid_app.cases import clock, dates, workflow
from grid_app.models import LEVELS, STATES, Building, Case, Category, Community, Grid, ResidentialArea
from grid_app.places.hierarchy import parse_bbox, parse_paging
from grid_app.platform.errors import InvalidInput

ORDERS = {"newest": (Case.created_at.desc(), Case.id.desc()),
          "deadline": (Case.deadline.asc().nulls_last(), Case.id)}


@dataclass(frozen=True)
class CaseFilter:
    """Checked filters of a case listing."""

    state: str | None = None
    category: str | None = None
    grid: str | None = None
    community: str | None = None
    level: str | None = None
    overdue: bool | None = None
    bbox: tuple | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    unlocated: bool | None = None
    reported_by_me: bool = False  # ?reported=me: the cases the caller logged, wherever they are
    # ?area=mine: only the cases of the area the caller works; ?area=other: only those outside it (reported ones)
    area: str | None = None
    order: str = "newest"
    limit: int = 50
    offset: int = 0


def parse_filter(args) -> CaseFilter:
    """Check query-string filters or raise InvalidInput."""
    state = args.get("state") or None
    if state and not all(s in STATES for s in state.split(",")):
        raise InvalidInput(f"state must be among {', '.join(STATES)}", code="bad_filter")
    level = args.get("level") or None
    if level and level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", code="bad_filter")
    order = args.get("order") or "newest"
    if order not in ORDERS:
        raise InvalidInput(f"order must be one of {', '.join(ORDERS)}", code="bad_filter")
    limit, offset = parse_paging(args.get("limit"), args.get("offset"), default_limit=50)
    reported = args.get("reported") or None
    if reported not in (None, "me"):
        raise InvalidInput("reported takes one value: me", code="bad_filter")
    area = args.get("area") or None
    if area not in (None, "mine", "other"):
        raise InvalidInput("area must be mine or other", code="bad_filter")
    return CaseFilter(
        state=state, category=args.get("category") or None, grid=args.get("grid") or None,
        community=args.get("community") or None, level=level,
        overdue=_bool(args.get("overdue"), "overdue"), bbox=parse_bbox(args.get("bbox")),
        since=_time(args.get("since"), "since"), until=_time(args.get("until"), "until"),
        text=(args.get("text") or "").strip() or None,
        unlocated=_bool(args.get("unlocated"), "unlocated"), reported_by_me=reported == "me", area=area,
        order=order, limit=limit, offset=offset)


def _bool(value, name):
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput(f"{name} must be true or false", code="bad_filter")


def _time(value, name):
    return dates.parse_time(value, name, code="bad_filter")


def matching(query, user, f: CaseFilter):
    """Limit a select over Case to the cases the user may read that the filters pick."""
    query = filtered(readable_cases(query, user), f)
    if f.area:
        query = query.where(case_area_clause(user) if f.area == "mine" else ~case_area_clause(user))
    return query.where(Case.reporter_id == user.id) if f.reported_by_me else query


def filtered(query, f: CaseFilter):
    """Apply the filters to a select over Case."""
    if f.state:
        query = query.where(Case.state.in_(f.state.split(",")))
    if f.category:
        query = query.where(Case.category_id.in_(select(Category.id).where(Category.code == f.category)))
    if f.grid:
        query = query.where(Case.grid_id.in_(select(Grid.id).where(Grid.code == f.grid)))
    if f.community:
        query = query.where(Case.community_id.in_(select(Community.id).where(Community.code == f.community)))
    if f.level:
        query = query.where(Case.level == f.level)
    if f.overdue is not None:
        overdue = Case.overdue_at(clock.now())
        query = query.where(overdue if f.overdue else overdue.is_not(True))
    if f.unlocated is not None:
        query = query.where(Case.grid_id.is_(None) if f.unlocated else Case.grid_id.is_not(None))
    if f.bbox:
        query = query.where(func.ST_Intersects(Case.geom, func.ST_MakeEnvelope(*f.bbox, 4326)))
    if f.since:
        query = query.where(Case.created_at >= f.since)
    if f.until:
        query = query.where(Case.created_at < f.until)
    if f.text:
        pattern = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Case.description.ilike(pattern), Case.address.ilike(pattern)))
    return query


# a listing shows each place's code and name: their polygons stay in the database
PLACES = (selectinload(Case.category), selectinload(Case.photos),
          *(selectinload(rel).load_only(model.code, model.name) for rel, model in (
              (Case.grid, Grid), (Case.community, Community), (Case.residential_area, ResidentialArea),
              (Case.building, Building))))


def fetch(session: Session, case_id: int) -> Case:
    """A case with its category, places and photos loaded (so serialising it asks nothing more)."""
    return session.scalar(select(Case).where(Case.id == case_id).options(
        joinedload(Case.category), joinedload(Case.grid), joinedload(Case.community),
        joinedload(Case.residential_area), joinedload(Case.building), selectinload(Case.photos))
        .execution_options(populate_existing=True))


COUNT_CAP = 10_000  # a total is counted up to here; past it a page says "10000+" instead of counting a city
FEW_MATCHES = 2_000  # up to this many, a page is sorted out of all the matches rather than found by walking


class AtLeast(int):
    """A total counted only up to COUNT_CAP: the number is a lower bound, shown with a "+"."""

    exact = False

    def __str__(self) -> str:
        return f"{int(self)}+"


def count_matching(session: Session, user, f: CaseFilter, cap: int | None = None) -> int:
    """How many cases the filters pick, counted up to `cap` (COUNT_CAP; past it an AtLeast(cap))."""
    cap = COUNT_CAP if cap is None else cap
    n = session.scalar(select(func.count()).select_from(matching(select(Case.id), user, f).limit(cap + 1).subquery()))
    return AtLeast(cap) if n > cap else n


def list_cases(session: Session, user, f: CaseFilter) -> tuple[list[Case], int]:
    """One page of the cases the user may see, and the total matching (capped: see count_matching)."""
    total = count_matching(session, user, f)
    # the page is the filtered select itself, ordered and cut: "id IN (filtered)" made PostgreSQL walk the
    # created_at index over every case of the city before finding a page of the user's
    query = matching(select(Case), user, f)
    if few_grids(user) or total <= FEW_MATCHES:
        # Few matches among a city's cases: found first (through the place indexes, as the count just did)
        # and sorted, rather than walking the city's newest cases until a page of them turns up. The
        # planner cannot see which grids lie behind a worker's scope (272k rows walked at 5M cases, 75 ms),
        # nor how rare a secretary's community-level cases are (208k rows, 53 ms for 1,093 matches).
        mine = matching(select(Case.id), user, f).cte("mine").prefix_with("MATERIALIZED")
        query = select(Case).where(Case.id.in_(select(mine.c.id)))
    cases = session.scalars(query.options(*PLACES).order_by(*ORDERS[f.order]).limit(f.limit).offset(f.offset)).all()
    return list(cases), total


def _place(obj) -> dict | None:
    return {"code": obj.code, "name": obj.name} if obj is not None else None


def case_json(case: Case, photo_url=None, actions: list[str] | None = None, places: dict | None = None) -> dict:
    """The JSON form of a case (never the reporter's contact details); `places` when already read by name."""
    point = to_shape(case.geom)
    if places is None:
        places = {"community": _place(case.community), "grid": _place(case.grid),
                  "residential_area": _place(case.residential_area), "building": _place(case.building)}
    body = {
        "id": case.id, "version": case.version,
        "category": {"code": case.category.code, "name": case.category.name},
        "severity": case.severity, "state": case.state,
        "state_name": workflow.STATE_NAMES[case.state][0], "level": case.level,
        "description": case.description, "address": case.address,
        "lon": round(point.x, 7), "lat": round(point.y, 7), "accuracy_m": case.accuracy_m,
        "channel": case.channel,
        "community": places["community"], "grid": places["grid"],
        "residential_area": places["residential_area"], "building": places["building"],
        "snapped_m": case.snapped_m, "located": case.grid_id is not None,
        "deadline": _iso(case.deadline), "resolve_by": _iso(case.resolve_by),
        "overdue": case.overdue_at(clock.now()),
        "created_at": _iso(case.created_at), "updated_at": _iso(case.updated_at),
        "closed_at": _iso(case.closed_at), "rating": case.rating,
        "merged_into": case.merged_into_id,
        "photos": [{"id": p.id, "kind": p.kind, "url": photo_url(p, False) if photo_url else None,
                    "thumb_url": photo_url(p, True) if photo_url else None,
                    "width": p.width, "height": p.height} for p in case.photos],
    }
    if actions is not None:
        body["actions"] = actions
    return body


def event_json(event) -> dict:
    """The JSON form of one event in a case's log."""
    return {"id": event.id, "action": event.action, "at": _iso(event.at),
            "actor": event.actor.username if event.actor else None,
            "from_state": event.from_state, "to_state": event.to_state,
            "from_level": event.from_level, "to_level": event.to_level, "note": event.shown_note,
            "note_by_system": event.note_by_system}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
