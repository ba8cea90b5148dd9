"""The demo's year of cases: logged and moved through the app's own workflow, in every community and month.

The demo is loaded once for the module (the tests' slice: GRID_APP_DEMO_HISTORY_PER_MONTH in
tests/conftest.py, plus each grid's open and overdue case) at a fixed moment, in a transaction rolled
back at the end; the rhythm and hotspots of the full year are checked through the planner alone.
"""
from __future__ import annotations

import io
import math
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
from flask import g
from flask_sqlalchemy.session import _app_ctx_id
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session, sessionmaker

from grid_app.access.accounts import issue_token
from grid_app.cases import photos, workflow
from grid_app.demo_data import history
from grid_app.demo_data.history_write import demo_photo, load_history
from grid_app.demo_data.load import demo_building_codes, load_demo_data
from grid_app.extensions import db
from grid_app.models import OPEN_STATES, Case, CaseEvent, Community, User
from grid_app.platform.i18n import display_zone
from grid_app.platform.reference import CATEGORIES

from .test_demo_register import DEMO, _shipped

NOW = datetime(2026, 11, 18, 6, 30, tzinfo=timezone.utc)  # a Wednesday, 14:30 in Beijing
DEMO_CASES = Case.idempotency_key.startswith(history.KEY_PREFIX)


