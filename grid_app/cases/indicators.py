"""Governance indicators per grid, community or street over a period.

Closed-case rates count the cases closed in the period:
  网格内解决率 grid_rate       share that never left the grid (max level = grid)
  社区内解决率 community_rate  share that never went above the community
  按期结案率   on_time_rate    share closed by their resolve-by time
  reopen_rate                 share reopened at least once
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from grid_app.access.scope import area_cases
from grid_app.cases import clock, dates
from grid_app.models import Case, Community, Grid, Street
from grid_app.platform.errors import InvalidInput

GROUPS = ("grid", "community", "street")
COLUMNS = [  # key, Chinese heading, English heading
    ("code", "编码", "Code"), ("name", "名称", "Name"), ("logged", "上报数", "Logged"),
    ("closed", "结案数", "Closed"), ("grid_rate", "网格内解决率", "Solved within grid"),
    ("community_rate", "社区内解决率", "Solved within community"),
    ("on_time_rate", "按期结案率", "Closed on time"), ("mean_hours", "平均结案时长(小时)", "Mean hours to close"),
    ("p90_hours", "90%结案时长(小时)", "P90 hours to close"), ("reopen_rate", "返工率", "Reopen rate"),
    ("overdue_now", "当前超期", "Overdue now"),
]


@dataclass(frozen=True)
class Period:
    """A half-open period [since, until)."""

    since: datetime
    until: datetime


def _group_columns(group: str):
    if group == "grid":
        return Grid.code, Grid.name, Case.grid_id == Grid.id, Grid
    if group == "community":
        return Community.code, Community.name, Case.community_id == Community.id, Community
    if group == "street":
        return Street.code, Street.name, Case.street_code == Street.code, Street
    raise InvalidInput(f"group must be one of {', '.join(GROUPS)}", code="bad_group")


def compute(session: Session, user, group: str, period: Period) -> list[dict]:
    """One row of indicators per unit of the group that had any case in the user's scope."""
    code_col, name_col, join_on, model = _group_columns(group)
    now = clock.now()
    closed_in = and_(Case.closed_at >= period.since, Case.closed_at < period.until)
    logged_in = and_(Case.created_at >= period.since, Case.created_at < period.until, Case.state != "merged")
    hours = func.extract("epoch", Case.closed_at - Case.created_at) / 3600.0

    def share(condition):
        closed = func.count().filter(closed_in)
        return cast(func.count().filter(and_(closed_in, condition)), Float) / func.nullif(closed, 0)

    query = area_cases(
        select(
            code_col.label("code"), name_col.label("name"),
            func.count().filter(logged_in).label("logged"),
            func.count().filter(closed_in).label("closed"),
            share(Case.max_level == "grid").label("grid_rate"),
            share(Case.max_level.in_(("grid", "community"))).label("community_rate"),
            share(Case.closed_at <= Case.resolve_by).label("on_time_rate"),
            func.avg(sql_case((closed_in, hours))).label("mean_hours"),
            func.percentile_cont(0.9).within_group(hours).filter(closed_in).label("p90_hours"),
            share(Case.reopen_count > 0).label("reopen_rate"),
            func.count().filter(Case.overdue_at(now)).label("overdue_now"),
        ).select_from(Case).join(model, join_on).group_by(code_col, name_col).order_by(code_col),
        user)
    rows = []
    for r in session.execute(query):
        row = dict(r._mapping)
        if row["logged"] or row["closed"] or row["overdue_now"]:
            rows.append({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
    return rows


def parse_period(since: str | None, until: str | None, default_days: int = 30, *,
                 inclusive_until: bool = False) -> Period:
    """A period from ISO dates (default: the last 30 days up to now); a form's until date may be inclusive."""
    end = dates.parse_time(until, "until", next_day=inclusive_until) or clock.now()
    start = dates.parse_time(since, "since") or end - timedelta(days=default_days)
    if start >= end:
        raise InvalidInput("since must be before until", code="bad_period")
    return Period(start, end)
