"""Planners' measures as data: the life-circle checklist and each facility type's population group."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base
from grid_app.models.facilities import FacilityType


class LifeCircleItem(Base):
    """A facility type the standards list for a life-circle level, with the share of residents it must reach."""

    __tablename__ = "life_circle_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    level_minutes: Mapped[int] = mapped_column(Integer)  # 5, 10 or 15
    type_id: Mapped[int] = mapped_column(ForeignKey("facility_type.id", ondelete="CASCADE"), index=True)
    standard_item: Mapped[str] = mapped_column(String(100))  # the standard's wording, e.g. 社区卫生服务站
    source: Mapped[str] = mapped_column(String(200))  # where the standard lists it
    min_share: Mapped[Decimal] = mapped_column(Numeric(4, 3), server_default="0.9")  # 达标 at or above
    type: Mapped[FacilityType] = relationship()
    __table_args__ = (
        UniqueConstraint("level_minutes", "type_id"),
        CheckConstraint("level_minutes IN (5, 10, 15)", name="level"),
        CheckConstraint("min_share > 0 AND min_share <= 1", name="min_share_range"),
    )


class DemandGroup(Base):
    """The residents a facility type serves, by age (kindergarten: 3-6; elderly care: 60 and over)."""

    __tablename__ = "demand_group"
    type_id: Mapped[int] = mapped_column(ForeignKey("facility_type.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    age_min: Mapped[int] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)  # inclusive; None: no upper bound
    type: Mapped[FacilityType] = relationship()
    __table_args__ = (CheckConstraint("age_min >= 0 AND (age_max IS NULL OR age_max >= age_min)", name="age_order"),)
