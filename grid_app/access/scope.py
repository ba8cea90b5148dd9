"""The one scope: which streets, communities, grids and cases a user may read and act in, as SQL.

Every listing, detail, map, tile, coverage figure, duplicate search, export, indicator and count
asks this module; out of scope looks absent (filtered out of lists, 404 for a named object).

- Places (boundaries, buildings, coverage, maps) are read per community: a street officer reads the
  communities of the street, a secretary the community, a grid worker the communities of their grids
  (a worker walks the whole community and stands in for colleagues), admin / planner / api all.
- Cases are worked per grid: a worker acts on the cases of their grids, a secretary on the
  community's, a street officer on the street's and on the unlocated ones (triage); only admin acts
  anywhere. Reporting is not owning: a reporter reads the cases they logged, but acts on them only
  when the case's place is in their area.
- A case hidden by an administrator is absent for everyone else.
- Party members (双报到) are read per community (scope.party_*): a member account reads its own record
  and its home community's party things only, never the register.
- The household register is read per grid: a worker reads the residents of their grids' buildings, a
  secretary the community's, an admin all; a street officer, a planner and the api role read none
  (counts only, from building.residents). Revealing a full ID number or phone: REVEAL_ROLES. Care
  tags and visits follow the resident: whoever reads a resident reads and records their visits, and
  care tags only show to CARE_TAG_ROLES.
"""
from __future__ import annotations

from sqlalchemy import and_, any_, false, func, or_, select, true
from sqlalchemy.orm import Session

from grid_app.models import Building, Case, Community, Grid, Household, Resident, Street, User, user_grid
from grid_app.models.party import PartyMember
from grid_app.platform.errors import Forbidden, NotFound

READ_ALL = ("admin", "planner", "api")
MAY_LOG_CASES = ("admin", "street", "secretary", "worker", "api")


def sees_everything(user: User) -> bool:
    """True for roles that read every area (admin, planner, api)."""
    return user.role in READ_ALL


def _own_grids(user: User):
    return select(user_grid.c.grid_id).where(user_grid.c.user_id == user.id)


def community_ids(user: User):
    """A select of the community ids whose places the user may read (None: every community)."""
    if sees_everything(user):
        return None
    if user.role == "street":
        return select(Community.id).where(Community.street_id == user.street_id)
    if user.role == "secretary":
        return select(Community.id).where(Community.id == user.community_id)
    if user.role == "worker":
        return select(Grid.community_id).where(Grid.id.in_(_own_grids(user)))
    return select(Community.id).where(false())


def street_ids(user: User):
    """A select of the street ids the user may read (None: every street)."""
    visible = community_ids(user)
    if visible is None:
        return None
    return select(Community.street_id).where(Community.id.in_(visible))


def grid_ids(user: User):
    """A select of the grid ids whose cases the user works (None: every grid)."""
    if sees_everything(user):
        return None
    if user.role == "worker":
        return _own_grids(user)
    return select(Grid.id).where(Grid.community_id.in_(community_ids(user)))


def place_clause(user: User, model):
    """A WHERE clause limiting a hierarchy model (Street, Community, Grid, ResidentialArea, Building...)."""
    visible = community_ids(user)
    if visible is None:
        return true()
    if model is Street:
        return Street.id.in_(street_ids(user))
    if model is Community:
        return Community.id.in_(visible)
    return model.community_id.in_(visible)


def _area_cases(user: User):
    """Cases whose place lies in the user's area (None: all)."""
    if sees_everything(user):
        return None
    if user.role == "street":
        code = select(Street.code).where(Street.id == user.street_id).scalar_subquery()
        return or_(Case.street_code == code, Case.grid_id.is_(None))  # the street triages unlocated cases
    if user.role == "secretary":
        return Case.community_id == user.community_id
    if user.role == "worker":
        # = ANY(ARRAY(...)) rather than IN (subquery): beside "OR reporter_id = me" PostgreSQL turns an IN
        # into a hashed subplan over every case; the array is read once and the grid index is used
        return Case.grid_id == any_(func.array(_own_grids(user).scalar_subquery()))
    return false()


