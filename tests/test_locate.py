"""Locating points: shared edges, holes, multipolygon parts, snapping, and the HTTP API."""
from __future__ import annotations

import math

import pytest

from grid_app.places import gcj02, locate
from grid_app.platform.errors import InvalidInput

from . import district as d
from .geo import lonlat

SNAP = 30.0


def where(session, x, y):
    lon, lat = lonlat(x, y)
    return locate.locate_one(session, lon, lat, SNAP)


@pytest.mark.parametrize("x, y, grid, community", [
    (100, 300, d.GRID_A1, d.COMM_A),          # plain interior
    (250, 500, d.GRID_A1, d.COMM_A),          # on the edge shared by A1 and A2: smallest code wins
    (500, 250, d.GRID_A1, d.COMM_A),          # on the community border A|B: A1 < B1
    (250, 750, d.GRID_A2, d.COMM_A),
    (1250, 50, d.GRID_A2, d.COMM_A),          # in the exclave, the second part of A2's multipolygon
    (900, 900, d.GRID_B1, d.COMM_B),
])
def test_point_lands_in_expected_grid(session, x, y, grid, community):
    place = where(session, x, y)
    assert place.grid.code == grid
    assert place.community.code == community
    assert place.snapped_m == 0.0


def test_shared_edge_tie_rule_is_stable_for_many_points(session):
    lons, lats = zip(*[lonlat(x, 500) for x in range(10, 500, 10)])
    places = locate.locate_many(session, lons, lats, SNAP)
    assert {p.grid.code for p in places} == {d.GRID_A1}


def test_courtyard_hole_is_not_the_building(session):
    inside_hole = where(session, 150, 150)
    assert inside_hole.building is None
    assert inside_hole.residential_area.code == d.AREA
    on_wall = where(session, 115, 150)
    assert on_wall.building.code == d.COURTYARD


def test_just_outside_snaps_with_distance(session):
    place = where(session, -10, 300)
    assert place.grid.code == d.GRID_A1
    assert 9.0 < place.snapped_m < 11.0
    assert place.building is None and place.residential_area is None


@pytest.mark.parametrize("x", [-24.475409057126882, -10.0, -29.9])
def test_snapping_to_a_corner_two_grids_share_goes_to_the_smallest_code_both_ways(session, x):
    """Off the district on the line of a shared edge, both grids are equally near (their common corner)."""
    lon, lat = lonlat(x, 500)
    by_sql = locate.locate_with_sql(session, [lon], [lat], SNAP)[0]
    by_index = locate.locate_with_index(session, [lon], [lat], SNAP)[0]
    assert by_sql.grid.code == by_index.grid.code == d.GRID_A1
    assert by_sql.snapped_m == pytest.approx(-x, abs=0.05)


def test_far_outside_is_unlocated(session):
    place = where(session, -500, 300)
    assert not place.located
    assert place.community is None and place.snapped_m is None


def test_batch_keeps_order(session):
    pts = [(900, 900), (-500, 0), (100, 300), (1250, 50)]
    lons, lats = zip(*[lonlat(*p) for p in pts])
    codes = [p.grid.code if p.located else None for p in locate.locate_many(session, lons, lats, SNAP)]
    assert codes == [d.GRID_B1, None, d.GRID_A1, d.GRID_A2]


@pytest.mark.parametrize("lon, lat, crs", [
    ("x", "30", "wgs84"), (None, 30, "wgs84"), ("nan", "30", "wgs84"), ("inf", "30", "wgs84"),
    ("181", "30", "wgs84"), ("117", "-91", "wgs84"), ("117", "30", "bd09"),
])
def test_bad_coordinates_are_refused(lon, lat, crs):
    with pytest.raises(InvalidInput):
        locate.check_coordinates(lon, lat, crs)


# Published pairs (WGS84 lat, lon → GCJ-02 lat, lon) used by the eviltransform project's tests.
KNOWN_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


@pytest.mark.parametrize("wlat, wlon, glat, glon", KNOWN_PAIRS)
def test_gcj02_known_pairs_and_round_trip(wlat, wlon, glat, glon):
    lon, lat = gcj02.wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9) and lat == pytest.approx(glat, abs=1e-9)
    back_lon, back_lat = gcj02.gcj02_to_wgs84(glon, glat)
    # 1e-8 degrees is about a millimetre
    assert back_lon == pytest.approx(wlon, abs=1e-8) and back_lat == pytest.approx(wlat, abs=1e-8)


def test_gcj02_is_identity_outside_china():
    assert gcj02.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_gcj02_shift_in_chizhou_is_hundreds_of_metres():
    lon, lat = gcj02.wgs84_to_gcj02(117.48, 30.66)
    shift_m = math.hypot((lon - 117.48) * 95_800, (lat - 30.66) * 110_574)
    assert 200 < shift_m < 800


# --- HTTP ---

