"""Saved coverage scenarios: a named change set for one community and facility type (never real facilities)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.models.base import Base


class CoverageScenario(Base):
    """方案: planned sites added, facilities closed, a walking speed; its figures are recomputed when read."""

    __tablename__ = "coverage_scenario"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id", ondelete="CASCADE"), index=True)
    facility_type_id: Mapped[int] = mapped_column(ForeignKey("facility_type.id", ondelete="CASCADE"))
    changes: Mapped[dict] = mapped_column(JSONB)  # the shared change format, in WGS84
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
