"""The case API: listing filters, one case, transitions over HTTP, events, OpenAPI-free basics."""
from __future__ import annotations

import pytest

from .. import district as d
from .helpers import log_case


@pytest.fixture()
def cases(session, users):
    a1, _ = log_case(session, users["worker"], 100, 300, description="垃圾桶满溢")
    a1b, _ = log_case(session, users["worker"], 200, 350, category="0503", description="违停车辆堵门")
    a2, _ = log_case(session, users["worker_a2"], 250, 750, description="绿化带垃圾")
    b1, _ = log_case(session, users["secretary_b"], 900, 900, category="0602", description="物业纠纷")
    return {"a1": a1, "a1b": a1b, "a2": a2, "b1": b1}


def ids(res):
    return {c["id"] for c in res.get_json()["cases"]}


def test_worker_lists_own_grid_only(login, cases):
    got = ids(login("worker").get("/api/v1/cases?limit=500"))
    assert {cases["a1"].id, cases["a1b"].id} <= got
    assert cases["a2"].id not in got and cases["b1"].id not in got


@pytest.mark.parametrize("query, expect", [
    ("category=0503", {"a1b"}),
    (f"grid={d.GRID_A2}", {"a2"}),
    (f"community={d.COMM_B}", {"b1"}),
    ("level=community", {"b1"}),
    ("text=物业", {"b1"}),
    ("text=垃圾", {"a1", "a2"}),
])
def test_filters(login, cases, query, expect):
    got = ids(login("admin").get(f"/api/v1/cases?limit=500&{query}"))
    mine = {k for k, c in cases.items() if c.id in got}
    assert mine == expect


def test_bbox_since_until_and_paging(login, cases):
    from ..geo import lonlat
    (x0, y0), (x1, y1) = lonlat(850, 850), lonlat(950, 950)
    client = login("admin")
    assert ids(client.get(f"/api/v1/cases?bbox={x0},{y0},{x1},{y1}")) >= {cases["b1"].id}
    assert cases["a1"].id not in ids(client.get(f"/api/v1/cases?bbox={x0},{y0},{x1},{y1}"))
    assert ids(client.get("/api/v1/cases?until=2000-01-01")) == set()
    page = client.get("/api/v1/cases?limit=2&offset=0").get_json()
    assert len(page["cases"]) == 2 and page["total"] >= 4


def test_a_total_past_the_count_cap_says_it_is_a_lower_bound(login, cases, monkeypatch):
    from grid_app.cases import queries
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    client = login("admin")
    many = client.get("/api/v1/cases?limit=2").get_json()
    assert (many["total"], many["total_exact"], len(many["cases"])) == (3, False, 2)
    few = client.get(f"/api/v1/cases?limit=2&grid={cases['b1'].grid.code}").get_json()
    assert few["total_exact"] is True and few["total"] == len(ids(client.get(
        f"/api/v1/cases?limit=500&grid={cases['b1'].grid.code}"))) <= 3


@pytest.mark.parametrize("query", ["state=lost", "level=city", "overdue=maybe", "since=yesterday",
                                   "limit=0", "bbox=1,2", "order=random"])
def test_bad_filters_are_400(login, query):
    res = login("admin").get(f"/api/v1/cases?{query}")
    assert res.status_code == 400 and res.get_json()["error"] in ("bad_filter", "bad_paging", "bad_bbox")


def test_transition_over_http_with_version(login, cases):
    client = login("worker")
    case = client.get(f"/api/v1/cases/{cases['a1'].id}").get_json()
    res = client.post(f"/api/v1/cases/{case['id']}/transitions",
                      json={"action": "register", "note": "立案", "version": case["version"]})
    assert res.status_code == 200 and res.get_json()["state"] == "registered"
    stale = client.post(f"/api/v1/cases/{case['id']}/transitions",
                        json={"action": "dispatch", "version": case["version"]})
    assert stale.status_code == 409 and stale.get_json()["error"] == "stale_version"
    illegal = client.post(f"/api/v1/cases/{case['id']}/transitions", json={"action": "close"})
    assert illegal.status_code == 409 and illegal.get_json()["error"] == "illegal_transition"
    events = client.get(f"/api/v1/cases/{case['id']}/events").get_json()["events"]
    assert [e["action"] for e in events] == ["collect", "register"] and events[1]["note"] == "立案"
    assert events[1]["actor"] == "t-worker"


def test_report_with_after_photo(login, cases):
    import io
    from .helpers import jpeg
    client = login("worker")
    cid = cases["a1"].id
    for action in ("register", "dispatch", "start"):
        client.post(f"/api/v1/cases/{cid}/transitions", json={"action": action})
    res = client.post(f"/api/v1/cases/{cid}/transitions", content_type="multipart/form-data",
                      data={"action": "report", "note": "已清理", "photos": [(io.BytesIO(jpeg()), "after.jpg")]})
    assert res.status_code == 200
    assert [p["kind"] for p in res.get_json()["photos"]] == ["after"]


def test_transition_bad_body(login, cases):
    client = login("worker")
    res = client.post(f"/api/v1/cases/{cases['a1'].id}/transitions", json={"action": "register", "version": "x"})
    assert res.status_code == 400


def test_overdue_filter(login, cases, monkeypatch):
    from datetime import timedelta
    from grid_app.cases import clock
    later = clock.now() + timedelta(hours=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    got = ids(login("admin").get("/api/v1/cases?overdue=true&limit=500"))
    # 0101 must be registered within 1 h, 0602 within 4 h
    assert cases["a1"].id in got and cases["b1"].id not in got
    not_overdue = ids(login("admin").get("/api/v1/cases?overdue=false&limit=500"))
    assert cases["b1"].id in not_overdue and cases["a1"].id not in not_overdue