@pytest.fixture(scope="module")
def demo(app):
    """A session holding the loaded demo (the tests' slice) as of NOW, rolled back after the module."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
                                    scopefunc=_app_ctx_id)
        try:
            with mock.patch("grid_app.cases.clock.now", lambda: NOW):
                load_demo_data(db.session, str(DEMO), app.config)
            db.session.flush()
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


def _demo_community_ids(session) -> set[int]:
    codes = [c["code"] for c in _shipped("communities")]
    return set(session.scalars(select(Community.id).where(Community.code.in_(codes))))


def test_cases_in_every_community_in_each_of_twelve_months(app, demo):
    zone = display_zone(app.config)
    months = defaultdict(set)
    located = Case.community_id.is_not(None)  # the triage examples lie in no community
    for community_id, created in demo.execute(select(Case.community_id, Case.created_at).where(DEMO_CASES, located)):
        local = created.astimezone(zone)
        months[community_id].add((local.year, local.month))
    assert set(months) == _demo_community_ids(demo)
    for community_id, seen in months.items():
        assert len(seen) >= 12, (community_id, sorted(seen))
    first = demo.scalar(select(func.min(Case.created_at)).where(DEMO_CASES))
    assert NOW - timedelta(days=history.HISTORY_DAYS + 1) <= first < NOW - timedelta(days=330)


def test_every_case_went_through_the_workflow(demo):
    events = defaultdict(list)
    for e in demo.scalars(select(CaseEvent).join(Case).where(DEMO_CASES).order_by(CaseEvent.id)):
        events[e.case_id].append(e)
    cases = list(demo.scalars(select(Case).where(DEMO_CASES)))
    assert len(cases) > 100 and set(events) == {c.id for c in cases}
    for case in cases:
        trail = events[case.id]
        assert trail[0].action == "collect" and trail[0].from_state is None and trail[0].at == case.created_at
        for before, after in zip(trail, trail[1:]):
            action = workflow.ACTIONS[after.action]
            assert (after.from_state, after.from_level) == (before.to_state, before.to_level), case.idempotency_key
            assert after.from_state in action.sources and after.at >= before.at
            assert after.to_state == (action.target or after.from_state)
            if action.level_step:
                assert after.to_level == workflow.next_level(after.from_level, action.level_step)
            assert after.actor_id is not None  # a person took it: the demo ran no automatic job
        assert (case.state, case.level) == (trail[-1].to_state, trail[-1].to_level), case.idempotency_key
        assert trail[-1].at < NOW
        if case.state in ("closed", "evaluated"):
            closes = [e for e in trail if e.action == "close"]
            assert closes and case.closed_at == closes[-1].at
        assert (case.rating is not None) == (case.state == "evaluated")


def test_escalated_overdue_open_rejected_and_evaluated_ones(demo):
    def count(*where):
        return demo.scalar(select(func.count()).select_from(Case).where(DEMO_CASES, *where))
    escalated = count(Case.id.in_(select(CaseEvent.case_id).where(CaseEvent.action == "escalate")))
    assert escalated > 0 and count(Case.max_level == "street") > 0
    assert count(Case.overdue_at(NOW)) > 0
    assert count(Case.state.in_(OPEN_STATES)) > 0
    assert count(Case.state == "rejected") > 0 and count(Case.state == "evaluated") > 0
    assert count(Case.channel == "public") > 0 and count(Case.reporter_id.is_not(None)) > 0
    # Most are settled inside their grid (小事不出网格).
    assert count(Case.max_level == "grid", Case.state.in_(("closed", "evaluated"))) > count(Case.max_level != "grid")


def test_two_wait_beyond_the_edge_for_the_street_to_place(app, demo):
    waiting = list(demo.scalars(select(Case).where(Case.idempotency_key.startswith(f"{history.KEY_PREFIX}triage:"))))
    assert len(waiting) == 2
    assert all(c.grid_id is None and c.state == "collected" and c.reporter_id is not None for c in waiting)
    client, auth = _client_as(app, demo, "demo-street")
    listed = client.get("/api/v1/cases?unlocated=true&state=collected", headers=auth).get_json()["cases"]
    assert {c["id"] for c in listed} >= {c.id for c in waiting}
    assert all(c["actions"] == ["reject", "place"] for c in (
        client.get(f"/api/v1/cases/{case.id}", headers=auth).get_json() for case in waiting))


def test_some_came_from_visits(demo):
    made = list(demo.scalars(select(Case).where(Case.idempotency_key.startswith(f"{history.KEY_PREFIX}visit:"))))
    assert made and all(c.visit_id is not None for c in made)


def test_loading_again_adds_nothing(app, demo):
    counts = (demo.scalar(select(func.count()).select_from(Case).where(DEMO_CASES)),
              demo.scalar(select(func.count()).select_from(CaseEvent).join(Case).where(DEMO_CASES)))
    nested = demo.connection().begin_nested()  # undone for the other tests
    try:
        lines = load_history(demo, demo_building_codes(str(DEMO / "buildings.geojson")), NOW,
                             display_zone(app.config), app.config)
        demo.flush()
        assert lines[0].startswith("case history: 0 cases")
        assert (demo.scalar(select(func.count()).select_from(Case).where(DEMO_CASES)),
                demo.scalar(select(func.count()).select_from(CaseEvent).join(Case).where(DEMO_CASES))) == counts
    finally:
        nested.rollback()
        demo.expire_all()


def _client_as(app, session, username: str):
    # The module keeps one app context pushed, and Flask-Login keeps the last request's user in it.
    g.pop("_login_user", None)
    token, _ = issue_token(session, session.scalar(select(User).where(User.username == username)), "test")
    return app.test_client(), {"Authorization": f"Bearer {token}"}


def test_the_workers_task_list_and_the_secretarys_indicators_show_the_year(app, demo):
    with mock.patch("grid_app.cases.clock.now", lambda: NOW):
        client, auth = _client_as(app, demo, "demo-worker")
        res = client.get(f"/api/v1/cases?order=deadline&limit=200&area=mine&state={','.join(OPEN_STATES)}",
                         headers=auth)
        assert res.status_code == 200, res.get_data(as_text=True)
        assert res.get_json()["total"] > 0
        client, auth = _client_as(app, demo, "demo-secretary")
        since = (NOW - timedelta(days=365)).date().isoformat()
        res = client.get(f"/api/v1/indicators?group=community&since={since}", headers=auth)
        assert res.status_code == 200, res.get_data(as_text=True)
        (row,) = res.get_json()["rows"]
        assert row["logged"] > 0 and row["closed"] > 0 and row["grid_rate"] > 0 and row["mean_hours"] > 0


def test_the_plan_has_weeks_seasons_and_hotspots():
    categories = {c: history.Category(c, level, dict(zip(("register", "dispatch", "handle", "verify"), hours)))
                  for c, _, _, _, level, hours, _ in CATEGORIES}
    grids = [history.GridPlace(f"g{i}", f"c{i % 3}", ((117.48 + i * 0.003, 30.66), (117.481 + i * 0.003, 30.661)))
             for i in range(12)]
    market = history.Hotspot("market", "g0", "菜市场门口", 117.47, 30.65, 60, (("0501", 1.0),), 1.0, (365, 0))
    cases = history.plan(grids, [market], categories, NOW, timezone(timedelta(hours=8)))
    again = history.plan(grids, [market], categories, NOW, timezone(timedelta(hours=8)))
    assert [c.key for c in cases] == [c.key for c in again] and len({c.key for c in cases}) == len(cases)
    assert all(history.KEY_PREFIX in c.key and c.at < NOW for c in cases)
    weekday = Counter(c.at.astimezone(timezone(timedelta(hours=8))).weekday() for c in cases)
    assert weekday[6] < 0.75 * weekday[0]
    month = Counter((c.category, c.at.month) for c in cases)
    assert month["0101", 7] > 1.5 * month["0101", 1] and month["0402", 1] > month["0402", 7]
    vending = [c for c in cases if c.key.split(":")[2] == "market"]
    assert len(vending) > 200
    for c in vending:
        dx = (c.lon - market.lon) * 111_320 * math.cos(math.radians(market.lat))
        assert math.hypot(dx, (c.lat - market.lat) * 111_320) <= 61


def test_the_demo_photos_pass_the_apps_photo_check():
    before, after = demo_photo("k", after=False), demo_photo("k", after=True)
    assert before != after and Image.open(io.BytesIO(before)).format == "JPEG"
    assert len(photos.check_photos([("before.jpg", before), ("after.jpg", after)])) == 2
