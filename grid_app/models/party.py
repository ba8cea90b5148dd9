"""双报到: registered units (单位报到) and party members registered where they live (个人报到).

A member's party organisation is never stored: their 党小组 / 党支部 / 党委 are read through the home
building (grid_app/party/membership.py), so a building that moves to another residential area on
re-import takes its members with it. Phones are stored only as ciphertext with a keyed look-up hash
(grid_app/people/crypto.py), as residents' are. street_code is copied from the community or the
building, as the other large tables carry it.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base
from grid_app.models.hierarchy import Building, Community

MEMBER_STATUSES = ("pending", "approved", "rejected", "left")


class PartyUnit(Base):
    """单位报到: an office, enterprise or institution whose party organisation pairs with a community."""

    __tablename__ = "party_unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 统一社会信用代码 or a local code
    name: Mapped[str] = mapped_column(String(200))
    party_org_name: Mapped[str | None] = mapped_column(String(200))  # e.g. 市财政局机关党支部
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)  # 结对共建
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    projects: Mapped[str | None] = mapped_column(Text)  # 共建项目 agreed with the community
    registered_on: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    community: Mapped[Community] = relationship()
    __table_args__ = (CheckConstraint("char_length(projects) <= 2000", name="projects_length"),)


class PartyMember(Base):
    """个人报到: a party member registered with the community where they live, by their home building."""

    __tablename__ = "party_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    phone_cipher: Mapped[str] = mapped_column(Text)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("party_unit.id"), index=True)  # a registered unit
    employer_name: Mapped[str | None] = mapped_column(String(200))  # typed when the unit is not registered
    employer_party_org: Mapped[str | None] = mapped_column(String(200))
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)  # home: derives membership
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    skills: Mapped[str | None] = mapped_column(String(500))
    registered_on: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    review_note: Mapped[str | None] = mapped_column(String(500))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)  # the member's login
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
    unit: Mapped[PartyUnit | None] = relationship()
    building: Mapped[Building] = relationship()
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'left')", name="status"),
        CheckConstraint("unit_id IS NOT NULL OR employer_name IS NOT NULL", name="employer"),
        # One record per person and employer: a re-import or a second registration finds it.
        Index("uq_party_member_phone_unit", "phone_hash", text("COALESCE(unit_id, 0)"),
              text("COALESCE(employer_name, '')"), unique=True),
    )
