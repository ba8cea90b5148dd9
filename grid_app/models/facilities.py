"""Service facilities and their types (the 15-minute circle levels)."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base, point


class FacilityType(Base):
    """A kind of service with its circle level (5, 10 or 15 walking minutes)."""

    __tablename__ = "facility_type"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    circle_minutes: Mapped[int] = mapped_column(Integer)


class Facility(Base):
    """One facility at a point."""

    __tablename__ = "facility"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type_id: Mapped[int] = mapped_column(ForeignKey("facility_type.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    geom = mapped_column(point(), nullable=False)
    capacity: Mapped[int | None] = mapped_column(Integer)  # places or beds (2SFCA supply); None: not known
    type: Mapped[FacilityType] = relationship()
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)


# Seeded by the first migration and by load-demo; circle levels after GB 50180-2018's
# 5/10/15-minute life circles.
FACILITY_TYPES = [
    ("party_service", "党群服务中心", "Party-mass service centre", 10),
    ("health_station", "社区卫生服务站", "Community health station", 15),
    ("elderly_care", "养老服务站", "Elderly care station", 5),
    ("kindergarten", "幼儿园", "Kindergarten", 5),
    ("primary_school", "小学", "Primary school", 10),
    ("market", "菜市场", "Fresh market", 10),
    ("fitness", "健身场地", "Fitness ground", 5),
    ("convenience", "便利店", "Convenience store", 5),
    # the 15-minute level of GB 50180-2018 附录B (十五分钟生活圈居住区) and TD/T 1062-2021
    ("middle_school", "初中", "Junior secondary school", 15),
    ("health_centre", "社区卫生服务中心", "Community health service centre", 15),
    ("culture_centre", "文化活动中心", "Cultural activity centre", 15),
    ("street_service", "街道综合服务中心", "Sub-district service centre", 15),
]
