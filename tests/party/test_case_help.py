"""A party member helping with a small case: grid level only, the workflow untouched, the member reads only its public part."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grid_app.cases.transitions import transition
from grid_app.models import Case, CaseEvent
from grid_app.models.audit import AuditEvent
from grid_app.models.party_service import CaseHelper

from .. import district as d
from ..cases.helpers import log_case
from .conftest import UNIT_B_CODE
from .test_wishes import member_login  # noqa: F401  (the fixture: a logged-in member account)


def _snapshot(session, case_id):
    session.expire_all()
    case = session.get(Case, case_id)
    events = session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id))
    return (case.state, case.level, case.handler_id, case.deadline, case.version, case.updated_at, events)


@pytest.fixture()
def small_case(session, users):
    case, _ = log_case(session, users["worker"], description="楼下单车乱停，需要有人帮忙劝导")
    return case


def test_helper_leaves_the_workflow_as_it_was(session, login, users, make_member, small_case):
    member = make_member(approve_as=users["secretary"])
    before = _snapshot(session, small_case.id)
    res = login("worker").put(f"/api/v1/cases/{small_case.id}/helper", json={"member_id": member.id})
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.get_json()["member"] == {"id": member.id, "name": "张*"}  # a worker reads the name masked
    assert session.get(CaseHelper, small_case.id).member_id == member.id
    assert _snapshot(session, small_case.id) == before
    assert login("secretary").delete(f"/api/v1/cases/{small_case.id}/helper").status_code == 204
    assert session.get(CaseHelper, small_case.id) is None
    assert _snapshot(session, small_case.id) == before
    assert login("secretary").delete(f"/api/v1/cases/{small_case.id}/helper").status_code == 404
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("case-helper-%"))
                              .order_by(AuditEvent.id)).all()
    assert actions == ["case-helper-assign", "case-helper-remove"]


def test_escalated_case_refuses_a_helper(session, login, users, make_member, small_case):
    member = make_member(approve_as=users["secretary"])
    transition(session, users["worker"], small_case.id, "escalate", note="需要社区协调")
    res = login("secretary").put(f"/api/v1/cases/{small_case.id}/helper", json={"member_id": member.id})
    assert res.status_code == 409 and res.get_json()["error"] == "case_escalated"
    assert session.get(CaseHelper, small_case.id) is None


@pytest.mark.parametrize("role, status", [("worker_a2", 404), ("secretary_b", 404), ("planner", 403),
                                          ("street", 403), ("api", 403)])
def test_only_the_case_staff_assign(session, login, users, make_member, small_case, role, status):
    member = make_member(approve_as=users["secretary"])
    res = login(role).put(f"/api/v1/cases/{small_case.id}/helper", json={"member_id": member.id})
    assert res.status_code == status, res.get_data(as_text=True)
    assert session.get(CaseHelper, small_case.id) is None


@pytest.mark.parametrize("body", [None, [], {}, {"member_id": "1"}, {"member_id": True}, {"member_id": 0},
                                  {"member_id": 2 ** 40}, {"member_id": 999999}], ids=repr)
def test_bad_bodies_are_400_and_write_nothing(session, login, small_case, body):
    res = login("worker").put(f"/api/v1/cases/{small_case.id}/helper", json=body)
    assert res.status_code == 400 and set(res.get_json()) >= {"error", "message"}
    assert session.scalar(select(func.count()).select_from(CaseHelper)) == 0


def test_member_of_another_community_or_pending_is_refused(session, login, users, make_member, small_case):
    far = make_member("李四", "13900002222", building=d.COMM_B + "B001", unit=UNIT_B_CODE, approve_as=users["admin"])
    pending = make_member("王芳", "13900003333")
    for member in (far, pending):
        res = login("worker").put(f"/api/v1/cases/{small_case.id}/helper", json={"member_id": member.id})
        assert res.status_code == 400 and res.get_json()["error"] == "bad_member_id"


def test_member_sees_the_public_text_and_place_only(session, login, users, small_case, member_login):
    client, member = member_login()
    login("worker").put(f"/api/v1/cases/{small_case.id}/helper", json={"member_id": member.id})
    client.post("/logout")
    client.post("/login", data={"username": "t-member-1", "password": "member-password-1"})
    page = client.get("/m/party/wishes")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "楼下单车乱停" in text and "geo:" in text
    assert "t-worker" not in text  # not the reporter, not the handler
    assert client.get(f"/api/v1/cases/{small_case.id}").status_code == 404  # nothing else of the case desk
    assert client.get(f"/m/cases/{small_case.id}").status_code == 404
    assert client.put(f"/api/v1/cases/{small_case.id}/helper", json={"member_id": member.id}).status_code in (403, 404)
