"""Open311 clients (API keys, stored hashed) and what each public request brought besides the case."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grid_app.models.base import Base


class Open311Key(Base):
    """An Open311 client's API key; only its SHA-256 is stored, revoking keeps the row for audit."""

    __tablename__ = "open311_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Open311Request(Base):
    """The Open311 side of a public case: which client filed it, its media_url and attributes.

    Kept beside case_record rather than in it: only public reports have these, and the client link
    lets an administrator find everything a revoked client filed.
    """

    __tablename__ = "open311_request"
    case_id: Mapped[int] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("open311_key.id"), index=True)
    media_url: Mapped[str | None] = mapped_column(String(500))
    attributes: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    key: Mapped[Open311Key] = relationship()
