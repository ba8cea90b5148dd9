"""Measures on the stored network: checklist 达标 at its threshold, 2SFCA with capacities, scenario sets, scope."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from shapely.geometry import Point
from sqlalchemy import select, update

from grid_app.coverage import measures as m
from grid_app.coverage.demand import demand_group, home_demand
from grid_app.coverage.refresh import refresh
from grid_app.models import Facility, FacilityType, Household, LifeCircleItem, Resident
from grid_app.network.store import read_network_file, replace_network
from grid_app.places.hierarchy import community_by_code
from grid_app.places.importer import ImportFailed, import_files

from .. import district as d
from ..geo import box, feature, lonlat, write_layer
from .test_coverage_service import street_network

SPEED = 1.2
SHARES = {"kindergarten": 0.05, "elderly_care": 0.2}
AREA2 = d.COMM_A + "R002"


def _kindergartens(tmp_path, name="facilities.geojson", **capacities):
    caps = {"F-kg-1": 40, "F-kg-2": 20, "F-kg-3": None, **capacities}
    where = {"F-kg-1": (250, 150), "F-kg-2": (250, 950), "F-kg-3": (750, 900)}
    return write_layer(tmp_path / name, [
        feature(Point(lonlat(*where[c])), code=c, name=f"幼儿园{c[-1]}", type_code="kindergarten",
                community_code=d.COMM_A if where[c][0] < 500 else d.COMM_B,
                **({} if cap is None else {"capacity": cap})) for c, cap in caps.items()])


@pytest.fixture()
def measured(session, tmp_path):
    """The street grid, a second residential area with a building, three kindergartens (two with places)."""
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    import_files(session, [
        write_layer(tmp_path / "residential_areas.geojson", [
            feature(box(50, 550, 450, 950), code=AREA2, name="望江苑", community_code=d.COMM_A)]),
        write_layer(tmp_path / "buildings.geojson", [
            feature(box(100, 800, 140, 840), code=AREA2 + "B001", name="望江1栋", community_code=d.COMM_A,
                    residential_area_code=AREA2, residents=200, households=80)]),
        _kindergartens(tmp_path)], progress=False)
    refresh(session, SPEED)
    return community_by_code(session, d.COMM_A)


def _item(result, type_code, minutes):
    level = next(lv for lv in result["checklist"]["levels"] if lv["minutes"] == minutes)
    return next(i for i in level["items"] if i["type"] == type_code)


def test_capacity_is_imported(session, measured):
    caps = dict(session.execute(select(Facility.code, Facility.capacity).where(Facility.code.like("F-kg-%"))).all())
    assert caps == {"F-kg-1": 40, "F-kg-2": 20, "F-kg-3": None}


@pytest.mark.parametrize("bad, reason", [(-3, "whole number >= 0"), ("many", "whole number"), (2.5, "whole number")])
def test_bad_capacity_is_refused_and_nothing_written(session, tmp_path, bad, reason):
    with pytest.raises(ImportFailed) as info:
        import_files(session, [_kindergartens(tmp_path, **{"F-kg-3": bad})], progress=False)
    assert any("capacity" in p.reason and reason in p.reason for p in info.value.problems)
    assert session.scalar(select(Facility.id).where(Facility.code.like("F-kg-%"))) is None


def test_checklist_meets_flips_at_the_threshold(session, measured):
    found = m.measures(session, measured, SPEED, SHARES)
    share = _item(found, "kindergarten", 5)["share"]
    assert 0 < share < 1
    kg = session.scalar(select(FacilityType.id).where(FacilityType.code == "kindergarten"))
    at = math.floor(share * 1000) / 1000  # min_share keeps 3 decimals: the highest value at or under the share
    for need, meets in ((at, True), (round(at + 0.001, 3), False)):
        session.execute(update(LifeCircleItem).where(LifeCircleItem.type_id == kg, LifeCircleItem.level_minutes == 5)
                        .values(min_share=need))
        item = _item(m.measures(session, measured, SPEED, SHARES), "kindergarten", 5)
        assert item["meets"] is meets and item["min_share"] == pytest.approx(need)
    # a type without any facility: nobody reaches it, 不达标
    market = _item(found, "market", 10)
    assert market["no_facilities"] and market["share"] == 0.0 and market["meets"] is False


def test_reseeding_keeps_a_districts_threshold(session, measured):
    from grid_app.platform.reference import seed_reference_data
    session.execute(update(LifeCircleItem).values(min_share=0.5))
    seed_reference_data(session)
    assert {float(x) for x in session.scalars(select(LifeCircleItem.min_share))} == {0.5}


def test_capacity_and_equity(session, measured):
    found = m.measures(session, measured, SPEED, SHARES, type_code="kindergarten", minutes=10)
    fca = found["capacity"]
    assert fca["catchment_m"] == 720.0
    assert fca["facilities"] == 3 and fca["facilities_with_capacity"] == 2 and fca["capacity_total"] == 60
    assert fca["group"]["age_min"] == 3 and fca["homes_estimated"] > 0 and fca["homes_from_register"] == 0
    areas = {a["code"]: a for a in fca["by_residential_area"]}
    assert areas[d.AREA]["demand"] == pytest.approx((130 + 390) * 0.05)
    assert areas[d.AREA]["score"] > 0 and areas[AREA2]["score"] > 0
    # the community's score is the demand-weighted mean of its homes
    total = sum(a["demand"] * a["score"] for a in fca["by_residential_area"]) / fca["demand_total"]
    assert fca["score"] == pytest.approx(total, rel=1e-4)
    eq = found["equity"]
    assert eq["coverage_share"]["units"] == 2 and eq["fca_score"]["units"] == 2
    assert 0 <= eq["fca_score"]["gini"] <= 1 and 0 <= eq["fca_score"]["bottom20_share"] <= 0.2


def test_the_stored_set_as_a_scenario_gives_the_stored_figures(session, measured):
    stored = m.measures(session, measured, SPEED, SHARES, type_code="kindergarten")
    same = m.measures(session, measured, SPEED, SHARES, facilities=m.stored_facilities(session, "kindergarten"))
    assert same["scenario"] and _item(same, "kindergarten", 5) == _item(stored, "kindergarten", 5)
    assert same["capacity"]["score"] == stored["capacity"]["score"]
    assert same["equity"] == stored["equity"]


def test_a_scenario_changes_the_figures_and_writes_nothing(session, measured):
    today = m.stored_facilities(session, "kindergarten")
    more = m.FacilitySet("kindergarten", np.vstack([today.lonlat, [lonlat(250, 900)]]),
                         np.append(today.capacity, 100.0), np.append(today.ids, -1))
    before = m.measures(session, measured, SPEED, SHARES, type_code="kindergarten")
    after = m.measures(session, measured, SPEED, SHARES, facilities=more)
    area2 = {a["code"]: a["score"] for a in after["capacity"]["by_residential_area"]}[AREA2]
    assert area2 > {a["code"]: a["score"] for a in before["capacity"]["by_residential_area"]}[AREA2]
    assert after["capacity"]["by_facility"][-1]["id"] is None
    none = m.FacilitySet("kindergarten", np.zeros((0, 2)), np.zeros(0), np.zeros(0, np.int64))
    gone = m.measures(session, measured, SPEED, SHARES, facilities=none)
    assert _item(gone, "kindergarten", 5)["meets"] is False and gone["capacity"]["no_capacity"]
    assert session.scalar(select(Facility.id).where(Facility.code.like("F-kg-%")).order_by(Facility.id)) is not None
    assert len(m.stored_facilities(session, "kindergarten").ids) == 3


def test_demand_from_the_register_where_a_building_has_one(session, measured):
    from grid_app.models import Building
    tower = session.scalar(select(Building).where(Building.code == d.TOWER))
    flat = Household(building_id=tower.id, street_code=d.STREET, unit="1", room="101")
    session.add(flat)
    session.flush()
    today = date(2026, 6, 1)
    for name, born, out in (("甲", date(2022, 1, 1), None), ("乙", date(2020, 6, 2), None),
                            ("丙", date(1990, 1, 1), None), ("丁", date(2021, 1, 1), date(2026, 1, 1))):
        session.add(Resident(household_id=flat.id, street_code=d.STREET, name=name, sex="男", birth_date=born,
                             residence_type="常住", moved_out=out))
    session.flush()
    kg = session.scalar(select(FacilityType).where(FacilityType.code == "kindergarten"))
    other = session.scalar(select(Building).where(Building.code == d.COURTYARD))
    demand, counted = home_demand(session, "kindergarten", demand_group(session, kg.id),
                                  np.array([tower.id, other.id]), np.array([390.0, 130.0]), SHARES, today)
    # 4 and 5 years old count; 36 does not; the one who moved out does not
    assert demand.tolist() == [2.0, 130 * 0.05] and counted["homes_from_register"] == 1


def test_api_scope_and_errors(login, measured):
    client = login("secretary")
    res = client.get(f"/api/v1/measures?community={d.COMM_A}&type=kindergarten")
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    assert {lv["minutes"] for lv in body["checklist"]["levels"]} == {5, 10, 15}
    assert body["capacity"]["facilities_with_capacity"] == 2 and "equity" in body
    assert client.get(f"/api/v1/measures?community={d.COMM_A}").get_json()["checklist"]["items"] == 12
    assert client.get(f"/api/v1/measures?community={d.COMM_B}").status_code == 404  # another community: absent
    assert login("secretary_b").get(f"/api/v1/measures?community={d.COMM_A}").status_code == 404
    client = login("secretary")
    bad = client.get("/api/v1/measures")
    assert bad.status_code == 400 and bad.get_json()["error"] == "missing_community"
    assert client.get(f"/api/v1/measures?community={d.COMM_A}&type=nope").status_code == 404
    res = client.get(f"/api/v1/measures?community={d.COMM_A}&type=kindergarten&minutes=99")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_minutes"
    client.post("/logout")
    assert client.get(f"/api/v1/measures?community={d.COMM_A}").status_code == 401


def test_coverage_page_shows_the_measures_section(login, measured):
    page = login("secretary").get(f"/communities/{d.COMM_A}/coverage?type=kindergarten").get_data(as_text=True)
    assert 'id="measures"' in page and f"/api/v1/measures?community={d.COMM_A}&amp;type=kindergarten" in page
    assert "生活圈配套设施清单" in page and "\\u4e0d\\u8fbe\\u6807" in page  # 不达标, a JSON label for the script
