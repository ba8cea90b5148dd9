"""Turning an Open311 address_string or address_id into a point, against our own named places.

No outside geocoder: an address is found only when it names one residential area, building
("小区名 楼栋名" or a unique building name), community or grid exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.models import Building, Community, Grid, ResidentialArea
from grid_app.platform.errors import InvalidInput


@dataclass(frozen=True)
class Found:
    """A point inside the named place, and the place's name."""

    lon: float
    lat: float
    label: str


def by_address_id(session: Session, address_id: str) -> Found:
    """The building or residential area with this code, or InvalidInput."""
    for model in (Building, ResidentialArea):
        row = session.execute(select(model.name, func.ST_PointOnSurface(model.geom))
                              .where(model.code == address_id)).first()
        if row is not None:
            return _found(row)
    raise InvalidInput(f"unknown address_id {address_id!r}; give lat and long instead", code="bad_address")


def by_name(session: Session, text: str) -> Found:
    """The one place whose name is exactly the address_string, or InvalidInput."""
    wanted = "".join(text.split())
    if not wanted:
        raise InvalidInput("address_string is empty", code="bad_address")
    compact = func.replace(ResidentialArea.name + Building.name, " ", "")
    queries = (
        select(ResidentialArea.name + " " + Building.name, func.ST_PointOnSurface(Building.geom))
        .join(ResidentialArea, ResidentialArea.id == Building.residential_area_id).where(compact == wanted),
        select(ResidentialArea.name, func.ST_PointOnSurface(ResidentialArea.geom))
        .where(func.replace(ResidentialArea.name, " ", "") == wanted),
        select(Building.name, func.ST_PointOnSurface(Building.geom))
        .where(func.replace(Building.name, " ", "") == wanted),
        select(Community.name, func.ST_PointOnSurface(Community.geom))
        .where(func.replace(Community.name, " ", "") == wanted),
        select(Grid.name, func.ST_PointOnSurface(Grid.geom)).where(func.replace(Grid.name, " ", "") == wanted),
    )
    for query in queries:
        rows = session.execute(query.limit(2)).all()
        if len(rows) == 1:
            return _found(rows[0])
        if len(rows) > 1:
            raise InvalidInput(f"address_string {text!r} names more than one place; add the residential "
                               "area's name or give lat and long", code="ambiguous_address")
    raise InvalidInput(f"address_string {text!r} names no known residential area, building or community; "
                       "give lat and long", code="bad_address")


def _found(row) -> Found:
    point = to_shape(row[1])
    return Found(point.x, point.y, row[0])
