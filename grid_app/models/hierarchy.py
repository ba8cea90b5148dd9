"""The organisation hierarchy (street → community → residential area → building) and the grid."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Computed, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base, multipolygon


class Street(Base):
    """街道: the top of the hierarchy (district code 6 + street 3)."""

    __tablename__ = "street"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    geom = mapped_column(multipolygon(), nullable=False)
    communities: Mapped[list[Community]] = relationship(back_populates="street")


class Community(Base):
    """社区 (street code + 3)."""

    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    street_code: Mapped[str] = mapped_column(String(9), Computed("left(code, 9)"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"), index=True)
    geom = mapped_column(multipolygon(), nullable=False)
    street: Mapped[Street] = relationship(back_populates="communities")
    grids: Mapped[list[Grid]] = relationship(back_populates="community", order_by="Grid.code")
    residential_areas: Mapped[list[ResidentialArea]] = relationship(
        back_populates="community", order_by="ResidentialArea.code")


class Grid(Base):
    """网格: the responsibility partition of a community (community code + 3)."""

    __tablename__ = "grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    street_code: Mapped[str] = mapped_column(String(9), Computed("left(code, 9)"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    workers: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(multipolygon(), nullable=False)
    community: Mapped[Community] = relationship(back_populates="grids")


class ResidentialArea(Base):
    """小区; belongs to the grid that holds most of its area."""

    __tablename__ = "residential_area"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    street_code: Mapped[str] = mapped_column(String(9), Computed("left(code, 9)"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    geom = mapped_column(multipolygon(), nullable=False)
    community: Mapped[Community] = relationship(back_populates="residential_areas")
    grid: Mapped[Grid | None] = relationship()


class Building(Base):
    """楼栋 with its residents; belongs to the grid that holds most of its area."""

    __tablename__ = "building"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    street_code: Mapped[str] = mapped_column(String(9), Computed("left(code, 9)"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    residential_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("residential_area.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    floors: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer, default=0)
    residents: Mapped[int] = mapped_column(Integer, default=0)
    geom = mapped_column(multipolygon(), nullable=False)
    # Kept by PostgreSQL (migration 0020, GiST-indexed): the low-zoom tiles read it instead of computing
    # every building's centroid. Deferred: nothing else loads it.
    point_3857 = mapped_column(Geometry("POINT", srid=3857, spatial_index=False),
                               Computed("ST_Transform(ST_Centroid(geom), 3857)", persisted=True), deferred=True)
    __table_args__ = (
        CheckConstraint("residents >= 0 AND households >= 0", name="non_negative_people"),
    )


class PartyOrganisation(Base):
    """党组织 attached to exactly one community, residential area or building."""

    __tablename__ = "party_organisation"
    KINDS = ("党委", "党总支", "党支部", "党小组")
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    secretary: Mapped[str | None] = mapped_column(String(50))
    members: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    residential_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("residential_area.id", ondelete="CASCADE"), index=True)
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("building.id", ondelete="CASCADE"), index=True)
    __table_args__ = (
        CheckConstraint(
            "num_nonnulls(community_id, residential_area_id, building_id) = 1", name="one_owner"),
        CheckConstraint("kind IN ('党委', '党总支', '党支部', '党小组')", name="kind"),
    )
