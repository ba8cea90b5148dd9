"""转为事件: a visit's finding becomes one case, in the right grid with the building, only in scope."""
from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from grid_app.models import Case
from grid_app.models.care import Visit

from .. import district as d
from ..geo import box, lonlat
from .test_visits import register  # noqa: F401  (the fixture: three key residents in grid A1)

CATEGORY = "0801"  # 独居老人帮扶
COURTYARD = box(100, 100, 200, 200, holes=[(130, 130, 170, 170)])


def _visit(client, resident_id, key, where=None, kind="home", finding="楼道灯坏了，老人夜里看不见"):
    body = {"resident_id": resident_id, "kind": kind, "idempotency_key": key}
    if finding is not None:
        body["finding"] = finding
    if where is not None:
        body["lon"], body["lat"] = lonlat(*where)
    res = client.post("/api/v1/visits", json=body)
    assert res.status_code == 201, res.get_data(as_text=True)
    return res.get_json()


def _cases(session):
    """Cases made from visits (other tests of the run may have committed ordinary cases)."""
    return session.scalar(select(func.count()).select_from(Case).where(Case.visit_id.is_not(None)))


@pytest.mark.parametrize("where, kind", [
    ((150, 110), "home"),   # recorded inside the building: the visit's own point
    ((250, 150), "home"),   # 50 m off, on no building: still the resident's building
    ((150, 520), "home"),   # 320 m off in grid A2, flagged far from home: the building's point instead
    (None, "phone"),        # no position: the building's point
])
def test_visit_becomes_a_case_in_the_resident_grid_and_building(session, login, register, where, kind):
    client = login("worker")
    key = f"v-key-{kind}-{where[0]}-{where[1]}" if where else f"v-key-{kind}"
    visit = _visit(client, register["王建国"], key, where, kind)
    res = client.post(f"/api/v1/visits/{visit['id']}/case", json={"category": CATEGORY, "idempotency_key": "c-key-0001"})
    assert res.status_code == 201, res.get_data(as_text=True)
    body = res.get_json()
    case = session.get(Case, body["id"])
    assert (case.grid.code, case.building.code, case.residential_area.code) == (d.GRID_A1, d.COURTYARD, d.AREA)
    assert case.visit_id == visit["id"] == body["visit_id"] and case.reporter.username == "t-worker"
    assert case.description == "楼道灯坏了，老人夜里看不见"  # the finding only
    point = to_shape(case.geom)
    if where == (150, 110):
        assert (point.x, point.y) == pytest.approx(lonlat(*where))
    elif where is None or visit["far_from_home"]:
        assert COURTYARD.contains(point)
    text = res.get_data(as_text=True)
    assert not any(s in text for s in ("王", "独居老人", "elderly_alone"))  # no name, no care tag


