"""Indicators against values computed by hand on a fixed set of cases."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from grid_app.cases import clock, indicators
from grid_app.cases.transitions import escalate_overdue, transition

from .. import district as d
from .helpers import log_case

FULL = ["register", "dispatch", "start", "report", "close"]


@pytest.fixture()
def fixed_set(session, users, monkeypatch):
    """Five cases in grid A1 and one in B1 with known histories, on a hand-moved clock."""
    t0 = clock.now().replace(microsecond=0) - timedelta(days=5)
    now = {"t": t0}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    w, s = users["worker"], users["secretary"]

    def at(hours):
        now["t"] = t0 + timedelta(hours=hours)

    # 1: closed in the grid after 10 h (on time: 0101 allows 1+2+24+24 = 51 h)
    c1, _ = log_case(session, w, 100, 300)
    at(10)
    for a in FULL:
        transition(session, w, c1.id, a)
    # 2: escalated to the community by hand, closed there after 20 h
    at(0)
    c2, _ = log_case(session, w, 110, 300, category="0503")
    transition(session, w, c2.id, "escalate")
    at(20)
    for a in FULL:
        transition(session, s, c2.id, a)
    # 3: reopened once, closed in the grid after 60 h (late: 0101 allows 51 h)
    at(0)
    c3, _ = log_case(session, w, 120, 300)
    for a in ["register", "dispatch", "start", "report"]:
        transition(session, w, c3.id, a)
    transition(session, s, c3.id, "reopen")
    at(60)
    transition(session, w, c3.id, "report")
    transition(session, w, c3.id, "close")
    # 4: left open and overdue; 5: escalated to the street by the job, then closed after 100 h
    at(0)
    log_case(session, w, 130, 300)
    c5, _ = log_case(session, w, 140, 300, category="0101")
    escalate_overdue(session, now=t0 + timedelta(hours=2))
    escalate_overdue(session, now=t0 + timedelta(hours=5))
    at(100)
    for a in FULL:
        transition(session, users["street"], c5.id, a)
    # 6: in community B, closed after 4 h
    at(0)
    c6, _ = log_case(session, users["secretary_b"], 900, 900)
    at(4)
    for a in FULL:
        transition(session, users["admin"], c6.id, a)
    at(120)
    # ends before the real now, so cases other tests commit stay outside it
    return indicators.Period(t0 - timedelta(hours=1), t0 + timedelta(hours=101))


def row_for(rows, code):
    return next(r for r in rows if r["code"] == code)


def test_grid_indicators_by_hand(session, users, fixed_set):
    rows = indicators.compute(session, users["admin"], "grid", fixed_set)
    a1 = row_for(rows, d.GRID_A1)
    assert a1["logged"] == 5 and a1["closed"] == 4
    assert a1["grid_rate"] == pytest.approx(2 / 4)         # cases 1 and 3
    assert a1["community_rate"] == pytest.approx(3 / 4)    # + case 2
    assert a1["on_time_rate"] == pytest.approx(2 / 4)      # 1 and 2 (20 h < 51 h); 3 and 5 late
    assert a1["mean_hours"] == pytest.approx((10 + 20 + 60 + 100) / 4)
    assert a1["p90_hours"] == pytest.approx(60 + 0.7 * 40)  # linear interpolation over 10, 20, 60, 100
    assert a1["reopen_rate"] == pytest.approx(1 / 4)
    assert a1["overdue_now"] == 1
    b1 = row_for(rows, d.GRID_B1)
    assert (b1["closed"], b1["grid_rate"], b1["on_time_rate"]) == (1, 1.0, 1.0)


def test_scope_limits_indicators(session, users, fixed_set):
    rows = indicators.compute(session, users["secretary"], "community", fixed_set)
    assert [r["code"] for r in rows if r["code"].startswith(d.STREET)] == [d.COMM_A]


def test_street_group(session, users, fixed_set):
    row = row_for(indicators.compute(session, users["street"], "street", fixed_set), d.STREET)
    assert row["closed"] == 5 and row["logged"] == 6


def test_http_json_csv_xlsx(login, fixed_set):
    client = login("admin")
    q = f"group=grid&since={fixed_set.since.isoformat()}&until={fixed_set.until.isoformat()}"
    q = q.replace("+", "%2B")
    body = client.get(f"/api/v1/indicators?{q}").get_json()
    assert row_for(body["rows"], d.GRID_A1)["closed"] == 4
    csv = client.get(f"/api/v1/indicators?{q}&format=csv")
    text = csv.data.decode("utf-8-sig")
    assert csv.mimetype == "text/csv" and text.splitlines()[0].startswith("编码,名称,上报数,结案数,网格内解决率")
    xlsx = client.get(f"/api/v1/indicators?{q}&format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    values = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert values[d.GRID_A1][3] == 4


@pytest.mark.parametrize("query, code", [("group=city", "bad_group"), ("format=pdf", "bad_format"),
                                         ("since=2026-13-01", "bad_period"),
                                         ("since=2026-02-01&until=2026-01-01", "bad_period")])
def test_bad_indicator_queries(login, query, code):
    res = login("admin").get(f"/api/v1/indicators?{query}")
    assert res.status_code == 400 and res.get_json()["error"] == code
