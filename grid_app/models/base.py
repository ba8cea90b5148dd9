"""Declarative base with a naming convention so Alembic names constraints predictably."""
from geoalchemy2 import Geometry
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SRID = 4326


def multipolygon() -> Geometry:
    """A WGS84 MULTIPOLYGON column type with a GiST index."""
    return Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)


def point() -> Geometry:
    """A WGS84 POINT column type with a GiST index."""
    return Geometry("POINT", srid=SRID, spatial_index=True)


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING)
