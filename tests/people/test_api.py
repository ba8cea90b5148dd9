"""Register API: masked for every role that reads it, refused to the others, scoped per grid, reveal audited."""
from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import select

from grid_app.models import AuditEvent
from grid_app.models.people import Resident
from grid_app.people.crypto import app_keyring
from grid_app.people.register import existing_building_codes, write_people
from grid_app.people.sheet import check_file

from .. import district as d
from .register import LI, PHONE, WANG, ZHAO, rows, write_csv

MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
PLAIN = (WANG, LI, ZHAO, PHONE, "13987654321", "王建国", "李秀英", "欧阳明辉")


@pytest.fixture()
def register(session, tmp_path):
    """The three residents of the test register, written through the importer's functions."""
    sheet = check_file(write_csv(tmp_path / "r.csv", rows()), lambda c: existing_building_codes(session, c))
    write_people(session, app_keyring(current_app), sheet.people)
    session.flush()
    return {r.name: r.id for r in session.scalars(select(Resident))}


@pytest.mark.parametrize("role", ["admin", "secretary", "worker"])
def test_every_reader_sees_masked_values_only(login, register, role):
    res = login(role).get(f"/api/v1/residents?building={d.COURTYARD}")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    body = res.get_json()
    assert body["total"] == 3
    wang = next(r for r in body["residents"] if r["id"] == register["王建国"])
    assert MASKED_ID.match(wang["id_number"]) and wang["id_number"].endswith(WANG[-4:])
    assert (wang["phone"], wang["name"], wang["birth_year"]) == ("138****5678", "王**", 1950)
    assert next(r for r in body["residents"] if r["id"] == register["欧阳明辉"])["name"] == "欧阳**"
    detail = login(role).get(f"/api/v1/residents/{register['王建国']}")
    text = res.get_data(as_text=True) + detail.get_data(as_text=True)
    assert [p for p in PLAIN if p in text] == []


@pytest.mark.parametrize("role", ["street", "planner", "api"])
def test_roles_without_a_register_duty_are_refused(login, register, role):
    client = login(role)
    for url in ("/api/v1/residents", f"/api/v1/residents/{register['王建国']}",
                f"/api/v1/households?building={d.COURTYARD}"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["worker_a2", "secretary_b"])
def test_another_grid_or_community_looks_absent(login, register, role):
    client = login(role)
    assert client.get("/api/v1/residents").get_json() == {"total": 0, "residents": []}
    for url in (f"/api/v1/residents?building={d.COURTYARD}", f"/api/v1/residents?grid={d.GRID_A1}",
                f"/api/v1/residents/{register['王建国']}", f"/api/v1/households?building={d.COURTYARD}"):
        assert client.get(url).status_code == 404, url
    res = client.post(f"/api/v1/residents/{register['王建国']}/reveal", json={"field": "phone", "reason": "走访"})
    assert res.status_code in (403, 404)
    assert PHONE not in res.get_data(as_text=True)


def test_worker_reads_own_grid_by_filter(login, register):
    client = login("worker")
    assert client.get(f"/api/v1/residents?grid={d.GRID_A1}").get_json()["total"] == 3
    assert client.get(f"/api/v1/residents?grid={d.GRID_A2}").status_code == 404
    assert client.get(f"/api/v1/residents?grid={d.GRID_A1}&building={d.COURTYARD}").status_code == 400
    flats = client.get(f"/api/v1/households?building={d.COURTYARD}").get_json()["households"]
    assert [(f["unit"], f["room"], f["residents"]) for f in flats] == [("1", "101", 2), ("2", "302", 1)]
    assert client.get("/api/v1/households").status_code == 400


def audits(session):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "resident-reveal")))


@pytest.mark.parametrize("role", ["secretary", "admin"])
def test_reveal_is_audited_with_who_whom_and_why(login, session, users, register, role):
    res = login(role).post(f"/api/v1/residents/{register['王建国']}/reveal",
                           json={"field": "id_number", "reason": "办理低保核对身份"})
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    assert res.get_json()["value"] == WANG
    [event] = audits(session)
    assert (event.actor_id, event.detail) == (users[role].id, {"resident": register["王建国"], "field": "id_number",
                                                                "reason": "办理低保核对身份"})
    phone = login(role).post(f"/api/v1/residents/{register['王建国']}/reveal", json={"field": "phone", "reason": "回访"})
    assert phone.get_json()["value"] == PHONE and len(audits(session)) == 2


@pytest.mark.parametrize("role", ["worker", "street", "planner", "api"])
def test_reveal_refused_to_other_roles(login, session, register, role):
    res = login(role).post(f"/api/v1/residents/{register['王建国']}/reveal", json={"field": "phone", "reason": "x"})
    assert res.status_code == 403 and PHONE not in res.get_data(as_text=True)
    assert audits(session) == []


@pytest.mark.parametrize("body, code", [
    ({"field": "phone"}, "bad_reason"), ({"field": "phone", "reason": "  "}, "bad_reason"),
    ({"field": "name", "reason": "x"}, "bad_field"), ({"field": "phone", "reason": "x" * 501}, "bad_reason"),
    ([], "bad_body"), ({"field": {}, "reason": "x"}, "bad_field"), ({"field": ["phone"], "reason": "x"}, "bad_field"),
])
def test_reveal_needs_a_field_and_a_reason(login, session, register, body, code):
    res = login("secretary").post(f"/api/v1/residents/{register['王建国']}/reveal", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == code
    assert audits(session) == []
