"""The coverage map in headless Chromium, on a street grid committed for the live server (removed after)."""
from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import delete, select

from grid_app.coverage.refresh import refresh
from grid_app.extensions import db
from grid_app.models import CoverageResult, CoverageRun, Facility, FacilityType, NetworkEdge, NetworkNode
from grid_app.network.store import bump_version, read_network_file, replace_network

from .. import district as d
from ..coverage.test_coverage_service import street_network
from ..geo import lonlat
from .conftest import DESKTOP, PHONE
from .test_desk import _desk_page, _wait_for_map, screenshot

CODE = "F-browser-health"


@pytest.fixture(scope="module")
def committed_network(app, live_server, tmp_path_factory):
    """A 250 m street grid and one health station, committed; everything removed afterwards."""
    with app.app_context():
        replace_network(db.session, read_network_file(street_network(tmp_path_factory.mktemp("net"))),
                        progress=False)
        type_id = db.session.scalar(select(FacilityType.id).where(FacilityType.code == "health_station"))
        db.session.add(Facility(code=CODE, name="测试卫生服务站", type_id=type_id,
                                geom=from_shape(Point(lonlat(250, 300)), srid=4326)))
        bump_version(db.session, "facilities")
        db.session.commit()
        refresh(db.session, app.config["WALK_SPEED_M_S"])  # the coverage job, as after any data change
    yield
    with app.app_context():
        db.session.execute(delete(CoverageResult))
        db.session.execute(delete(CoverageRun))
        db.session.execute(delete(Facility).where(Facility.code == CODE))
        db.session.execute(delete(NetworkEdge))
        db.session.execute(delete(NetworkNode))
        bump_version(db.session, "facilities")
        bump_version(db.session, "network")
        db.session.commit()


@pytest.mark.parametrize("viewport, name", [(DESKTOP, "desk-coverage-desktop"), (PHONE, "desk-coverage-phone")])
def test_coverage_map(browser, live_server, console_errors, committed_network, viewport, name):
    page = _desk_page(browser, console_errors, live_server, viewport=viewport)
    page.goto(f"{live_server}/communities/{d.COMM_A}/coverage?type=health_station&minutes=5")
    _wait_for_map(page)
    fills = page.evaluate("Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))"
                          ".map(p => p.getAttribute('fill'))")
    assert "#166534" in fills or "#22c55e" in fills or "#bef264" in fills  # covered homes drawn
    assert page.locator(".map-side .stat b").first.inner_text() == "520"
    screenshot(page, name)
    assert page.dialogs == [] and console_errors == []
