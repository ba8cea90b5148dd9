"""Coverage scenarios on the test district's street grid: planned sites, closures, a slower walk, saved ones."""
from __future__ import annotations

import numpy as np
import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from grid_app.coverage.graph import snap
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network
from grid_app.coverage.scenario import evaluate, today
from grid_app.coverage.scenario_input import MAX_ADDED, check_changes
from grid_app.models import Building, Facility, FacilityType
from grid_app.models.scenario import CoverageScenario
from grid_app.network.store import bump_version, read_network_file, replace_network, versions
from grid_app.places.hierarchy import community_by_code

from .. import district as d
from ..geo import lonlat
from .test_coverage_service import street_network

SPEED = 1.2
TYPE = "elderly_care"


def add_facility(session, code: str, x: float, y: float, community: str) -> Facility:
    """A facility of TYPE at (x, y) metres of the test district, committed as a savepoint."""
    f = Facility(code=code, name=code, type_id=session.scalar(select(FacilityType.id).where(FacilityType.code == TYPE)),
                 community_id=community_by_code(session, community).id,
                 geom=from_shape(Point(lonlat(x, y)), srid=4326))
    session.add(f)
    bump_version(session, "facilities")
    session.commit()
    return f


@pytest.fixture()
def streets(session, tmp_path):
    """The 250 m street grid over the district, one elderly-care station in community B (far from A's homes)."""
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    far = add_facility(session, "F-elder-B", 750, 750, d.COMM_B)
    return {"far": far}


def run(session, body: dict, community: str = d.COMM_A) -> dict:
    """Check and evaluate a change set as the API does."""
    c = community_by_code(session, community)
    return evaluate(session, c, check_changes(session, c, body, SPEED), SPEED)


def full_recompute(session, extra_xy: list[tuple[float, float]], removed: set[int], threshold: float) -> set[str]:
    """Codes of community A's homes within threshold, by the engine on the modified facility set."""
    net = prepared_network(session)
    rows = session.execute(select(Facility.id, func.ST_X(Facility.geom), func.ST_Y(Facility.geom))
                           .join(FacilityType).where(FacilityType.code == TYPE)).all()
    xy = [(x, y) for i, x, y in rows if i not in removed] + [lonlat(*p) for p in extra_xy]
    dist = net.prepared.distances(snap(net.graph, np.array(xy).reshape(-1, 2), MAX_ACCESS_M), threshold)
    ids = dict(session.execute(select(Building.id, Building.code).where(
        Building.community_id == community_by_code(session, d.COMM_A).id, Building.residents > 0)).all())
    return {ids[int(b)] for b, m in zip(net.homes.building_id, dist) if int(b) in ids and m <= threshold}


def test_added_site_covers_exactly_the_homes_within_the_threshold(session, streets):
    result = run(session, {"type": TYPE, "minutes": 3, "add": [{"lon": lonlat(250, 320)[0], "lat": lonlat(250, 320)[1],
                                                               "name": "规划养老站"}]})
    assert result["residents_covered_today"] == 0
    gained = {h["code"] for h in result["gained"]}
    assert gained == full_recompute(session, [(250, 320)], set(), 3 * 60 * SPEED)
    assert d.TOWER in gained and d.COURTYARD not in gained  # the tower is ~80 m away, the courtyard beyond 216 m
    assert result["residents_gained"] == 390 == result["residents_covered"]
    assert result["lost"] == [] and result["added"][0]["name"] == "规划养老站"
    area = next(a for a in result["by_residential_area"] if a["code"] == d.AREA)
    assert (area["residents_covered_today"], area["residents_covered"], area["change"]) == (0, 390, 390)
    assert sum(g["residents_covered"] for g in result["by_grid"]) == 390
    tower = next(h for h in result["gained"] if h["code"] == d.TOWER)
    assert tower["minutes_today"] > 3 and 0 < tower["minutes"] <= 3 and abs(tower["lon"] - lonlat(315, 315)[0]) < 1e-3


def test_incremental_equals_full_recompute_at_every_threshold(session, streets):
    sites = [(250, 320), (0, 900), (450, 500)]
    body = {"type": TYPE, "add": [dict(zip(("lon", "lat"), lonlat(*p))) for p in sites]}
    for minutes in (1, 3, 5, 10, 15):
        result = run(session, {**body, "minutes": minutes})
        expected = full_recompute(session, sites, set(), minutes * 60 * SPEED)
        assert {h["code"] for h in result["gained"]} == expected - _today_codes(session, minutes), minutes
        assert result["lost"] == []


def _today_codes(session, minutes: float) -> set[str]:
    return full_recompute(session, [], set(), minutes * 60 * SPEED)


