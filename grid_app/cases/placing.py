"""Placing an unlocated case in a grid: the street's triage of a case whose point lies in no grid.

A case logged more than the snap distance from every grid is held unlocated for the street
(intake_sql.UNLOCATED_NOTE). The street officer (or an admin) either rejects it or places it in a grid
of their area: the case then has that grid's community and street, and runs the workflow from there.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access.scope import grid_ids
from grid_app.models import Case, Grid, User
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.text import optional_text

CHOICES = 8  # grids offered on the case page, nearest first


def place_in_grid(session: Session, user: User, case: Case, grid_code) -> Grid:
    """Give the unlocated case this grid of the user's area (its community and street follow)."""
    code = optional_text(grid_code, "grid", 15, code="bad_grid")
    if not code:
        raise InvalidInput("place needs 'grid': the code of the grid to place the case in", code="bad_grid")
    query = select(Grid, _distance_m(case)).where(Grid.code == code)
    area = grid_ids(user)
    if area is not None:
        query = query.where(Grid.id.in_(area))
    found = session.execute(query).one_or_none()
    if found is None:  # out of the user's area looks absent, as everywhere
        raise NotFound(f"no grid with code {code!r} in your area", code="grid_not_found")
    grid, distance = found
    case.grid_id, case.community_id, case.street_code = grid.id, grid.community_id, grid.street_code
    case.snapped_m = distance  # how far the point lies from the grid it was placed in
    return grid


def nearest_grids(session: Session, user: User, case: Case, limit: int = CHOICES) -> list[tuple[Grid, float]]:
    """The grids of the user's area nearest the case's point, with their distance in metres."""
    query = select(Grid, _distance_m(case)).order_by(Grid.geom.op("<->")(_point(case)), Grid.code).limit(limit)
    area = grid_ids(user)
    if area is not None:
        query = query.where(Grid.id.in_(area))
    return [(grid, distance) for grid, distance in session.execute(query)]


def _point(case: Case):
    return select(Case.geom).where(Case.id == case.id).scalar_subquery()


def _distance_m(case: Case):
    return func.ST_Distance(func.geography(Grid.geom), func.geography(_point(case))).label("distance_m")
