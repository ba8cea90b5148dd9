"""Who sees which cases: scope is enforced here, in the queries, never in templates."""
from __future__ import annotations

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from ..errors import Forbidden, NotFound
from ..models import Case, Street, User, user_grid

READ_ALL = ("admin", "planner", "api")
MAY_CREATE = ("admin", "street", "secretary", "worker", "api")


def scope_clause(user: User):
    """A WHERE clause limiting cases to the user's area (None: no limit)."""
    if user.role in READ_ALL:
        return None
    if user.role == "street":
        code = select(Street.code).where(Street.id == user.street_id).scalar_subquery()
        # Street officers also triage cases that could not be located.
        return or_(Case.street_code == code, Case.grid_id.is_(None))
    if user.role == "secretary":
        return or_(Case.community_id == user.community_id, Case.reporter_id == user.id)
    if user.role == "worker":
        grids = select(user_grid.c.grid_id).where(user_grid.c.user_id == user.id)
        return or_(Case.grid_id.in_(grids), Case.reporter_id == user.id)
    return false()


def scoped(query, user: User):
    """Apply the user's scope to a select over Case."""
    clause = scope_clause(user)
    return query if clause is None else query.where(clause)


def get_case(session: Session, user: User, case_id: int, for_update: bool = False) -> Case:
    """The case if the user may see it; NotFound otherwise (out of scope looks like absent)."""
    query = scoped(select(Case).where(Case.id == case_id), user)
    if for_update:
        query = query.with_for_update(of=Case)
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"no case {case_id}", code="case_not_found")
    return case


def require_create(user: User) -> None:
    """Refuse roles that may not log cases."""
    if user.role not in MAY_CREATE:
        raise Forbidden(f"role {user.role!r} may not log cases", code="forbidden")
