"""Visits: the next visit due across interval edges, sent once per key, scoped per grid, tags per role."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from grid_app.cases import clock
from grid_app.models.care import CareLevel, CareTag, ResidentCare, Visit
from grid_app.models.people import Resident
from grid_app.people.crypto import app_keyring
from grid_app.people.register import existing_building_codes, write_people
from grid_app.people.sheet import check_file
from grid_app.people.visits import due_list

from .. import district as d
from ..geo import lonlat
from .register import rows, write_csv


@pytest.fixture()
def register(session, tmp_path):
    """The three residents of the test register (grid A1), each a key resident on the red level (7 days)."""
    sheet = check_file(write_csv(tmp_path / "r.csv", rows()), lambda c: existing_building_codes(session, c))
    write_people(session, app_keyring(current_app), sheet.people)
    session.flush()
    ids = {r.name: r.id for r in session.scalars(select(Resident))}
    tag = session.scalar(select(CareTag).where(CareTag.code == "elderly_alone"))
    red = session.scalar(select(CareLevel).where(CareLevel.code == "red"))
    for resident_id in ids.values():
        session.add(ResidentCare(resident_id=resident_id, tag_id=tag.id, level_id=red.id))
    session.flush()
    return ids


def _visit(session, users, resident_id, at, key):
    session.add(Visit(resident_id=resident_id, worker_id=users["worker"].id, street_code=d.STREET, kind="phone",
                      at=at, follow_up=False, far_from_home=False, idempotency_key=key))
    session.flush()


def test_due_across_interval_edges(session, users, register):
    now = clock.now()
    days = {"王建国": 6, "李秀英": 7, "欧阳明辉": 8}  # a day before the 7-day interval ends, at it, after it
    for name, ago in days.items():
        _visit(session, users, register[name], now - timedelta(days=ago), f"edge-key-{ago}")
    listed = due_list(session, users["worker"], grid=d.GRID_A1, now=now)["residents"]
    flags = {r["id"]: (r["due"], r["overdue"]) for r in listed}
    assert flags == {register["王建国"]: (False, False), register["李秀英"]: (True, False),
                     register["欧阳明辉"]: (True, True)}
    assert [r["id"] for r in listed] == [register["欧阳明辉"], register["李秀英"], register["王建国"]]


def test_shortest_interval_wins_and_never_visited_is_due_now(session, users, register):
    now = clock.now()
    green = session.scalar(select(CareLevel).where(CareLevel.code == "green"))
    veteran = session.scalar(select(CareTag).where(CareTag.code == "veteran"))
    session.add(ResidentCare(resident_id=register["王建国"], tag_id=veteran.id, level_id=green.id))
    _visit(session, users, register["王建国"], now - timedelta(days=10), "shortest-key")
    listed = {r["id"]: r for r in due_list(session, users["admin"], now=now)["residents"]}
    wang = listed[register["王建国"]]
    assert (wang["level"], wang["interval_days"], wang["overdue"]) == ("red", 7, True)  # red's 7 days, not 30
    li = listed[register["李秀英"]]
    assert (li["last_visit"], li["due"], li["overdue"]) == (None, True, False)


def _body(resident_id, key, **more):
    return {"resident_id": resident_id, "kind": "phone", "finding": "身体尚好", "idempotency_key": key, **more}


def test_offline_resend_creates_one_visit(session, login, register):
    client = login("worker")
    first = client.post("/api/v1/visits", json=_body(register["王建国"], "offline-key-1"))
    again = client.post("/api/v1/visits", json=_body(register["王建国"], "offline-key-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert session.scalar(select(func.count()).select_from(Visit)) == 1
    assert login("admin").post("/api/v1/visits", json=_body(register["王建国"], "offline-key-1")).status_code == 409
    listed = login("worker").get(f"/api/v1/residents/{register['王建国']}/visits")
    assert listed.status_code == 200 and listed.headers["Cache-Control"] == "no-store"
    assert [v["finding"] for v in listed.get_json()["visits"]] == ["身体尚好"]


@pytest.mark.parametrize("role", ["worker_a2", "secretary_b"])
def test_another_grid_cannot_see_or_post_visits(session, login, register, role):
    client = login(role)
    assert client.get(f"/api/v1/visits/due?grid={d.GRID_A1}").status_code == 404
    assert client.get("/api/v1/visits/due").get_json()["residents"] == []
    assert client.get(f"/api/v1/residents/{register['王建国']}/visits").status_code == 404
    assert client.post("/api/v1/visits", json=_body(register["王建国"], "other-grid-key")).status_code == 404
    assert session.scalar(select(func.count()).select_from(Visit)) == 0


def test_care_tags_only_for_the_roles_that_care(login, register):
    due = login("worker").get(f"/api/v1/visits/due?grid={d.GRID_A1}")
    assert due.status_code == 200 and due.headers["Cache-Control"] == "no-store"
    body = due.get_json()
    assert body["total"] == 3 and all(r["tags"][0]["name"] == "独居老人" for r in body["residents"])
    assert "王建国" not in due.get_data(as_text=True)  # names masked
    for role in ("street", "planner", "api"):
        res = login(role).get("/api/v1/visits/due")
        assert res.status_code == 403 and "独居老人" not in res.get_data(as_text=True)
        assert login(role).get(f"/api/v1/residents/{register['王建国']}/visits").status_code == 403
    # the register's own listing never carries care tags
    assert "独居老人" not in login("worker").get(f"/api/v1/residents?grid={d.GRID_A1}").get_data(as_text=True)


@pytest.mark.parametrize("kind, where, far", [
    ("home", (150, 110), False),   # inside the courtyard building
    ("home", (150, 500), True),    # about 300 m away
    ("phone", (150, 500), False),  # a phone call may come from anywhere
])
def test_far_from_home_flag(login, register, kind, where, far):
    lon, lat = lonlat(*where)
    res = login("worker").post("/api/v1/visits", json=_body(register["王建国"], f"far-key-{kind}-{where[1]}",
                                                            kind=kind, lon=lon, lat=lat))
    assert res.status_code == 201 and res.get_json()["far_from_home"] is far


@pytest.mark.parametrize("field, value", [
    ("resident_id", "1"), ("resident_id", True), ("resident_id", 2 ** 40), ("kind", "visit"), ("kind", ["home"]),
    ("finding", 5), ("finding", "x" * 2001), ("finding", "a\x00b"), ("follow_up", "yes"), ("lon", "east"),
    ("idempotency_key", "short"), ("idempotency_key", {"a": 1}), ("at", 12), ("at", "2999-01-01T00:00:00"),
    ("crs", 5),
])
def test_bad_fields_are_400_and_write_nothing(session, login, register, field, value):
    body = _body(register["王建国"], "valid-key-123", lon=120.0, lat=31.0)
    body[field] = value
    res = login("worker").post("/api/v1/visits", json=body)
    assert res.status_code == 400, res.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Visit)) == 0
