"""The household register (人房关联): households are flats of a building, residents live in them.

ID numbers and phones are stored only as ciphertext (grid_app/people/crypto.py) with a keyed look-up
hash; names are stored as given and shown masked. street_code is copied from the building, as the
other large tables carry it, so a street's rows can be moved or purged together.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base
from grid_app.models.hierarchy import Building

RESIDENCE_TYPES = ("户籍", "常住", "流动")
SEXES = ("男", "女")


class Household(Base):
    """户: a flat of a building (unit 单元 + room 房号, floor optional)."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    unit: Mapped[str] = mapped_column(String(20), default="")  # '' when the building has no units
    floor: Mapped[int | None] = mapped_column(Integer)
    room: Mapped[str] = mapped_column(String(20))
    building: Mapped[Building] = relationship()
    residents: Mapped[list[Resident]] = relationship(back_populates="household", order_by="Resident.id")
    __table_args__ = (UniqueConstraint("building_id", "unit", "room", name="uq_household_flat"),)


class Resident(Base):
    """A person of the register; ID number and phone only encrypted, found by their keyed hash."""

    __tablename__ = "resident"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    name: Mapped[str] = mapped_column(String(50))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    id_cipher: Mapped[str | None] = mapped_column(Text)  # None: no ID number yet (a young child, a foreigner)
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_cipher: Mapped[str | None] = mapped_column(Text)
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    relation: Mapped[str | None] = mapped_column(String(20))  # 与户主关系: 户主, 配偶, 子女...
    residence_type: Mapped[str] = mapped_column(String(2))
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
    household: Mapped[Household] = relationship(back_populates="residents")
    __table_args__ = (
        CheckConstraint("sex IN ('男', '女')", name="sex"),
        CheckConstraint("residence_type IN ('户籍', '常住', '流动')", name="residence_type"),
        CheckConstraint("moved_out IS NULL OR moved_in IS NULL OR moved_out >= moved_in", name="moved_order"),
        CheckConstraint("(id_cipher IS NULL) = (id_hash IS NULL)", name="id_pair"),
        # Without an ID number a resident is one person per flat, name and birth date (what re-import matches).
        Index("uq_resident_without_id", "household_id", "name", "birth_date", unique=True,
              postgresql_where=text("id_hash IS NULL")),
    )
