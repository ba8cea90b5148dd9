"""Which communities and streets a user may see: the scope of hierarchy pages, maps and dashboards."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound
from .models import Community, Grid, Street, User, user_grid

READ_ALL = ("admin", "planner", "api")


def communities_of(session: Session, user: User) -> list[Community]:
    """The communities the user may open maps and dashboards for, in code order."""
    query = select(Community).order_by(Community.code)
    if user.role in READ_ALL:
        pass
    elif user.role == "street":
        query = query.where(Community.street_id == user.street_id)
    elif user.role == "secretary":
        query = query.where(Community.id == user.community_id)
    elif user.role == "worker":
        grids = select(Grid.community_id).join(user_grid, user_grid.c.grid_id == Grid.id).where(
            user_grid.c.user_id == user.id)
        query = query.where(Community.id.in_(grids))
    else:
        return []
    return list(session.scalars(query))


def community_in_scope(session: Session, user: User, code: str) -> Community:
    """The community if the user may see it; NotFound otherwise (out of scope looks absent)."""
    found = next((c for c in communities_of(session, user) if c.code == code), None)
    if found is None:
        raise NotFound(f"no community with code {code!r}", code="community_not_found")
    return found


def street_in_scope(session: Session, user: User, code: str) -> Street:
    """The street if the user sees all of it (admin, planner, its street officer); NotFound otherwise."""
    street = session.scalar(select(Street).where(Street.code == code))
    if street is None or not (user.role in READ_ALL or (user.role == "street" and user.street_id == street.id)):
        raise NotFound(f"no street with code {code!r}", code="street_not_found")
    return street
