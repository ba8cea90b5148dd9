"""The indicators counted from the cases themselves (the query before case_stats): the reference to compare with."""
from __future__ import annotations

from sqlalchemy import Float, and_, cast, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from grid_app.access.scope import area_cases
from grid_app.cases import clock
from grid_app.models import Case, Community, Grid, Street

JOINS = {"grid": (Grid, Case.grid_id == Grid.id), "community": (Community, Case.community_id == Community.id),
         "street": (Street, Case.street_code == Street.code)}


def raw_compute(session: Session, user, group: str, period) -> list[dict]:
    """One row per unit with any case, every case of the user's area read."""
    model, join_on = JOINS[group]
    now = clock.now()
    closed_in = and_(Case.closed_at >= period.since, Case.closed_at < period.until)
    logged_in = and_(Case.created_at >= period.since, Case.created_at < period.until, Case.state != "merged")
    hours = func.extract("epoch", Case.closed_at - Case.created_at) / 3600.0

    def share(condition):
        closed = func.count().filter(closed_in)
        return cast(func.count().filter(and_(closed_in, condition)), Float) / func.nullif(closed, 0)

    query = area_cases(
        select(
            model.code.label("code"), model.name.label("name"),
            func.count().filter(logged_in).label("logged"), func.count().filter(closed_in).label("closed"),
            share(Case.max_level == "grid").label("grid_rate"),
            share(Case.max_level.in_(("grid", "community"))).label("community_rate"),
            share(Case.closed_at <= Case.resolve_by).label("on_time_rate"),
            func.avg(sql_case((closed_in, hours))).label("mean_hours"),
            func.percentile_cont(0.9).within_group(hours).filter(closed_in).label("p90_hours"),
            share(Case.reopen_count > 0).label("reopen_rate"),
            func.count().filter(Case.overdue_at(now)).label("overdue_now"),
        ).select_from(Case).join(model, join_on).group_by(model.code, model.name).order_by(model.code), user)
    rows = []
    for r in session.execute(query):
        row = dict(r._mapping)
        if row["logged"] or row["closed"] or row["overdue_now"]:
            rows.append({k: (round(float(v), 4) if isinstance(v, float) else v) for k, v in row.items()})
    return rows


def assert_same(got: list[dict], want: list[dict]) -> None:
    """Equal rows; floats within rounding (an average summed in another order may differ in the last place)."""
    assert [r["code"] for r in got] == [r["code"] for r in want]
    for g, w in zip(got, want):
        for key, value in w.items():
            if isinstance(value, float):
                assert g[key] is not None and abs(g[key] - value) <= 2e-4, (w["code"], key, g[key], value)
            else:
                assert g[key] == value, (w["code"], key, g[key], value)


def stats_snapshot(session) -> list[tuple]:
    """case_stats as comparable rows: zero rows left out, hours sorted."""
    from sqlalchemy import text
    rows = session.execute(text(
        "SELECT grid_id, month, hidden, community_id, street_code, logged, closed, closed_grid, closed_community, "
        "closed_on_time, reopened, (SELECT array_agg(h ORDER BY h) FROM unnest(hours) h) FROM case_stats "
        "WHERE logged <> 0 OR closed <> 0 OR cardinality(hours) <> 0 ORDER BY 1, 2, 3, 4, 5")).all()
    return [tuple(r) for r in rows]


def assert_stats_current(session) -> None:
    """What the triggers kept equals a recount from the cases."""
    from grid_app.cases import case_stats
    session.flush()
    kept = stats_snapshot(session)
    case_stats.rebuild(session)
    assert stats_snapshot(session) == kept