def test_removing_the_only_facility_loses_every_covered_home(session, streets):
    near = add_facility(session, "F-elder-A", 250, 300, d.COMM_A)
    before = run(session, {"type": TYPE, "minutes": 10})
    assert before["residents_covered_today"] == before["residents_covered"] == 520
    result = run(session, {"type": TYPE, "minutes": 10, "remove": [near.id]})
    assert result["residents_covered"] == 0 and result["residents_lost"] == 520
    assert {h["code"] for h in result["lost"]} == {d.TOWER, d.COURTYARD}
    assert result["removed"][0]["code"] == "F-elder-A"


def test_a_slower_walk_shrinks_coverage(session, streets):
    add_facility(session, "F-elder-A", 250, 300, d.COMM_A)
    normal, slow = (run(session, {"type": TYPE, "minutes": 3, **extra}) for extra in ({}, {"speed_m_s": 0.8}))
    assert slow["threshold_m"] == 144.0 and slow["today"]["threshold_m"] == 216.0
    assert slow["residents_covered"] < slow["residents_covered_today"] == normal["residents_covered"]
    assert {h["code"] for h in slow["lost"]} == (full_recompute(session, [], set(), 216.0)
                                                 - full_recompute(session, [], set(), 144.0))
    assert slow["lost"] and slow["gained"] == []


def test_today_is_computed_once_per_data_version(session, streets):
    net = prepared_network(session)
    type_id = session.scalar(select(FacilityType.id).where(FacilityType.code == TYPE))
    first = today(session, net, type_id, SPEED)
    assert today(session, net, type_id, SPEED) is first
    add_facility(session, "F-elder-A", 250, 300, d.COMM_A)  # a new facility version: a new pass
    assert today(session, net, type_id, SPEED) is not first


def test_nothing_is_written_to_the_facility_table(session, streets, login):
    count = session.scalar(select(func.count()).select_from(Facility))
    stamp = versions(session, ("facilities",))
    client = login("secretary")
    body = {"community": d.COMM_A, "type": TYPE, "remove": [],
            "add": [dict(zip(("lon", "lat"), lonlat(250, 320)))]}
    assert client.post("/api/v1/scenarios/evaluate", json=body).status_code == 200
    assert client.post("/api/v1/scenarios", json={**body, "name": "甲"}).status_code == 201
    assert session.scalar(select(func.count()).select_from(Facility)) == count
    assert versions(session, ("facilities",)) == stamp


def test_api_scope(session, streets, login):
    body = {"community": d.COMM_A, "type": TYPE, "add": [dict(zip(("lon", "lat"), lonlat(250, 320)))]}
    assert login("worker").post("/api/v1/scenarios/evaluate", json=body).status_code == 403
    res = login("secretary_b").post("/api/v1/scenarios/evaluate", json=body)
    assert res.status_code == 404 and res.get_json()["error"] == "community_not_found"
    for role in ("secretary", "planner", "street"):
        res = login(role).post("/api/v1/scenarios/evaluate", json=body)
        assert res.status_code == 200 and res.get_json()["residents_gained"] == 520, role


def test_saved_scenarios(session, streets, login, users):
    site = dict(zip(("lon", "lat"), lonlat(250, 320)))
    client = login("secretary")
    a = client.post("/api/v1/scenarios", json={"community": d.COMM_A, "type": TYPE, "name": "北侧新站", "minutes": 3,
                                               "add": [site]})
    assert a.status_code == 201 and a.get_json()["residents_gained"] == 390
    b = client.post("/api/v1/scenarios", json={"community": d.COMM_A, "type": TYPE, "name": "慢行", "minutes": 3,
                                               "speed_m_s": 0.8, "add": [site]})
    a_id, b_id = a.get_json()["id"], b.get_json()["id"]
    listed = client.get(f"/api/v1/scenarios?community={d.COMM_A}").get_json()["scenarios"]
    assert [s["name"] for s in listed] == ["慢行", "北侧新站"] and listed[0]["author"] == users["secretary"].username
    got = client.get(f"/api/v1/scenarios/{a_id}").get_json()
    assert got["changes"]["add"][0]["lon"] == pytest.approx(site["lon"]) and got["residents_covered"] == 390
    cmp = client.get(f"/api/v1/scenarios/compare?a={a_id}&b={b_id}").get_json()
    area = next(r for r in cmp["by_residential_area"] if r["code"] == d.AREA)
    assert area["today"]["residents_covered"] == 0 and area["a"]["residents_covered"] == 390
    assert area["b"]["residents_covered"] <= 390 and cmp["b"]["speed_m_s"] == 0.8
    assert login("secretary_b").get(f"/api/v1/scenarios/{a_id}").status_code == 404
    assert login("worker").get(f"/api/v1/scenarios?community={d.COMM_A}").status_code == 403
    res = login("planner").delete(f"/api/v1/scenarios/{a_id}")
    assert res.status_code == 403 and res.get_json()["error"] == "not_author"
    assert login("secretary").delete(f"/api/v1/scenarios/{a_id}").status_code == 204
    assert session.get(CoverageScenario, a_id) is None
    assert login("admin").delete(f"/api/v1/scenarios/{b_id}").status_code == 204


