"""Snapping against brute force, and the routing graph's structure."""
from __future__ import annotations

import numpy as np
import shapely

from grid_app.coverage.graph import WalkGraph, snap
from grid_app.network.model import metric_crs_for
from grid_app.network.synthetic import grid_network


def test_snap_matches_brute_force():
    net = grid_network(12, 10, drop_prob=0.2, seed=2)
    g = WalkGraph(net)
    rng = np.random.default_rng(0)
    pts = np.column_stack([rng.uniform(net.lon.min() - 0.002, net.lon.max() + 0.002, 300),
                           rng.uniform(net.lat.min() - 0.002, net.lat.max() + 0.002, 300)])
    s = snap(g, pts, 80.0)
    xy = shapely.points(g._fwd(pts))
    brute = shapely.distance(xy[:, None], g.edges_xy[None, :]).min(axis=1)
    np.testing.assert_array_equal(s.snapped, brute <= 80.0)
    np.testing.assert_allclose(s.access_m[s.snapped], brute[s.snapped], atol=1e-6)
    assert np.all(np.isinf(s.access_m[~s.snapped])) and np.all(s.edge[~s.snapped] == -1)
    # The fraction names the snapped point: it lies access_m from the input point.
    on = shapely.line_interpolate_point(g.edges_xy[s.edge[s.snapped]], s.frac[s.snapped], normalized=True)
    np.testing.assert_allclose(shapely.distance(on, xy[s.snapped]), s.access_m[s.snapped], atol=1e-6)


def test_metric_crs():
    assert metric_crs_for(117.48, 30.66) == 32650
    assert metric_crs_for(-70.0, -33.0) == 32719


def test_csr_has_both_directions_unless_oneway():
    net = grid_network(4, 4, oneway_foot_prob=0.5, seed=3)
    g = WalkGraph(net)
    dense = g.csr.toarray()
    for i in range(net.n_edges):
        u, v = net.u[i], net.v[i]
        assert dense[u, v] > 0
        assert (dense[v, u] > 0) == (not net.directed[i]) or any(
            net.u[j] == v and net.v[j] == u for j in range(net.n_edges))
