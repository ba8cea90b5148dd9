"""Reading requests back: spec fields in both formats, filters, paging, and no contact details."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from grid_app.cases import clock, moderation, transitions
from grid_app.models import Case

from .. import district
from ..cases.helpers import log_case
from .conftest import BASE, body, xml_items

REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                  "long", "media_url"]
SECRETS = ["secret@example.cn", "13912345678", "秘密名", "保密姓", "device-secret", "account-secret"]


def _file_secret(file_request, **extra):
    res = file_request("json", email=SECRETS[0], phone=SECRETS[1], first_name=SECRETS[2],
                       last_name=SECRETS[3], device_id=SECRETS[4], account_id=SECRETS[5],
                       media_url="https://img.example.cn/b.jpg", **extra)
    assert res.status_code == 201
    return body(res)[0]["service_request_id"]


def test_one_request_json(client, file_request):
    rid = _file_secret(file_request)
    res = client.get(f"{BASE}/requests/{rid}.json")
    assert res.status_code == 200
    (req,) = body(res)
    assert list(req) == REQUEST_FIELDS
    assert req["service_request_id"] == rid and req["status"] == "open"
    assert req["status_notes"] == "信息采集" and req["service_code"] == "0101"
    assert req["agency_responsible"] == "甲社区第1网格"
    assert req["address_id"] == district.AREA and req["media_url"] == "https://img.example.cn/b.jpg"
    assert req["requested_datetime"].endswith("+00:00") and "." not in req["requested_datetime"]
    assert req["expected_datetime"] > req["requested_datetime"]
    assert abs(req["lat"] - 30.66) < 0.01 and abs(req["long"] - 117.48) < 0.01


def test_one_request_xml(client, file_request):
    rid = _file_secret(file_request)
    root = body(client.get(f"{BASE}/requests/{rid}.xml"))
    assert root.tag == "service_requests"
    (req,) = xml_items(root, "request")
    assert list(req) == REQUEST_FIELDS
    assert req["service_request_id"] == rid and req["status"] == "open" and req["zipcode"] is None


def test_contact_details_never_leak(client, file_request):
    rid = _file_secret(file_request)
    for path in (f"/requests/{rid}.json", f"/requests/{rid}.xml", "/requests.json", "/requests.xml",
                 f"/requests.json?service_request_id={rid}"):
        text = client.get(BASE + path).get_data(as_text=True)
        assert rid in text
        for secret in SECRETS:
            assert secret not in text, (path, secret)


def test_missing_request_404_in_both_formats(client):
    res = client.get(f"{BASE}/requests/999999999.json")
    assert res.status_code == 404 and body(res)[0]["code"] == 404
    res = client.get(f"{BASE}/requests/abc.xml")
    assert res.status_code == 404 and body(res).findtext("error/code") == "404"


def test_list_filters(session, client, users, file_request):
    rubbish = body(file_request("json"))[0]["service_request_id"]
    parking = body(file_request("json", service_code="0503", x=700, y=700))[0]["service_request_id"]
    worker_case, _ = log_case(session, users["worker"], x=120, y=120)
    closed, _ = log_case(session, users["worker"], x=130, y=110)
    for case in (worker_case, closed):  # internal until a secretary publishes them
        moderation.set_published(session, users["secretary"], case.id, True)
    session.execute(update(Case).where(Case.id == closed.id).values(state="closed", deadline=None))
    session.commit()

    def ids(query):
        res = client.get(f"{BASE}/requests.json?{query}")
        assert res.status_code == 200, res.get_data(as_text=True)
        return {r["service_request_id"] for r in body(res)}

    everything = ids("")
    assert {rubbish, parking, str(worker_case.id), str(closed.id)} <= everything
    assert ids(f"service_request_id={rubbish},{parking}") == {rubbish, parking}
    assert parking in ids("service_code=0503") and rubbish not in ids("service_code=0503")
    assert {parking, rubbish} <= ids("service_code=0503,0101")
    assert str(closed.id) in ids("status=closed") and rubbish not in ids("status=closed")
    assert str(closed.id) not in ids("status=open") and rubbish in ids("status=open")
    agency = {r["service_request_id"]: r["agency_responsible"] for r in body(client.get(f"{BASE}/requests.json"))}
    assert agency[parking] == "乙社区第1网格"


def test_default_window_is_90_days_and_dates_filter(session, client, file_request):
    old = body(file_request("json"))[0]["service_request_id"]
    new = body(file_request("json"))[0]["service_request_id"]
    session.execute(update(Case).where(Case.id == int(old))
                    .values(created_at=clock.now() - timedelta(days=120)))
    session.commit()
    listed = {r["service_request_id"] for r in body(client.get(f"{BASE}/requests.json"))}
    assert new in listed and old not in listed
    start = (clock.now() - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    end = (clock.now() - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    res = client.get(f"{BASE}/requests.json", query_string={"start_date": start, "end_date": end})
    assert {r["service_request_id"] for r in body(res)} == {old}
    # A request by id is found whatever its age.
    assert body(client.get(f"{BASE}/requests.json?service_request_id={old}"))[0]["service_request_id"] == old


def test_bad_queries_are_400(client):
    for query in ("status=pending", "start_date=yesterday", "service_request_id=1,x", "page=0",
                  "page_size=1001", "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
                  "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"):
        res = client.get(f"{BASE}/requests.json?{query}")
        assert res.status_code == 400, query
        assert body(res)[0]["code"] == 400
    res = client.get(f"{BASE}/requests.xml?status=pending")
    assert res.status_code == 400 and body(res).tag == "errors"


def test_paging_extension(client, file_request):
    filed = [body(file_request("json"))[0]["service_request_id"] for _ in range(3)]
    first = client.get(f"{BASE}/requests.json?page_size=2&page=1")
    second = client.get(f"{BASE}/requests.json?page_size=2&page=2")
    assert len(body(first)) == 2 and int(first.headers["X-Total-Count"]) >= 3
    assert [r["service_request_id"] for r in body(first)] == filed[::-1][:2]  # newest first
    assert body(second)[0]["service_request_id"] == filed[0]


def test_public_request_reaches_the_grid_worker(session, login, file_request, users):
    rid = int(body(file_request("json", x=100, y=300))[0]["service_request_id"])
    other = int(body(file_request("json", x=100, y=700))[0]["service_request_id"])
    worker = login("worker")
    listed = {c["id"]: c for c in worker.get("/api/v1/cases?limit=500").get_json()["cases"]}
    assert rid in listed and other not in listed
    assert listed[rid]["channel"] == "public" and listed[rid]["state"] == "collected"
    assert "reporter_contact" not in listed[rid]
    assert other in {c["id"] for c in login("worker_a2").get("/api/v1/cases?limit=500").get_json()["cases"]}
    # The register step (案卷建立) decides; Open311 then shows the new state.
    transitions.transition(session, users["worker"], rid, "register")
    (req,) = body(worker.get(f"{BASE}/requests/{rid}.json"))
    assert req["status"] == "open" and req["status_notes"] == "案卷建立"
