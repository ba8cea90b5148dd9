"""Case counts per grid and month (table case_stats): kept by triggers on case_record, read by the indicators.

Whole UTC months of a period come from case_stats; the partial months at its edges (a period of dates
ends at a midnight, "the last 30 days" at now) are counted from case_record through the (place, time)
indexes, so a period of any length reads a few rows per grid and month plus at most two partial months.
Per day would not help: a city grid logs about one case every two days, so per grid and day there is
about one row per case, as many as case_record itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Float, and_, cast, func, literal, select, text, true, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.models import Case, CaseStats

COUNTS = ("logged", "closed", "closed_grid", "closed_community", "closed_on_time", "reopened")
REBUILD_LOCK = 0x6361_7365  # advisory lock key: one rebuild at a time ("case")


@dataclass(frozen=True)
class Split:
    """A period cut into whole UTC months [first, last) and the partial edges around them."""

    whole: tuple[datetime, datetime] | None
    edges: tuple[tuple[datetime, datetime], ...]


def month_start(t: datetime) -> datetime:
    """The start of t's UTC month."""
    u = t.astimezone(timezone.utc)
    return u.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(m: datetime) -> datetime:
    """The start of the month after the month start m."""
    return m.replace(year=m.year + 1, month=1) if m.month == 12 else m.replace(month=m.month + 1)


def split(since: datetime, until: datetime) -> Split:
    """Whole months inside [since, until) and the partial ranges left at either end."""
    first = month_start(since)
    if first < since:
        first = next_month(first)
    last = month_start(until)
    if first >= last:
        return Split(None, ((since, until),))
    edges = tuple((a, b) for a, b in ((since, first), (last, until)) if a < b)
    return Split((first, last), edges)


def rebuild(session: Session) -> int:
    """Recount case_stats from case_record (after a bulk load with triggers off); rows written. Writers
    of cases wait meanwhile; a second rebuild waits for the first."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REBUILD_LOCK})
    rows = session.scalar(text("SELECT case_stats_rebuild()"))
    session.execute(text("ANALYZE case_stats"))
    return int(rows)


def _stats_scope(user):
    """case_stats rows of the user's area: the grids whose cases the user works; hidden cases for admins only
    (the same rule as scope.case_area_clause, by grid: a located case's grid holds its community and street)."""
    grids = scope.grid_ids(user)
    clause = true() if grids is None else CaseStats.grid_id.in_(grids)
    return clause if user.role == "admin" else and_(clause, CaseStats.hidden.is_(False))


def _raw_edges(key_column, user, edges) -> list:
    """Per-case contributions of the partial ranges, the same columns as case_stats (from case_record): one
    select per range and kind, so each is an index range on (place, created_at) or (place, closed_at)."""
    zero = literal(0)
    no_hours = cast(array([], type_=Float), ARRAY(Float))
    hours = func.extract("epoch", Case.closed_at - Case.created_at) / cast(literal(3600.0), Float)
    located = (Case.grid_id.is_not(None), Case.community_id.is_not(None), Case.street_code.is_not(None))

    def flag(condition):
        return sql_case((condition, 1), else_=0)

    parts = []
    for a, b in edges:
        parts.append(scope.area_cases(select(
            key_column.label("k"), literal(1).label("logged"), *(zero.label(c) for c in COUNTS[1:]),
            no_hours.label("hours"))
            .where(Case.created_at >= a, Case.created_at < b, Case.state != "merged", *located), user))
        parts.append(scope.area_cases(select(
            key_column.label("k"), zero.label("logged"), literal(1).label("closed"),
            flag(Case.max_level == "grid").label("closed_grid"),
            flag(Case.max_level.in_(("grid", "community"))).label("closed_community"),
            flag(Case.closed_at <= Case.resolve_by).label("closed_on_time"),
            flag(Case.reopen_count > 0).label("reopened"), array([hours]).label("hours"))
            .where(Case.closed_at >= a, Case.closed_at < b, *located), user))
    return parts


def period_figures(session: Session, user, key: str, since: datetime, until: datetime,
                   community_ids: list[int] | None = None) -> dict:
    """Per unit (key: grid_id, community_id or street_code) the period's counts, and mean / p90 hours to close,
    equal to counting the cases themselves; only the given communities' when named."""
    parts = []
    cut = split(since, until)
    if cut.whole:
        stats = (select(getattr(CaseStats, key).label("k"), *(getattr(CaseStats, c) for c in COUNTS), CaseStats.hours)
                 .where(CaseStats.month >= cut.whole[0], CaseStats.month < cut.whole[1], _stats_scope(user)))
        parts.append(stats if community_ids is None else stats.where(CaseStats.community_id.in_(community_ids)))
    for raw in _raw_edges(getattr(Case, key), user, cut.edges):
        parts.append(raw if community_ids is None else raw.where(Case.community_id.in_(community_ids)))
    facts = union_all(*parts).cte("facts")
    out = {}
    for row in session.execute(select(facts.c.k, *(func.sum(facts.c[c]).label(c) for c in COUNTS))
                               .group_by(facts.c.k)):
        out[row.k] = {c: int(getattr(row, c)) for c in COUNTS}
    h = func.unnest(facts.c.hours).table_valued("h").render_derived(name="u")
    for row in session.execute(select(facts.c.k, func.avg(h.c.h).label("mean"),
                                      func.percentile_cont(0.9).within_group(h.c.h).label("p90"))
                               .select_from(facts).join(h, true()).group_by(facts.c.k)):
        out[row.k].update(mean_hours=row.mean, p90_hours=row.p90)
    return out


def overdue_now(session: Session, user, key: str, now: datetime, community_ids: list[int] | None = None) -> dict:
    """Per unit the open cases of the user's area past their deadline now ((place, deadline) indexes of the cases with a deadline)."""
    column = getattr(Case, key)
    query = scope.area_cases(select(column, func.count()).where(Case.overdue_at(now), column.is_not(None))
                             .group_by(column), user)
    if community_ids is not None:
        query = query.where(Case.community_id.in_(community_ids))
    return {k: int(n) for k, n in session.execute(query)}

