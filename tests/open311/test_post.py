"""Filing public requests: keys, idempotency, locations, attributes, and the case they make."""
from __future__ import annotations

from sqlalchemy import func, select

from grid_app.models import Case, Open311Request
from grid_app.open311 import keys

from .. import district
from .conftest import BASE, body

POST_FIELDS = ["service_request_id", "service_notice", "account_id"]


def _count(session):
    return session.scalar(select(func.count()).select_from(Case))


def test_post_json_makes_a_collected_public_case(session, file_request):
    res = file_request("json", email="li@example.cn", first_name="小明", last_name="李", phone="13800000000",
                       device_id="dev-1", account_id="acct-9", media_url="https://img.example.cn/a.jpg")
    assert res.status_code == 201, res.get_data(as_text=True)
    (answer,) = body(res)
    assert list(answer) == POST_FIELDS
    assert answer["account_id"] == "acct-9"
    assert "网格" in answer["service_notice"]
    case = session.get(Case, int(answer["service_request_id"]))
    assert case.channel == "public" and case.state == "collected" and case.reporter_id is None
    assert case.grid.code == district.GRID_A1
    assert case.reporter_contact == {"email": "li@example.cn", "first_name": "小明", "last_name": "李",
                                     "phone": "13800000000", "device_id": "dev-1", "account_id": "acct-9"}
    side = session.get(Open311Request, case.id)
    assert side.media_url == "https://img.example.cn/a.jpg" and side.key.name == "test-client"


def test_post_xml(file_request):
    res = file_request("xml")
    assert res.status_code == 201
    root = body(res)
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == POST_FIELDS
    assert root.findtext("request/service_request_id").isdigit()


def test_missing_unknown_and_revoked_keys_are_403(session, client, file_request, api_key):
    before = _count(session)
    res = client.post(f"{BASE}/requests.json", data={"service_code": "0101", "lat": "30.66", "long": "117.48"})
    assert res.status_code == 403 and body(res)[0]["code"] == 403
    res = file_request("xml", api_key="o311_not-a-key")
    assert res.status_code == 403
    assert body(res).findtext("error/code") == "403"
    assert file_request("json").status_code == 201
    keys.revoke(session, "test-client")
    session.commit()
    res = file_request("json")
    assert res.status_code == 403 and "revoked" in body(res)[0]["description"]
    assert _count(session) == before + 1


def test_idempotency_key_replays_the_same_request(session, file_request):
    first = file_request("json", idempotency_key="app-123", device_id="phone-a")
    again = file_request("json", idempotency_key="app-123", device_id="phone-a")
    other_device = file_request("json", idempotency_key="app-123", device_id="phone-b")
    assert (first.status_code, again.status_code, other_device.status_code) == (201, 200, 201)
    assert body(first)[0]["service_request_id"] == body(again)[0]["service_request_id"]
    assert body(first)[0]["service_request_id"] != body(other_device)[0]["service_request_id"]
    # Without an idempotency_key every POST is a new request, as plain Open311 clients expect.
    a, b = file_request("json"), file_request("json")
    assert body(a)[0]["service_request_id"] != body(b)[0]["service_request_id"]
    assert session.scalar(select(func.count()).select_from(Open311Request)) == 4


def test_address_string_finds_our_own_places(session, file_request):
    res = file_request("json", lat=None, long=None, address_string="翠微苑 1栋")
    assert res.status_code == 201, res.get_data(as_text=True)
    case = session.get(Case, int(body(res)[0]["service_request_id"]))
    assert case.building.code == district.COURTYARD and case.address == "翠微苑 1栋"
    res = file_request("json", lat=None, long=None, address_string="乙社区")
    assert session.get(Case, int(body(res)[0]["service_request_id"])).community.code == district.COMM_B
    res = file_request("json", lat=None, long=None, address_id=district.TOWER)
    assert session.get(Case, int(body(res)[0]["service_request_id"])).building.code == district.TOWER


def test_bad_requests_are_400_and_store_nothing(session, file_request):
    before = _count(session)
    cases = [
        dict(lat=None, long=None),                                   # no location at all
        dict(lat=None, long=None, address_string="不存在的小区"),     # no such place
        dict(long=None),                                             # lat without long
        dict(lat="95", long="117.48"),                                # out of range
        dict(service_code="7777"),                                   # unknown service
        dict(service_code=None),
        dict(email="not-an-email"),
        dict(media_url="javascript:alert(1)"),
        dict(description="长" * 2001),
        dict(idempotency_key="has spaces in it"),
        dict(service_code="0402"),                                   # required attribute missing
        {"service_code": "0402", "attribute[FLOWING]": "maybe"},     # not among the values
        {"attribute[NOPE]": "x"},                                    # 0101 has no attributes
    ]
    for fields in cases:
        res = file_request("json", **fields)
        assert res.status_code == 400, (fields, res.get_data(as_text=True))
        (error,) = body(res)
        assert error["code"] == 400 and error["description"], fields
    res = file_request("xml", lat=None, long=None)
    assert res.status_code == 400 and body(res).findtext("error/code") == "400"
    assert _count(session) == before


def test_attributes_are_kept_and_reach_the_handlers(session, client, api_key):
    from ..geo import lonlat
    lon, lat = lonlat(200, 700)
    res = client.post(f"{BASE}/requests.json", data={
        "api_key": api_key, "service_code": "0801", "lat": lat, "long": lon, "description": "独居老人需要帮助",
        "attribute[NEED][]": ["meals", "medical"]})
    assert res.status_code == 201, res.get_data(as_text=True)
    case_id = int(body(res)[0]["service_request_id"])
    assert session.get(Open311Request, case_id).attributes == {"NEED": ["meals", "medical"]}
    case = session.get(Case, case_id)
    assert "需要哪些帮助？: 送餐, 就医" in case.description and case.grid.code == district.GRID_A2


def test_missing_description_takes_the_service_name(session, file_request):
    res = file_request("json", description=None)
    assert res.status_code == 201
    assert session.get(Case, int(body(res)[0]["service_request_id"])).description == "暴露垃圾"


def test_a_request_whose_record_fails_leaves_no_case(session, file_request, monkeypatch):
    from grid_app.open311 import reports

    def bad_record(**fields):  # a record the database refuses at the commit (no such key)
        return Open311Request(**{**fields, "key_id": -1})
    monkeypatch.setattr(reports, "Open311Request", bad_record)
    before = _count(session)
    res = file_request("json", description="提交失败时不应留下事件")
    assert res.status_code == 500
    assert _count(session) == before
    assert session.scalar(select(Case).where(Case.description == "提交失败时不应留下事件")) is None


def test_an_unlocated_request_tells_the_reporter_the_street_assigns_it(session, client, file_request, users):
    from grid_app.cases.transitions import transition
    res = file_request("json", x=-2000, y=300)
    assert res.status_code == 201
    (answer,) = body(res)
    assert "街道确定受理网格" in answer["service_notice"]
    case_id = int(answer["service_request_id"])
    (shown,) = body(client.get(f"{BASE}/requests/{case_id}.json"))
    assert "街道确定受理网格" in shown["service_notice"] and shown["agency_responsible"] is None
    transition(session, users["street"], case_id, "place", grid=district.GRID_A1)
    (shown,) = body(client.get(f"{BASE}/requests/{case_id}.json"))
    assert shown["service_notice"].startswith("由网格级受理") and shown["agency_responsible"]
