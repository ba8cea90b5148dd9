"""Cases (事件), their categories, photos and the append-only event log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base, point
from grid_app.models.hierarchy import Building, Community, Grid, ResidentialArea
from grid_app.models.users import User

LEVELS = ("grid", "community", "street")
STATES = ("collected", "registered", "dispatched", "handling", "reported", "closed", "evaluated",
          "rejected", "merged")
OPEN_STATES = ("collected", "registered", "dispatched", "handling", "reported")
CHANNELS = ("worker", "public", "superior")
REDACTED = "[内容已删除 / removed by an administrator]"


class Category(Base):
    """A case class from the code list, with its handling level and deadlines per step."""

    __tablename__ = "category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    group_name: Mapped[str] = mapped_column(String(50))
    default_level: Mapped[str] = mapped_column(String(10))
    # hours allowed per step: {"register": h, "dispatch": h, "handle": h, "verify": h}
    deadline_hours: Mapped[dict] = mapped_column(JSONB)
    keywords: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """One case, located to its grid, moving through the workflow."""

    __tablename__ = "case_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))  # no index: see migration 0021
    severity: Mapped[int] = mapped_column(SmallInteger, default=1)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    geom = mapped_column(point(), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(10), default="worker")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # Contact details of a public reporter: never shown through public interfaces.
    reporter_contact: Mapped[dict | None] = mapped_column(JSONB)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="collected", index=True)
    level: Mapped[str] = mapped_column(String(10), default="grid")
    max_level: Mapped[str] = mapped_column(String(10), default="grid")
    street_code: Mapped[str | None] = mapped_column(String(9))  # distribution key
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    residential_area_id: Mapped[int | None] = mapped_column(ForeignKey("residential_area.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    snapped_m: Mapped[float | None] = mapped_column(Float)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    resolve_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("case_record.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Open311 lists a case only when it is public: a public channel, or published by a secretary.
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # hidden by an admin
    redacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # text removed by an admin
    # 转为事件: the visit whose finding became this case (one case per visit; purging the visit keeps the case).
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="SET NULL"), unique=True)

    category: Mapped[Category] = relationship()
    community: Mapped[Community | None] = relationship()
    grid: Mapped[Grid | None] = relationship()
    residential_area: Mapped[ResidentialArea | None] = relationship()
    building: Mapped[Building | None] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    photos: Mapped[list[CasePhoto]] = relationship(order_by="CasePhoto.id", back_populates="case")
    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.id", back_populates="case")

    @hybrid_method
    def overdue_at(self, now: datetime) -> bool:
        """Overdue: open, and the deadline of its current step is before `now` (at the deadline is not late)."""
        return self.state in OPEN_STATES and self.deadline is not None and self.deadline < now

    @overdue_at.inplace.expression
    @classmethod
    def _overdue_at_expression(cls, now):
        # The same rule in SQL: only open cases have a deadline (the CHECK below), so `deadline < now` is
        # all of it. "open AND deadline < now" made the planner multiply two conditions that always go
        # together (24k overdue cases of 5 M expected as 1 row) and walk the city's overdue cases for one
        # street's. A finished case gives NULL: select the flag with .is_(True), negate with .is_not(True).
        return cls.deadline < now

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("severity BETWEEN 1 AND 3", name="severity"),
        CheckConstraint("level IN ('grid', 'community', 'street')", name="level"),
        CheckConstraint("channel IN ('worker', 'public', 'superior')", name="channel"),
        # exactly the open cases have a deadline, the one of their current step (migration 0023)
        CheckConstraint("(deadline IS NOT NULL) = "
                        "(state IN ('collected', 'registered', 'dispatched', 'handling', 'reported'))",
                        name="deadline_when_open"),
        # open cases by place in deadline order: overdue lists and counts (migrations 0021, 0023)
        Index("ix_case_record_community_deadline", "community_id", "deadline", postgresql_where="deadline IS NOT NULL"),
        Index("ix_case_record_street_deadline", "street_code", "deadline", postgresql_where="deadline IS NOT NULL"),
        # open cases by place: open counts and open lists (migration 0021)
        Index("ix_case_record_community_open_deadline", "community_id", "deadline",
              postgresql_where="state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')"),
        Index("ix_case_record_street_open_deadline", "street_code", "deadline",
              postgresql_where="state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')"),
        # open cases by position, nearest first: intake's possible duplicates (migration 0022)
        Index("ix_case_record_open_geom", "geom", postgresql_using="gist",
              postgresql_where="state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')"),
        # scoped lists newest first and scoped periods (migration 0019)
        Index("ix_case_record_grid_created", "grid_id", "created_at"),
        Index("ix_case_record_community_created", "community_id", "created_at"),
        Index("ix_case_record_street_created", "street_code", "created_at"),
        Index("ix_case_record_created_id", "created_at", "id"),
        Index("ix_case_record_community_closed", "community_id", "closed_at", postgresql_where="closed_at IS NOT NULL"),
        Index("ix_case_record_street_closed", "street_code", "closed_at", postgresql_where="closed_at IS NOT NULL"),
        Index("ix_case_record_grid_closed", "grid_id", "closed_at", postgresql_where="closed_at IS NOT NULL"),
        Index("ix_case_record_closed_at", "closed_at", postgresql_where="closed_at IS NOT NULL"),
    )


class CasePhoto(Base):
    """A photo of a case (before, or after handling), stored on disk with a thumbnail."""

    __tablename__ = "case_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="before")
    path: Mapped[str] = mapped_column(String(300))
    thumb_path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(30))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    street_code: Mapped[str | None] = mapped_column(String(9))  # filled from the case by a trigger
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    case: Mapped[Case] = relationship(back_populates="photos")


class CaseEvent(Base):
    """One transition in a case's life; rows are never updated or deleted (a trigger refuses)."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    from_level: Mapped[str | None] = mapped_column(String(10))
    to_level: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    street_code: Mapped[str | None] = mapped_column(String(9))  # filled from the case by a trigger
    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def shown_note(self) -> str | None:
        """The note as shown: gone with the rest of the case's text once an administrator redacted it."""
        return REDACTED if self.note and self.case.redacted_at else self.note

    @property
    def note_by_system(self) -> bool:
        """Whether the system wrote the note: intake's on a new case, or a job's (an event without an actor)."""
        return self.note is not None and (self.action == "collect" or self.actor_id is None)
