"""Reference data kept as code lists: facility types (and, later, case categories)."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from .models import FACILITY_TYPES, FacilityType


def seed_reference_data(session: Session) -> None:
    """Insert or refresh the seeded code lists (idempotent)."""
    rows = [{"code": c, "name": n, "name_en": e, "circle_minutes": m} for c, n, e, m in FACILITY_TYPES]
    stmt = insert(FacilityType.__table__).values(rows)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={k: stmt.excluded[k] for k in ("name", "name_en", "circle_minutes")}))
