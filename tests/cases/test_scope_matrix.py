"""Role × endpoint × scope: who may read and change which case."""
from __future__ import annotations

import pytest

from ..geo import lonlat
from .helpers import log_case, new_key

ROLES = ["admin", "street", "secretary", "secretary_b", "worker", "worker_a2", "planner", "api"]

# A grid-level case in grid A1 of community A.
READ = {"admin": 200, "street": 200, "secretary": 200, "secretary_b": 404, "worker": 200,
        "worker_a2": 404, "planner": 200, "api": 200}
REGISTER = {"admin": 200, "street": 403, "secretary": 200, "secretary_b": 404, "worker": 200,
            "worker_a2": 404, "planner": 403, "api": 403}
CREATE = {"admin": 201, "street": 201, "secretary": 201, "secretary_b": 201, "worker": 201,
          "worker_a2": 201, "planner": 403, "api": 201}


@pytest.fixture()
def case_a1(session, users):
    case, _ = log_case(session, users["worker"], 100, 300)
    return case


@pytest.mark.parametrize("role", ROLES)
def test_read_one(login, case_a1, role):
    client = login(role)
    assert client.get(f"/api/v1/cases/{case_a1.id}").status_code == READ[role]
    assert client.get(f"/api/v1/cases/{case_a1.id}/events").status_code == READ[role]
    listed = {c["id"] for c in client.get("/api/v1/cases?limit=5000").get_json()["cases"]}
    assert (case_a1.id in listed) == (READ[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_register(login, case_a1, role):
    res = login(role).post(f"/api/v1/cases/{case_a1.id}/transitions", json={"action": "register"})
    assert res.status_code == REGISTER[role], res.get_json()
    assert res.get_json().get("error") is None if REGISTER[role] == 200 else res.get_json()["error"]


@pytest.mark.parametrize("role", ROLES)
def test_create(login, role):
    lon, lat = lonlat(100, 300)
    res = login(role).post("/api/v1/cases", json={
        "category": "0101", "lon": lon, "lat": lat, "description": "x", "idempotency_key": new_key()})
    assert res.status_code == CREATE[role]


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/1", "/api/v1/cases/1/events"])
def test_anonymous_is_401(client, path):
    res = client.get(path)
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_reporter_keeps_sight_of_own_case_outside_own_grid(login, session, users):
    case, _ = log_case(session, users["worker"], 250, 750)  # worker of A1 logs in A2
    assert login("worker").get(f"/api/v1/cases/{case.id}").status_code == 200
    assert login("worker_a2").get(f"/api/v1/cases/{case.id}").status_code == 200
