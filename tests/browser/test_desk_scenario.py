"""方案模拟 on the coverage map in headless Chromium: click to add a planned site, the figures move."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .. import district as d
from ..geo import lonlat
from .conftest import ACTION_MS, DESKTOP, PHONE
from .test_desk import _desk_page, screenshot
from .test_desk_coverage import committed_network  # noqa: F401  (the street grid, committed for the live server)

# The page's Leaflet map is the one global L.Map folium declares.
FIND_MAP = "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map)"


@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desk-scenario-desktop"), (PHONE, "desk-scenario-phone")])
def test_planned_site_changes_the_figures(browser, live_server, console_errors, committed_network,  # noqa: F811
                                          viewport, name):
    page = _desk_page(browser, console_errors, live_server, viewport=viewport)
    # No elderly-care station is stored: today nobody is covered, a planned one beside the tower covers it.
    page.goto(f"{live_server}/communities/{d.COMM_A}/coverage?type=elderly_care&minutes=5")
    page.wait_for_selector(".leaflet-overlay-pane svg path", state="attached")
    panel = page.locator("#scenario")
    # (expect polls without evaluating a string, which the app's Content-Security-Policy forbids)
    expect(panel.locator("[data-fig=gained]")).to_have_text("+0", timeout=ACTION_MS)
    assert panel.locator("[data-fig=share]").inner_text() == "0% → 0%"
    panel.locator("[data-act=add]").click()
    lon, lat = lonlat(250, 315)  # on the street 65 m west of the tower
    page.locator(".map-frame").scroll_into_view_if_needed()
    point = page.evaluate(f"() => {{ const m = {FIND_MAP}; m.setView([{lat}, {lon}], 17, {{animate: false}});"
                          f" const p = m.latLngToContainerPoint([{lat}, {lon}]);"
                          " const r = m.getContainer().getBoundingClientRect();"
                          " return [r.left + p.x, r.top + p.y]; }")
    page.mouse.click(point[0], point[1])
    expect(panel.locator("[data-fig=gained]")).not_to_have_text("+0", timeout=ACTION_MS)
    gained = int(panel.locator("[data-fig=gained]").inner_text().lstrip("+").replace(",", ""))
    assert gained >= 390  # the tower's residents at least
    assert panel.locator(".scenario-changes li").count() == 1
    page.wait_for_selector("path.scenario-home-gained", state="attached")
    assert panel.locator(".scenario-units tbody tr").count() >= 2  # the area and the grids
    panel.locator(".scenario-units").scroll_into_view_if_needed()
    screenshot(page, name)
    assert page.dialogs == [] and console_errors == []
