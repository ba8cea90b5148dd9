"""Desk pages in headless Chromium: cases, the community map (with and without tiles), heat map, dashboards."""
from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image

from grid_app.cases import intake, transitions
from grid_app.extensions import db
from grid_app.models import User
from sqlalchemy import select

from .. import district as d
from ..cases.helpers import jpeg
from ..conftest import PASSWORD
from ..geo import lonlat
from .conftest import DESKTOP, PHONE, new_page, screenshot

XSS = "<script>alert(1)</script>"
TILE_HOSTS = re.compile(r"^https://tile\.openstreetmap\.org/")


def _blank_tile() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (238, 242, 243)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def desk_cases(app, live_server):
    """Cases committed for the live server: an XSS one with a photo, a registered one, one in B.

    They stay in the shared test database, so they are logged by the admin (not a worker whose counts
    other tests check) and away from the points other tests log at."""
    with app.app_context():
        reporter = db.session.scalar(select(User).where(User.username == "t-admin"))
        secretary = db.session.scalar(select(User).where(User.username == "t-secretary"))
        made = {}
        for key, (x, y, text, cat) in {"xss": (380, 120, XSS, "0101"), "second": (320, 420, "楼道堆放杂物", "0502"),
                                       "third": (420, 380, "电动车在楼道充电", "0703"),
                                       "b": (820, 180, "乙社区路灯不亮", "9901")}.items():
            lon, lat = lonlat(x, y)
            data = intake.parse_case_input(db.session, {
                "category": cat, "lon": lon, "lat": lat, "severity": 1, "description": text,
                "idempotency_key": str(uuid.uuid4())})
            photos = [("p.jpg", jpeg(800, 600))] if key == "xss" else []
            case, _ = intake.create_case(db.session, reporter, data, photos, upload_dir=app.config["UPLOAD_DIR"],
                                         snap_m=30)
            made[key] = case.id
        transitions.transition(db.session, secretary, made["second"], "register", note=XSS)
    return made


def _login(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _desk_page(browser, console_errors, live_server, username="t-secretary", viewport=DESKTOP, tiles="blank"):
    """A logged-in page; tiles 'blank' answers tile requests locally, 'fail' makes them fail."""
    page = new_page(browser, console_errors, viewport=viewport)
    dialogs = []
    page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
    page.dialogs = dialogs
    blank = _blank_tile()
    if tiles == "blank":
        page.route(TILE_HOSTS, lambda route: route.fulfill(status=200, content_type="image/png", body=blank))
    else:
        page.route(TILE_HOSTS, lambda route: route.abort("internetdisconnected"))
    _login(page, live_server, username)
    return page


def _wait_for_map(page):
    page.wait_for_selector(".leaflet-overlay-pane svg path", state="attached")
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane svg path').length >= 6")


def test_case_list_and_xss_case(browser, live_server, console_errors, desk_cases):
    page = _desk_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/cases")
    assert page.locator("table.cases tbody tr").count() >= 3
    screenshot(page, "desk-cases-desktop")
    page.goto(f"{live_server}/cases/{desk_cases['xss']}")
    assert page.get_by_text(XSS).first.is_visible()
    assert page.locator(".photos img").count() == 1
    page.wait_for_function("document.querySelector('.photos img').naturalWidth > 0")
    screenshot(page, "desk-case-detail-desktop")
    page.click("button[value=register]")
    page.wait_for_selector(".flash.ok")
    assert "案卷建立" in page.locator(".badges").inner_text()
    assert page.dialogs == [] and console_errors == []


def test_stale_form_in_browser(browser, live_server, console_errors, desk_cases, app):
    page = _desk_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/cases/{desk_cases['third']}")
    with app.app_context():  # someone else acts meanwhile
        other = db.session.scalar(select(User).where(User.username == "t-admin"))
        transitions.transition(db.session, other, desk_cases["third"], "register")
    page.fill("#note", "已联系物业")
    page.click("button[value=register]")
    assert "刷新页面" in page.locator(".flash.error").inner_text()
    assert page.locator("#note").input_value() == "已联系物业"
    screenshot(page, "desk-case-stale-desktop")
    console_errors[:] = [e for e in console_errors if "409" not in e]  # the page's own status
    assert console_errors == []


def test_case_detail_phone(browser, live_server, console_errors, desk_cases):
    page = _desk_page(browser, console_errors, live_server, viewport=PHONE)
    page.goto(f"{live_server}/cases/{desk_cases['second']}")
    assert page.get_by_text(XSS).first.is_visible()  # the note in the timeline, as text
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "desk-case-detail-phone")
    page.goto(f"{live_server}/cases")
    screenshot(page, "desk-cases-phone")
    assert page.dialogs == [] and console_errors == []


# The case's marker layer and its cluster group, found by case id among folium's layers.
_FIND_CASE = """(caseId) => {
    const keys = Object.keys(window);
    const groups = keys.filter(k => k.startsWith('marker_cluster_') && window[k] && window[k].hasLayer)
        .map(k => window[k]);
    for (const k of keys.filter(k => k.startsWith('geo_json_') && window[k] && window[k].eachLayer)) {
        for (const layer of window[k].getLayers()) {
            if (layer.feature && layer.feature.properties.id === caseId) {
                window.__deskCase = {layer: layer, group: groups.find(g => g.hasLayer(layer))};
                return !!window.__deskCase.group;
            }
        }
    }
    return false;
}"""
# One poll: true once the map is still and the case's marker (a circle marker) is on it; until then
# ask markercluster again to show it.
_SHOW_CASE = """() => {
    const {layer, group} = window.__deskCase;
    const map = group._map;
    if (group._inZoomAnimation || map._animatingZoom || (map._panAnim && map._panAnim._inProgress)) { return false; }
    if (map.hasLayer(layer) && map.getBounds().contains(layer.getLatLng())) { return true; }
    group.zoomToShowLayer(layer);
    return false;
}"""


