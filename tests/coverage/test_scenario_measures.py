"""A scenario's measures before → after, and 建议选址 (maximal coverage in a community) on the test street grid."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from grid_app.coverage import scenario_measures
from grid_app.coverage.graph import snap
from grid_app.coverage.measures import FacilitySet, measures, stored_facilities
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network
from grid_app.coverage.refresh import refresh
from grid_app.coverage.scenario_input import MAX_ADDED, check_changes
from grid_app.models import Building, Facility
from grid_app.places.hierarchy import community_by_code

from .. import district as d
from ..geo import lonlat
from .test_scenarios import SPEED, TYPE, add_facility, streets  # noqa: F401 (the fixture)

SHARES = {"kindergarten": 0.05, "elderly_care": 0.2}
NEAR_TOWER = lonlat(250, 320)


@pytest.fixture()
def stored(session, streets):  # noqa: F811
    """The street grid, one elderly-care station far off in community B, coverage stored."""
    refresh(session, SPEED)
    session.commit()
    return community_by_code(session, d.COMM_A)


def _row(body, minutes):
    return next(r for r in body["checklist"] if r["minutes"] == minutes)


def _item(body, type_code, minutes):
    level = next(lv for lv in body["checklist"]["levels"] if lv["minutes"] == minutes)
    return next(i for i in level["items"] if i["type"] == type_code)


def test_a_site_next_to_uncovered_homes_raises_the_checklist_share(session, stored):
    changes = check_changes(session, stored, {"type": TYPE, "minutes": 5, "add": [
        {"lon": NEAR_TOWER[0], "lat": NEAR_TOWER[1], "capacity": 30}]}, SPEED)
    found = scenario_measures.compare(session, stored, changes, SPEED, SHARES)
    row = _row(found, 5)
    assert row["share_today"] == 0 and row["meets_today"] is False
    assert row["share"] > 0.7 and row["meets"] is True  # the 390-resident tower is 80 m away
    assert found["met"] == found["met_today"] + 1
    # The same as measures() on the modified set, built here by hand.
    today = stored_facilities(session, TYPE)
    by_hand = FacilitySet(TYPE, np.vstack([today.lonlat, [NEAR_TOWER]]), np.append(today.capacity, 30.0),
                          np.append(today.ids, -1))
    direct = measures(session, stored, SPEED, SHARES, TYPE, 5, facilities=by_hand)
    assert row["share"] == _item(direct, TYPE, 5)["share"]
    assert found["equity"]["coverage_share"]["gini"] == direct["equity"]["coverage_share"]["gini"]
    assert found["fca_score_today"] is None and found["fca_score"] == direct["capacity"]["score"] > 0
    assert found["capacity_total"] == 30 and "by_building" not in found["scenario"]["capacity"]
    assert session.scalar(select(func.count()).select_from(Facility)) == 1  # nothing written


def test_no_changes_give_today_on_both_sides(session, stored):
    add_facility(session, "F-elder-A", 250, 300, d.COMM_A)
    refresh(session, SPEED)
    session.commit()
    changes = check_changes(session, stored, {"type": TYPE, "minutes": 5}, SPEED)
    found = scenario_measures.compare(session, stored, changes, SPEED, SHARES)
    assert _row(found, 5)["share"] == _row(found, 5)["share_today"] > 0
    assert found["equity"] == found["equity_today"] and found["met"] == found["met_today"]


def test_closing_the_only_near_station_lowers_it(session, stored):
    near = add_facility(session, "F-elder-A", 250, 300, d.COMM_A)
    refresh(session, SPEED)
    session.commit()
    found = scenario_measures.compare(session, stored, check_changes(
        session, stored, {"type": TYPE, "minutes": 5, "remove": [near.id]}, SPEED), SPEED, SHARES)
    assert _row(found, 5)["share_today"] > 0 and _row(found, 5)["share"] == 0


def test_evaluate_returns_the_measures(session, stored, login):
    body = {"community": d.COMM_A, "type": TYPE, "minutes": 5, "add": [dict(zip(("lon", "lat"), NEAR_TOWER))]}
    res = login("secretary").post("/api/v1/scenarios/evaluate", json=body).get_json()
    row = _row(res["measures"], 5)
    assert (row["share_today"], row["meets"]) == (0, True) and res["residents_gained"] == 520
    assert res["measures"]["scenario"]["checklist"]["levels"]  # the body gridMeasures.render draws
    assert res["seconds_total"] >= res["seconds"]


# 建议选址

def _brute_best(session, community_code: str, threshold: float) -> int:
    """Most residents of the community one network node brings within threshold (full engine, every node)."""
    net = prepared_network(session)
    c = community_by_code(session, community_code)
    ids = set(session.scalars(select(Building.id).where(Building.community_id == c.id, Building.residents > 0)))
    mine = np.array([int(b) in ids for b in net.homes.building_id])
    nodes = np.column_stack([net.graph.network.lon, net.graph.network.lat])
    nodes = nodes[shapely.intersects_xy(to_shape(c.geom), nodes[:, 0], nodes[:, 1])]
    best = 0
    for xy in nodes:
        dist = net.prepared.distances(snap(net.graph, xy.reshape(1, 2), MAX_ACCESS_M), threshold)
        best = max(best, int(net.homes.residents[mine & (dist <= threshold)].sum()))
    return best


def test_suggest_returns_k_sites_in_the_community_that_evaluate_confirms(session, stored, login):
    client = login("secretary")
    res = client.post("/api/v1/scenarios/suggest", json={"community": d.COMM_A, "type": TYPE, "minutes": 5, "k": 2})
    assert res.status_code == 200, res.get_json()
    got = res.get_json()
    assert 1 <= len(got["suggested"]) <= 2 and got["candidates"] == "network"
    for s in got["suggested"]:
        assert session.scalar(select(func.ST_Covers(
            community_by_code(session, d.COMM_A).geom, func.ST_SetSRID(func.ST_MakePoint(s["lon"], s["lat"]), 4326))))
    # The first pick is as good as the best single node by a full engine pass; beats the far station.
    assert got["suggested"][0]["residents_added"] == _brute_best(session, d.COMM_A, 5 * 60 * SPEED) > 0
    # Loaded into the scenario, evaluate confirms what suggest promised.
    ev = client.post("/api/v1/scenarios/evaluate", json={"community": d.COMM_A, **got["changes"]}).get_json()
    assert ev["residents_covered"] == got["residents_covered_after"] > got["residents_covered_before"]
    assert ev["residents_gained"] == sum(s["residents_added"] for s in got["suggested"])


def test_suggest_keeps_the_scenario_and_covers_what_it_leaves(session, stored, login):
    first = {"lon": NEAR_TOWER[0], "lat": NEAR_TOWER[1], "name": "甲"}
    got = login("planner").post("/api/v1/scenarios/suggest", json={
        "community": d.COMM_A, "type": TYPE, "minutes": 3, "k": 3, "add": [first]}).get_json()
    assert got["changes"]["add"][0]["name"] == "甲" and len(got["changes"]["add"]) == 1 + len(got["suggested"])
    assert got["residents_covered_before"] == 390  # the planned site already reaches the tower
    assert all(s["residents_added"] > 0 for s in got["suggested"])  # nothing suggested for the covered
    assert got["residents_covered_after"] == 390 + sum(s["residents_added"] for s in got["suggested"]) <= 520


def test_suggest_from_a_layer_of_plots(session, stored, login):
    def pt(x, y):
        return {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": list(lonlat(x, y))}}
    layer = {"type": "FeatureCollection", "features": [pt(250, 320), pt(760, 760), pt(20, 980)]}
    got = login("secretary").post("/api/v1/scenarios/suggest", json={
        "community": d.COMM_A, "type": TYPE, "minutes": 5, "k": 1, "candidates": "layer", "layer": layer}).get_json()
    assert got["candidates_considered"] == 2 and got["candidates_outside"] == 1
    assert [(s["lon"], s["lat"]) for s in got["suggested"]] == [tuple(round(v, 7) for v in lonlat(250, 320))]


@pytest.mark.parametrize("extra, code", [
    ({"k": 0}, "bad_k"), ({"k": 21}, "bad_k"), ({"k": "3"}, "bad_k"), ({"k": True}, "bad_k"), ({}, "bad_k"),
    ({"k": 2, "candidates": "roofs"}, "bad_candidates"),
    ({"k": 2, "layer": {"type": "FeatureCollection", "features": []}}, "bad_candidates"),
    ({"k": 2, "candidates": "layer"}, "bad_layer"),
    ({"k": 2, "candidates": "layer", "layer": {"type": "FeatureCollection", "features": [{"geometry": 5}]}},
     "bad_layer"),
    ({"k": 1, "candidates": "layer", "layer": {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(lonlat(760, 760))}}]}},
     "no_candidates"),
    ({"k": 2, "add": [dict(zip(("lon", "lat"), NEAR_TOWER))] * MAX_ADDED}, "bad_k"),
    ({"k": 2, "minutes": -1}, None), ({"k": 2, "type": "nope"}, "unknown_type"), ({"k": 2, "bogus": 1}, "bad_body"),
])
def test_suggest_bad_inputs_are_400(session, stored, login, extra, code):
    res = login("planner").post("/api/v1/scenarios/suggest", json={"community": d.COMM_A, "type": TYPE, **extra})
    assert res.status_code == 400, res.get_json()
    assert code is None or res.get_json()["error"] == code


def test_suggest_scope(session, stored, login):
    body = {"community": d.COMM_A, "type": TYPE, "k": 1}
    assert login("worker").post("/api/v1/scenarios/suggest", json=body).status_code == 403
    res = login("secretary_b").post("/api/v1/scenarios/suggest", json=body)
    assert res.status_code == 404 and res.get_json()["error"] == "community_not_found"
    assert login("secretary_b").post("/api/v1/scenarios/suggest", json={**body, "community": d.COMM_B}).status_code == 200
    assert login("secretary").post("/api/v1/scenarios/suggest", data="[", content_type="application/json"
                                   ).status_code == 400


def test_suggest_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/scenarios/suggest"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["properties"]["k"]["maximum"] == 20
