"""Which communities and streets a user may open pages for, and the choices of the desk forms."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..area_scope import communities_of, community_in_scope, street_in_scope  # noqa: F401  (re-exported)
from ..models import Category, Grid, User


def categories(session: Session) -> list[Category]:
    """Active case categories in their code-list order."""
    return list(session.scalars(select(Category).where(Category.active).order_by(Category.sort)))


def grids_of(session: Session, user: User) -> list[Grid]:
    """Grids the user's case list can be filtered by."""
    if user.role == "worker":
        return list(user.grids)
    ids = [c.id for c in communities_of(session, user)]
    return list(session.scalars(select(Grid).where(Grid.community_id.in_(ids)).order_by(Grid.code)))


def facility_types(session: Session) -> list:
    """The facility types, in their seeded order."""
    from ..models import FacilityType
    return list(session.scalars(select(FacilityType).order_by(FacilityType.id)))
