"""The secretary's figures per grid: residents, households, key residents, visits and 走访覆盖率 (counts only).

One query per figure family, each grouped by grid over the grids the user may read. A key resident
is "visited on time" when their last visit is at or after now − their shortest interval, i.e. their
next visit (the one rule in grid_app/people/visits.py) is not yet past. Names appear only in the list
of overdue residents by worker, masked, and only for the roles that read the register.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, and_, distinct, func, literal, select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.cases import clock
from grid_app.models import Building, Community, Grid, User, user_grid
from grid_app.models.care import CareLevel, CareTag, ResidentCare
from grid_app.models.people import Household, Resident
from grid_app.people import visits
from grid_app.people.masking import mask_name
from grid_app.people.queries import current_resident, grid_in_scope
from grid_app.platform.errors import Forbidden, InvalidInput

# Counts of people are for the staff who answer for them; planners, the api role and the public read none.
FIGURE_ROLES = ("admin", "street", "secretary", "worker")
MAX_LISTED = 50  # overdue residents listed per worker, most overdue first (the count is always whole)
# 走访覆盖率 bands, as the dashboard colours its rates: at least 90 % good, at least 70 % fair, else poor.
COVERAGE_BANDS = ((0.9, "good"), (0.7, "fair"), (0.0, "poor"))
COUNTS = ("residents", "households", "key_residents", "due", "overdue", "visited_on_time")


def require_figure_role(user: User) -> None:
    """Refuse the roles that read no figure of people (planner, api)."""
    if user.role not in FIGURE_ROLES:
        raise Forbidden(f"role {user.role!r} may not read figures of residents", code="forbidden")


def coverage_band(share: float | None) -> str | None:
    """good / fair / poor for a 走访覆盖率 (None without key residents)."""
    if share is None:
        return None
    return next(band for floor, band in COVERAGE_BANDS if share >= floor)


def chosen_grids(session: Session, user: User, *, community: str | None = None,
                 grid: str | None = None) -> tuple[Community | None, list[Grid]]:
    """The grids of ?community= or ?grid= that the user reads, in code order (out of scope: 404)."""
    require_figure_role(user)
    if bool(community) == bool(grid):
        raise InvalidInput("give community or grid (a code), exactly one of them", code="bad_filter")
    if grid:
        found = grid_in_scope(session, user, grid)
        return found.community, [found]
    place = scope.community_in_scope(session, user, community)
    query = select(Grid).where(Grid.community_id == place.id).order_by(Grid.code)
    visible = scope.grid_ids(user)  # a worker sees only their own grids of the community
    if visible is not None:
        query = query.where(Grid.id.in_(visible))
    return place, list(session.scalars(query))


def figures(session: Session, user: User, *, community: str | None = None, grid: str | None = None,
            now: datetime | None = None) -> dict:
    """Per grid and in total: the register's counts, key residents by level (and tag), visits and coverage."""
    place, grids = chosen_grids(session, user, community=community, grid=grid)
    now = now or clock.now()
    at = literal(now, DateTime(timezone=True))
    ids = [g.id for g in grids]
    key = _key_residents(ids, at)
    levels = list(session.scalars(select(CareLevel).order_by(CareLevel.visit_days, CareLevel.id)))
    rows = {g.id: _empty(g, levels) for g in grids}
    for grid_id, residents, households in session.execute(_register_counts(ids)):
        rows[grid_id].update(residents=residents, households=households)
    level_codes = {level.id: level.code for level in levels}
    for grid_id, level_id, n, due, overdue, on_time in session.execute(_visit_counts(key, at)):
        row = rows[grid_id]
        row["levels"][level_codes[level_id]] = n
        for name, value in (("key_residents", n), ("due", due), ("overdue", overdue), ("visited_on_time", on_time)):
            row[name] += value
    body = {"now": now.isoformat(), "community": _place(place), "grid": grid,
            "levels": [{"code": lv.code, "name": lv.name, "name_en": lv.name_en, "visit_days": lv.visit_days}
                       for lv in levels]}
    if scope.may_see_care_tags(user):  # a sensitive category (PIPL Art. 28), even as counts
        tags = list(session.scalars(select(CareTag).order_by(CareTag.id)))
        body["tags"] = [{"code": t.code, "name": t.name, "name_en": t.name_en} for t in tags]
        tag_codes = {t.id: t.code for t in tags}
        for row in rows.values():
            row["tags"] = {t.code: 0 for t in tags}
        for grid_id, tag_id, n in session.execute(_tag_counts(ids)):
            rows[grid_id]["tags"][tag_codes[tag_id]] = n
    body["grids"] = [_with_coverage(row) for row in rows.values()]
    body["total"] = _total(body["grids"], levels, body.get("tags"))
    body["overdue_by_worker"] = _overdue_by_worker(session, user, key, rows, now)
    return body


