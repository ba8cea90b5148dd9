"""Low-zoom vector tiles rendered ahead of the first request (maps/tile_seed.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from grid_app.models.base import Base


class TileSeed(Base):
    """One rendered tile under the digest of everything that shaped it, the data's version included."""

    __tablename__ = "tile_seed"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of vector_tiles.cache_key
    body: Mapped[bytes] = mapped_column(LargeBinary)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
