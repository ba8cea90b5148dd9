"""Open311 publishes only public cases: filed through a public channel, or published by a secretary."""
from __future__ import annotations

from grid_app.cases import moderation

from ..cases.helpers import log_case
from .conftest import BASE, body


def _listed(client) -> set[str]:
    json_ids = {r["service_request_id"] for r in body(client.get(f"{BASE}/requests.json"))}
    xml_ids = {e.findtext("service_request_id") for e in body(client.get(f"{BASE}/requests.xml")).findall("request")}
    assert json_ids == xml_ids
    return json_ids


def test_internal_cases_never_leave(session, client, users, file_request):
    public = body(file_request("json"))[0]["service_request_id"]
    internal, _ = log_case(session, users["worker"], description="INTERNAL-NOTE 居民家事")
    unlocated, _ = log_case(session, users["worker"], x=5000, y=5000, description="INTERNAL-UNLOCATED")
    session.commit()
    assert _listed(client) == {public}
    for case in (internal, unlocated):
        for fmt in ("json", "xml"):
            assert client.get(f"{BASE}/requests/{case.id}.{fmt}").status_code == 404
        assert client.get(f"{BASE}/requests.json?service_request_id={case.id}").get_json() == []
    text = client.get(f"{BASE}/requests.json").get_data(as_text=True)
    assert "INTERNAL" not in text


def test_published_case_is_listed_and_can_be_withdrawn(session, client, users):
    case, _ = log_case(session, users["worker"], description="路灯坏了")
    moderation.set_published(session, users["secretary"], case.id, True)
    assert str(case.id) in _listed(client)
    moderation.set_published(session, users["secretary"], case.id, False)
    assert str(case.id) not in _listed(client)


def test_hidden_public_case_disappears(session, client, users, file_request):
    rid = body(file_request("json"))[0]["service_request_id"]
    moderation.set_hidden(session, users["admin"], int(rid), True, "违法内容")
    assert rid not in _listed(client)
    assert client.get(f"{BASE}/requests/{rid}.json").status_code == 404
