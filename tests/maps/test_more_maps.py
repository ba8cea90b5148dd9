"""Heat map, vector tiles, the embedding threshold, and standalone HTML with everything inlined."""
from __future__ import annotations

import json
import math
import re

import pytest
from folium.plugins import Fullscreen

from grid_app.maps import assets, builder, data, providers
from grid_app.maps import community as community_maps
from grid_app.access.scope import community_in_scope
from grid_app.platform.i18n import display_zone, translator

from .. import district as d
from ..cases.helpers import log_case
from ..geo import lonlat


def _tile_of(x_m, y_m, z=16):
    lon, lat = lonlat(x_m, y_m)
    n = 2 ** z
    tx = int((lon + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, tx, ty


def test_heat_map_page(session, users, app, login):
    log_case(session, users["worker"], x=100, y=300, upload_dir=app.config["UPLOAD_DIR"])
    log_case(session, users["worker"], x=777, y=733, upload_dir=app.config["UPLOAD_DIR"])  # community B
    client = login("secretary")
    page = client.get(f"/communities/{d.COMM_A}/heatmap").get_data(as_text=True)
    assert "L.heatLayer" in page and "/static/vendor/leaflet.heat/leaflet-heat.js" in page
    points = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])", page, re.S).group(1)
    here, there = lonlat(100, 300), lonlat(777, 733)
    assert json.dumps([round(here[1], 6), round(here[0], 6)], separators=(",", ":")) in points
    assert json.dumps(round(there[1], 6)) not in points  # B's case is not on A's map
    assert "暴露垃圾" in page.split('class="map-side"')[1]
    none = client.get(f"/communities/{d.COMM_A}/heatmap?category=0401").get_data(as_text=True)
    assert "L.heatLayer" not in none and "本期内没有事件" in none


@pytest.mark.parametrize("query", ["since=nope", "category=bogus", "since=2025-02-01&until=2025-01-01"])
def test_heat_map_bad_input(login, query):
    res = login("secretary").get(f"/communities/{d.COMM_A}/heatmap?{query}")
    assert res.status_code == 400 and 'role="alert"' in res.get_data(as_text=True)


def test_vector_tiles(login):
    client = login("admin")
    z, x, y = _tile_of(315, 315)
    res = client.get(f"/tiles/buildings/{z}/{x}/{y}.pbf?community={d.COMM_A}")
    assert res.status_code == 200 and res.mimetype == "application/vnd.mapbox-vector-tile"
    assert b"buildings" in res.data and d.TOWER.encode() in res.data and "2栋".encode() in res.data
    shifted = client.get(f"/tiles/buildings/{z}/{x}/{y}.pbf?community={d.COMM_A}&shift=gcj02").data
    assert shifted != res.data  # moved by the GCJ-02 offset
    far = client.get(f"/tiles/buildings/{z}/{x + 40}/{y}.pbf").data
    assert far == b""
    assert client.get(f"/tiles/roads/{z}/{x}/{y}.pbf").status_code == 404
    assert client.get("/tiles/buildings/3/99/0.pbf").status_code == 400


def test_vector_tiles_scope(login):
    z, x, y = _tile_of(315, 315)
    assert login("secretary_b").get(f"/tiles/buildings/{z}/{x}/{y}.pbf?community={d.COMM_A}").status_code == 404


def test_buildings_become_vector_tiles_above_threshold(app, login):
    app.config["MAP_EMBED_MAX_FEATURES"] = 1
    try:
        page = login("admin").get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    finally:
        app.config.pop("MAP_EMBED_MAX_FEATURES")
    assert f'"id":"{d.TOWER}"' not in page and "/static/vendor/leaflet.vectorgrid/" in page
    assert f"/tiles/buildings/{{z}}/{{x}}/{{y}}.pbf?community={d.COMM_A}" in page


def _community_map(session, users):
    community = community_in_scope(session, users["admin"], d.COMM_A)
    layers = data.hierarchy_layers(session, community, cases_of=users["admin"])
    return community_maps.community_map(
        layers, data.case_features(session, users["admin"], community), data.facility_features(session, community),
        providers.provider_from_config({}), gettext=translator("zh"), lang="zh", zone=display_zone(),
        case_url=lambda i: f"/cases/{i}")


def test_standalone_file_inlines_assets(app, session, users):
    with app.test_request_context():
        html = builder.standalone_html(_community_map(session, users), inline=True)
    assert "<script src=" not in html and 'rel="stylesheet"' not in html
    assert "L.markerClusterGroup" in html and "window.gridDesk" in html and "leaflet-control-layers" in html
    assert "url(data:image/png;base64," in html  # Leaflet's layer icon, inlined
    assert d.TOWER in html and "图例" in html
    with app.test_request_context():
        linked = builder.standalone_html(_community_map(session, users), inline=False)
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in linked


def test_elements_without_local_copy_are_refused():
    m = builder.DeskMap(location=[30, 117], tiles=None)
    Fullscreen().add_to(m)  # folium would load it from a CDN
    with pytest.raises(ValueError, match="Fullscreen"):
        builder.render_parts(m, assets.static_path_url)


def test_community_map_file_for_scripts(app, session, users, tmp_path):
    from grid_app.maps.standalone import community_map_file
    with app.test_request_context():
        html = community_map_file(session, users["planner"], d.COMM_A, app.config, gettext=translator("zh"), lang="zh",
                                  zone=display_zone(app.config))
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    assert path.stat().st_size > 100_000 and "<script src=" not in html and "社区边界" in html
