"""微心愿: raised from a visit or for a resident, read by members without any personal data, claimed once, fulfilled."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from grid_app.models import User
from grid_app.models.audit import AuditEvent
from grid_app.models.party_service import Wish
from grid_app.models.people import Household, Resident

from .. import district as d
from .conftest import UNIT_B_CODE, UNIT_CODE
from ..people.test_visits import register  # noqa: F401  (the fixture: three key residents in grid A1)

PASSWORD = "member-password-1"


@pytest.fixture()
def member_login(cli, client, session, users, make_member):
    """member_login(name, phone, building) → (client logged in as a new approved member's account, member)."""
    made = []

    def _login(name="张红", phone="13900001111", building=d.COURTYARD, unit=UNIT_CODE):
        member = make_member(name, phone, building=building, unit=unit, approve_as=users["admin"])
        username = f"t-member-{len(made) + 1}"
        result = cli.invoke(args=["grid", "party-member-account", str(member.id), username, "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        made.append(member)
        client.post("/logout")
        assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        return client, member
    return _login


def _visit(client, resident_id, key="visit-key-0001"):
    res = client.post("/api/v1/visits", json={"resident_id": resident_id, "kind": "phone", "idempotency_key": key,
                                             "finding": "王建国老人想有人帮忙买药"})
    assert res.status_code == 201, res.get_data(as_text=True)
    return res.get_json()["id"]


def _wishes(session):
    return session.scalar(select(func.count()).select_from(Wish))


def _raise(client, resident_id, key="wish-key-0001", title="需要有人帮忙修水龙头"):
    res = client.post("/api/v1/wishes", json={"resident_id": resident_id, "title": title,
                                              "description": "周末上午方便", "idempotency_key": key})
    assert res.status_code == 201, res.get_data(as_text=True)
    return res.get_json()


def test_wish_from_a_visit_takes_its_resident_and_grid_once(session, login, register):
    client = login("worker")
    visit_id = _visit(client, register["王建国"])
    body = {"title": "陪同去医院复诊", "idempotency_key": "wish-from-visit-1"}
    first = client.post(f"/api/v1/visits/{visit_id}/wish", json=body)
    assert first.status_code == 201, first.get_data(as_text=True)
    wish = session.get(Wish, first.get_json()["id"])
    resident = session.get(Resident, register["王建国"])
    assert (wish.resident_id, wish.household_id, wish.visit_id) == (resident.id, resident.household_id, visit_id)
    assert first.get_json()["grid"] == "甲社区第1网格"
    assert wish.description is None  # nothing taken from the finding: the worker writes the text
    assert first.get_json()["resident"]["name"] == "王**"  # the register roles read the link masked
    again = client.post(f"/api/v1/visits/{visit_id}/wish", json=body)
    assert (again.status_code, again.get_json()["id"]) == (200, wish.id)
    second = client.post(f"/api/v1/visits/{visit_id}/wish", json={"title": "另一件事", "idempotency_key": "wish-from-visit-2"})
    assert second.status_code == 409 and second.get_json()["error"] == "visit_has_wish"
    assert second.get_json()["details"] == {"wish_id": wish.id}
    assert _wishes(session) == 1


def test_out_of_scope_visit_or_resident_is_404(session, login, register):
    visit_id = _visit(login("worker"), register["王建国"])
    other = login("worker_a2")  # grid A2: the courtyard (A1) is not theirs
    assert other.post(f"/api/v1/visits/{visit_id}/wish", json={"title": "x", "idempotency_key": "k-out-of-scope"}
                      ).status_code == 404
    assert other.post("/api/v1/wishes", json={"resident_id": register["王建国"], "title": "x",
                                              "idempotency_key": "k-out-of-scope-2"}).status_code == 404
    assert login("planner").post("/api/v1/wishes", json={"resident_id": register["王建国"], "title": "x",
                                                          "idempotency_key": "k-planner-01"}).status_code == 403
    assert login("planner").get("/api/v1/wishes").status_code == 403
    assert _wishes(session) == 0


def test_household_wish_and_idempotent_resend(session, login, register):
    client = login("secretary")
    household = session.get(Resident, register["李秀英"]).household_id
    body = {"household_id": household, "title": "楼道需要一盏灯", "idempotency_key": "household-key-1"}
    first, again = client.post("/api/v1/wishes", json=body), client.post("/api/v1/wishes", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert login("worker").post("/api/v1/wishes", json=body).status_code == 409  # another user's key


def test_member_sees_the_wish_words_only(session, login, register, member_login):
    _raise(login("worker"), register["欧阳明辉"], title="想找人陪下象棋")
    client, member = member_login()
    res = client.get("/api/v1/wishes")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    body = res.get_json()
    assert [w["title"] for w in body["wishes"]] == ["想找人陪下象棋"]
    item = body["wishes"][0]
    assert set(item) == {"id", "title", "description", "status", "grid", "raised_on", "claimed_by_me"}
    text = json.dumps(body, ensure_ascii=False)
    resident = session.get(Resident, register["欧阳明辉"])
    household = session.get(Household, resident.household_id)
    for personal in ("欧阳", str(resident.id), '"resident', "household", "visit", household.room, d.COURTYARD):
        assert personal not in text, personal
    page = client.get("/m/party/wishes").get_data(as_text=True)
    assert "想找人陪下象棋" in page and "欧阳" not in page and d.COURTYARD not in page
    assert client.get("/api/v1/residents").status_code == 403


def test_member_of_another_community_gets_404(session, login, register, member_login):
    wish = _raise(login("worker"), register["王建国"])
    client, _ = member_login("李四", "13900002222", building=d.COMM_B + "B001", unit=UNIT_B_CODE)
    assert client.get("/api/v1/wishes").get_json()["wishes"] == []
    assert client.post(f"/api/v1/wishes/{wish['id']}/claim").status_code == 404
    assert session.get(Wish, wish["id"]).status == "open"


def test_claim_then_fulfil_only_by_the_claimer(session, login, register, member_login, client):
    wish = _raise(login("worker"), register["王建国"])
    other, _ = member_login("王芳", "13900003333")
    first, member = member_login()  # the same test client: log in as each in turn
    assert first.post(f"/api/v1/wishes/{wish['id']}/claim").status_code == 200
    taken = first.post(f"/api/v1/wishes/{wish['id']}/claim")
    assert taken.status_code == 409 and taken.get_json()["error"] == "wish_not_open"
    client.post("/logout")
    client.post("/login", data={"username": "t-member-1", "password": PASSWORD})  # 王芳
    refused = client.post(f"/api/v1/wishes/{wish['id']}/fulfil", json={"note": "我也做了"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "not_your_wish"
    client.post("/logout")
    client.post("/login", data={"username": "t-member-2", "password": PASSWORD})
    assert client.post(f"/api/v1/wishes/{wish['id']}/fulfil", json={}).status_code == 400  # the note is required
    done = client.post(f"/api/v1/wishes/{wish['id']}/fulfil", json={"note": "已上门修好水龙头"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["status"] == "fulfilled" and done.get_json()["claimed_by_me"] is True
    stored = session.get(Wish, wish["id"])
    assert stored.member_id == member.id and stored.fulfilled_at >= stored.raised_at
    desk = login("secretary").get("/api/v1/wishes?status=fulfilled").get_json()["wishes"][0]
    assert desk["hours_to_fulfil"] is not None and desk["member"]["name"] == "张红"
    assert login("secretary").get("/party/wishes").status_code == 200


def test_cancel_by_the_worker_is_audited_and_members_may_not(session, login, register, member_login):
    wish = _raise(login("worker"), register["王建国"])
    client, _ = member_login()
    assert client.post(f"/api/v1/wishes/{wish['id']}/cancel", json={}).status_code == 403
    res = login("worker").post(f"/api/v1/wishes/{wish['id']}/cancel", json={"reason": "家属已解决"})
    assert res.status_code == 200 and res.get_json()["status"] == "cancelled"
    assert login("worker").post(f"/api/v1/wishes/{wish['id']}/cancel", json={}).status_code == 409
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "wish-cancel")) == 1


BAD_TEXT = [None, [], "text", {}, {"title": "x"}, {"title": "", "idempotency_key": "bad-body-01"},
            {"title": "x" * 101, "idempotency_key": "bad-body-01"},
            {"title": "x", "description": "y" * 2001, "idempotency_key": "bad-body-01"},
            {"title": "a\x00b", "idempotency_key": "bad-body-01"}, {"title": "x", "idempotency_key": "short"},
            {"title": 5, "idempotency_key": "bad-body-01"}]
BAD_TARGET = [{"title": "x", "idempotency_key": "bad-body-01"}, {"resident_id": "1"}, {"resident_id": True},
              {"resident_id": 2 ** 40}, {"resident_id": 0}, {"resident_id": 1, "household_id": 1}]


def _with_target(body, resident_id):
    """A text-bad body aimed at a real resident, so that only the text can be at fault."""
    return {"resident_id": resident_id, **body} if isinstance(body, dict) and body else body


@pytest.mark.parametrize("body", BAD_TEXT + [{**b, "title": "x", "idempotency_key": "bad-body-01"}
                                             for b in BAD_TARGET], ids=repr)
def test_bad_bodies_are_400_and_write_nothing(session, login, register, body):
    client = login("worker")
    if body in BAD_TEXT:
        body = _with_target(body, register["王建国"])
    res = client.post("/api/v1/wishes", data=json.dumps(body), content_type="application/json")
    assert res.status_code == 400, res.get_data(as_text=True)
    assert set(res.get_json()) >= {"error", "message"}
    assert _wishes(session) == 0


@pytest.mark.parametrize("body", BAD_TEXT, ids=repr)
def test_bad_visit_wish_bodies_are_400_and_write_nothing(session, login, register, body):
    client = login("worker")
    visit_id = _visit(client, register["王建国"])
    res = client.post(f"/api/v1/visits/{visit_id}/wish", data=json.dumps(body), content_type="application/json")
    assert res.status_code == 400, res.get_data(as_text=True)
    assert _wishes(session) == 0


def test_worker_phone_form_from_a_visit(session, login, register):
    client = login("worker")
    visit_id = _visit(client, register["王建国"])
    page = client.get(f"/m/wishes/new?visit={visit_id}")
    assert page.status_code == 200 and "王**" in page.get_data(as_text=True)
    assert "王建国" not in page.get_data(as_text=True)
    empty = client.post(f"/m/wishes/new?visit={visit_id}", data={"title": "", "key": "phone-form-key-1"})
    assert empty.status_code == 400 and _wishes(session) == 0
    done = client.post(f"/m/wishes/new?visit={visit_id}", data={"title": "帮忙换灯泡", "key": "phone-form-key-1"})
    assert done.status_code == 200 and _wishes(session) == 1
    assert session.scalar(select(Wish)).visit_id == visit_id
    assert login("worker_a2").get(f"/m/wishes/new?visit={visit_id}").status_code == 404


def test_member_page_claims_by_form(session, login, register, member_login):
    wish = _raise(login("worker"), register["王建国"])
    client, member = member_login()
    res = client.post(f"/m/party/wishes/{wish['id']}/claim")
    assert res.status_code == 302
    assert session.get(Wish, wish["id"]).member_id == member.id
    page = client.get("/m/party/wishes").get_data(as_text=True)
    assert "wish-fulfil" in page
    assert login("worker").get("/m/party/wishes").status_code == 403
    assert session.scalar(select(User).where(User.username == "t-member-1")).role == "member"
