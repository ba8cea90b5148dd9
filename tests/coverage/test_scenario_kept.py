"""What a scenario keeps between calls (places, today's facilities) follows the data versions."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from grid_app.coverage import scenario_measures
from grid_app.coverage import service as coverage_service
from grid_app.coverage.prepared import prepared_network
from grid_app.coverage.scenario import data_stamp, places
from grid_app.models import Building, Facility, Grid, ResidentialArea
from grid_app.network.store import bump_version
from grid_app.places.hierarchy import community_by_code

from .. import district as d
from ..geo import lonlat
from .test_scenarios import SPEED, TYPE, add_facility, run, streets  # noqa: F401  (fixture)


def _kept(session):
    return places(session, prepared_network(session), community_by_code(session, d.COMM_A), data_stamp(session))


def _area(result: dict) -> dict:
    return next(a for a in result["by_residential_area"] if a["code"] == d.AREA)


def test_places_are_read_once_per_data_version(session, streets):
    first = _kept(session)
    assert _kept(session) is first  # a hit: no query for the homes
    bump_version(session, "network")
    session.commit()
    assert _kept(session) is not first


def test_a_renamed_area_or_grid_is_seen_after_the_hierarchy_version(session, streets):
    run(session, {"type": TYPE, "minutes": 3})  # kept with the old names
    session.execute(update(ResidentialArea).where(ResidentialArea.code == d.AREA).values(name="新翠微苑"))
    session.execute(update(Grid).where(Grid.code == d.GRID_A1).values(name="新一网格"))
    bump_version(session, "hierarchy")
    session.commit()
    result = run(session, {"type": TYPE, "minutes": 3})
    assert _area(result)["name"] == "新翠微苑"
    assert next(g for g in result["by_grid"] if g["code"] == d.GRID_A1)["name"] == "新一网格"


def test_residents_changed_with_the_buildings_version_are_counted(session, streets):
    before = run(session, {"type": TYPE, "minutes": 3})
    tower = session.scalar(select(Building).where(Building.code == d.TOWER))
    session.execute(update(Building).where(Building.id == tower.id).values(residents=tower.residents + 7))
    bump_version(session, "buildings")
    session.commit()
    after = run(session, {"type": TYPE, "minutes": 3, "add": [dict(zip(("lon", "lat"), lonlat(250, 320)))]})
    assert after["residents_total"] == before["residents_total"] + 7
    assert _area(after)["residents_total"] == _area(before)["residents_total"] + 7
    assert after["residents_gained"] == 390 + 7  # the tower is gained with its new count


def test_the_facilities_listed_follow_the_facilities_version(session, streets):
    assert run(session, {"type": TYPE, "minutes": 10})["facilities"] == []  # community B's station only
    near = add_facility(session, "F-elder-A", 250, 300, d.COMM_A)
    result = run(session, {"type": TYPE, "minutes": 10, "remove": [near.id]})
    assert [f["code"] for f in result["facilities"]] == ["F-elder-A"]
    assert result["removed"][0]["id"] == near.id and result["today"]["facilities"] == 2
    session.execute(update(Facility).where(Facility.id == near.id).values(name="新名"))
    add_facility(session, "F-elder-A0", 300, 300, d.COMM_A)  # bumps the facilities version
    listed = run(session, {"type": TYPE, "minutes": 10})["facilities"]
    assert [(f["code"], f["name"]) for f in listed] == [("F-elder-A", "新名"), ("F-elder-A0", "F-elder-A0")]
    session.execute(delete(Facility).where(Facility.id == near.id))
    bump_version(session, "facilities")
    session.commit()
    assert [f["code"] for f in run(session, {"type": TYPE, "minutes": 10})["facilities"]] == ["F-elder-A0"]


def test_measures_keep_todays_facilities_per_data_version(session, streets):
    stamp = coverage_service.stamp(session, SPEED)
    first = scenario_measures.kept_facilities(session, TYPE, stamp)
    assert scenario_measures.kept_facilities(session, TYPE, stamp) is first and len(first.ids) == 1
    added = add_facility(session, "F-elder-A", 250, 300, d.COMM_A)
    now = scenario_measures.kept_facilities(session, TYPE, coverage_service.stamp(session, SPEED))
    assert sorted(now.ids.tolist()) == sorted([*first.ids.tolist(), added.id])