def _in_grids(query, grid_ids: list[int]):
    """Limit a select over Resident to the current residents of the grids' buildings."""
    return (query.join(Household, Resident.household_id == Household.id)
            .join(Building, Household.building_id == Building.id)
            .where(Building.grid_id.in_(grid_ids), current_resident()))


def _key_residents(grid_ids: list[int], at):
    """Current key residents of the grids with their interval, last visit and next visit due."""
    plans, last = visits.interval_plans(), visits.last_visits()
    return _in_grids(select(Resident.id.label("resident_id"), Building.grid_id, plans.c.days, last.c.last,
                            visits.next_due(last.c.last, plans.c.days, at).label("due"))
                     .join(plans, plans.c.resident_id == Resident.id)
                     .outerjoin(last, last.c.resident_id == Resident.id), grid_ids).cte("key")


def _register_counts(grid_ids: list[int]):
    """Current residents and the households they live in, per grid."""
    return _in_grids(select(Building.grid_id, func.count(Resident.id), func.count(distinct(Household.id)))
                     .select_from(Resident), grid_ids).group_by(Building.grid_id)


def _visit_counts(key, at):
    """Per grid and care level: key residents, due now (overdue included), overdue, visited on time.

    Each key resident counts once, under the level that sets their interval (the shortest; on a tie
    the first level), so the levels add up to the key residents."""
    urgent = (select(ResidentCare.resident_id, func.min(CareLevel.id).label("level_id"))
              .join(CareLevel, ResidentCare.level_id == CareLevel.id)
              .join(key, and_(key.c.resident_id == ResidentCare.resident_id, key.c.days == CareLevel.visit_days))
              .group_by(ResidentCare.resident_id).subquery())
    on_time = and_(key.c.last.is_not(None), key.c.due >= at)  # last visit ≥ now − interval
    return (select(key.c.grid_id, urgent.c.level_id, func.count(),
                   func.count().filter(key.c.due <= at), func.count().filter(key.c.due < at),
                   func.count().filter(on_time))
            .join(urgent, urgent.c.resident_id == key.c.resident_id).group_by(key.c.grid_id, urgent.c.level_id))


def _tag_counts(grid_ids: list[int]):
    """Per grid and care tag: current residents carrying it (a resident with two tags counts under both)."""
    return _in_grids(select(Building.grid_id, ResidentCare.tag_id, func.count())
                     .select_from(ResidentCare).join(Resident, Resident.id == ResidentCare.resident_id), grid_ids
                     ).group_by(Building.grid_id, ResidentCare.tag_id)


