"""The walking network in PostGIS, and stored coverage results per building and facility type."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.models.base import SRID, Base, point


class NetworkNode(Base):
    """A network node (intersection or dead end)."""

    __tablename__ = "network_node"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    osm_id: Mapped[int | None] = mapped_column(BigInteger)
    geom = mapped_column(point(), nullable=False)


class NetworkEdge(Base):
    """A walkable edge with its metric length; directed only where walking is one-way."""

    __tablename__ = "network_edge"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    u: Mapped[int] = mapped_column(ForeignKey("network_node.id", ondelete="CASCADE"), index=True)
    v: Mapped[int] = mapped_column(ForeignKey("network_node.id", ondelete="CASCADE"), index=True)
    length_m: Mapped[float] = mapped_column(Float)
    directed: Mapped[bool] = mapped_column(Boolean, default=False)
    highway: Mapped[str | None] = mapped_column(String(40))
    # At ground level (not a bridge, tunnel or other layer): only here do homes and facilities attach.
    ground: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    component: Mapped[int] = mapped_column(Integer, default=0)
    geom = mapped_column(Geometry("LINESTRING", srid=SRID, spatial_index=True), nullable=False)


class DatasetVersion(Base):
    """A counter per dataset (network, facilities, buildings) bumped on every change."""

    __tablename__ = "dataset_version"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CoverageRun(Base):
    """One computation of walking distances for a facility type, and the data versions it used."""

    __tablename__ = "coverage_run"
    facility_type_id: Mapped[int] = mapped_column(ForeignKey("facility_type.id", ondelete="CASCADE"),
                                                  primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data_versions: Mapped[str] = mapped_column(String(200))
    limit_m: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)


class CoverageResult(Base):
    """A building's walking distance to the nearest facility of a type (null: beyond the limit)."""

    __tablename__ = "coverage_result"
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id", ondelete="CASCADE"), primary_key=True)
    facility_type_id: Mapped[int] = mapped_column(ForeignKey("facility_type.id", ondelete="CASCADE"),
                                                  primary_key=True, index=True)
    distance_m: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))  # ok | beyond | unsnapped
