"""Placing an unlocated case in a grid: the street's triage, its scope, its errors, and what follows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from grid_app.access.accounts import create_user
from grid_app.cases import clock, placing
from grid_app.cases.transitions import available_actions, transition
from grid_app.extensions import db
from grid_app.models import Case, CaseEvent, CasePhoto, Grid, Street
from grid_app.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

from .. import district
from ..conftest import PASSWORD
from ..geo import lonlat
from .helpers import log_case, new_key
from .raw_indicators import assert_stats_current
from .test_concurrency import run_threads

NOWHERE = (-2000, 300)  # 2 km west of grid A1 (x 0..500, y 0..500): no grid within the snap distance


def _events(session, case_id):
    return session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).all()


def test_the_street_places_an_unlocated_case_and_the_grid_works_it(session, users):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    assert case.grid_id is None and case.street_code is None
    assert available_actions(users["street"], case) == ["reject", "place"]
    assert available_actions(users["admin"], case) == ["reject", "place"]
    assert available_actions(users["worker"], case) == []  # not theirs until it is placed
    before = clock.now()
    case = transition(session, users["street"], case.id, "place", grid=district.GRID_A1, note="路口西侧",
                      version=case.version)
    grid = session.scalar(select(Grid).where(Grid.code == district.GRID_A1))
    assert (case.grid_id, case.community_id, case.street_code) == (grid.id, grid.community_id, district.STREET)
    assert case.state == "collected" and case.level == "grid"
    assert case.snapped_m == pytest.approx(2000, rel=0.01)  # how far from the grid the point lies
    # the grid gets the whole register step from now, not what was left of it while nobody held the case
    assert case.deadline >= before + timedelta(hours=case.category.deadline_hours["register"])
    place = _events(session, case.id)[-1]
    assert place.action == "place" and place.actor_id == users["street"].id
    assert place.note == f"{grid.code} {grid.name} — 路口西侧"
    assert (place.from_state, place.to_state, place.from_level, place.to_level) == (
        "collected", "collected", "grid", "grid")
    assert place.street_code == district.STREET
    # now it is the grid worker's, through the usual workflow; the street can no longer place it
    assert "register" in available_actions(users["worker"], case)
    assert "place" not in available_actions(users["street"], case)
    assert transition(session, users["worker"], case.id, "register").state == "registered"


def test_placing_keeps_the_counts(session, users):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    assert_stats_current(session)
    transition(session, users["street"], case.id, "place", grid=district.GRID_B1)
    assert_stats_current(session)  # the case is counted in grid B1 now, no longer as unlocated


def test_only_an_unlocated_case_can_be_placed(session, users):
    case, _ = log_case(session, users["worker"])  # in grid A1
    assert "place" not in available_actions(users["admin"], case)
    for user in (users["admin"], users["street"]):
        with pytest.raises(Conflict) as info:
            transition(session, user, case.id, "place", grid=district.GRID_B1)
        assert info.value.code == "located"
    assert session.get(Case, case.id).grid.code == district.GRID_A1


@pytest.mark.parametrize("grid, error, code", [
    (None, InvalidInput, "bad_grid"), ("", InvalidInput, "bad_grid"), ("  ", InvalidInput, "bad_grid"),
    (341702900001001, InvalidInput, "bad_grid"), ([district.GRID_A1], InvalidInput, "bad_grid"),
    ("3" * 16, InvalidInput, "bad_grid"), ("341702900001\x00", InvalidInput, "bad_input"),
    ("341702900009009", NotFound, "grid_not_found"), (district.COMM_A, NotFound, "grid_not_found"),
])
def test_a_bad_grid_is_refused_and_nothing_changes(session, users, grid, error, code):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    version = case.version
    with pytest.raises(error) as info:
        transition(session, users["street"], case.id, "place", grid=grid)
    assert info.value.code == code
    session.rollback()
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored.grid_id is None and stored.version == version
    assert [e.action for e in _events(session, case.id)] == ["collect"]


def test_grids_of_another_street_look_absent(session, users):
    session.add(Street(code="341702901", name="邻街道", geom=session.scalar(select(Street.geom))))
    session.flush()
    other = create_user(session, "t-street-other", PASSWORD, "street", street="341702901")
    case, _ = log_case(session, users["worker"], *NOWHERE)
    assert available_actions(other, case) == ["reject", "place"]  # every street triages the unlocated
    assert placing.nearest_grids(session, other, case) == []  # but has no grid here to place it in
    with pytest.raises(NotFound) as info:
        transition(session, other, case.id, "place", grid=district.GRID_A1)
    assert info.value.code == "grid_not_found"


@pytest.mark.parametrize("role", ["worker", "secretary", "planner", "api"])
def test_other_roles_cannot_place(session, users, role):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    with pytest.raises((Forbidden, NotFound)):
        transition(session, users[role], case.id, "place", grid=district.GRID_A1)
    assert session.get(Case, case.id).grid_id is None


def test_a_stale_version_is_refused(session, users):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    with pytest.raises(Conflict) as info:
        transition(session, users["street"], case.id, "place", grid=district.GRID_A1, version=case.version - 1)
    assert info.value.code == "stale_version"


def test_nearest_grids_come_nearest_first_within_the_area(session, users):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    near = placing.nearest_grids(session, users["street"], case)
    # A1 at 2000 m, A2 (y 500..1000, and its exclave at x 1200..1300) at about 2010 m, B1 at 2500 m
    assert [g.code for g, _ in near] == [district.GRID_A1, district.GRID_A2, district.GRID_B1]
    assert [round(m, -1) for _, m in near] == [2000, 2010, 2500]


def test_api_place_and_its_errors(client, login, session):
    login("worker")
    lon, lat = lonlat(*NOWHERE)
    made = client.post("/api/v1/cases", json={"category": "0101", "lon": lon, "lat": lat, "description": "井盖缺失",
                                              "idempotency_key": new_key()})
    assert made.status_code == 201 and made.get_json()["located"] is False
    case_id = made.get_json()["id"]
    login("street")
    url = f"/api/v1/cases/{case_id}/transitions"
    assert client.get(f"/api/v1/cases/{case_id}").get_json()["actions"] == ["reject", "place"]
    for body, status, code in [
        ({"action": "place"}, 400, "bad_grid"),
        ({"action": "place", "grid": 5}, 400, "bad_body"),
        ({"action": "place", "grid": {"code": district.GRID_A1}}, 400, "bad_body"),
        ({"action": "place", "grid": "341702900009009"}, 404, "grid_not_found"),
    ]:
        res = client.post(url, json=body)
        assert res.status_code == status and res.get_json()["error"] == code, (body, res.get_json())
    res = client.post(url, json={"action": "place", "grid": district.GRID_A2, "note": "核实后归属"})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["grid"]["code"] == district.GRID_A2 and body["located"] is True and "place" not in body["actions"]
    events = client.get(f"/api/v1/cases/{case_id}/events").get_json()["events"]
    assert [e["action"] for e in events] == ["collect", "place"]
    again = client.post(url, json={"action": "place", "grid": district.GRID_B1})
    assert again.status_code == 409 and again.get_json()["error"] == "located"


def test_desk_page_offers_the_nearest_grids_and_places(client, login, session, users):
    case, _ = log_case(session, users["worker"], *NOWHERE)
    login("street")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'name="grid"' in page and page.index(district.GRID_A1) < page.index(district.GRID_B1)
    assert "定位到网格" in page and "相距 2,00" in page  # about 2 km
    assert "unlocated: held for triage" not in page
    assert "不在任何网格内：待街道定位到网格或不予立案" in page
    bad = client.post(f"/cases/{case.id}/act", data={"action": "place", "grid": "", "version": case.version})
    assert bad.status_code == 400 and "请选择要定位到的网格" in bad.get_data(as_text=True)
    done = client.post(f"/cases/{case.id}/act", data={"action": "place", "grid": district.GRID_B1,
                                                      "version": case.version})
    assert done.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'name="grid"' not in page and "乙社区第1网格" in page


def test_two_street_officers_placing_at_once_place_it_once(app):
    clients = []
    for _ in range(2):
        c = app.test_client()
        assert c.post("/login", data={"username": "t-street", "password": PASSWORD}).status_code == 302
        clients.append(c)
    lon, lat = lonlat(*NOWHERE)
    made = clients[0].post("/api/v1/cases", json={"category": "0101", "lon": lon, "lat": lat,
                                                  "description": "并发定位", "idempotency_key": new_key()})
    assert made.status_code == 201, made.get_json()
    case_id = made.get_json()["id"]
    grids = [district.GRID_A1, district.GRID_B1]
    responses = run_threads(2, lambda i: clients[i].post(f"/api/v1/cases/{case_id}/transitions",
                                                         json={"action": "place", "grid": grids[i]}))
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200).get_json()["grid"]["code"]
    with app.app_context():
        assert db.session.get(Case, case_id).grid.code == winner
        assert db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id,
                                                             CaseEvent.action == "place")) == 1


def test_the_street_lists_the_cases_waiting_to_be_placed(client, login, session, users):
    waiting, _ = log_case(session, users["worker"], *NOWHERE)
    located, _ = log_case(session, users["worker"])
    login("street")
    page = client.get("/cases?unlocated=true").get_data(as_text=True)
    assert 'name="unlocated"' in page and f"/cases/{waiting.id}\"" in page and f"/cases/{located.id}\"" not in page
    transition(session, users["street"], waiting.id, "place", grid=district.GRID_A1)
    page = client.get("/cases?unlocated=true").get_data(as_text=True)
    assert f"/cases/{waiting.id}\"" not in page
    assert client.get("/cases?unlocated=maybe").status_code == 400
    login("worker")
    assert 'name="unlocated"' not in client.get("/cases").get_data(as_text=True)  # workers never hold one


def test_notes_the_system_writes_are_shown_in_the_ui_language(session, users):
    from grid_app.cases.transitions import escalate_overdue
    from grid_app.cases.workflow import ESCALATION_NOTE, UNLOCATED_NOTE
    from grid_app.maps.labels import event_note
    case, _ = log_case(session, users["worker"], *NOWHERE)
    collect = _events(session, case.id)[0]
    assert collect.note == UNLOCATED_NOTE and event_note(collect, "zh").startswith("不在任何网格内")
    # a person who types the system's words is shown as written, not as the system
    transition(session, users["street"], case.id, "reject", note=UNLOCATED_NOTE)
    assert event_note(_events(session, case.id)[-1], "zh") == UNLOCATED_NOTE
    late, _ = log_case(session, users["worker"])
    transition(session, users["worker"], late.id, "escalate", note=ESCALATION_NOTE)
    assert event_note(_events(session, late.id)[-1], "en") == ESCALATION_NOTE
    escalate_overdue(session, now=clock.now() + timedelta(days=30))
    job = _events(session, late.id)[-1]
    assert job.actor_id is None and event_note(job, "zh") == "超过期限，已自动上报。"
    assert event_note(job, "en") == "Deadline passed: escalated automatically."


def test_no_case_is_merged_into_an_unlocated_one(session, users):
    waiting, _ = log_case(session, users["worker"], *NOWHERE)
    located, _ = log_case(session, users["worker"])
    with pytest.raises(Conflict) as info:  # its grid's staff would lose sight of the case merged into it
        transition(session, users["street"], located.id, "merge", into=waiting.id)
    assert info.value.code == "unlocated" and session.get(Case, located.id).state == "collected"


def test_placing_restarts_the_time_to_finish_and_moves_the_photos_key(session, users, tmp_path):
    from .helpers import jpeg
    case, _ = log_case(session, users["worker"], *NOWHERE, photos=[("before.jpg", jpeg())], upload_dir=str(tmp_path))
    session.execute(text("UPDATE case_record SET created_at = created_at - interval '4 days', "
                         "resolve_by = resolve_by - interval '4 days' WHERE id = :i"), {"i": case.id})
    session.expire_all()
    before = clock.now()
    case = transition(session, users["street"], case.id, "place", grid=district.GRID_A1)
    hours = case.category.deadline_hours
    assert case.resolve_by >= before + timedelta(hours=sum(hours[s] for s in ("register", "dispatch", "handle",
                                                                             "verify")))
    assert session.scalars(select(CasePhoto.street_code).where(CasePhoto.case_id == case.id)).all() == [district.STREET]


def test_nearest_means_metres_not_degrees(session, users):
    """A grid 2,100 m due south is nearer in degrees than grid A1 2,000 m due east (1 / cos 30.66° = 1.16)."""
    from geoalchemy2.shape import from_shape
    from ..geo import box, multi
    community = session.scalar(select(Grid.community_id).where(Grid.code == district.GRID_A1))
    session.add(Grid(code=district.COMM_A + "009", name="南侧网格", community_id=community,
                     geom=from_shape(multi(box(-2100, -1900, -1900, -1800)), srid=4326)))
    session.flush()
    case, _ = log_case(session, users["worker"], *NOWHERE)
    near = placing.nearest_grids(session, users["street"], case, limit=3)
    assert [g.code for g, _ in near] == [district.GRID_A1, district.GRID_A2, district.COMM_A + "009"]
    assert [m for _, m in near] == pytest.approx([2000, 2010, 2100], abs=15)  # in degrees the south grid came first


def test_a_worker_posting_place_on_the_desk_reads_why_in_chinese(client, login, session, users):
    case, _ = log_case(session, users["worker"], *NOWHERE)  # the worker reads it: they reported it
    login("worker")
    res = client.post(f"/cases/{case.id}/act", data={"action": "place", "grid": district.GRID_A1})
    assert res.status_code == 403 and "不在你负责的区域内" in res.get_data(as_text=True)
    assert session.get(Case, case.id).grid_id is None