def _open_case_popup(page, case_id):
    """Zoom the cluster to a case marker and open its popup; return the popup's text.

    This used to wait, inside page.evaluate, for zoomToShowLayer's callback, which never came when the
    map's moveend arrived while markercluster still ran the cluster animation of the page's first
    fitBounds (likely on a busy machine): markercluster then skips the callback and, on its pan path,
    never tries again; page.evaluate has no timeout, so the whole test run hung. Now the map is polled
    with a timeout until it is still and the marker is on it."""
    assert page.evaluate(_FIND_CASE, case_id), "case marker not on the map"
    page.wait_for_function(_SHOW_CASE, polling=250)
    page.evaluate("() => window.__deskCase.layer.openPopup()")
    page.wait_for_selector(".leaflet-popup-content .desk-popup")
    return page.locator(".leaflet-popup-content").inner_text()


def test_community_map_desktop(browser, live_server, console_errors, desk_cases):
    page = _desk_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/communities/{d.COMM_A}/map")
    _wait_for_map(page)
    assert page.locator(".desk-legend").inner_text().startswith("图例")
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.locator(".leaflet-tooltip.grid-label").count() == 2
    assert page.locator(".leaflet-marker-pane .marker-cluster, .leaflet-overlay-pane path.leaflet-interactive").count()
    screenshot(page, "desk-map-desktop")
    text = _open_case_popup(page, desk_cases["xss"])
    assert XSS in text and "查看事件详情" in text
    page.wait_for_timeout(300)
    screenshot(page, "desk-map-popup-desktop")
    page.click(".leaflet-popup-content a")
    page.wait_for_url(f"**/cases/{desk_cases['xss']}")
    assert page.dialogs == [] and console_errors == []


def test_community_map_phone(browser, live_server, console_errors, desk_cases):
    page = _desk_page(browser, console_errors, live_server, viewport=PHONE)
    page.goto(f"{live_server}/communities/{d.COMM_A}/map")
    _wait_for_map(page)
    assert page.evaluate("document.querySelector('.desk-legend details').open") is False  # folded on phones
    screenshot(page, "desk-map-phone")
    assert page.dialogs == [] and console_errors == []


def test_map_draws_layers_when_tiles_fail(browser, live_server, console_errors, desk_cases):
    """No tile loads (as on a machine without internet): every layer is still in the SVG.

    Chromium logs each failed tile as 'Failed to load resource'; those (and only those) are allowed."""
    page = _desk_page(browser, console_errors, live_server, tiles="fail")
    failed_tiles = []
    page.on("requestfailed", lambda req: failed_tiles.append(req.url) if TILE_HOSTS.match(req.url) else None)
    page.goto(f"{live_server}/communities/{d.COMM_A}/map")
    _wait_for_map(page)
    page.wait_for_timeout(500)
    paths = page.locator(".leaflet-overlay-pane svg path").count()
    assert paths >= 6  # boundary, 2 grids, area, 2 buildings (+ case markers when unclustered)
    assert page.locator(".leaflet-tile-loaded").count() == 0 and failed_tiles
    others = [e for e in console_errors if not e.startswith("Failed to load resource")]
    assert others == [] and len(console_errors) <= len(failed_tiles)
    screenshot(page, "desk-map-no-tiles-desktop")


def test_heat_map(browser, live_server, console_errors, desk_cases):
    page = _desk_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/communities/{d.COMM_A}/heatmap")
    page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached")
    assert "事件" in page.locator(".map-side h2").inner_text()
    screenshot(page, "desk-heat-desktop")
    assert page.dialogs == [] and console_errors == []


def test_dashboard_and_compare(browser, live_server, console_errors, desk_cases):
    page = _desk_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/communities/{d.COMM_A}/dashboard")
    page.wait_for_function("window.Chart && Chart.getChart('trend-chart') !== undefined")
    assert page.locator("#grid-table tbody tr").count() == 2
    page.click("#grid-table th:nth-child(3)")  # 上报数 ascending
    page.click("#grid-table th:nth-child(3)")  # then descending
    values = [int(v) for v in page.locator("#grid-table tbody td:nth-child(3)").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    screenshot(page, "desk-dashboard-desktop")
    street = _desk_page(browser, console_errors, live_server, username="t-street")
    street.goto(f"{live_server}/streets/{d.STREET}/compare")
    street.wait_for_function("window.Chart && Chart.getChart('rates-chart') !== undefined")
    assert street.locator("#community-table tbody tr").count() == 2
    screenshot(street, "desk-compare-desktop")
    phone = _desk_page(browser, console_errors, live_server, viewport=PHONE)
    phone.goto(f"{live_server}/communities/{d.COMM_A}/dashboard")
    phone.wait_for_function("window.Chart && Chart.getChart('trend-chart') !== undefined")
    screenshot(phone, "desk-dashboard-phone")
    assert console_errors == []


def test_other_community_is_404_in_browser(browser, live_server, console_errors):
    page = _desk_page(browser, console_errors, live_server, username="t-secretary-b")
    for path in (f"/communities/{d.COMM_A}/map", f"/communities/{d.COMM_A}/dashboard",
                 f"/communities/{d.COMM_A}/heatmap"):
        res = page.goto(f"{live_server}{path}")
        assert res.status == 404
