"""The coverage map page: homes by walking time, isochrones, uncovered homes, shares per area."""
from __future__ import annotations

import re

from .. import district as d
from ..coverage.test_coverage_service import covered, street_network  # noqa: F401  (fixtures)


def test_coverage_page_colours_homes(covered, login):  # noqa: F811
    res = login("secretary").get(f"/communities/{d.COMM_A}/coverage?type=health_station&minutes=15")
    page = res.get_data(as_text=True)
    assert res.status_code == 200
    # 近楼 is ~315 m away (about 4 min): covered, darkest green; 孤楼 is off the network: shown as such.
    near = page.split(f'"id":"{d.COMM_A}B901"', 1)[1][:400]
    lone = page.split(f'"id":"{d.COMM_A}B903"', 1)[1][:400]
    assert '"fill":"#166534"' in near and '"walk":"4 分钟"' in near
    assert '"fill":"#7c3aed"' in lone and "150" in lone
    side = page.split('class="map-side"', 1)[1]
    assert "甲社区卫生服务站" in page and "15 分钟" in side
    off_network = re.search(r'<b class="overdue-text">(\d+)</b><span>离路网过远', side)
    assert off_network and int(off_network.group(1)) == 1  # 孤楼, counted apart from the uncovered
    assert re.search(r'<b class="">0</b><span>未覆盖', side)
    assert "步行" in page and "翠微苑" in side


def test_isochrones_are_drawn(covered, login):  # noqa: F811
    page = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=health_station&minutes=5"
                              ).get_data(as_text=True)
    iso = page.split('"facility":"F-health-T1"', 1)
    assert len(iso) == 2 and '"type":"Polygon"' in iso[1][:2000] or '"type":"MultiPolygon"' in iso[1][:2000]


def test_short_threshold_uncovers_the_near_home(covered, login):  # noqa: F811
    page = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=health_station&minutes=2"
                              ).get_data(as_text=True)
    near = page.split(f'"id":"{d.COMM_A}B901"', 1)[1][:400]
    assert '"fill":"#dc2626"' in near


def test_coverage_errors_are_clear(covered, login):  # noqa: F811
    client = login("admin")
    res = client.get(f"/communities/{d.COMM_A}/coverage?type=health_station&minutes=99")
    assert res.status_code == 400 and 'role="alert"' in res.get_data(as_text=True)
    res = client.get(f"/communities/{d.COMM_A}/coverage?type=spaceport")
    assert res.status_code == 404 and "spaceport" in res.get_data(as_text=True)


def test_coverage_without_network_says_so(login):
    res = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=health_station")
    assert res.status_code == 404 and "import-network" in res.get_data(as_text=True)


def test_coverage_scope(covered, login):  # noqa: F811
    assert login("secretary_b").get(f"/communities/{d.COMM_A}/coverage").status_code == 404


def test_coverage_as_vector_tiles_above_threshold(covered, login, app):  # noqa: F811
    app.config["MAP_EMBED_MAX_FEATURES"] = 1
    try:
        page = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=health_station&minutes=15"
                                  ).get_data(as_text=True)
    finally:
        app.config.pop("MAP_EMBED_MAX_FEATURES")
    assert f'"id":"{d.COMM_A}B901"' not in page and "gridDesk.vectorTiles" in page
    url = re.search(r'gridDesk\.vectorTiles\("([^"]+)"', page).group(1)
    assert "/tiles/coverage/{z}/{x}/{y}.pbf" in url and "type=health_station" in url


def test_type_without_facilities_is_not_all_red(covered, login):  # noqa: F811
    res = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=market")
    page = res.get_data(as_text=True)
    near = page.split(f'"id":"{d.COMM_A}B901"', 1)[1][:400]
    assert res.status_code == 200 and '"fill":"#9ca3af"' in near and '"fill":"#dc2626"' not in page
    assert "此类设施" in page.split('class="map-page"', 1)[0]  # said above the map


def test_stale_result_is_shown_with_a_notice(covered, login, session):  # noqa: F811
    from grid_app.network.store import bump_version
    bump_version(session, "facilities")
    page = login("admin").get(f"/communities/{d.COMM_A}/coverage?type=health_station").get_data(as_text=True)
    assert "数据已更新，覆盖率重新计算中" in page and '"fill":"#166534"' in page


def test_default_type_has_facilities(covered, login):  # noqa: F811
    page = login("admin").get(f"/communities/{d.COMM_A}/coverage").get_data(as_text=True)
    assert 'value="health_station" selected' in page