def few_grids(user: User) -> bool:
    """True when the user's cases are a few grids' worth (a worker's), whatever the size of the city."""
    return user.role == "worker"


def case_area_clause(user: User):
    """A WHERE clause over Case: the cases of the user's area (work, indicators, maps)."""
    area = _area_cases(user)
    if user.role == "admin":
        return true()
    visible = Case.hidden_at.is_(None)
    return visible if area is None else and_(area, visible)


def case_read_clause(user: User):
    """A WHERE clause over Case: the cases the user may read (their area and the ones they reported)."""
    if user.role == "admin":
        return true()
    area = _area_cases(user)
    mine = Case.reporter_id == user.id
    readable = true() if area is None else or_(area, mine)
    return and_(readable, Case.hidden_at.is_(None))


def case_act_clause(user: User):
    """A WHERE clause over Case: the cases the user may move through the workflow."""
    if user.role == "admin":
        return true()
    if user.role in ("planner", "api"):
        return false()
    return case_area_clause(user)


def public_case_clause():
    """A WHERE clause over Case: what Open311 may publish (a public channel or published, never hidden)."""
    return and_(or_(Case.channel == "public", Case.published.is_(True)), Case.hidden_at.is_(None))


def readable_cases(query, user: User):
    """Limit a select over Case to the cases the user may read."""
    return query.where(case_read_clause(user))


def area_cases(query, user: User):
    """Limit a select over Case to the cases of the user's area."""
    return query.where(case_area_clause(user))


def get_case(session: Session, user: User, case_id: int, for_update: bool = False) -> Case:
    """The case if the user may read it; NotFound otherwise (out of scope looks like absent)."""
    query = readable_cases(select(Case).where(Case.id == case_id), user)
    if for_update:
        query = query.with_for_update(of=Case)
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found")
    return case


def may_act_on(session: Session, user: User, case: Case) -> bool:
    """True when the case lies in the area where the user may act."""
    return session.scalar(select(Case.id).where(Case.id == case.id, case_act_clause(user))) is not None


def require_act(session: Session, user: User, case: Case) -> None:
    """Refuse workflow actions on a case the user may read but not work (e.g. one they only reported)."""
    if not may_act_on(session, user, case):
        raise Forbidden(f"case {case.id} is handled by its grid's and community's staff; "
                        "you may follow it but not act on it", code="not_your_area")


def require_may_log(user: User) -> None:
    """Refuse roles that may not log cases (anyone who may, may log one anywhere)."""
    if user.role not in MAY_LOG_CASES:
        raise Forbidden(f"role {user.role!r} may not log cases", code="forbidden")


def communities_of(session: Session, user: User) -> list[Community]:
    """The communities the user may open maps and dashboards for, in code order."""
    return list(session.scalars(select(Community).where(place_clause(user, Community)).order_by(Community.code)))


def grids_of(session: Session, user: User) -> list[Grid]:
    """The grids whose cases the user works, in code order (the case list's grid filter)."""
    query = select(Grid).order_by(Grid.code)
    visible = grid_ids(user)
    if visible is not None:
        query = query.where(Grid.id.in_(visible))
    return list(session.scalars(query))


def community_in_scope(session: Session, user: User, code: str) -> Community:
    """The community if the user may read it; NotFound otherwise (out of scope looks absent)."""
    found = session.scalar(select(Community).where(Community.code == code, place_clause(user, Community)))
    if found is None:
        raise NotFound(f"no community with code {code!r}", code="community_not_found")
    return found


def street_in_scope(session: Session, user: User, code: str) -> Street:
    """The street if the user reads all of it (admin, planner, api, its street officer); NotFound otherwise."""
    street = session.scalar(select(Street).where(Street.code == code))
    if street is None or not (sees_everything(user) or (user.role == "street" and user.street_id == street.id)):
        raise NotFound(f"no street with code {code!r}", code="street_not_found")
    return street


