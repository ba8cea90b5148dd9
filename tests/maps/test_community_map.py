"""The community map page: layers, local assets only, scope, escaping, base maps and GCJ-02."""
from __future__ import annotations

import re

import pytest

from grid_app.maps import providers

from .. import district as d
from ..cases.helpers import log_case

XSS = "<script>alert(1)</script>"


def _srcs(page: str) -> list[str]:
    return re.findall(r'<script[^>]* src="([^"]+)"', page) + re.findall(r'<link[^>]* href="([^"]+)"', page)


def test_map_renders_layers_for_secretary(session, users, app, login):
    log_case(session, users["worker"], x=100, y=300, upload_dir=app.config["UPLOAD_DIR"])
    res = login("secretary").get(f"/communities/{d.COMM_A}/map")
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    for name in ("社区边界", "网格", "小区", "楼栋", "未结事件", "图例"):
        assert name in page
    assert "翠微苑党支部" in page and "李四、王五" in page and d.TOWER in page
    assert "L.markerClusterGroup" in page and "L.control.layers" in page
    assert "fitBounds" in page


def test_map_loads_only_local_assets(login):
    page = login("admin").get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    sources = _srcs(page)
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrap", "fontawesome", "awesome-markers"):
        assert cdn not in page
    assert "/static/vendor/leaflet/leaflet.js" in sources
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in sources


@pytest.mark.parametrize("role, code, status", [
    ("secretary", d.COMM_A, 200), ("secretary", d.COMM_B, 404), ("secretary_b", d.COMM_A, 404),
    ("street", d.COMM_B, 200), ("worker", d.COMM_A, 200), ("worker", d.COMM_B, 404), ("planner", d.COMM_B, 200),
    ("admin", "341702900999", 404),
])
def test_map_scope(login, role, code, status):
    assert login(role).get(f"/communities/{code}/map").status_code == status


def test_map_needs_login(client):
    res = client.get(f"/communities/{d.COMM_A}/map")
    assert res.status_code == 302 and "/login" in res.headers["Location"]


def test_case_text_is_escaped_in_map(session, users, app, login):
    log_case(session, users["worker"], x=120, y=320, description=XSS, upload_dir=app.config["UPLOAD_DIR"])
    page = login("secretary").get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    assert XSS not in page and "alert(1)" in page  # present only in escaped JSON
    assert "\\u003cscript\\u003e" in page


def test_other_communitys_cases_are_not_on_the_map(session, users, app, login):
    log_case(session, users["worker"], x=120, y=320, description="只在甲社区", upload_dir=app.config["UPLOAD_DIR"])
    page = login("admin").get(f"/communities/{d.COMM_B}/map").get_data(as_text=True)
    assert "只在甲社区" not in page


def _first_lon(page: str, code: str) -> float:
    after = page.split(f'"id":"{code}"', 1)[1]
    match = re.search(r'"coordinates":\[\[\[\[([0-9.]+),', after)
    return float(match.group(1))


def test_gcj02_provider_shifts_every_layer(app, login):
    client = login("admin")
    plain = client.get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    app.config["TILE_PROVIDER"] = "amap"
    try:
        shifted = client.get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    finally:
        app.config["TILE_PROVIDER"] = "osm"
    assert "autonavi" in shifted and "openstreetmap" in plain
    for code in (d.COMM_A, d.GRID_A1, d.AREA, d.TOWER):
        delta = _first_lon(shifted, code) - _first_lon(plain, code)
        assert 0.001 < abs(delta) < 0.01, (code, delta)  # hundreds of metres, as GCJ-02 moves


def test_bad_provider_setting_draws_without_base_map(app, login):
    app.config["TILE_PROVIDER"] = "tianditu-vec"
    try:
        res = login("admin").get(f"/communities/{d.COMM_A}/map")
    finally:
        app.config["TILE_PROVIDER"] = "osm"
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and "TIANDITU_KEY" in page and "L.tileLayer" not in page


@pytest.mark.parametrize("setting, gcj, fragment", [
    ({}, False, "openstreetmap"), ({"TILE_PROVIDER": "gaode"}, True, "autonavi"),
    ({"TILE_PROVIDER": "tencent"}, True, "{-y}"),
    ({"TILE_PROVIDER": "tianditu-img", "TIANDITU_KEY": "k1"}, False, "tk=k1"),
    ({"TILE_PROVIDER": "/tiles-local/{z}/{x}/{y}.png"}, False, "/tiles-local/"),
    ({"TILE_PROVIDER": "https://x.example/{z}/{x}/{y}.png", "TILE_CRS": "gcj02"}, True, "x.example"),
])
def test_provider_settings(setting, gcj, fragment):
    p = providers.provider_from_config(setting)
    assert p.gcj02 is gcj and fragment in p.tiles[0].url


@pytest.mark.parametrize("setting", [{"TILE_PROVIDER": "bing"}, {"TILE_PROVIDER": "javascript:{z}{x}{y}"},
                                     {"TILE_PROVIDER": "tianditu-vec"},
                                     {"TILE_PROVIDER": "https://x/{z}/{x}/{y}", "TILE_CRS": "bd09"}])
def test_bad_provider_settings(setting):
    with pytest.raises(providers.ProviderError):
        providers.provider_from_config(setting)


def test_none_provider_has_no_tiles(app, login):
    app.config["TILE_PROVIDER"] = "none"
    try:
        page = login("admin").get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    finally:
        app.config["TILE_PROVIDER"] = "osm"
    assert "L.tileLayer" not in page and "L.geoJson" in page


def test_grid_stats_beside_the_map(session, users, app, login):
    log_case(session, users["worker"], x=100, y=300, upload_dir=app.config["UPLOAD_DIR"])
    page = login("secretary").get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    side = page.split('class="map-side"')[1]
    assert "甲社区第1网格" in side and "张三" in side and f"grid={d.GRID_A1}" in side
