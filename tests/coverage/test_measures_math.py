"""2SFCA on a tiny network by hand, and the evenness figures (Gini, bottom-20 % share) of known spreads."""
from __future__ import annotations

import numpy as np
import pytest

from grid_app.coverage import equity
from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.fca import catchment_pairs, two_step
from grid_app.coverage.graph import WalkGraph, snap
from grid_app.network.model import build_network

import shapely

LON0, LON1, LAT = 117.480, 117.490, 30.660  # one straight ~957 m edge, west to east


def _on_line(fractions):
    return np.array([[LON0 + t * (LON1 - LON0), LAT] for t in fractions])


@pytest.fixture(scope="module")
def line():
    geoms = shapely.linestrings([[(LON0, LAT), (LON1, LAT)]])
    net = build_network(np.array([0, 1]), [LON0, LON1], [LAT, LAT], [0], [1], geoms)
    return WalkGraph(net)


def test_two_step_fca_by_hand(line):
    # Facilities at 0.1, 0.5, 0.9 of the edge with 10, 30, 30 places; six homes; catchment 0.27 of the edge.
    # F1 reaches homes 0, 1, 2 (demand 30): R1 = 1/3. F2 reaches 2, 3, 4 (60): R2 = 1/2.
    # F3 reaches 4, 5 (55): R3 = 6/11. Home 1 -> F2 and home 3 -> F3 are 0.3: outside.
    homes = snap(line, _on_line([0.0, 0.2, 0.35, 0.6, 0.75, 1.0]), 5)
    facilities = snap(line, _on_line([0.1, 0.5, 0.9]), 5)
    length = line.network.length_m[0]
    pairs = catchment_pairs(PreparedHomes(line, homes), facilities, 0.27 * length)
    score, ratio = two_step(pairs, [10, 30, 30], [5, 10, 15, 20, 25, 30])
    np.testing.assert_allclose(ratio, [1 / 3, 1 / 2, 6 / 11], rtol=1e-9)
    np.testing.assert_allclose(score, [1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2, 1 / 2 + 6 / 11, 6 / 11], rtol=1e-9)
    # the distances are the engine's: along the edge
    first = sorted(pairs.distance_m[pairs.facility == 0])
    np.testing.assert_allclose(first, np.array([0.1, 0.1, 0.25]) * length, rtol=1e-3)


def test_facility_without_demand_in_reach_has_ratio_zero(line):
    homes = snap(line, _on_line([0.0]), 5)
    facilities = snap(line, _on_line([0.05, 0.9]), 5)
    pairs = catchment_pairs(PreparedHomes(line, homes), facilities, 100.0)
    score, ratio = two_step(pairs, [8, 50], [4])
    assert ratio.tolist() == [2.0, 0.0] and score.tolist() == [2.0]


def test_gini_of_known_distributions():
    assert equity.gini([1, 2, 3, 4, 5]) == pytest.approx(40 / (2 * 25 * 3))  # sum |xi - xj| / (2 n^2 mean)
    assert equity.gini([7, 7, 7, 7]) == pytest.approx(0.0)
    assert equity.gini([0, 0, 0, 10]) == pytest.approx(0.75)  # (n - 1) / n when one holds everything
    # weights are people: an area of 3 people at 1 is three areas of 1 person at 1
    assert equity.gini([1, 5], [3, 1]) == pytest.approx(equity.gini([1, 1, 1, 5]))
    assert equity.gini([0, 0]) is None and equity.gini([]) is None


def test_bottom_20_share():
    assert equity.bottom_share([1, 2, 3, 4, 5]) == pytest.approx(1 / 15)
    assert equity.bottom_share([3, 3, 3, 3, 3]) == pytest.approx(0.2)
    # the bottom 20 % of 10 people cut through the lower area: 2 of its 4 people at 1 of 10 in all
    assert equity.bottom_share([1, 2], [4, 6]) == pytest.approx(2 * 1 / (4 * 1 + 6 * 2))
    assert equity.summary([0.5, 1.0], [10, 10]) == {"units": 2, "gini": pytest.approx(1 / 6, abs=1e-4),
                                                    "bottom20_share": pytest.approx(4 * 0.5 / 15, abs=1e-4)}  # 4 of 20 people at 0.5


def test_bad_values_are_refused():
    with pytest.raises(ValueError):
        equity.gini([1, -1])
    with pytest.raises(ValueError):
        equity.gini([1, 2], [1])