def test_api_locate(client):
    lon, lat = lonlat(100, 300)
    body = client.get(f"/api/v1/locate?lon={lon}&lat={lat}").get_json()
    assert body["grid"] == {"code": d.GRID_A1, "name": "甲社区第1网格"}
    assert body["community"]["code"] == d.COMM_A
    assert body["residential_area"]["code"] == d.AREA
    assert body["building"] is None and body["snapped_m"] == 0.0


def test_api_locate_gcj02_input(client):
    lon, lat = lonlat(1250, 50)
    glon, glat = gcj02.wgs84_to_gcj02(lon, lat)
    body = client.get(f"/api/v1/locate?lon={glon}&lat={glat}&crs=gcj02").get_json()
    assert body["grid"]["code"] == d.GRID_A2


@pytest.mark.parametrize("query, status, code", [
    ("", 400, "bad_coordinates"),
    ("lon=abc&lat=30", 400, "bad_coordinates"),
    ("lon=NaN&lat=30.66", 400, "bad_coordinates"),
    ("lon=200&lat=30.66", 400, "bad_coordinates"),
    ("lon=117.48&lat=30.66&crs=xyz", 400, "bad_crs"),
    ("lon=100&lat=10", 404, "not_located"),
])
def test_api_locate_errors(client, query, status, code):
    res = client.get(f"/api/v1/locate?{query}")
    assert res.status_code == status
    body = res.get_json()
    assert body["error"] == code and body["message"]


def test_api_batch_locate(client):
    pts = [list(lonlat(900, 900)), list(lonlat(-500, 0)), list(lonlat(150, 150))]
    res = client.post("/api/v1/locate", json={"points": pts})
    results = res.get_json()["results"]
    assert res.status_code == 200
    assert results[0]["grid"]["code"] == d.GRID_B1
    assert results[1] is None
    assert results[2]["residential_area"]["code"] == d.AREA and results[2]["building"] is None


@pytest.mark.parametrize("body, code", [
    ({"points": [[1, 2, 3]]}, "bad_coordinates"),
    ({"points": [["a", 2]]}, "bad_coordinates"),
    ({"pts": []}, "bad_body"),
    ([1, 2], "bad_body"),
])
def test_api_batch_locate_errors(client, body, code):
    res = client.post("/api/v1/locate", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == code


def test_api_batch_limit(app, client):
    n = app.config["LOCATE_BATCH_MAX"] + 1
    res = client.post("/api/v1/locate", json={"points": [[117.48, 30.66]] * n})
    assert res.status_code == 400 and res.get_json()["error"] == "too_many_points"


def test_api_malformed_json(client):
    res = client.post("/api/v1/locate", data="{not json", content_type="application/json")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_json"


def test_index_and_sql_paths_agree(session):
    """The batch index answers as the SQL query does, on random points including edges and outside."""
    import numpy as np
    rng = np.random.default_rng(3)
    xs = np.concatenate([rng.uniform(-60, 1360, 1500), np.arange(0, 500, 25.0)])
    ys = np.concatenate([rng.uniform(-60, 1060, 1500), np.full(20, 500.0)])  # + points on a shared edge
    lons, lats = zip(*[lonlat(x, y) for x, y in zip(xs, ys)])
    by_sql = locate.locate_with_sql(session, lons, lats, SNAP)
    by_index = locate.locate_with_index(session, lons, lats, SNAP)
    assert len(by_sql) == len(by_index) == 1520
    for s, i in zip(by_sql, by_index):
        assert s.as_dict()["grid"] == i.as_dict()["grid"]
        assert s.as_dict()["community"] == i.as_dict()["community"]
        assert s.as_dict()["residential_area"] == i.as_dict()["residential_area"]
        assert s.as_dict()["building"] == i.as_dict()["building"]
        if s.snapped_m is not None:
            assert i.snapped_m == pytest.approx(s.snapped_m, abs=0.05)
    assert sum(1 for s in by_sql if s.snapped_m and s.snapped_m > 0) > 10  # snapping was exercised


def test_index_follows_imports(session, tmp_path):
    """A grid imported after the index was built is found by the next batch."""
    import numpy as np
    from grid_app.places.importer import import_files
    from .geo import box, feature, multi, write_layer
    pts = [lonlat(1100, 200)] * 250
    before = locate.locate_many(session, [p[0] for p in pts], [p[1] for p in pts], SNAP)
    assert before[0].grid is None
    code = d.STREET + "003"
    import_files(session, [
        write_layer(tmp_path / "communities.geojson", [feature(multi(box(1000, 150, 1150, 300)), code=code,
                                                               name="丙社区", street_code=d.STREET)]),
        write_layer(tmp_path / "grids.geojson", [feature(multi(box(1000, 150, 1150, 300)), code=code + "001",
                                                         name="丙社区第1网格", community_code=code)])], progress=False)
    after = locate.locate_many(session, [p[0] for p in pts], [p[1] for p in pts], SNAP)
    assert after[0].grid.code == code + "001" and np.all([a.grid.code == code + "001" for a in after])
