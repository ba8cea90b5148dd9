"""The bulk read of the stored network gives the graph the row-by-row read gave, on a line layer and real OSM."""
from __future__ import annotations

import os

import numpy as np
import pytest
import shapely
from sqlalchemy import text

from grid_app.coverage import prepared
from grid_app.network.model import WalkNetwork
from grid_app.network.osm import load_osm
from grid_app.network.store import load_network, read_network_file, replace_network
from tests.coverage.test_coverage_service import street_network

ARRAYS = ("node_ids", "lon", "lat", "u", "v", "length_m", "directed", "ground", "highway")


def rows_network(session) -> WalkNetwork:
    """The network read as it was before the bulk read: one Python row per node and edge."""
    nodes = session.execute(text("SELECT id, osm_id, ST_X(geom), ST_Y(geom) FROM network_node ORDER BY id")).all()
    ids = np.array([r[0] for r in nodes], dtype=np.int64)
    index = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    index[ids] = np.arange(len(ids))
    edges = session.execute(text("SELECT u, v, length_m, directed, coalesce(highway, ''), ST_AsBinary(geom), ground "
                                 "FROM network_edge ORDER BY id")).all()
    c = list(zip(*edges))
    return WalkNetwork(
        node_ids=np.array([r[1] or 0 for r in nodes], dtype=np.int64), lon=np.array([r[2] for r in nodes]),
        lat=np.array([r[3] for r in nodes]), u=index[np.array(c[0], dtype=np.int64)],
        v=index[np.array(c[1], dtype=np.int64)], length_m=np.array(c[2], dtype=np.float64),
        directed=np.array(c[3], dtype=bool), geometry=shapely.from_wkb([bytes(b) for b in c[5]]),
        highway=np.array(c[4], dtype=object), ground=np.array(c[6], dtype=bool))


def assert_same(a: WalkNetwork, b: WalkNetwork) -> None:
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert len(a.geometry) == len(b.geometry)
    assert shapely.equals_exact(a.geometry, b.geometry, tolerance=0).all()


def test_bulk_read_of_the_test_district(session, tmp_path):
    stored = read_network_file(street_network(tmp_path))
    replace_network(session, stored, progress=False)
    bulk = load_network(session)
    assert_same(bulk, rows_network(session))
    assert bulk.n_edges == stored.n_edges and np.array_equal(bulk.u, stored.u)
    assert set(bulk.highway) == {"residential", "footway"}


def test_bulk_read_of_a_real_osm_import(session):
    pyrosm = pytest.importorskip("pyrosm")
    network, _ = load_osm(os.path.join(os.path.dirname(pyrosm.__file__), "data", "test.osm.pbf"),
                          frozenset(), frozenset())
    replace_network(session, network, progress=False)
    # Shuffle the physical order and null the optional columns: the read must order by id and coalesce as before.
    session.execute(text("CREATE TEMP TABLE shuffled ON COMMIT DROP AS SELECT * FROM network_edge ORDER BY random()"))
    session.execute(text("DELETE FROM network_edge"))
    session.execute(text("INSERT INTO network_edge SELECT * FROM shuffled"))
    session.execute(text("UPDATE network_edge SET highway = NULL WHERE id % 7 = 0"))
    session.execute(text("UPDATE network_node SET osm_id = NULL WHERE id % 5 = 0"))
    bulk = load_network(session)
    assert_same(bulk, rows_network(session))
    assert bulk.n_edges == network.n_edges and (bulk.highway == "").sum() == len(range(0, network.n_edges, 7))
    np.testing.assert_allclose(bulk.length_m, network.length_m)
    assert shapely.equals_exact(bulk.geometry, network.geometry, tolerance=1e-7).all()


def test_no_network_stored(session):
    session.execute(text("DELETE FROM network_edge"))
    session.execute(text("DELETE FROM network_node"))
    assert load_network(session) is None


def test_home_points_in_id_order(session):
    ids, residents, xy = prepared.home_points_bulk(session)
    rows = session.execute(text("SELECT id, residents, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                "FROM building WHERE residents > 0 ORDER BY id")).all()
    assert len(rows) > 0 and ids.tolist() == [r[0] for r in rows]
    assert residents.tolist() == [float(r[1]) for r in rows]
    assert np.array_equal(xy, np.array([(r[2], r[3]) for r in rows]))
