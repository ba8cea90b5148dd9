"""Party indicators per community and street for a quarter equal a hand count (report_fixture.py)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from grid_app.models import Community
from grid_app.party import indicators
from grid_app.party.quarters import parse_quarter

from .. import district as d
from .report_fixture import EXPECTED_INDICATORS, build_quarter

BJ = ZoneInfo("Asia/Shanghai")


@pytest.fixture()
def quarter_rows(session, make_member, users):
    """The hand-computed quarter."""
    return build_quarter(session, make_member, users["admin"])


def _figures(row: dict) -> dict:
    return {k: row[k] for k in EXPECTED_INDICATORS[d.COMM_A]}


def test_indicators_equal_the_hand_count(session, quarter_rows):
    communities = [quarter_rows["comm_a"], quarter_rows["comm_b"]]
    rows = indicators.compute(session, communities, parse_quarter("2026Q3"), BJ)
    assert {r["code"]: _figures(r) for r in rows} == {d.COMM_A: EXPECTED_INDICATORS[d.COMM_A],
                                                      d.COMM_B: EXPECTED_INDICATORS[d.COMM_B]}
    street = indicators.compute(session, communities, parse_quarter("2026Q3"), BJ, group="street")
    assert [(r["code"], _figures(r)) for r in street] == [(d.STREET, EXPECTED_INDICATORS[d.STREET])]


def test_an_empty_quarter_is_zeros(session, quarter_rows):
    rows = indicators.compute(session, [quarter_rows["comm_b"]], parse_quarter("2025Q1"), BJ)
    assert _figures(rows[0]) == {"units": 0, "members": 0, "active": 0, "hours": 0.0, "activities": 0,
                                 "wishes_raised": 0, "wishes_fulfilled": 0, "median_days": None}


def test_dashboards_show_the_party_figures(session, login, quarter_rows):
    page = login("secretary").get(f"/communities/{d.COMM_A}/dashboard?quarter=2026Q3").get_data(as_text=True)
    assert 'id="party-indicators"' in page and 'data-value="11.5"' in page and 'data-value="4.5"' in page
    page = login("street").get(f"/streets/{d.STREET}/compare?quarter=2026Q3").get_data(as_text=True)
    assert 'id="party-table"' in page and 'data-value="7.0"' in page and 'data-value="2.5"' in page


def test_dashboard_bad_quarter_is_a_400(login):
    res = login("secretary").get(f"/communities/{d.COMM_A}/dashboard?quarter=2026Q7")
    assert res.status_code == 400 and "2026Q3" in res.get_data(as_text=True)


def test_json_indicators_scoped(session, login, quarter_rows):
    body = login("secretary").get("/api/v1/indicators/party?quarter=2026Q3").get_json()
    assert body["quarter"] == "2026Q3" and [r["code"] for r in body["rows"]] == [d.COMM_A]
    assert _figures(body["rows"][0]) == EXPECTED_INDICATORS[d.COMM_A]
    body = login("street").get("/api/v1/indicators/party?quarter=2026Q3&group=street").get_json()
    assert [(r["code"], _figures(r)) for r in body["rows"]] == [(d.STREET, EXPECTED_INDICATORS[d.STREET])]
    bad = login("secretary").get("/api/v1/indicators/party?quarter=Q3")
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_quarter"
    assert login("secretary").get("/api/v1/indicators/party?quarter=2026Q3&group=grid").status_code == 400