def _bad_bodies(far_id: int) -> list[tuple[dict, str]]:
    inside = dict(zip(("lon", "lat"), lonlat(250, 320)))
    base = {"community": d.COMM_A, "type": TYPE}
    return [
        ({**base, "type": "spaceport"}, "unknown_type"),
        ({"community": d.COMM_A}, "missing_type"),
        ({"type": TYPE}, "missing_community"),
        ({**base, "add": [dict(zip(("lon", "lat"), lonlat(750, 750)))]}, "site_outside_community"),
        ({**base, "add": [inside] * (MAX_ADDED + 1)}, "too_many_sites"),
        ({**base, "add": [{"lon": "east", "lat": 30}]}, "bad_coordinates"),
        ({**base, "add": [{"lon": 200, "lat": 30}]}, "bad_coordinates"),
        ({**base, "add": inside}, "bad_add"),
        ({**base, "add": [inside], "crs": "bd09"}, "bad_crs"),
        ({**base, "add": [{**inside, "capacity": -3}]}, "bad_capacity"),
        ({**base, "add": [dict(zip(("lon", "lat"), lonlat(1290, 90)))]}, "site_off_network"),  # the exclave
        ({**base, "remove": [far_id]}, "unknown_facility"),  # community B's
        ({**base, "remove": [999999]}, "unknown_facility"),
        ({**base, "remove": ["1"]}, "bad_remove"),
        ({**base, "speed_m_s": 5}, "bad_speed"),
        ({**base, "speed_m_s": 0}, "bad_speed"),
        ({**base, "speed_m_s": "fast"}, "bad_speed"),
        ({**base, "minutes": 0}, "bad_minutes"),
        ({**base, "minutes": 31}, "bad_minutes"),
        ({**base, "colour": "red"}, "bad_body"),
    ]


def test_bad_bodies_are_400_and_write_nothing(session, streets, login):
    client = login("planner")
    for body, code in _bad_bodies(streets["far"].id):
        for path in ("/api/v1/scenarios/evaluate", "/api/v1/scenarios"):
            res = client.post(path, json={**body, "name": "x"} if path.endswith("scenarios") else body)
            assert res.status_code == 400, (path, body, res.get_json())
            assert res.get_json()["error"] == code and res.get_json()["message"], (body, res.get_json())
    for raw in ("[1, 2]", "not json", '"text"'):
        res = client.post("/api/v1/scenarios/evaluate", data=raw, content_type="application/json")
        assert res.status_code == 400 and set(res.get_json()) >= {"error", "message"}
    res = client.post("/api/v1/scenarios", json={"community": d.COMM_A, "type": TYPE, "name": " "})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_name"
    assert client.get("/api/v1/scenarios/compare?a=1&b=x").status_code == 400
    assert session.scalar(select(func.count()).select_from(CoverageScenario)) == 0


def test_gcj02_sites_are_moved_to_wgs84(session, streets):
    from grid_app.places.gcj02 import wgs84_to_gcj02
    lon, lat = lonlat(250, 320)
    glon, glat = wgs84_to_gcj02(lon, lat)
    result = run(session, {"type": TYPE, "minutes": 3, "crs": "gcj02", "add": [{"lon": glon, "lat": glat}]})
    assert result["changes"]["add"][0]["lon"] == pytest.approx(lon, abs=1e-6)
    assert result["residents_gained"] == 390


def test_report_includes_a_saved_scenario(session, streets, users, tmp_path):
    from openpyxl import load_workbook

    from grid_app.coverage import scenario_store
    from grid_app.coverage.refresh import refresh
    from grid_app.coverage.report import write_report
    refresh(session, SPEED)  # the report's own figures come from the stored coverage
    community = community_by_code(session, d.COMM_A)
    saved = scenario_store.save(session, community, users["planner"], {
        "type": TYPE, "name": "=北侧新站", "minutes": 3, "add": [dict(zip(("lon", "lat"), lonlat(250, 320)))]}, SPEED)
    figures = scenario_store.figures(session, session.get(CoverageScenario, saved["id"]), SPEED)
    paths = write_report(session, str(tmp_path), d.COMM_A, [TYPE], 3, SPEED, lambda view: "<html></html>",
                         progress=False, scenario=figures)
    text = open(paths["scenario_csv"], encoding="utf-8-sig").read()
    assert "'=北侧新站" in text and d.TOWER in text and "新覆盖楼栋" in text  # formula neutralised
    sheet = load_workbook(paths["xlsx"])["方案"]
    total = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert total[4:10] == [520, 0, 0, 390, 0.75, 390]
