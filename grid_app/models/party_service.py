"""What registered party members do where they live: service posts, activities, micro-wishes, case help.

- A community defines service posts (岗位: 政策宣传, 环境整治...) that approved members claim.
- An activity (time, place, people needed) takes sign-ups; a member checks in on the phone (position
  kept, flagged when far from the place) and the community's secretary confirms the hours served.
- A micro-wish (微心愿) is a need raised for a resident or household (from a visit or by the grid
  worker); a member claims it and reports it fulfilled. A wish's text is what members see: it names no
  resident (the resident link is for the register roles only).
- A small case may get a member as helper; the grid worker stays responsible, the workflow is unchanged.
- The community's remarks on a member for a quarter go into the 双报告 report to the member's employer.
street_code is copied from the community, as the other large tables carry it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base
from grid_app.models.hierarchy import Community
from grid_app.models.party import PartyMember

WISH_STATUSES = ("open", "claimed", "fulfilled", "cancelled")
FAR_FROM_PLACE_M = 300  # a check-in farther than this from the activity's place is flagged


class ServicePost(Base):
    """岗位: a kind of service a community asks its registered members to take on."""

    __tablename__ = "service_post"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    community: Mapped[Community] = relationship()
    __table_args__ = (UniqueConstraint("community_id", "name", name="uq_service_post_name"),
                      CheckConstraint("char_length(description) <= 2000", name="description_length"))


class PostClaim(Base):
    """A member holding a post, from claimed_at until released_at."""

    __tablename__ = "post_claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("service_post.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_member.id", ondelete="CASCADE"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    post: Mapped[ServicePost] = relationship()
    member: Mapped[PartyMember] = relationship()
    __table_args__ = (
        Index("uq_post_claim_current", "post_id", "member_id", unique=True, postgresql_where=text("released_at IS NULL")),
        CheckConstraint("released_at IS NULL OR released_at >= claimed_at", name="release_order"),
    )


class Activity(Base):
    """A service activity of a community: when, where, how many people it needs."""

    __tablename__ = "activity"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("service_post.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    needed: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    community: Mapped[Community] = relationship()
    post: Mapped[ServicePost | None] = relationship()
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="time_order"),
                      CheckConstraint("needed > 0", name="needed_positive"),
                      CheckConstraint("char_length(description) <= 2000", name="description_length"),
                      Index("ix_activity_community_starts", "community_id", "starts_at"))


class ActivitySignup(Base):
    """A member signed up for an activity; the check-in and the hours the secretary confirmed."""

    __tablename__ = "activity_signup"
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_member.id", ondelete="CASCADE"), index=True)
    signed_up_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checkin_geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    far_from_place: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hours: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))  # confirmed by the secretary
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    activity: Mapped[Activity] = relationship()
    member: Mapped[PartyMember] = relationship()
    __table_args__ = (UniqueConstraint("activity_id", "member_id", name="uq_activity_signup"),
                      CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 24)", name="hours_range"),
                      CheckConstraint("hours IS NULL OR confirmed_at IS NOT NULL", name="hours_confirmed"))


class Wish(Base):
    """微心愿: a small need of a resident or household that a registered member takes on."""

    __tablename__ = "wish"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    # Register links, read only by the register roles; members see title and description.
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id", ondelete="SET NULL"))
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id", ondelete="SET NULL"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"), unique=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    member_id: Mapped[int | None] = mapped_column(ForeignKey("party_member.id", ondelete="SET NULL"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fulfil_note: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    community: Mapped[Community] = relationship()
    member: Mapped[PartyMember | None] = relationship()
    __table_args__ = (
        CheckConstraint("status IN ('open', 'claimed', 'fulfilled', 'cancelled')", name="status"),
        CheckConstraint("status = 'open' OR status = 'cancelled' OR member_id IS NOT NULL", name="claimed_by"),
        CheckConstraint("fulfilled_at IS NULL OR status = 'fulfilled'", name="fulfilled_state"),
        CheckConstraint("char_length(description) <= 2000 AND char_length(fulfil_note) <= 2000", name="text_length"),
        Index("ix_wish_community_status", "community_id", "status"),
    )


class CaseHelper(Base):
    """A registered member helping with a small case; the grid worker stays responsible."""

    __tablename__ = "case_helper"
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_member.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    member: Mapped[PartyMember] = relationship()


class MemberRemark(Base):
    """The community's remark on a member for one quarter (双报告 to the member's employer)."""

    __tablename__ = "member_remark"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("party_member.id", ondelete="CASCADE"), index=True)
    quarter_start: Mapped[date] = mapped_column(Date)  # first day of the quarter
    remark: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
    __table_args__ = (UniqueConstraint("member_id", "quarter_start", name="uq_member_remark_quarter"),
                      CheckConstraint("char_length(remark) <= 2000", name="remark_length"),
                      CheckConstraint("extract(day from quarter_start) = 1 AND extract(month from quarter_start) IN "
                                      "(1, 4, 7, 10)", name="quarter_start"))
