"""How often a user picked each case category (the phone's form shows the most used first)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.models import Case, Category


def category_counts(session: Session, user_id: int) -> dict[str, int]:
    """How many cases this user logged per category code (for "most used first")."""
    rows = session.execute(
        select(Category.code, func.count(Case.id))
        .join(Case, Case.category_id == Category.id)
        .where(Case.reporter_id == user_id)
        .group_by(Category.code))
    return {code: count for code, count in rows}
