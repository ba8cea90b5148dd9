"""Registration and approval: pending → approved by the community's secretary, audited, in the one scope."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from grid_app.models import AuditEvent
from grid_app.models.party import PartyMember

from .. import district as d
from .conftest import UNIT_B_CODE, UNIT_CODE


def _count(session):
    return session.scalar(select(func.count()).select_from(PartyMember))


def test_secretary_approves_pending_member_audited(session, login, make_member):
    member = make_member()
    client = login("secretary")
    res = client.post(f"/api/v1/party-members/{member.id}/approve", json={"note": "核实无误"})
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    assert body["status"] == "approved" and body["phone"] == "139****1111"
    assert body["party_group"] == "1栋党小组"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "party-member-approve"))
    assert event.detail == {"member": member.id, "note": "核实无误"} and event.actor_name == "t-secretary"
    again = client.post(f"/api/v1/party-members/{member.id}/approve")
    assert again.status_code == 409 and again.get_json()["error"] == "not_pending"


@pytest.mark.parametrize("role, status", [("secretary_b", 404), ("worker", 403), ("planner", 403),
                                          ("street", 403), ("api", 403)])
def test_others_may_not_approve(session, login, make_member, role, status):
    member = make_member()
    res = login(role).post(f"/api/v1/party-members/{member.id}/approve")
    assert res.status_code == status
    assert session.get(PartyMember, member.id).status == "pending"


def test_list_is_scoped_and_masked(session, login, make_member):
    make_member()
    a = login("secretary").get("/api/v1/party-members").get_json()
    assert a["total"] == 1 and a["members"][0]["phone"] == "139****1111" and a["members"][0]["name"] == "张红"
    assert login("secretary_b").get("/api/v1/party-members").get_json()["total"] == 0
    street = login("street").get("/api/v1/party-members").get_json()
    assert street["total"] == 1 and street["members"][0]["name"] == "张*"
    assert login("admin").get("/api/v1/party-members?status=pending").get_json()["total"] == 1
    assert login("worker").get("/api/v1/party-members").status_code == 403
    assert login("secretary_b").get(f"/api/v1/party-members?community={d.COMM_A}").status_code == 404


def test_units_scoped(login, unit):
    codes = [u["code"] for u in login("secretary").get("/api/v1/party-units").get_json()["units"]]
    assert codes == [UNIT_CODE]
    assert {u["code"] for u in login("admin").get("/api/v1/party-units").get_json()["units"]} == {UNIT_CODE, UNIT_B_CODE}


def test_desk_page_lists_pending_and_decides(session, login, make_member):
    member = make_member()
    client = login("secretary")
    html = client.get("/party/pending?lang=en").get_data(as_text=True)
    assert "张红" in html and "139****1111" in html and "13900001111" not in html
    res = client.post(f"/party/members/{member.id}/decide", data={"decision": "reject", "note": "不在本社区居住"})
    assert res.status_code == 302
    assert session.get(PartyMember, member.id).status == "rejected"
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "party-member-reject")) is not None
    assert login("secretary_b").get("/party/pending").get_data(as_text=True).count("张红") == 0


def test_card_of_approved_member_has_qr_of_id_only(session, login, users, make_member):
    member = make_member(approve_as=users["secretary"])
    html = login("secretary").get(f"/party/members/{member.id}/card").get_data(as_text=True)
    assert "<svg" in html and "张红" in html and "1栋党小组" in html and "甲社区" in html
    from grid_app.party.cards import qr_text
    assert qr_text(member.id) == f"party_member:{member.id}"
    assert login("secretary_b").get(f"/party/members/{member.id}/card").status_code == 404
    pending = make_member("王芳", "13900003333")
    assert login("secretary").get(f"/party/members/{pending.id}/card").status_code == 409


def test_phone_is_not_stored_in_plaintext(session, keys, make_member):
    member = make_member(phone="13912345678")
    row = session.execute(text("SELECT * FROM party_member WHERE id = :id"), {"id": member.id}).mappings().one()
    assert not any("13912345678" in str(v) for v in row.values())
    assert row["phone_hash"] == keys.digest("phone", "13912345678")
    assert keys.decrypt("phone", row["phone_cipher"]) == "13912345678"


def test_public_registration_form_creates_pending(session, client, unit):
    before = _count(session)
    res = client.post("/m/party/register", data={
        "name": "孙丽", "phone": "139 0000 5555", "building": d.TOWER, "unit": UNIT_CODE, "skills": "法律咨询"})
    assert res.status_code == 201, res.get_data(as_text=True)
    member = session.scalar(select(PartyMember).where(PartyMember.name == "孙丽"))
    assert member.status == "pending" and _count(session) == before + 1
    twice = client.post("/m/party/register", data={"name": "孙丽", "phone": "13900005555", "building": d.TOWER,
                                                   "unit": UNIT_CODE})
    assert twice.status_code == 400 and _count(session) == before + 1  # already registered


def test_registration_by_position_finds_the_building(session, client, unit):
    from ..geo import lonlat
    lon, lat = lonlat(315, 335)  # 5 m north of the tower (2栋): nearest building within 50 m
    res = client.post("/m/party/register", data={"name": "周杰", "phone": "13900006666", "lon": lon, "lat": lat,
                                                 "employer_name": "池州市第一中学"})
    assert res.status_code == 201, res.get_data(as_text=True)
    member = session.scalar(select(PartyMember).where(PartyMember.name == "周杰"))
    assert member.building.code == d.TOWER and member.unit_id is None


BAD = [
    ({"phone": "13900001111", "building": d.COURTYARD, "unit": UNIT_CODE}, "bad_name"),
    ({"name": "张红", "phone": "12345", "building": d.COURTYARD, "unit": UNIT_CODE}, "bad_phone"),
    ({"name": "张红", "phone": "13900001111", "building": "nope", "unit": UNIT_CODE}, "bad_building"),
    ({"name": "张红", "phone": "13900001111", "unit": UNIT_CODE}, "bad_building"),
    ({"name": "张红", "phone": "13900001111", "building": d.COURTYARD}, "bad_employer"),
    ({"name": "张红", "phone": "13900001111", "building": d.COURTYARD, "unit": "NOPE"}, "bad_unit"),
    ({"name": "张\x07红", "phone": "13900001111", "building": d.COURTYARD, "unit": UNIT_CODE}, "bad_input"),
    ({"name": ["x"], "phone": "13900001111", "building": d.COURTYARD, "unit": UNIT_CODE}, "bad_name"),
    ({"name": "张红", "phone": "13900001111", "lon": "x", "lat": 30.6, "unit": UNIT_CODE}, "bad_coordinates"),
    ({"name": "张红", "phone": "13900001111", "lon": 100.0, "lat": 10.0, "unit": UNIT_CODE}, "bad_building"),
    ({"name": "张" * 51, "phone": "13900001111", "building": d.COURTYARD, "unit": UNIT_CODE}, "bad_name"),
]


@pytest.mark.parametrize("body, code", BAD)
def test_bad_input_is_400_and_writes_nothing(session, login, unit, body, code):
    before = _count(session)
    res = login("secretary").post("/api/v1/party-members", json=body)
    assert res.status_code == 400, res.get_data(as_text=True)
    assert res.get_json()["error"] == code
    assert _count(session) == before


def test_desk_registration_outside_the_community_refused(session, login, unit):
    before = _count(session)
    res = login("secretary").post("/api/v1/party-members", json={
        "name": "张红", "phone": "13900001111", "building": d.COMM_B + "B001", "unit": UNIT_CODE})
    assert res.status_code == 400 and _count(session) == before
    assert login("admin").post("/api/v1/party-members", json={
        "name": "张红", "phone": "13900001111", "building": d.COMM_B + "B001", "unit": UNIT_CODE}).status_code == 201


def test_non_json_body_is_400(login, unit):
    res = login("secretary").post("/api/v1/party-members", data="x", content_type="text/plain")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_body"
