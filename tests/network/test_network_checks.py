"""WalkNetwork's checks (one pass over the flat coordinates) and the graph's projection of its edges."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from grid_app.coverage.graph import WalkGraph
from grid_app.network.model import WalkNetwork, build_network

LON, LAT = np.array([117.49, 117.50, 117.51]), np.array([30.66, 30.66, 30.67])


def network(lines, u=(0, 1), v=(1, 2), **options) -> WalkNetwork:
    return WalkNetwork(node_ids=np.arange(3), lon=LON, lat=LAT, u=np.array(u), v=np.array(v),
                       length_m=np.full(len(u), 100.0), directed=np.zeros(len(u), bool),
                       geometry=np.array(lines, dtype=object), highway=np.full(len(u), "footway", dtype=object),
                       **options)


def good_lines():
    return [LineString([(LON[0], LAT[0]), (117.495, 30.661), (LON[1], LAT[1])]),
            LineString([(LON[1], LAT[1]), (LON[2], LAT[2])])]


def test_a_network_whose_edges_run_from_u_to_v_passes():
    assert network(good_lines()).n_edges == 2


@pytest.mark.parametrize("lines, message", [
    ([LineString([(LON[0], LAT[0]), (LON[1], LAT[1])]), LineString([(LON[2], LAT[2]), (LON[1], LAT[1])])],
     "edge 1: geometry does not run from u to v"),  # reversed
    ([LineString([(LON[0], LAT[0]), (LON[1] + 1e-5, LAT[1])]), LineString([(LON[1], LAT[1]), (LON[2], LAT[2])])],
     "edge 0: geometry does not run from u to v"),  # ends a metre off its node
    ([LineString(), LineString([(LON[1], LAT[1]), (LON[2], LAT[2])])], "edge 0: geometry has fewer than 2 points"),
    ([shapely.Point(LON[0], LAT[0]), LineString([(LON[1], LAT[1]), (LON[2], LAT[2])])], "must be a LineString"),
])
def test_bad_geometry_is_refused(lines, message):
    with pytest.raises(ValueError, match=message):
        network(lines)


def test_without_the_geometry_pass_sizes_and_indexes_are_still_checked():
    reversed_lines = good_lines()[::-1]
    assert network(reversed_lines, check_geometry=False).n_edges == 2  # the cache's own arrays: not re-checked
    with pytest.raises(ValueError, match="out of range"):
        network(good_lines(), u=(0, 3), check_geometry=False)
    with pytest.raises(ValueError, match="rows"):
        network(good_lines()[:1], check_geometry=False)


def test_projected_edges_are_those_of_shapely_transform():
    lines = good_lines()
    net = build_network(np.arange(3), LON, LAT, np.array([0, 1]), np.array([1, 2]), np.array(lines, dtype=object))
    graph = WalkGraph(net)
    assert shapely.equals_exact(graph.edges_xy, graph.project(net.geometry), tolerance=0).all()
    assert shapely.get_num_coordinates(graph.edges_xy).tolist() == [3, 2]