def _overdue_by_worker(session: Session, user: User, key, rows: dict[int, dict], now: datetime) -> list[dict]:
    """Each worker of the grids with the overdue key residents of their grids (grids without one: worker None).

    A grid with two workers counts its overdue residents for each: both answer for them."""
    assigned = (select(user_grid.c.user_id, user_grid.c.grid_id).join(User, User.id == user_grid.c.user_id)
                .where(user_grid.c.grid_id.in_(list(rows)), User.role == "worker", User.active.is_(True))
                .subquery())
    workers: dict[int | None, dict] = {}
    staffed = set()
    for worker_id, name, grid_id in session.execute(
            select(User.id, User.display_name, assigned.c.grid_id).join(assigned, assigned.c.user_id == User.id)
            .order_by(User.display_name, User.id)):
        entry = workers.setdefault(worker_id, {"worker": {"id": worker_id, "name": name}, "grids": [], "overdue": 0})
        entry["grids"].append(rows[grid_id]["code"])
        entry["overdue"] += rows[grid_id]["overdue"]
        staffed.add(grid_id)
    unstaffed = [row for grid_id, row in rows.items() if grid_id not in staffed and row["overdue"]]
    if unstaffed:
        workers[None] = {"worker": None, "grids": [r["code"] for r in unstaffed],
                         "overdue": sum(r["overdue"] for r in unstaffed)}
    for entry in workers.values():
        entry["grids"].sort()
    if user.role in scope.REGISTER_ROLES:  # the names behind the counts, masked, for those who read the register
        for entry in workers.values():
            entry["residents"] = []
        if any(row["overdue"] for row in rows.values()):
            overdue = select(key).where(key.c.due < literal(now, DateTime(timezone=True))).subquery()
            for worker_id, *resident in session.execute(_overdue_list(user, overdue, assigned)):
                workers[worker_id]["residents"].append(_overdue_json(*resident, now))
    return sorted(workers.values(), key=lambda e: (-e["overdue"], e["worker"] is None,
                                                   e["worker"]["name"] if e["worker"] else ""))


def _overdue_list(user: User, overdue, assigned):
    """Up to MAX_LISTED overdue key residents per worker, most overdue first."""
    rank = func.row_number().over(partition_by=assigned.c.user_id, order_by=(overdue.c.due, overdue.c.resident_id))
    ranked = (select(assigned.c.user_id, overdue.c.resident_id, overdue.c.grid_id, overdue.c.due, overdue.c.last,
                     rank.label("rank")).select_from(overdue)
              .outerjoin(assigned, assigned.c.grid_id == overdue.c.grid_id).subquery())
    return (select(ranked.c.user_id, Resident.id, Resident.name, Building.code, Household.unit, Household.room,
                   Grid.code, ranked.c.last, ranked.c.due)
            .join(Resident, Resident.id == ranked.c.resident_id)
            .join(Household, Resident.household_id == Household.id)
            .join(Building, Household.building_id == Building.id).join(Grid, Grid.id == ranked.c.grid_id)
            .where(ranked.c.rank <= MAX_LISTED, scope.resident_clause(user))
            .order_by(ranked.c.user_id, ranked.c.rank))


def _overdue_json(resident_id, name, building, unit, room, grid, last, due, now: datetime) -> dict:
    return {"id": resident_id, "name": mask_name(name), "building": building, "unit": unit, "room": room,
            "grid": grid, "last_visit": last.isoformat() if last else None, "next_due": due.isoformat(),
            "days_overdue": (now - due).days}


def _empty(grid: Grid, levels: list[CareLevel]) -> dict:
    return {"code": grid.code, "name": grid.name, **{name: 0 for name in COUNTS},
            "levels": {level.code: 0 for level in levels}}


def _with_coverage(row: dict) -> dict:
    """走访覆盖率 = key residents visited on time ÷ key residents (None without key residents)."""
    row["coverage"] = row["visited_on_time"] / row["key_residents"] if row["key_residents"] else None
    row["band"] = coverage_band(row["coverage"])
    return row


def _total(rows: list[dict], levels: list[CareLevel], tags: list[dict] | None) -> dict:
    total = {name: sum(r[name] for r in rows) for name in COUNTS}
    total["levels"] = {lv.code: sum(r["levels"][lv.code] for r in rows) for lv in levels}
    if tags is not None:
        total["tags"] = {t["code"]: sum(r["tags"][t["code"]] for r in rows) for t in tags}
    return _with_coverage(total)


def _place(place: Community | None) -> dict | None:
    return None if place is None else {"code": place.code, "name": place.name}
