"""Placing an unlocated case in a grid: the street's triage of a case whose point lies in no grid.

A case logged more than the snap distance from every grid is held unlocated for the street
(workflow.UNLOCATED_NOTE). The street officer (or an admin) either rejects it or places it in a grid
of their area: the case then has that grid's community and street, and runs the workflow from there.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from grid_app.access.scope import grid_ids
from grid_app.cases import workflow
from grid_app.models import Case, CasePhoto, Grid, User
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.text import optional_text

CHOICES = 8  # grids offered on the case page, nearest first
CANDIDATES_PER_CHOICE = 4


def place_in_grid(session: Session, user: User, case: Case, grid_code, now: datetime) -> Grid:
    """Give the unlocated case this grid of the user's area (its community and street follow).

    The case's handling starts now: its time to be finished (resolve_by) restarts with it, so the time
    it waited for the street is not counted against the grid. (transition() restarts the step deadline.)
    """
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
    case.snapped_m = round(distance, 1)  # how far the point lies from the grid it was placed in
    case.resolve_by = workflow.resolve_by(now, case.category.deadline_hours)
    # The photos' distribution key follows the case (the event log is append-only: its rows keep theirs).
    session.execute(update(CasePhoto).where(CasePhoto.case_id == case.id).values(street_code=grid.street_code))
    return grid


def nearest_grids(session: Session, user: User, case: Case, limit: int = CHOICES) -> list[tuple[Grid, float]]:
    """The grids of the user's area nearest the case's point, with their distance in metres."""
    # The index orders by distance in degrees, in which east-west is stretched (1 / cos latitude): take
    # the nearest few times `limit` that way, then order those by metres.
    candidates = select(Grid.id).order_by(Grid.geom.op("<->")(_point(case))).limit(limit * CANDIDATES_PER_CHOICE)
    area = grid_ids(user)
    if area is not None:
        candidates = candidates.where(Grid.id.in_(area))
    distance = _distance_m(case)
    query = select(Grid, distance).where(Grid.id.in_(candidates.scalar_subquery())).order_by(distance, Grid.code)
    return [(grid, metres) for grid, metres in session.execute(query.limit(limit))]


def _point(case: Case):
    return select(Case.geom).where(Case.id == case.id).scalar_subquery()


def _distance_m(case: Case):
    return func.ST_Distance(func.geography(Grid.geom), func.geography(_point(case))).label("distance_m")
