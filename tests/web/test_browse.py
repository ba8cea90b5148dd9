"""Browsing the hierarchy: GeoJSON listings with filters and paging, and the community page."""
from __future__ import annotations

import pytest

from .. import district as d
from ..geo import lonlat


@pytest.mark.parametrize("layer, codes", [
    ("communities", [d.COMM_A, d.COMM_B]),
    ("grids", [d.GRID_A1, d.GRID_A2, d.GRID_B1]),
    ("residential-areas", [d.AREA]),
    ("buildings", [d.COURTYARD, d.TOWER, d.COMM_B + "B001"]),
])
def test_listing_is_geojson(login, layer, codes):
    body = login("planner").get(f"/api/v1/{layer}?community=").get_json()
    assert body["type"] == "FeatureCollection"
    got = [f["id"] for f in body["features"] if f["id"].startswith(d.STREET)]
    assert got == codes
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in body["features"])


def test_filter_by_community_and_paging(login):
    body = login("planner").get(f"/api/v1/grids?community={d.COMM_A}&limit=1&offset=1").get_json()
    assert body["total"] == 2 and [f["id"] for f in body["features"]] == [d.GRID_A2]
    assert body["features"][0]["properties"]["workers"] == "李四、王五"


def test_filter_by_bbox(login):
    client = login("planner")
    (x0, y0), (x1, y1) = lonlat(1150, -50), lonlat(1350, 150)  # around the exclave only
    body = client.get(f"/api/v1/grids?bbox={x0},{y0},{x1},{y1}").get_json()
    assert [f["id"] for f in body["features"]] == [d.GRID_A2]


def test_buildings_carry_residents(login):
    body = login("planner").get(f"/api/v1/buildings?community={d.COMM_A}").get_json()
    props = {f["id"]: f["properties"] for f in body["features"]}
    assert props[d.TOWER]["residents"] == 390 and props[d.TOWER]["floors"] == 18


@pytest.mark.parametrize("query, code", [
    ("bbox=1,2,3", "bad_bbox"), ("bbox=a,b,c,d", "bad_bbox"), ("bbox=3,2,1,4", "bad_bbox"),
    ("limit=0", "bad_paging"), ("limit=x", "bad_paging"), ("offset=-1", "bad_paging"),
    ("limit=100000", "bad_paging"),
])
def test_listing_errors(login, query, code):
    res = login("planner").get(f"/api/v1/grids?{query}")
    assert res.status_code == 400 and res.get_json()["error"] == code


def test_community_summary_sums_residents_upward(login):
    body = login("planner").get(f"/api/v1/communities/{d.COMM_A}").get_json()
    assert body["residents"] == 520 and body["households"] == 188
    area = body["residential_areas"][0]
    assert area["residents"] == 520 and area["grid"] == d.GRID_A1
    assert area["party_organisation"]["name"] == "翠微苑党支部"
    assert body["party_organisations"][0]["kind"] == "党委"
    grids = {g["code"]: g for g in body["grids"]}
    assert grids[d.GRID_A1]["residents"] == 520 and grids[d.GRID_A2]["residents"] == 0


def test_unknown_community_is_404_json(login):
    res = login("planner").get("/api/v1/communities/000000000000")
    assert res.status_code == 404 and res.get_json()["error"] == "community_not_found"


def test_community_page_in_chinese_by_default(login):
    html = login("secretary").get(f"/communities/{d.COMM_A}").get_data(as_text=True)
    assert "甲社区" in html and "翠微苑党支部" in html and "网格员" in html
    assert 'lang="zh-CN"' in html


def test_community_page_in_english(login):
    html = login("secretary").get(f"/communities/{d.COMM_A}?lang=en").get_data(as_text=True)
    assert "Grid workers" in html and 'lang="en"' in html


def test_unknown_community_page_is_a_page(login):
    res = login("admin").get("/communities/000000000000")
    assert res.status_code == 404 and "text/html" in res.content_type


def test_index_lists_communities(login):
    html = login("street").get("/communities").get_data(as_text=True)
    assert "乙社区" in html


def test_pages_need_login(client):
    res = client.get(f"/communities/{d.COMM_A}")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
