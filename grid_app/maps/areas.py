"""The grids a desk user may filter the case list by."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..area_scope import communities_of
from ..models import Grid, User


def grids_of(session: Session, user: User) -> list[Grid]:
    """Grids the user's case list can be filtered by."""
    if user.role == "worker":
        return list(user.grids)
    ids = [c.id for c in communities_of(session, user)]
    return list(session.scalars(select(Grid).where(Grid.community_id.in_(ids)).order_by(Grid.code)))


