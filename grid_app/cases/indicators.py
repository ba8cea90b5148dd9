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

from sqlalchemy import select
from sqlalchemy.orm import Session

from grid_app.cases import case_stats, clock, dates
from grid_app.models import Community, Grid, Street
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


# group -> the case column it counts by, and the unit it names
UNITS = {"grid": ("grid_id", Grid, Grid.id), "community": ("community_id", Community, Community.id),
         "street": ("street_code", Street, Street.code)}


def _unit(group: str):
    if group not in UNITS:
        raise InvalidInput(f"group must be one of {', '.join(GROUPS)}", code="bad_group")
    return UNITS[group]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compute(session: Session, user, group: str, period: Period, *,
            community_ids: list[int] | None = None) -> list[dict]:
    """One row of indicators per unit of the group that had any case in the user's scope (and in the given
    communities), in code order; counts per grid and month from case_stats, partial months from the cases."""
    key, model, key_column = _unit(group)
    figures = case_stats.period_figures(session, user, key, period.since, period.until, community_ids)
    overdue = case_stats.overdue_now(session, user, key, clock.now(), community_ids)
    keys = {k for k, f in figures.items() if f["logged"] or f["closed"]} | {k for k, n in overdue.items() if n}
    if not keys:
        return []
    names = session.execute(select(key_column, model.code, model.name).where(key_column.in_(keys))).all()
    rows = []
    for k, code, name in sorted(names, key=lambda r: r[1]):
        f = figures.get(k) or {c: 0 for c in case_stats.COUNTS}
        closed = f["closed"]
        rows.append({
            "code": code, "name": name, "logged": f["logged"], "closed": closed,
            "grid_rate": _share(f["closed_grid"], closed), "community_rate": _share(f["closed_community"], closed),
            "on_time_rate": _share(f["closed_on_time"], closed),
            "mean_hours": _round(f.get("mean_hours")), "p90_hours": _round(f.get("p90_hours")),
            "reopen_rate": _share(f["reopened"], closed), "overdue_now": overdue.get(k, 0)})
    return rows


def _round(value):
    return round(float(value), 4) if value is not None else None


def parse_period(since: str | None, until: str | None, default_days: int = 30, *,
                 inclusive_until: bool = False) -> Period:
    """A period from ISO dates (default: the last 30 days up to now); a form's until date may be inclusive."""
    end = dates.parse_time(until, "until", next_day=inclusive_until) or clock.now()
    start = dates.parse_time(since, "since") or end - timedelta(days=default_days)
    if start >= end:
        raise InvalidInput("since must be before until", code="bad_period")
    return Period(start, end)
