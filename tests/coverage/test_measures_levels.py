"""Issue 18 measures: the 15-minute checklist level, local_pairs' two ways, the kept homes and register state."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, text

from grid_app.coverage import demand, fca
from grid_app.coverage import measures as m
from grid_app.coverage.fca import catchment_pairs, local_pairs
from grid_app.coverage.graph import snap
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network
from grid_app.demo_data.constants import FACILITY_TYPES as DEMO_TYPES
from grid_app.models import FACILITY_TYPES, LifeCircleItem
from grid_app.network.store import bump_version
from grid_app.platform.reference import LIFE_CIRCLE

from ..geo import lonlat
from .test_measures import SHARES, SPEED, measured  # noqa: F401 (the fixture)

SHIPPED = Path(__file__).resolve().parents[2] / "geodata" / "demo" / "facilities.geojson"
FIFTEEN = ("middle_school", "health_centre", "culture_centre", "street_service")


def test_the_15_minute_level_is_seeded_with_facility_types(session, measured):  # noqa: F811
    rows = session.execute(select(LifeCircleItem.level_minutes, LifeCircleItem.standard_item)
                           .where(LifeCircleItem.level_minutes == 15)).all()
    assert {r.standard_item for r in rows} >= {"初中", "卫生服务中心（社区医院）", "文化活动中心（含青少年、老年活动中心）",
                                               "社区服务中心（街道级）"}
    assert all("GB 50180-2018" in src for *_, src in LIFE_CIRCLE)


def test_the_demo_has_a_facility_of_every_listed_type():
    """Every type of the checklist has facilities in the shipped demo, so each level shows real figures."""
    shipped = {f["properties"]["type_code"] for f in json.loads(SHIPPED.read_text())["features"]}
    assert {t for _m, t, *_ in LIFE_CIRCLE} <= shipped
    assert set(FIFTEEN) <= shipped
    assert [c for c, *_ in FACILITY_TYPES] == list(DEMO_TYPES)  # the app's and the generator's lists agree


def test_a_15_minute_type_gets_a_share_at_its_level(session, measured):  # noqa: F811
    empty = m.measures(session, measured, SPEED, SHARES)
    level = next(lv for lv in empty["checklist"]["levels"] if lv["minutes"] == 15)
    assert {i["type"] for i in level["items"]} == set(FIFTEEN)
    assert all(i["no_facilities"] and i["share"] == 0.0 and not i["meets"] for i in level["items"])
    school = m.FacilitySet("middle_school", np.array([lonlat(250, 500)]), np.array([np.nan]), np.array([-1]))
    found = m.measures(session, measured, SPEED, SHARES, "middle_school", 15, facilities=school)
    item = next(i for lv in found["checklist"]["levels"] if lv["minutes"] == 15 for i in lv["items"]
                if i["type"] == "middle_school")
    assert not item["no_facilities"] and 0 < item["share"] <= 1


@pytest.mark.parametrize("direct_cells", [0, fca.DIRECT_CELLS])
@pytest.mark.parametrize("minutes", [5, 10])
def test_local_pairs_both_ways_are_the_per_facility_passes(session, measured, monkeypatch, direct_cells,  # noqa: F811
                                                           minutes):
    monkeypatch.setattr(fca, "DIRECT_CELLS", direct_cells)  # 0: always the subgraph
    net = prepared_network(session)
    pts = np.array([lonlat(250, 150), lonlat(250, 950), lonlat(750, 900), lonlat(500, 500), lonlat(5000, 5000)])
    snaps = snap(net.graph, pts, MAX_ACCESS_M)  # the last one: unsnapped
    full = catchment_pairs(net.prepared, snaps, minutes * 60 * SPEED)
    fast = local_pairs(net.prepared, snaps, minutes * 60 * SPEED)
    assert len(full.facility) > 0
    assert np.array_equal(full.facility, fast.facility) and np.array_equal(full.home, fast.home)
    assert np.allclose(full.distance_m, fast.distance_m, rtol=0, atol=1e-9)


def test_fca_scores_equal_the_per_facility_two_steps(session, measured):  # noqa: F811
    net = prepared_network(session)
    pts = np.array([lonlat(250, 150), lonlat(250, 950), lonlat(500, 500)])
    supply, dem = np.array([40.0, 20.0, 10.0]), net.homes.residents * 0.05
    want, ratio = fca.two_step(catchment_pairs(net.prepared, snap(net.graph, pts, MAX_ACCESS_M), 600.0), supply, dem)
    m.clear_catchments()
    for _ in range(2):  # walked, then from the kept catchments
        score, r = m.fca_scores(session, net, pts, supply, dem, 600.0)
        assert np.allclose(score, want, rtol=0, atol=1e-12) and np.allclose(r, ratio) and score.max() > 0


def test_a_communitys_homes_are_kept_until_its_data_change(session, measured):  # noqa: F811
    net = prepared_network(session)
    first = m._community_homes(session, net, measured)
    assert m._community_homes(session, net, measured) is first and len(first.code) == len(first.index) > 0
    bump_version(session, "residential_areas")  # an import of areas: names or codes may have moved
    again = m._community_homes(session, net, measured)
    assert again is not first and again.code == first.code


def test_the_register_state_is_read_again_after_its_interval(session, monkeypatch):
    monkeypatch.setattr(demand, "_REGISTER_STATE", text("SELECT clock_timestamp()"))
    monkeypatch.setattr(demand, "_states", {})
    url = "test://register-state"
    monkeypatch.setattr(demand, "REGISTER_RECHECK_S", 3600.0)
    first = demand._register_state(session, url)
    assert demand._register_state(session, url) == first  # within the interval: not read
    monkeypatch.setattr(demand, "REGISTER_RECHECK_S", 0.0)
    assert demand._register_state(session, url) != first  # past it: read again


def test_unsnapped_facilities_are_counted_from_kept_snaps(session, measured):  # noqa: F811
    net = prepared_network(session)
    pts = np.array([lonlat(250, 150), lonlat(5000, 5000), lonlat(250, 950), lonlat(6000, 6000)])
    m.clear_kept()
    want = int((~snap(net.graph, pts, MAX_ACCESS_M).snapped).sum())
    assert want == 2
    assert m._unsnapped(session, net, pts) == want
    assert m._unsnapped(session, net, pts[::-1]) == want  # from the kept points
    assert m._unsnapped(session, net, pts[:1]) == 0
