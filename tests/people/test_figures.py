"""The secretary's figures: counts per grid, coverage across interval edges, scope, tags per role, overdue by worker."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import current_app
from geoalchemy2.shape import from_shape
from sqlalchemy import select

from grid_app.cases import clock
from grid_app.models import Building, Community, Grid
from grid_app.models.care import CareLevel, CareTag, ResidentCare, Visit
from grid_app.models.people import Household, Resident
from grid_app.people.crypto import app_keyring
from grid_app.people.figures import coverage_band, figures

from .. import district as d
from ..geo import box, multi
from .ids import make_id

NOW = clock.now().replace(microsecond=0)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
A2_HOUSE = d.COMM_A + "X001"
SHOP = d.COMM_B + "B001"
# name: (building, unit, room, [(tag, level)], last visit before NOW or None, moved out)
PEOPLE = {
    "王建国": (d.COURTYARD, "1", "101", [("elderly_alone", "red")], 7 * DAY, None),  # at the boundary: on time
    "李秀英": (d.COURTYARD, "1", "101", [("elderly_alone", "red")], 7 * DAY + SECOND, None),  # just past it
    "欧阳明辉": (d.COURTYARD, "2", "302", [("elderly_alone", "red"), ("dibao", "yellow")], None, None),  # never
    "张伟": (d.TOWER, "5", "501", [("disabled", "yellow")], 14 * DAY - SECOND, None),  # just before it
    "刘洋": (d.TOWER, "5", "501", [], None, None),  # not a key resident
    "陈静": (d.TOWER, "5", "502", [("elderly_alone", "red")], None, date(2000, 1, 1)),  # moved out: not counted
    "孙丽": (A2_HOUSE, "", "1", [("veteran", "green")], 29 * DAY, None),
    "周强": (A2_HOUSE, "", "1", [("veteran", "green")], 31 * DAY, None),
    "吴敏": (SHOP, "", "1", [("dibao", "red")], 3 * DAY, None),
    "郑华": (SHOP, "", "2", [("dibao", "red")], 10 * DAY, None),  # overdue in a grid without a worker account
}


@pytest.fixture()
def people(session, users):
    """The residents above (and a building in grid A2), key residents with their tags, levels and visits."""
    grids = {g.code: g for g in session.scalars(select(Grid))}
    community_a = session.scalar(select(Community).where(Community.code == d.COMM_A))
    session.add(Building(code=A2_HOUSE, name="3栋", community_id=community_a.id, grid_id=grids[d.GRID_A2].id,
                         geom=from_shape(multi(box(100, 600, 150, 650)), srid=4326)))
    session.flush()
    buildings = {b.code: b for b in session.scalars(select(Building))}
    tags = {t.code: t for t in session.scalars(select(CareTag))}
    levels = {lv.code: lv for lv in session.scalars(select(CareLevel))}
    keys, flats, ids = app_keyring(current_app), {}, {}
    for seq, (name, (code, unit, room, cares, ago, moved_out)) in enumerate(PEOPLE.items(), start=1):
        building = buildings[code]
        if (code, unit, room) not in flats:
            flats[code, unit, room] = Household(building_id=building.id, street_code=building.street_code,
                                                unit=unit, room=room)
            session.add(flats[code, unit, room])
        number = make_id("19500101", seq)
        resident = Resident(household=flats[code, unit, room], street_code=building.street_code, name=name, sex="男",
                            birth_date=date(1950, 1, 1), id_cipher=keys.encrypt("id_number", number),
                            id_hash=keys.digest("id_number", number), residence_type="户籍", moved_out=moved_out)
        session.add(resident)
        session.flush()
        ids[name] = resident.id
        for tag, level in cares:
            session.add(ResidentCare(resident_id=resident.id, tag_id=tags[tag].id, level_id=levels[level].id))
        if ago is not None:
            session.add(Visit(resident_id=resident.id, worker_id=users["worker"].id, street_code=d.STREET,
                              kind="home", at=NOW - ago, follow_up=False, far_from_home=False,
                              idempotency_key=f"figures-key-{seq:03d}"))
    session.flush()
    return ids


def _grids(body):
    return {g["code"]: g for g in body["grids"]}


def test_counts_and_coverage_per_grid_across_interval_edges(session, users, people):
    body = figures(session, users["secretary"], community=d.COMM_A, now=NOW)
    a1, a2 = _grids(body)[d.GRID_A1], _grids(body)[d.GRID_A2]
    # A1: 5 current residents in 3 flats (the moved-out one not counted), 4 key residents.
    assert (a1["residents"], a1["households"], a1["key_residents"]) == (5, 3, 4)
    # each key resident once, under the level that sets their interval (欧阳明辉: red beats yellow)
    assert a1["levels"] == {"red": 3, "yellow": 1, "green": 0}
    # due now: at the boundary, just past it, never visited; overdue: just past it only
    assert (a1["due"], a1["overdue"]) == (3, 1)
    # on time: visited exactly at the boundary and just before it; never and just past are not
    assert a1["visited_on_time"] == 2 and a1["coverage"] == pytest.approx(0.5)
    assert a1["tags"] == {"elderly_alone": 3, "dibao": 1, "disabled": 1, "veteran": 0, "left_behind_child": 0,
                          "empty_nest": 0, "serious_illness": 0}
    assert (a2["residents"], a2["households"], a2["key_residents"], a2["levels"]["green"]) == (2, 1, 2, 2)
    assert (a2["due"], a2["overdue"], a2["visited_on_time"]) == (1, 1, 1)
    total = body["total"]
    assert (total["residents"], total["key_residents"], total["overdue"], total["visited_on_time"]) == (7, 6, 2, 3)
    assert total["coverage"] == pytest.approx(0.5) and total["tags"]["veteran"] == 2
    assert SHOP not in str(body) and "吴" not in str(body)  # community B is not in community A's figures


def test_one_second_later_the_boundary_visit_is_overdue(session, users, people):
    a1 = _grids(figures(session, users["admin"], grid=d.GRID_A1, now=NOW + SECOND))[d.GRID_A1]
    assert (a1["overdue"], a1["visited_on_time"]) == (2, 1)


def test_a_grid_without_key_residents_has_no_coverage(session, users):
    body = figures(session, users["admin"], community=d.COMM_A, now=NOW)
    assert all(g["key_residents"] == 0 and g["coverage"] is None and g["band"] is None for g in body["grids"])
    assert body["overdue_by_worker"][0]["overdue"] == 0


@pytest.mark.parametrize("share, band", [(None, None), (1.0, "good"), (0.9, "good"), (0.8999, "fair"),
                                         (0.7, "fair"), (0.69, "poor"), (0.0, "poor")])
def test_coverage_bands(share, band):
    assert coverage_band(share) == band


def test_overdue_by_worker_masked(session, users, people):
    body = figures(session, users["secretary"], community=d.COMM_A, now=NOW)
    by_name = {e["worker"]["name"]: e for e in body["overdue_by_worker"]}
    worker, worker_a2 = by_name[users["worker"].display_name], by_name[users["worker_a2"].display_name]
    assert (worker["grids"], worker["overdue"]) == ([d.GRID_A1], 1)
    assert [(r["name"], r["room"], r["days_overdue"]) for r in worker["residents"]] == [("李**", "101", 0)]
    assert (worker_a2["grids"], worker_a2["overdue"]) == ([d.GRID_A2], 1)
    assert [(r["name"], r["days_overdue"], r["grid"]) for r in worker_a2["residents"]] == [("周*", 1, d.GRID_A2)]
    assert "李秀英" not in str(body) and "周强" not in str(body)


def test_overdue_in_a_grid_without_worker(session, users, people):
    body = figures(session, users["admin"], community=d.COMM_B, now=NOW)
    assert [(e["worker"], e["grids"], e["overdue"]) for e in body["overdue_by_worker"]] == [(None, [d.GRID_B1], 1)]
    assert [r["name"] for r in body["overdue_by_worker"][0]["residents"]] == ["郑*"]


def test_api_no_store_and_the_street_sees_counts_only(login, people, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    res = login("secretary").get(f"/api/v1/people/figures?community={d.COMM_A}")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    assert _grids(res.get_json())[d.GRID_A1]["visited_on_time"] == 2
    street = login("street").get(f"/api/v1/people/figures?community={d.COMM_A}")
    assert street.status_code == 200
    body = street.get_json()
    assert _grids(body)[d.GRID_A1]["levels"]["red"] == 3
    assert "tags" not in body and all("tags" not in g for g in body["grids"]) and "tags" not in body["total"]
    text = street.get_data(as_text=True)
    assert "独居老人" not in text and "elderly_alone" not in text and "\\u674e" not in text and "李" not in text
    assert all("residents" not in e for e in body["overdue_by_worker"])  # counts per worker, no names
    assert sum(e["overdue"] for e in body["overdue_by_worker"]) == 2


@pytest.mark.parametrize("query", [f"grid={d.GRID_A2}", f"community={d.COMM_B}", f"grid={d.GRID_B1}"])
def test_a_worker_cannot_read_another_grid(login, people, query):
    res = login("worker").get(f"/api/v1/people/figures?{query}")
    assert res.status_code == 404 and res.get_json()["error"] in ("grid_not_found", "community_not_found")


def test_a_worker_reading_the_community_sees_only_their_grid(login, users, people):
    body = login("worker").get(f"/api/v1/people/figures?community={d.COMM_A}").get_json()
    assert [g["code"] for g in body["grids"]] == [d.GRID_A1]
    assert body["total"]["residents"] == 5 and "周*" not in str(body)
    assert [e["worker"]["id"] for e in body["overdue_by_worker"]] == [users["worker"].id]


@pytest.mark.parametrize("role", ["planner", "api"])
def test_planner_and_api_read_no_figures(login, people, role):
    client = login(role)
    res = client.get(f"/api/v1/people/figures?community={d.COMM_A}")
    assert res.status_code == 403 and "李" not in res.get_data(as_text=True)
    assert client.get(f"/people?community={d.COMM_A}").status_code == 403


@pytest.mark.parametrize("query", ["", f"community={d.COMM_A}&grid={d.GRID_A1}", "community=nope", "grid=%00"])
def test_bad_or_unknown_places(login, query):
    res = login("admin").get(f"/api/v1/people/figures?{query}")
    assert res.status_code in (400, 404) and {"error", "message"} <= set(res.get_json())


def test_page_in_chinese_and_english(login, people, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    client = login("secretary")
    page = client.get("/people")  # the secretary's own community
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "走访覆盖率" in text and "甲社区第1网格" in text and "50.0%" in text
    assert "李**" in text and "李秀英" not in text and "独居老人" in text
    assert "乙社区" not in text
    street = login("street").get(f"/people?community={d.COMM_A}").get_data(as_text=True)
    assert "走访覆盖率" in street and "独居老人" not in street and "李**" not in street
    assert login("street").get("/people").status_code == 200  # chooses among the street's communities
    assert login("secretary_b").get(f"/people?community={d.COMM_A}").status_code == 404


def test_page_in_english(login, people):
    text = login("secretary").get(f"/people?community={d.COMM_A}&lang=en").get_data(as_text=True)
    assert "Visit coverage" in text and "Overdue visits by grid worker" in text and "Elderly person living alone" in text
