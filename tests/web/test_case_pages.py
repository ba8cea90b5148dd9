"""Desk case pages: the filtered list, one case, the action form, scope and escaping."""
from __future__ import annotations

import re

import pytest

from grid_app.cases import transitions

from .. import district as d
from ..cases.helpers import jpeg, log_case

XSS = "<script>alert(1)</script>"


def _case(session, users, app, x=100, y=300, **kw):
    case, _ = log_case(session, users["worker"], x=x, y=y, upload_dir=app.config["UPLOAD_DIR"], **kw)
    return case


def test_list_shows_cases_in_scope_only(session, users, app, login):
    a = _case(session, users, app, description="甲社区的垃圾")
    b = _case(session, users, app, x=700, y=700, description="乙社区的垃圾")
    page = login("secretary").get("/cases").get_data(as_text=True)
    assert "甲社区的垃圾" in page and "乙社区的垃圾" not in page
    assert f'/cases/{a.id}"' in page and f'/cases/{b.id}"' not in page
    assert "网格" in page  # Chinese by default


def test_list_filters_and_paging(session, users, app, login):
    _case(session, users, app, description="找得到的井盖")
    _case(session, users, app, description="别的事情", category="0503")
    client = login("secretary")
    page = client.get("/cases?text=井盖").get_data(as_text=True)
    assert "找得到的井盖" in page and "别的事情" not in page
    page = client.get("/cases?category=0503&state=open").get_data(as_text=True)
    assert "别的事情" in page and "找得到的井盖" not in page
    page = client.get(f"/cases?grid={d.GRID_A2}").get_data(as_text=True)
    assert "找得到的井盖" not in page
    today = client.get("/cases?since=2000-01-01&until=2999-12-31&text=井盖").get_data(as_text=True)
    assert "找得到的井盖" in today
    assert "找得到的井盖" not in client.get("/cases?until=2000-01-01&text=井盖").get_data(as_text=True)


@pytest.mark.parametrize("query", ["state=nope", "level=moon", "since=yesterday", "until=2024-13-40",
                                   "overdue=maybe", "page=0", "page=x"])
def test_bad_filters_are_form_messages(login, query):
    res = login("secretary").get(f"/cases?{query}")
    assert res.status_code == 400
    assert 'class="flash error"' in res.get_data(as_text=True)


def test_detail_has_photos_timeline_and_actions(session, users, app, login):
    case, _ = log_case(session, users["worker"], photos=[("a.jpg", jpeg())], upload_dir=app.config["UPLOAD_DIR"])
    client = login("secretary")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    thumb = re.search(r'<img src="([^"]+)"', page).group(1)
    assert thumb.endswith("thumb=1") and client.get(thumb).status_code == 200
    assert "信息采集" in page  # the timeline's first event
    assert 'value="register"' in page and 'value="reject"' in page
    assert 'name="version" value="1"' in page


def test_action_form_applies_transition(session, users, app, login):
    case = _case(session, users, app)
    client = login("secretary")
    res = client.post(f"/cases/{case.id}/act", data={"action": "register", "version": 1, "note": "核实属实"})
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/cases/{case.id}")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "案卷建立" in page and "核实属实" in page and 'value="dispatch"' in page


def test_stale_version_says_reload(session, users, app, login):
    case = _case(session, users, app)
    transitions.transition(session, users["secretary"], case.id, "register", version=1)
    res = login("secretary").post(f"/cases/{case.id}/act", data={"action": "dispatch", "version": 1,
                                                                 "note": "我写的说明"})
    page = res.get_data(as_text=True)
    assert res.status_code == 409
    assert "刷新" in page or "重新加载" in page
    assert "我写的说明" in page  # the typed note is kept


@pytest.mark.parametrize("data, status", [
    ({"action": "close"}, 409), ({"action": "fly"}, 400), ({"action": "register", "version": "x"}, 400),
    ({"action": "merge", "into": "999999"}, 400),
])
def test_refused_actions_are_form_messages(session, users, app, login, data, status):
    case = _case(session, users, app)
    res = login("secretary").post(f"/cases/{case.id}/act", data=data)
    assert res.status_code == status
    assert 'role="alert"' in res.get_data(as_text=True)
    session.refresh(case)
    assert case.state == "collected" and case.version == 1


def test_out_of_scope_case_is_404(session, users, app, login):
    case = _case(session, users, app)
    client = login("secretary_b")
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.post(f"/cases/{case.id}/act", data={"action": "register"}).status_code == 404
    session.refresh(case)
    assert case.state == "collected"


def test_user_text_is_escaped(session, users, app, login):
    case = _case(session, users, app, description=XSS)
    transitions.transition(session, users["secretary"], case.id, "register", note=XSS)
    client = login("secretary")
    for url in (f"/cases/{case.id}", "/cases"):
        page = client.get(url).get_data(as_text=True)
        assert XSS not in page and "&lt;script&gt;alert(1)" in page


def test_duplicates_are_hinted(session, users, app, login):
    first = _case(session, users, app, x=100, y=300)
    second = _case(session, users, app, x=110, y=305)
    page = login("secretary").get(f"/cases/{second.id}").get_data(as_text=True)
    section = page.split("id=\"actions\"")[1]
    assert f"/cases/{first.id}\"" in section


def test_street_officer_and_admin_see_the_case(session, users, app, login):
    case = _case(session, users, app)
    for role in ("street", "admin"):
        assert login(role).get(f"/cases/{case.id}").status_code == 200


def test_english_on_request(session, users, app, login):
    case = _case(session, users, app)
    page = login("secretary").get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Timeline" in page and "Register" in page


def test_desk_list_honours_community_and_reported(login, session, users):
    from ..cases.helpers import log_case
    from .. import district
    mine, _ = log_case(session, users["worker"], 700, 300, description="DESK-REPORTED in B")
    other, _ = log_case(session, users["admin"], 100, 300, description="DESK-IN-A1")
    client = login("worker")
    assert "DESK-REPORTED" in client.get("/cases?reported=me").get_data(as_text=True)
    assert "DESK-IN-A1" not in client.get("/cases?reported=me").get_data(as_text=True)
    page = client.get(f"/cases?community={district.COMM_B}").get_data(as_text=True)
    assert "DESK-REPORTED" in page and "DESK-IN-A1" not in page
