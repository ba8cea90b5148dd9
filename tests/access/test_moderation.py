"""Publishing, hiding and redacting a case: who may, what it changes, and the audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from grid_app.models import AuditEvent

from ..cases.helpers import log_case


@pytest.fixture()
def case(session, users):
    return log_case(session, users["worker"], 100, 300, description="=HYPERLINK(\"x\") 骂人的话 13912345678")[0]


@pytest.mark.parametrize("role,status", [("secretary", 200), ("street", 200), ("admin", 200),
                                         ("secretary_b", 404), ("worker", 403), ("planner", 403), ("api", 403)])
def test_who_may_publish(login, case, role, status):
    res = login(role).post(f"/api/v1/cases/{case.id}/publish", json={"published": True})
    assert res.status_code == status, res.get_json()


@pytest.mark.parametrize("body", [{}, {"published": "yes"}, {"published": 1}, [], "x"])
def test_publish_needs_a_boolean(login, case, body):
    res = login("secretary").post(f"/api/v1/cases/{case.id}/publish", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_body"


def test_redact_keeps_the_original_for_admins_only(session, login, case):
    original = case.description
    for role in ("secretary", "street", "worker"):
        assert login(role).post(f"/api/v1/cases/{case.id}/redact", json={"reason": "x"}).status_code == 403
    assert login("admin").post(f"/api/v1/cases/{case.id}/redact", json={}).status_code == 400
    res = login("admin").post(f"/api/v1/cases/{case.id}/redact", json={"reason": "违法内容"})
    assert res.status_code == 200 and "13912345678" not in res.get_data(as_text=True)
    assert "13912345678" not in login("secretary").get(f"/api/v1/cases/{case.id}").get_data(as_text=True)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "case-redact"))
    assert event.detail["description"] == original and event.actor_name == "t-admin"


def test_hidden_case_is_absent_for_everyone_but_admin(login, case):
    res = login("admin").post(f"/api/v1/cases/{case.id}/hide", json={"hidden": True, "reason": "违法内容"})
    assert res.status_code == 200
    for role in ("secretary", "street", "worker", "planner", "api"):
        client = login(role)
        assert client.get(f"/api/v1/cases/{case.id}").status_code == 404
        assert case.id not in {c["id"] for c in client.get("/api/v1/cases?limit=5000").get_json()["cases"]}
    assert login("admin").get(f"/api/v1/cases/{case.id}").status_code == 200
    login("admin").post(f"/api/v1/cases/{case.id}/hide", json={"hidden": False, "reason": "复核无误"})
    assert login("worker").get(f"/api/v1/cases/{case.id}").status_code == 200


def test_desk_form_publishes(login, case):
    client = login("secretary")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'value="publish"' in page and 'value="redact"' not in page
    res = client.post(f"/cases/{case.id}/moderate", data={"op": "publish"})
    assert res.status_code == 302
    assert 'value="unpublish"' in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert client.post(f"/cases/{case.id}/moderate", data={"op": "bogus"}).status_code == 400
