"""The city generator at a tiny size: counts, unique hierarchical codes, and every case a valid workflow path."""
from __future__ import annotations

import os
from collections import defaultdict

import pytest
from sqlalchemy import create_engine, text

from grid_app.cases import workflow
from grid_app.demo_data.city import build_city
from grid_app.models.cases import LEVELS, OPEN_STATES
from grid_app.platform import localdb

CASES = 3000


@pytest.fixture(scope="module")
def city():
    """A two-tile city with 3,000 cases in its own scratch database (dropped afterwards)."""
    cluster = localdb.for_tests()
    name = f"grid_city_test_{os.getpid()}"
    url = cluster.ensure_database(name, fresh=True)
    figures = build_city(url, 0.01, tiles_=2, cases=CASES, coverage=False, verbose=False)
    engine = create_engine(url)
    with engine.connect() as conn:
        yield figures, conn
    engine.dispose()
    cluster.drop_database(name)


def test_counts_are_two_demo_districts(city):
    figures, conn = city
    assert figures["street"] == 2
    assert figures["community"] == 12
    assert figures["grid"] == 58
    assert figures["building"] == 2 * 1825
    assert figures["network_edge"] % 2 == 0 and figures["network_edge"] > 10_000
    assert figures["case_record"] == CASES
    # a copied tile is the template moved, not reshaped
    areas = conn.execute(text("SELECT round(sum(ST_Area(geom::geography))) FROM building "
                              "GROUP BY street_code ORDER BY street_code")).scalars().all()
    assert abs(areas[0] - areas[1]) / areas[0] < 0.01


@pytest.mark.parametrize("table, parent, column", [
    ("community", "street", "street_id"), ("grid", "community", "community_id"),
    ("residential_area", "community", "community_id"), ("building", "community", "community_id")])
def test_codes_unique_and_under_their_parent(city, table, parent, column):
    _, conn = city
    dup = conn.execute(text(f"SELECT count(*) - count(DISTINCT code) FROM {table}")).scalar()
    assert dup == 0
    wrong = conn.execute(text(f"SELECT count(*) FROM {table} t JOIN {parent} p ON p.id = t.{column} "
                              f"WHERE left(t.code, length(p.code)) <> p.code")).scalar()
    assert wrong == 0


def test_cases_lie_in_their_grid_and_building(city):
    _, conn = city
    outside = conn.execute(text(
        "SELECT count(*) FROM case_record c JOIN grid g ON g.id = c.grid_id JOIN building b ON b.id = c.building_id "
        "WHERE NOT ST_Intersects(g.geom, c.geom) OR NOT ST_Intersects(b.geom, c.geom) "
        "OR c.street_code <> g.street_code OR c.community_id <> g.community_id")).scalar()
    assert outside == 0


def test_every_case_is_a_valid_workflow_path(city):
    _, conn = city
    roles = dict(conn.execute(text("SELECT id, role FROM app_user")).all())
    cases = {r.id: r for r in conn.execute(text(
        "SELECT id, state, level, max_level, deadline, closed_at, handler_id, street_code, deadline < now() AS late "
        "FROM case_record"))}
    events = defaultdict(list)
    for e in conn.execute(text("SELECT * FROM case_event ORDER BY case_id, id")):
        events[e.case_id].append(e)
    assert set(events) == set(cases)
    for case_id, case in cases.items():
        state, level = _replay(events[case_id], roles)
        assert (state, level) == (case.state, case.level), case_id
        assert case.max_level == level  # levels only go up in the generated paths
        assert (case.deadline is not None) == (state in OPEN_STATES), case_id
        assert (case.closed_at is not None) == any(e.action == "close" for e in events[case_id])
        # the periodic job would have raised an overdue open case: only street-level cases stay overdue
        if state in OPEN_STATES and case.late:
            assert level == "street", case_id
        assert all(e.street_code == case.street_code for e in events[case_id])


def _replay(evs, roles) -> tuple[str, str]:
    """Check each event against the workflow table; return the final state and level."""
    first = evs[0]
    assert first.action == "collect" and first.from_state is None and first.to_state == "collected"
    state, level, at = first.to_state, first.to_level, first.at
    for e in evs[1:]:
        assert e.at >= at and e.from_state == state and e.from_level == level
        action = workflow.ACTIONS[e.action]
        assert state in action.sources
        if action.level_step:
            assert e.to_state == state and e.to_level == workflow.next_level(level, action.level_step)
        else:
            assert e.to_state == action.target and e.to_level == level
        if e.actor_id is None:
            assert e.action == "escalate"  # the periodic job
        else:
            assert roles[e.actor_id] in workflow.allowed_roles(action, level), (e.action, level, roles[e.actor_id])
        state, level, at = e.to_state, e.to_level, e.at
    assert level in LEVELS
    return state, level
