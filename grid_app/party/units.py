"""Registered units (单位报到): an employer's party organisation paired with a community, and its projects."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.models import Community, User
from grid_app.models.party import PartyUnit
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.text import optional_text


def party_community(session: Session, user: User, code: str) -> Community:
    """The community if the user reads its party organisation; NotFound otherwise (out of scope looks absent)."""
    found = session.scalar(select(Community).where(
        Community.code == code, scope.party_community_clause(user, Community.id)))
    if found is None:
        raise NotFound(f"no community with code {code!r}", code="community_not_found")
    return found


def list_units(session: Session, user: User, *, community: str | None = None) -> list[dict]:
    """The registered units of the communities whose party side the user reads, by code."""
    query = select(PartyUnit).where(scope.party_community_clause(user, PartyUnit.community_id))
    if community:
        query = query.where(PartyUnit.community_id == party_community(session, user, community).id)
    return [unit_json(u) for u in session.scalars(query.order_by(PartyUnit.code))]


def units_of_community(session: Session, community_id: int) -> list[PartyUnit]:
    """The units paired with one community (the registration form's pick list: names are public)."""
    return list(session.scalars(select(PartyUnit).where(PartyUnit.community_id == community_id)
                                .order_by(PartyUnit.name)))


def unit_json(unit: PartyUnit) -> dict:
    """A unit as the API shows it."""
    return {"code": unit.code, "name": unit.name, "party_org_name": unit.party_org_name,
            "community": unit.community.code, "projects": unit.projects,
            "registered_on": unit.registered_on.isoformat()}


def save_unit(session: Session, *, code, name, community: Community, party_org_name=None, projects=None,
              registered_on: date | None = None) -> PartyUnit:
    """Create or update (by code) a registered unit (flush only)."""
    code = optional_text(code, "code", 32, code="bad_unit")
    name = optional_text(name, "name", 200, code="bad_unit")
    if not code or not name:
        raise InvalidInput("a unit needs a code and a name", code="bad_unit")
    unit = session.scalar(select(PartyUnit).where(PartyUnit.code == code)) or PartyUnit(code=code)
    unit.name, unit.community = name, community
    unit.community_id, unit.street_code = community.id, community.street_code
    unit.party_org_name = optional_text(party_org_name, "party_org_name", 200, code="bad_unit")
    unit.projects = optional_text(projects, "projects", 2000, code="bad_unit")
    if registered_on is not None:
        unit.registered_on = registered_on
    session.add(unit)
    session.flush()
    return unit