def test_once_per_visit_same_key_same_case_another_key_409(session, login, register):
    client = login("worker")
    visit = _visit(client, register["李秀英"], "v-key-once", (150, 110))
    url = f"/api/v1/visits/{visit['id']}/case"
    first = client.post(url, json={"category": CATEGORY, "idempotency_key": "c-key-once", "description": "补装灯"})
    again = client.post(url, json={"category": CATEGORY, "idempotency_key": "c-key-once"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    other = client.post(url, json={"category": CATEGORY, "idempotency_key": "c-key-other"})
    assert other.status_code == 409
    assert other.get_json()["error"] == "visit_has_case"
    assert other.get_json()["details"] == {"case_id": first.get_json()["id"]}
    by_key = client.post("/api/v1/visits/by-key/v-key-once/case",
                         json={"category": CATEGORY, "idempotency_key": "c-key-third"})
    assert by_key.status_code == 409
    assert _cases(session) == 1 and session.get(Case, first.get_json()["id"]).description == "补装灯"


def test_outbox_chain_by_the_visit_key(session, login, register):
    client = login("worker")
    body = {"category": CATEGORY, "idempotency_key": "c-key-chain"}
    assert client.post("/api/v1/visits/by-key/v-key-chain/case", json=body).status_code == 404  # not arrived yet
    assert _cases(session) == 0
    visit = _visit(client, register["王建国"], "v-key-chain", kind="video")
    res = client.post("/api/v1/visits/by-key/v-key-chain/case", json=body)
    assert res.status_code == 201 and res.get_json()["visit_id"] == visit["id"]
    assert client.post("/api/v1/visits/by-key/v-key-chain/case", json=body).status_code == 200
    assert _cases(session) == 1


def test_a_key_of_another_case_is_refused(session, login, register):
    client = login("worker")
    first = _visit(client, register["王建国"], "v-key-k1")
    second = _visit(client, register["李秀英"], "v-key-k2")
    body = {"category": CATEGORY, "idempotency_key": "c-key-shared"}
    assert client.post(f"/api/v1/visits/{first['id']}/case", json=body).status_code == 201
    res = client.post(f"/api/v1/visits/{second['id']}/case", json=body)
    assert res.status_code == 409 and res.get_json()["error"] == "key_in_use"
    assert _cases(session) == 1


@pytest.mark.parametrize("role, status", [("worker_a2", 404), ("secretary_b", 404), ("street", 403),
                                          ("planner", 403), ("api", 403)])
def test_out_of_scope_is_refused(session, login, register, role, status):
    visit = _visit(login("worker"), register["王建国"], "v-key-scope", (150, 110))
    client = login(role)
    body = {"category": CATEGORY, "idempotency_key": "c-key-scope"}
    assert client.post(f"/api/v1/visits/{visit['id']}/case", json=body).status_code == status
    assert client.post("/api/v1/visits/by-key/v-key-scope/case", json=body).status_code == status
    assert _cases(session) == 0


@pytest.mark.parametrize("role", ["secretary", "admin"])
def test_secretary_and_admin_may(session, login, register, role):
    visit = _visit(login("worker"), register["王建国"], "v-key-sec", (150, 110))
    res = login(role).post(f"/api/v1/visits/{visit['id']}/case", json={"category": CATEGORY, "idempotency_key": "c-key-sec"})
    assert res.status_code == 201 and session.get(Case, res.get_json()["id"]).grid.code == d.GRID_A1


@pytest.mark.parametrize("body", [
    ["0801"], {"idempotency_key": "c-key-bad1"}, {"category": "9999", "idempotency_key": "c-key-bad1"},
    {"category": 801, "idempotency_key": "c-key-bad1"}, {"category": CATEGORY, "idempotency_key": "short"},
    {"category": CATEGORY}, {"category": CATEGORY, "idempotency_key": "c-key-bad1", "description": 5},
    {"category": CATEGORY, "idempotency_key": "c-key-bad1", "description": "x" * 2001},
    {"category": CATEGORY, "idempotency_key": "c-key-bad1", "description": "a\x00b"},
])
def test_bad_bodies_are_400_and_write_nothing(session, login, register, body):
    client = login("worker")
    visit = _visit(client, register["王建国"], "v-key-bad")
    res = client.post(f"/api/v1/visits/{visit['id']}/case", json=body)
    assert res.status_code == 400, res.get_data(as_text=True)
    assert _cases(session) == 0


def test_no_finding_needs_a_description(session, login, register):
    client = login("worker")
    visit = _visit(client, register["王建国"], "v-key-empty", finding=None, kind="phone")
    url = f"/api/v1/visits/{visit['id']}/case"
    res = client.post(url, json={"category": CATEGORY, "idempotency_key": "c-key-empty"})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_description"
    assert _cases(session) == 0
    ok = client.post(url, json={"category": CATEGORY, "idempotency_key": "c-key-empty", "description": "门锁坏"})
    assert ok.status_code == 201


def test_unknown_visit_is_404(session, login, register):
    res = login("worker").post("/api/v1/visits/999999/case", json={"category": CATEGORY, "idempotency_key": "c-key-404"})
    assert res.status_code == 404 and _cases(session) == 0
    assert session.scalar(select(func.count()).select_from(Visit)) == 0
