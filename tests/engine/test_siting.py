"""Maximal coverage siting: greedy behaviour, exact comparison, coverage matrix."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from grid_app.coverage.engine import nearest_distances
from grid_app.coverage.graph import WalkGraph, snap
from grid_app.coverage.siting import coverage_matrix, exact_mclp, greedy_exact_ratio, greedy_mclp
from grid_app.network.synthetic import grid_network


@pytest.fixture(scope="module")
def instance():
    net = grid_network(16, 14, spacing_m=80, drop_prob=0.1, seed=21)
    g = WalkGraph(net)
    rng = np.random.default_rng(21)

    def pts(n):
        return np.column_stack([rng.uniform(net.lon.min(), net.lon.max(), n),
                                rng.uniform(net.lat.min(), net.lat.max(), n)])
    cand, dem = snap(g, pts(30), 80), snap(g, pts(400), 80)
    weights = rng.integers(1, 50, 400).astype(float)
    return net, g, cand, dem, weights


def test_coverage_matrix_matches_networkx(instance, reference):
    net, g, cand, dem, _ = instance
    cover = coverage_matrix(g, cand, dem, 400.0)
    for j in range(0, len(cand), 5):
        ref = reference.nearest(net, cand.subset(np.array([j])), dem, 400.0)
        np.testing.assert_array_equal(cover[j].toarray().ravel(), ref <= 400.0)


def test_greedy_gains_non_increasing_and_near_exact(instance):
    _, g, cand, dem, w = instance
    cover = coverage_matrix(g, cand, dem, 400.0)
    greedy = greedy_mclp(cover, w, 5)
    assert len(greedy.selected) == 5
    assert np.all(np.diff(greedy.gains) <= 1e-9)
    assert greedy.covered_weight == pytest.approx(greedy.gains.sum())
    exact = exact_mclp(cover, w, 5, time_limit_s=60)
    assert exact.optimal
    assert exact.covered_weight >= greedy.covered_weight - 1e-9
    assert greedy_exact_ratio(greedy, exact) >= 1 - 1 / np.e


def test_existing_coverage_excluded(instance):
    _, g, cand, dem, w = instance
    existing = cand.subset(np.array([0, 1]))
    already = nearest_distances(g, existing, dem, 400.0) <= 400.0
    assert already.any()
    cover = coverage_matrix(g, cand, dem, 400.0)
    res = greedy_mclp(cover, w, 3, already_covered=already)
    assert res.already_covered == pytest.approx(w[already].sum())
    newly = np.zeros(len(w), dtype=bool)
    newly[np.unique(cover[res.selected].indices)] = True
    assert res.covered_weight == pytest.approx(w[newly & ~already].sum())
    assert not set(res.selected) & {0, 1}  # existing sites add nothing new


def test_greedy_stops_when_nothing_left():
    cover = sparse.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=bool))
    res = greedy_mclp(cover, np.array([1.0, 2.0, 5.0]), 3)
    assert list(res.selected) == [0] and list(res.gains) == [3.0]
    with pytest.raises(ValueError):
        greedy_mclp(cover, np.array([1.0, 2.0]), 1)
