"""Dashboard figures beyond the indicators: weekly trend, top categories, rows for every unit."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grid_app.access.scope import area_cases
from grid_app.cases import indicators
from grid_app.models import Case, Category, Community, Grid

WEEKS = 12


def weekly_trend(session: Session, user, until: datetime, *, community_ids: list[int], zone: ZoneInfo,
                 weeks: int = WEEKS) -> list[dict]:
    """Cases logged and closed per week (weeks start on Monday, local time) for the last `weeks` weeks."""
    local_until = until.astimezone(zone)
    monday = (local_until - timedelta(days=local_until.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first = monday - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]

    def per_week(column, *where):
        week = func.date_trunc("week", func.timezone(zone.key, column))
        query = area_cases(select(week.label("week"), func.count()).where(
            Case.community_id.in_(community_ids), column >= first, column < monday + timedelta(weeks=1), *where)
            .group_by(week), user)
        return {row[0].date(): int(row[1]) for row in session.execute(query)}

    logged = per_week(Case.created_at, Case.state != "merged")
    closed = per_week(Case.closed_at)
    return [{"week": s.date().isoformat(), "logged": logged.get(s.date(), 0), "closed": closed.get(s.date(), 0)}
            for s in starts]


def top_categories(session: Session, user, period: indicators.Period, *, community_ids: list[int],
                   limit: int = 8) -> list[dict]:
    """The categories with most cases logged in the period."""
    query = area_cases(
        select(Category.code, Category.name, Category.name_en, func.count(Case.id).label("n"))
        .join(Case, Case.category_id == Category.id)
        .where(Case.community_id.in_(community_ids), Case.created_at >= period.since,
               Case.created_at < period.until, Case.state != "merged")
        .group_by(Category.code, Category.name, Category.name_en)
        .order_by(func.count(Case.id).desc(), Category.code).limit(limit), user)
    return [dict(r._mapping) for r in session.execute(query)]


def _all_units(rows: list[dict], units: list[tuple[str, str]]) -> list[dict]:
    """One row per unit, in unit order, with zeros where the unit had no case."""
    by_code = {r["code"]: r for r in rows}
    blank = {k: None for k, _zh, _en in indicators.COLUMNS}
    return [by_code.get(code) or {**blank, "code": code, "name": name, "logged": 0, "closed": 0, "overdue_now": 0}
            for code, name in units]


def grid_indicators(session: Session, user, community: Community, period: indicators.Period) -> list[dict]:
    """Indicators for every grid of the community over the period."""
    rows = indicators.compute(session, user, "grid", period, community_ids=[community.id])
    units = session.execute(select(Grid.code, Grid.name).where(Grid.community_id == community.id)
                            .order_by(Grid.code)).all()
    return _all_units(rows, [tuple(u) for u in units])


def community_indicators(session: Session, user, communities: list[Community],
                         period: indicators.Period) -> list[dict]:
    """Indicators for each of the given communities over the period."""
    rows = indicators.compute(session, user, "community", period, community_ids=[c.id for c in communities])
    return _all_units(rows, [(c.code, c.name) for c in communities])
