"""What the fast measures keep: the data state (versions, reference rows), the oid per connection, the spare room."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra
from sqlalchemy import event, select, update
from sqlalchemy.sql import text

from grid_app.coverage import measures as m
from grid_app.coverage import engine, measures_data, scenario_measures
from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.graph import snap
from grid_app.coverage.measures_data import NAMES, data_state
from grid_app.coverage.prepared import MAX_ACCESS_M, prepared_network
from grid_app.coverage.scenario_input import check_changes
from grid_app.models import DemandGroup, FacilityType, LifeCircleItem
from grid_app.network.store import bump_version, versions

from ..geo import lonlat
from .test_measures import SHARES, SPEED, measured  # noqa: F401 (the fixture)

TYPE = "kindergarten"


class Statements:
    """Counts the statements the session's engine sends inside a with block."""

    def __init__(self, session) -> None:
        self.engine, self.count, self.sent = session.get_bind().engine, 0, []

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.count += 1
        self.sent.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _type_id(session, code=TYPE) -> int:
    return session.scalar(select(FacilityType.id).where(FacilityType.code == code))


def test_the_state_stamps_are_versions_and_move_with_each_dataset(session, measured):  # noqa: F811
    for names in (NAMES, ("network", "buildings"), ("facilities", "hierarchy"), ("residential_areas", "hierarchy"),
                  ("network", "facilities", "buildings"), ("no_such_dataset",)):
        assert data_state(session).stamp(names) == versions(session, names)
    for name in NAMES:
        before = data_state(session).key
        bump_version(session, name)
        assert data_state(session).key != before, name


def test_reference_rows_are_kept_until_an_edit_in_place(session, measured):  # noqa: F811
    measures_data.clear()
    first = data_state(session)
    with Statements(session) as sent:
        again = data_state(session)
    assert sent.count == 1 and again.reference is first.reference  # kept: the rows are not read again
    kg = _type_id(session)
    assert first.reference.groups[kg].age_min == 3 and first.reference.types[TYPE].name
    # a district edits its rows in place (no dataset version moves): each edit is seen by the next call
    session.execute(update(DemandGroup).where(DemandGroup.type_id == kg).values(age_min=2))
    assert data_state(session).reference.groups[kg].age_min == 2
    session.execute(update(FacilityType).where(FacilityType.id == kg).values(name="幼儿园（改）"))
    assert data_state(session).reference.types[TYPE].name == "幼儿园（改）"
    item = session.scalar(select(LifeCircleItem).where(LifeCircleItem.type_id == kg).order_by(LifeCircleItem.id))
    session.execute(update(LifeCircleItem).where(LifeCircleItem.id == item.id).values(min_share=0.25))
    found = [i for i in data_state(session).reference.items if i.type.code == TYPE]
    assert found[0].min_share == 0.25
    session.delete(item)
    session.flush()
    assert len([i for i in data_state(session).reference.items if i.type.code == TYPE]) == len(found) - 1
    assert data_state(session).key != first.key


def test_measures_follow_a_reference_edit(session, measured):  # noqa: F811
    kg = _type_id(session)
    before = m.measures(session, measured, SPEED, SHARES, TYPE, 10)
    assert before["capacity"]["group"]["age_min"] == 3
    session.execute(update(DemandGroup).where(DemandGroup.type_id == kg).values(age_min=2, name="2-6岁儿童"))
    session.execute(update(FacilityType).where(FacilityType.id == kg).values(name="托幼"))
    after = m.measures(session, measured, SPEED, SHARES, TYPE, 10)
    assert after["capacity"]["group"] == {"name": "2-6岁儿童", "age_min": 2, "age_max": 6}
    names = {i["type_name"] for lv in after["checklist"]["levels"] for i in lv["items"] if i["type"] == TYPE}
    assert names == {"托幼"}


def test_todays_side_of_a_scenario_follows_a_threshold_edit(session, measured):  # noqa: F811
    here = lonlat(250, 900)
    changes = check_changes(session, measured, {"type": TYPE, "minutes": 5,
                                                "add": [{"lon": here[0], "lat": here[1], "capacity": 10}]}, SPEED)
    first = scenario_measures.compare(session, measured, changes, SPEED, SHARES)
    row = next(r for r in first["checklist"] if r["minutes"] == 5)
    assert 0 < row["share_today"] < 1
    session.execute(update(LifeCircleItem).where(LifeCircleItem.type_id == _type_id(session),
                                                 LifeCircleItem.level_minutes == 5).values(min_share=0.001))
    again = scenario_measures.compare(session, measured, changes, SPEED, SHARES)  # within today's TTL
    row = next(r for r in again["checklist"] if r["minutes"] == 5)
    assert row["min_share"] == 0.001 and row["meets_today"] is True and row["meets"] is True


