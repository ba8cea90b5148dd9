"""Care plans and visits: care tags and levels as code lists, which key resident carries which, and visits.

A care tag (独居老人, 低保...) says why a resident needs care; a care level (red / yellow / green)
says how often: its visit interval in days. A resident may carry several tags, each with its level;
the shortest interval among them sets the next visit (grid_app/people/visits.py, written once).
"""
from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base

VISIT_KINDS = ("home", "phone", "video")


class CareTag(Base):
    """Why a resident needs care; a sensitive tag (PIPL Art. 28: health, disability, welfare) is flagged."""

    __tablename__ = "care_tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=True)


class CareLevel(Base):
    """How often a key resident is visited: red / yellow / green with intervals in days."""

    __tablename__ = "care_level"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    visit_days: Mapped[int] = mapped_column(Integer)
    call_days: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (CheckConstraint("visit_days > 0", name="visit_days"),
                      CheckConstraint("call_days IS NULL OR call_days > 0", name="call_days"))


class ResidentCare(Base):
    """A key resident's tag with its care level, since a date."""

    __tablename__ = "resident_care"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("care_tag.id"))
    level_id: Mapped[int] = mapped_column(ForeignKey("care_level.id"))
    since: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    tag: Mapped[CareTag] = relationship()
    level: Mapped[CareLevel] = relationship()
    __table_args__ = (UniqueConstraint("resident_id", "tag_id", name="uq_resident_care_tag"),)


class Visit(Base):
    """走访: a grid worker's home, phone or video visit to a resident, sent once per idempotency key."""

    __tablename__ = "visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    kind: Mapped[str] = mapped_column(String(5))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finding: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    far_from_home: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    __table_args__ = (CheckConstraint("kind IN ('home', 'phone', 'video')", name="kind"),
                      CheckConstraint("char_length(finding) <= 2000", name="finding_length"),
                      Index("ix_visit_resident_at", "resident_id", "at"))  # the due list reads the last visit
