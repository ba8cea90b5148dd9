"""Isochrones contain what is reached and nothing beyond threshold + buffer."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from grid_app.coverage.graph import WalkGraph, snap
from grid_app.coverage.isochrones import isochrones
from grid_app.network.synthetic import grid_network


@pytest.fixture(scope="module")
def setup():
    net = grid_network(20, 18, spacing_m=70, drop_prob=0.15, diag_prob=0.1, oneway_foot_prob=0.1, seed=11)
    g = WalkGraph(net)
    rng = np.random.default_rng(5)
    fac = np.column_stack([rng.uniform(net.lon.min(), net.lon.max(), 6),
                           rng.uniform(net.lat.min(), net.lat.max(), 6)])
    return net, g, snap(g, fac, 60)


@pytest.mark.parametrize("use_faces", [True, False])
def test_contains_reached_nodes_and_nothing_too_far(setup, reference, use_faces):
    net, g, fs = setup
    thresholds = [300.0, 600.0]
    buffer_m = 40.0
    iso = isochrones(g, fs, thresholds, buffer_m=buffer_m, use_faces=use_faces)
    assert iso.shape == (len(fs), 2)
    nodes_xy = g.nodes_xy()
    nodes = shapely.points(nodes_xy)
    for i in np.flatnonzero(fs.snapped):
        ref = reference.node_distances(net, fs, i, max(thresholds))
        fac_xy = shapely.line_interpolate_point(g.edges_xy[fs.edge[i]], fs.frac[i], normalized=True)
        for t, limit in enumerate(thresholds):
            poly = g.project(np.array([iso[i, t]]))[0]
            reached = np.array([ref.get(n, np.inf) <= limit for n in range(net.n_nodes)])
            assert reached.any()
            assert np.all(shapely.contains(poly, nodes[reached]))
            too_far = shapely.distance(nodes, fac_xy) > limit + buffer_m + 1.0
            assert not np.any(shapely.intersects(poly, nodes[too_far]))
            assert poly.geom_type in ("Polygon", "MultiPolygon")
        assert iso[i, 0].area <= iso[i, 1].area + 1e-12


def test_faces_shortcut_gives_same_shape(setup):
    net, g, fs = setup
    a = g.project(isochrones(g, fs, [500.0], use_faces=True).ravel())
    b = g.project(isochrones(g, fs, [500.0], use_faces=False).ravel())
    diff = shapely.area(shapely.symmetric_difference(a, b))
    assert np.all(diff <= 0.002 * shapely.area(b) + 1.0)


def test_unsnapped_facility_gives_empty_polygon(setup):
    net, g, _ = setup
    fs = snap(g, np.array([[0.0, 0.0]]), 50)
    iso = isochrones(g, fs, [500.0])
    assert iso.shape == (1, 1) and iso[0, 0].is_empty


def test_partial_edge_is_cut():
    net = grid_network(2, 2, spacing_m=1000, jitter_m=0, diag_prob=0, drop_prob=0, seed=0)
    g = WalkGraph(net)
    # Facility at a corner node; 300 m reach covers 300 m of each of two 1000 m edges.
    fs = snap(g, np.column_stack([net.lon[:1], net.lat[:1]]), 5)
    poly = g.project(isochrones(g, fs, [300.0], buffer_m=10.0, use_faces=False).ravel())[0]
    assert poly.area == pytest.approx(2 * (300 * 20) + np.pi * 100, rel=0.05)


def test_chains_keep_the_buffered_shape():
    from grid_app.coverage.isochrones import _chains

    lines = shapely.linestrings([[[0, 0], [50, 0]], [[50, 0], [50, 80]], [[200, 0], [260, 0]],
                                 [[400, 0], [400, 0]], [[50, 0], [90, 30]]])
    group = np.array([3, 3, 3, 3, 7])
    g2, merged = _chains(group, lines)
    for g in (3, 7):
        before = shapely.union_all(shapely.buffer(lines[group == g], 10.0, quad_segs=2))
        after = shapely.union_all(shapely.buffer(merged[g2 == g], 10.0, quad_segs=2))
        # The zero-length piece at x=400 must still leave its disc.
        assert shapely.area(shapely.symmetric_difference(before, after)) < 1e-3 * before.area
    assert len(merged) < len(lines)
