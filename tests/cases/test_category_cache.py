"""Intake keeps categories per process: never a stale level, deadline or deactivated category stored."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from grid_app.access import accounts
from grid_app.cases import category_cache
from grid_app.models import Case, Category

from ..geo import lonlat
from .helpers import new_key


@pytest.fixture()
def bearer(session, users, monkeypatch):
    monkeypatch.setattr(category_cache, "_kept", {})  # this test's copies only
    token, _ = accounts.issue_token(session, users["worker"], "category-cache-test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def post(client, bearer, code="0101"):
    lon, lat = lonlat(150, 150)
    return client.post("/api/v1/cases", headers=bearer, json={
        "category": code, "lon": lon, "lat": lat, "description": "楼下堆放垃圾", "idempotency_key": new_key()})


def change(session, code, **values):
    session.execute(update(Category).where(Category.code == code).values(**values))
    session.commit()


def test_a_category_deactivated_after_it_was_kept_is_refused_and_nothing_stored(client, bearer, session):
    assert post(client, bearer).status_code == 201  # now kept
    change(session, "0101", active=False)
    before = session.scalar(select(func.count(Case.id)))
    res = post(client, bearer)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_category"
    assert session.scalar(select(func.count(Case.id))) == before


def test_new_deadlines_and_level_apply_to_the_next_case_at_once(client, bearer, session):
    assert post(client, bearer).status_code == 201  # now kept with 1 hour to register, at grid level
    change(session, "0101", default_level="community",
           deadline_hours={"register": 5, "dispatch": 2, "handle": 24, "verify": 24})
    res = post(client, bearer)
    assert res.status_code == 201
    case = session.get(Case, res.get_json()["id"])
    assert case.level == "community" and case.deadline - case.created_at == timedelta(hours=5)
    assert case.resolve_by - case.created_at == timedelta(hours=55)


def test_a_kept_category_costs_no_statement(client, bearer, session):
    from .test_intake_cost import counted
    assert post(client, bearer).status_code == 201
    with counted() as statements:
        assert post(client, bearer).status_code == 201
    assert not any("FROM category" in s.split("WITH")[0] for s in statements)
    assert len(statements) == 2  # the token's user, and the one statement that stores the case
