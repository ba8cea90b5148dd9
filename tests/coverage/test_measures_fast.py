"""The fast measures (community only, catchments kept per place, demand kept) equal the whole-district computation."""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from grid_app.coverage import measures as m
from grid_app.coverage import scenario_measures
from grid_app.coverage.demand import demand_group, district_demand, home_demand
from grid_app.coverage.fca import catchment_pairs, local_pairs, two_step
from grid_app.coverage.graph import snap
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network
from grid_app.coverage.scenario_input import check_changes
from grid_app.models import Building, FacilityType, Household, Resident

from .. import district as d
from ..geo import lonlat
from .test_measures import SHARES, SPEED, measured  # noqa: F401 (the fixture)

TYPE = "kindergarten"


def _changed(session) -> m.FacilitySet:
    """Today's kindergartens without the first, plus three planned sites: near, at the edge, far in community B."""
    now = m.stored_facilities(session, TYPE)
    planned = np.array([lonlat(250, 900), lonlat(500, 500), lonlat(980, 20)])
    return m.FacilitySet(TYPE, np.vstack([now.lonlat[1:], planned]), np.append(now.capacity[1:], [100.0, 15.0, 60.0]),
                         np.append(now.ids[1:], [-1, -1, -1]))


def _full(session, net, fs: m.FacilitySet, catchment_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every home and ratios of every facility with places: one pass per facility, whole district."""
    known = np.isfinite(fs.capacity)
    ftype = session.scalar(select(FacilityType).where(FacilityType.code == TYPE))
    demand, _ = home_demand(session, TYPE, demand_group(session, ftype.id), net.homes.building_id,
                            net.homes.residents, SHARES)
    pairs = catchment_pairs(net.prepared, snap(net.graph, fs.lonlat[known], MAX_ACCESS_M), catchment_m)
    return two_step(pairs, fs.capacity[known], demand)


@pytest.mark.parametrize("minutes", [5, 10])
def test_local_pairs_are_the_per_facility_passes(session, measured, minutes):  # noqa: F811
    net = prepared_network(session)
    fs = _changed(session)
    snaps = snap(net.graph, np.vstack([fs.lonlat, [lonlat(5000, 5000)]]), MAX_ACCESS_M)  # the last: unsnapped
    full = catchment_pairs(net.prepared, snaps, minutes * 60 * SPEED)
    fast = local_pairs(net.prepared, snaps, minutes * 60 * SPEED)
    assert len(full.facility) > 0
    assert np.array_equal(full.facility, fast.facility) and np.array_equal(full.home, fast.home)
    assert np.allclose(full.distance_m, fast.distance_m, rtol=0, atol=1e-9)


@pytest.mark.parametrize("minutes", [5, 10])
def test_community_fca_equals_the_whole_district(session, measured, minutes):  # noqa: F811
    net = prepared_network(session)
    fs = _changed(session)
    catchment = minutes * 60 * SPEED
    score, ratio = _full(session, net, fs, catchment)
    homes = m._community_homes(session, net, measured)
    ftype = session.scalar(select(FacilityType).where(FacilityType.code == TYPE))
    demand, _ = district_demand(session, net, TYPE, demand_group(session, ftype.id), SHARES)
    known = np.isfinite(fs.capacity)
    for _ in range(2):  # the second time from the kept catchments
        s, serving, r = m.community_fca(session, net, homes, fs.lonlat[known], fs.capacity[known], demand, catchment)
        assert np.allclose(s, score[homes.index], rtol=0, atol=1e-9) and s.max() > 0
        assert np.allclose(r, ratio[serving], rtol=0, atol=1e-9)
    # the far planned site in community B serves no home of A at these walks and is left out
    assert len(fs.lonlat[known]) - 1 not in set(serving.tolist())


def test_measures_on_a_changed_set_equal_the_full_computation(session, measured):  # noqa: F811
    net = prepared_network(session)
    fs = _changed(session)
    found = m.measures(session, measured, SPEED, SHARES, TYPE, 5, facilities=fs)
    score, _ratio = _full(session, net, fs, 5 * 60 * SPEED)
    homes = m._community_homes(session, net, measured)
    codes = dict(session.execute(select(Building.id, Building.code)).all())
    want = {codes[int(b)]: round(float(v), 6) for b, v in zip(net.homes.building_id[homes.index], score[homes.index])}
    assert {b["code"]: b["score"] for b in found["capacity"]["by_building"]} == want
    # coverage: a full engine pass from every facility of the set
    dist = net.prepared.distances(snap(net.graph, fs.lonlat, MAX_ACCESS_M), 5 * 60 * SPEED)[homes.index]
    res = net.homes.residents[homes.index]
    item = next(i for lv in found["checklist"]["levels"] if lv["minutes"] == 5
                for i in lv["items"] if i["type"] == TYPE)
    assert item["share"] == round(res[np.isfinite(dist)].sum() / res.sum(), 4)


def test_a_scenarios_checklist_is_todays_with_its_types_rows(session, measured):  # noqa: F811
    changes = check_changes(session, measured, {"type": TYPE, "minutes": 5, "remove": [
        int(m.stored_facilities(session, TYPE).ids[0])], "add": [{"lon": lonlat(250, 900)[0],
                                                                  "lat": lonlat(250, 900)[1], "capacity": 100}]}, SPEED)
    found = scenario_measures.compare(session, measured, changes, SPEED, SHARES)
    full = m.measures(session, measured, SPEED, SHARES, TYPE, 5,
                      facilities=scenario_measures.changed_facilities(session, changes))
    assert found["scenario"]["checklist"] == full["checklist"]
    assert found["met"] == full["checklist"]["met"] and found["fca_score"] == full["capacity"]["score"]


def test_a_register_edit_moves_the_demand(session, measured):  # noqa: F811
    net = prepared_network(session)
    ftype = session.scalar(select(FacilityType).where(FacilityType.code == TYPE))
    group = demand_group(session, ftype.id)
    before, _ = district_demand(session, net, TYPE, group, SHARES)
    tower = session.scalar(select(Building).where(Building.code == d.TOWER))
    flat = Household(building_id=tower.id, street_code=d.STREET, unit="1", room="101")
    session.add(flat)
    session.flush()
    session.add(Resident(household_id=flat.id, street_code=d.STREET, name="甲", sex="男",
                         birth_date=date(date.today().year - 4, 1, 1), residence_type="常住"))
    session.flush()
    after, counted = district_demand(session, net, TYPE, group, SHARES)
    at = int(np.flatnonzero(net.homes.building_id == tower.id)[0])
    assert before[at] == pytest.approx(390 * 0.05) and after[at] == 1.0 and counted["homes_from_register"] == 1