REGISTER_ROLES = ("admin", "secretary", "worker")  # who may read residents (masked)
REVEAL_ROLES = ("admin", "secretary")  # who may reveal a full ID number or phone (audited)


def _register_building_ids(user: User):
    """A select of the building ids whose register the user reads (None: all)."""
    if user.role == "admin":
        return None
    if user.role == "secretary":
        return select(Building.id).where(Building.community_id == user.community_id)
    if user.role == "worker":
        return select(Building.id).where(Building.grid_id.in_(_own_grids(user)))
    return select(Building.id).where(false())


def building_register_clause(user: User):
    """A WHERE clause over Building: the buildings whose households and residents the user reads."""
    visible = _register_building_ids(user)
    return true() if visible is None else Building.id.in_(visible)


def household_clause(user: User):
    """A WHERE clause over Household: the flats whose register the user reads."""
    visible = _register_building_ids(user)
    return true() if visible is None else Household.building_id.in_(visible)


def resident_clause(user: User):
    """A WHERE clause over Resident: the residents the user reads (masked)."""
    visible = _register_building_ids(user)
    if visible is None:
        return true()
    return Resident.household_id.in_(select(Household.id).where(Household.building_id.in_(visible)))


CARE_TAG_ROLES = ("admin", "secretary", "worker")  # who may see care tags (a sensitive category)


def may_see_care_tags(user: User) -> bool:
    """True for the roles that see residents' care tags (their grid workers, secretary, admins)."""
    return user.role in CARE_TAG_ROLES


def require_register_role(user: User, reveal: bool = False) -> None:
    """Refuse roles that read no register (street, planner, api), or that may not reveal."""
    allowed = REVEAL_ROLES if reveal else REGISTER_ROLES
    if user.role not in allowed:
        what = "reveal ID numbers and phones" if reveal else "read the household register (counts only)"
        raise Forbidden(f"role {user.role!r} may not {what}", code="forbidden")


def visible_community_ids(session: Session, user: User) -> list[int] | None:
    """The readable community ids as a list (None: all), for raw SQL such as vector tiles."""
    visible = community_ids(user)
    return None if visible is None else list(session.scalars(visible))


# The party side (双报到). A member account (role "member") is linked to one party_member record and
# reads only its home community's party things and its own record, never the register (REGISTER_ROLES
# leaves it out). Members' personal data: PARTY_MEMBER_ROLES; approving: PARTY_DESK_ROLES.
PARTY_MEMBER_ROLES = ("admin", "street", "secretary", "member")  # who may list party members (masked)
PARTY_DESK_ROLES = ("admin", "secretary")  # who may approve, reject, import and print cards


def _member_home_community(user: User):
    return (select(Building.community_id).join(PartyMember, PartyMember.building_id == Building.id)
            .where(PartyMember.user_id == user.id))


def party_community_ids(user: User):
    """A select of the community ids whose party organisation the user reads (None: every community)."""
    if user.role == "member":
        return _member_home_community(user)
    return community_ids(user)


def party_community_clause(user: User, column):
    """A WHERE clause on a community-id column: the communities whose party things the user reads."""
    visible = party_community_ids(user)
    return true() if visible is None else column.in_(visible)


def party_member_clause(user: User):
    """A WHERE clause over PartyMember: the records the user reads (a member: only their own)."""
    if user.role == "member":
        return PartyMember.user_id == user.id
    if user.role not in PARTY_MEMBER_ROLES:
        return false()
    if user.role == "admin":
        return true()
    return PartyMember.building_id.in_(select(Building.id).where(Building.community_id.in_(community_ids(user))))


def require_party_role(user: User, desk: bool = False) -> None:
    """Refuse roles that may not read party members' records, or that may not approve them."""
    allowed = PARTY_DESK_ROLES if desk else PARTY_MEMBER_ROLES
    if user.role not in allowed:
        what = "approve or import party members" if desk else "read party members' records"
        raise Forbidden(f"role {user.role!r} may not {what}", code="forbidden")
