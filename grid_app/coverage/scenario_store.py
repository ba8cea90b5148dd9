"""Saved scenarios: save (evaluate, then store), list, read, delete, compare two against today."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grid_app.coverage.scenario import evaluate
from grid_app.coverage.scenario_input import Changes, check_changes
from grid_app.models import Community, FacilityType, User
from grid_app.models.scenario import CoverageScenario
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound
from grid_app.platform.text import optional_text

SCENARIO_ROLES = ("admin", "planner", "street", "secretary", "api")  # grid workers and members do not plan
COMPARED = ("residents_covered", "share", "residents_gained", "residents_lost", "homes_gained", "homes_lost")


def require_role(user: User) -> None:
    """Refuse roles that do not plan facilities (grid workers, party members)."""
    if user.role not in SCENARIO_ROLES:
        raise Forbidden("scenarios are for secretaries, street officers and planners", code="forbidden_role")


def scenario_name(value) -> str:
    """A scenario's name: required text of at most 100 characters."""
    name = optional_text(value, "name", 100, code="bad_name")
    if not name:
        raise InvalidInput("name is required (at most 100 characters)", code="bad_name")
    return name


def save(session: Session, community: Community, author: User, body: dict, default_speed: float) -> dict:
    """Evaluate the change set and store it under a name; the evaluation with the new id (no commit)."""
    name = scenario_name(body.get("name") if isinstance(body, dict) else None)
    changes = check_changes(session, community, body, default_speed)
    result = evaluate(session, community, changes, default_speed)  # refuses a site off the network before writing
    row = CoverageScenario(name=name, author_id=author.id, community_id=community.id,
                           facility_type_id=changes.walk.type_id, changes=changes.as_json())
    session.add(row)
    session.flush()
    return {**describe(session, row), **result}


def describe(session: Session, row: CoverageScenario) -> dict:
    """A saved scenario's own fields (no figures)."""
    author = session.get(User, row.author_id) if row.author_id else None
    ftype = session.get(FacilityType, row.facility_type_id)
    community = session.get(Community, row.community_id)
    return {"id": row.id, "name": row.name, "author": author.username if author else None,
            "community": community.code, "type": ftype.code, "changes": row.changes,
            "created_at": row.created_at.isoformat() if row.created_at else None}


def listed(session: Session, community: Community, type_code: str | None = None) -> list[dict]:
    """The community's saved scenarios, newest first (optionally of one facility type)."""
    query = (select(CoverageScenario).where(CoverageScenario.community_id == community.id)
             .order_by(CoverageScenario.created_at.desc(), CoverageScenario.id.desc()))
    if type_code:
        query = query.join(FacilityType, FacilityType.id == CoverageScenario.facility_type_id).where(
            FacilityType.code == type_code)
    return [describe(session, r) for r in session.scalars(query)]


def get(session: Session, scenario_id: int, visible: set[int] | None) -> CoverageScenario:
    """A saved scenario in one of the `visible` communities (None: any), or NotFound."""
    row = session.get(CoverageScenario, scenario_id)
    if row is None or (visible is not None and row.community_id not in visible):
        raise NotFound(f"no scenario with id {scenario_id}", code="scenario_not_found")
    return row


def changes_of(session: Session, row: CoverageScenario, default_speed: float) -> Changes:
    """The stored change set, checked again against today's data (a facility may have gone since)."""
    try:
        return check_changes(session, session.get(Community, row.community_id), row.changes, default_speed)
    except InvalidInput as exc:
        raise Conflict(f"scenario {row.id} no longer fits today's data: {exc.message}",
                       code="scenario_outdated") from exc


def figures(session: Session, row: CoverageScenario, default_speed: float) -> dict:
    """A saved scenario with its figures recomputed on today's data."""
    community = session.get(Community, row.community_id)
    return {**describe(session, row), **evaluate(session, community, changes_of(session, row, default_speed),
                                                 default_speed)}


def delete(session: Session, row: CoverageScenario, user: User) -> None:
    """Delete a saved scenario: its author or an administrator only (no commit)."""
    if user.role != "admin" and row.author_id != user.id:
        raise Forbidden("only the scenario's author or an administrator may delete it", code="not_author")
    session.delete(row)
    session.flush()


def compare(session: Session, a: CoverageScenario, b: CoverageScenario, default_speed: float) -> dict:
    """Two saved scenarios of one community and type, per residential area and grid, next to today."""
    if (a.community_id, a.facility_type_id) != (b.community_id, b.facility_type_id):
        raise InvalidInput("only scenarios of the same community and facility type can be compared",
                           code="not_comparable")
    fa, fb = figures(session, a, default_speed), figures(session, b, default_speed)
    if fa["minutes"] != fb["minutes"]:
        raise InvalidInput("only scenarios with the same walking minutes can be compared", code="not_comparable")

    def side_by_side(kind: str) -> list[dict]:
        rows_b = {r["code"]: r for r in fb[kind]}
        return [{"code": r["code"], "name": r["name"], "residents_total": r["residents_total"],
                 "today": {"residents_covered": r["residents_covered_today"], "share": r["share_today"]},
                 "a": {"residents_covered": r["residents_covered"], "share": r["share"]},
                 "b": {"residents_covered": rows_b[r["code"]]["residents_covered"],
                       "share": rows_b[r["code"]]["share"]}} for r in fa[kind]]

    def head(f: dict) -> dict:
        return {k: f[k] for k in ("id", "name", "author", "created_at", "changes", "speed_m_s", *COMPARED)}

    return {"community": fa["community"], "type": fa["type"], "minutes": fa["minutes"],
            "residents_total": fa["residents_total"],
            "today": {"residents_covered": fa["residents_covered_today"], "share": fa["share_today"],
                      "speed_m_s": fa["today"]["speed_m_s"]},
            "a": head(fa), "b": head(fb),
            "by_residential_area": side_by_side("by_residential_area"), "by_grid": side_by_side("by_grid")}