def test_a_warm_scenario_reads_only_the_versions_and_the_state(session, measured):  # noqa: F811
    here = lonlat(250, 900)
    changes = check_changes(session, measured, {"type": TYPE, "minutes": 10,
                                                "add": [{"lon": here[0], "lat": here[1], "capacity": 10}]}, SPEED)
    scenario_measures.compare(session, measured, changes, SPEED, SHARES)
    with Statements(session) as sent:
        scenario_measures.compare(session, measured, changes, SPEED, SHARES)
    assert "FROM dataset_version" in sent.sent[0] and "x.reference, x.writing" in sent.sent[1]
    # The test's transaction has written (its fixtures), so the demand reads the register itself; a
    # request's transaction has not, and sends the two statements alone.
    assert data_state(session).writing
    assert len(sent.sent) == 3 and "FROM household h" in sent.sent[2]


def test_the_database_oid_is_read_once_per_connection(session, measured):  # noqa: F811
    prepared_network(session)
    with Statements(session) as sent:
        net = prepared_network(session)
    assert sent.count == 1  # the versions only
    oid = session.scalar(text("SELECT oid FROM pg_database WHERE datname = current_database()"))
    assert net.database.endswith(f"#{oid}") and session.connection().info["grid_app.database"] == net.database


def _sites(net, n):
    lon, lat = net.graph.network.lon, net.graph.network.lat
    pick = np.linspace(0, len(lon) - 1, n).astype(int)
    return snap(net.graph, np.column_stack([lon[pick] + 2e-5, lat[pick]]), MAX_ACCESS_M)


def _prepared(session, monkeypatch, room: int) -> PreparedHomes:
    """The test network's home split with a room for `room` start arcs (scipy copies a view of under half
    its array: the default room would dwarf the test district's few arcs)."""
    net = prepared_network(session)
    monkeypatch.setattr(engine._Spare, "ROOM", room)
    return PreparedHomes(net.graph, net.homes.snaps)


@pytest.mark.parametrize("n", [1, 4])
def test_the_spare_room_gives_the_concatenated_graph(session, measured, monkeypatch, n):  # noqa: F811
    p = _prepared(session, monkeypatch, 8)
    sites = _sites(prepared_network(session), n)
    base = [a.copy() for a in (p.aug.csr.data, p.aug.csr.indices, p.aug.csr.indptr)]
    want, src = p.with_sources(sites)
    with p.sources(sites) as (got, got_src):
        assert np.shares_memory(got.data, p._spare.data)  # written after the routing arcs, not copied
        with p.sources(sites) as (busy, busy_src):  # the room is taken: new arrays, the same graph
            assert not np.shares_memory(busy.data, p._spare.data)
            for a in (got, busy):
                assert (a != want).nnz == 0 and np.array_equal(a.indptr, want.indptr)
            assert np.array_equal(got_src, src) and np.array_equal(busy_src, src)
            assert np.array_equal(dijkstra(got, indices=got_src, min_only=True, limit=900.0),
                                  dijkstra(want, indices=src, min_only=True, limit=900.0))
    assert not p._spare.lock.locked()
    for a, b in zip(base, (p.aug.csr.data, p.aug.csr.indices, p.aug.csr.indptr)):
        assert np.array_equal(a, b)  # the routing arcs are never written
    assert np.array_equal(p.distances(sites, 900.0), prepared_network(session).prepared.distances(sites, 900.0))


def test_more_starts_than_the_room_take_new_arrays(session, measured, monkeypatch):  # noqa: F811
    p = _prepared(session, monkeypatch, 8)
    sites = _sites(prepared_network(session), 6)
    with p.sources(sites) as (got, _src):
        assert not np.shares_memory(got.data, p._spare.data)
    wide = p.distances(sites, 900.0)
    assert np.isfinite(wide).any()
    assert np.array_equal(wide, np.minimum.reduce([p.distances(sites.subset(np.array([j])), 900.0)
                                                   for j in range(len(sites))]))


@pytest.mark.parametrize("minutes, speed", [(5, SPEED), (10, SPEED), (3, 0.8)])
def test_a_scenario_read_from_evaluates_distances_equals_its_own_pass(session, measured, minutes, speed):  # noqa: F811
    here = lonlat(250, 900)
    changes = check_changes(session, measured, {"type": TYPE, "minutes": minutes, "speed_m_s": speed,
                                                "add": [{"lon": here[0], "lat": here[1], "capacity": 10}]}, SPEED)
    fs = scenario_measures.changed_facilities(session, changes)
    state, net = data_state(session), prepared_network(session)
    given = scenario_measures._scenario_distances(session, net, state, changes, SPEED)
    assert given is not None and given[0] == changes.walk.threshold_m
    read = m.measures(session, measured, speed, SHARES, TYPE, minutes, facilities=fs, distances=given)
    walked = m.measures(session, measured, speed, SHARES, TYPE, minutes, facilities=fs)
    assert read == walked and read["checklist"]["items"] > 0
    assert scenario_measures.compare(session, measured, changes, SPEED, SHARES)["scenario"]["equity"] == read["equity"]
    # a closure: evaluate walks from every facility left, the measures from those near the community
    closed = check_changes(session, measured, {"type": TYPE, "minutes": minutes, "remove": [int(fs.ids[0])]}, SPEED)
    assert scenario_measures._scenario_distances(session, net, state, closed, SPEED) is None
