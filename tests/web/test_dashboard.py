"""Dashboards: indicators per grid with trend, categories and overdue list; street comparison; scope."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from grid_app.cases import clock, transitions

from .. import district as d
from ..cases.helpers import log_case

XSS = "<script>alert(1)</script>"


def _chart(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="dash-data">(.*?)</script>', page, re.S).group(1))


def test_community_dashboard(session, users, app, login):
    case, _ = log_case(session, users["worker"], x=100, y=300, description=XSS, upload_dir=app.config["UPLOAD_DIR"])
    case.deadline = clock.now() - timedelta(hours=1)  # overdue now
    session.commit()
    for _i in range(5):
        log_case(session, users["worker"], x=110, y=310, category="0503", upload_dir=app.config["UPLOAD_DIR"])
    page = login("secretary").get(f"/communities/{d.COMM_A}/dashboard").get_data(as_text=True)
    rows = page.split('id="grid-table"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 3 and "甲社区第1网格" in rows and "甲社区第2网格" in rows  # zeros for A2
    assert "网格内解决率" in rows and "按期结案率" in rows
    chart = _chart(page)
    assert sum(chart["logged"]) >= 6 and len(chart["weeks"]) == 12
    assert "违规停车" in chart["categories"] and chart["counts"][0] >= 5
    overdue = page.split("超期事件")[1]
    assert f"/cases/{case.id}" in overdue and XSS not in page and "&lt;script&gt;" in overdue
    assert "/static/vendor/chartjs/chart.umd.js" in page


def test_closed_case_rates(session, users, app, login):
    case, _ = log_case(session, users["worker"], x=100, y=300, upload_dir=app.config["UPLOAD_DIR"])
    for action in ("register", "dispatch", "start", "report"):
        transitions.transition(session, users["worker"], case.id, action)
    transitions.transition(session, users["secretary"], case.id, "close")
    page = login("secretary").get(f"/communities/{d.COMM_A}/dashboard").get_data(as_text=True)
    row = page.split("甲社区第1网格", 1)[1].split("</tr>")[0]
    assert 'data-value="1.0">100.0%' in row  # solved within the grid
    assert sum(_chart(page)["closed"]) >= 1


def test_street_compare(session, users, app, login):
    log_case(session, users["worker"], x=100, y=300, upload_dir=app.config["UPLOAD_DIR"])
    page = login("street").get(f"/streets/{d.STREET}/compare").get_data(as_text=True)
    table = page.split('id="community-table"')[1].split("</table>")[0]
    assert "甲社区" in table and "乙社区" in table and f"/communities/{d.COMM_A}/dashboard" in table
    chart = _chart(page)
    assert chart["communities"] == ["甲社区", "乙社区"] and set(chart["rates"]) == {
        "grid_rate", "community_rate", "on_time_rate"}


@pytest.mark.parametrize("role, path, status", [
    ("secretary", f"/communities/{d.COMM_A}/dashboard", 200),
    ("secretary_b", f"/communities/{d.COMM_A}/dashboard", 404),
    ("secretary", f"/streets/{d.STREET}/compare", 404), ("street", f"/streets/{d.STREET}/compare", 200),
    ("admin", f"/streets/{d.STREET}/compare", 200), ("admin", "/streets/999999999/compare", 404),
    ("worker", f"/communities/{d.COMM_B}/dashboard", 404),
])
def test_dashboard_scope(login, role, path, status):
    assert login(role).get(path).status_code == status


@pytest.mark.parametrize("query", ["since=yesterday", "until=2024-02-31", "since=2025-05-01&until=2025-04-01"])
def test_bad_period_is_a_form_message(login, query):
    res = login("secretary").get(f"/communities/{d.COMM_A}/dashboard?{query}")
    assert res.status_code == 400 and 'role="alert"' in res.get_data(as_text=True)


def test_period_filters(session, users, app, login):
    log_case(session, users["worker"], x=100, y=300, upload_dir=app.config["UPLOAD_DIR"])
    page = login("secretary").get(f"/communities/{d.COMM_A}/dashboard?since=2001-01-01&until=2001-01-31"
                                  ).get_data(as_text=True)
    assert _chart(page)["categories"] == []
