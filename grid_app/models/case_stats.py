"""Case counts per grid and month (UTC), kept by triggers on case_record (migration 0019)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.models.base import Base


class CaseStats(Base):
    """What the cases of one grid contribute to the indicators in one month: logged ones by their creation
    month, closed ones by their closing month; hidden cases apart (only administrators count them)."""

    __tablename__ = "case_stats"
    grid_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)  # UTC month start
    hidden: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    logged: Mapped[int] = mapped_column(Integer, default=0)  # created in the month, not merged
    closed: Mapped[int] = mapped_column(Integer, default=0)  # closed in the month
    closed_grid: Mapped[int] = mapped_column(Integer, default=0)  # of those: never left the grid
    closed_community: Mapped[int] = mapped_column(Integer, default=0)  # never above the community
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0)  # closed by resolve_by
    reopened: Mapped[int] = mapped_column(Integer, default=0)  # reopened at least once
    hours: Mapped[list[float]] = mapped_column(ARRAY(Float))  # hours to close, one per closed case (exact p90)

    __table_args__ = (
        Index("ix_case_stats_community_month", "community_id", "month"),
        Index("ix_case_stats_street_month", "street_code", "month"),
    )
