"""The edges a walk of a given length from points on the network can touch: the search of a request, not the city.

Why: an isochrone reaches a few thousand edges; building its search graph over a million costs more
than the search. A node a walk of L metres reaches lies within stretch x L (straight line, metric CRS)
of an end of the start edge, where stretch bounds straight-line span over edge length for every edge;
so the edges touching nodes in that radius hold every shortest path up to L and every reached stretch.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from grid_app.coverage.graph import Snaps, WalkGraph

# Straight-line slack above the network's measured stretch: far above float and projection noise.
_SLACK_M = 1.0
# Above this stretch (edge lengths shorter than their ends' distance: odd data) the whole graph is searched.
_MAX_STRETCH = 2.0


class NodeIndex:
    """Node positions of a graph (metric CRS) in a k-d tree, and the edges at each node."""

    def __init__(self, graph: WalkGraph) -> None:
        net = graph.network
        xy = graph.nodes_xy()
        # The bound holds for these positions whatever the data: it is measured on them, edge by edge.
        span = np.hypot(*(xy[net.u] - xy[net.v]).T)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(span > 0, span / net.length_m, 0.0)
        self.stretch = max(1.0, float(np.max(ratio, initial=0.0)))
        placed_ends = bool(np.isfinite(span).all())  # an edge end without a position: no bound
        self.usable = placed_ends and bool(np.isfinite(self.stretch) and self.stretch <= _MAX_STRETCH)
        placed = np.flatnonzero(np.isfinite(xy).all(axis=1))
        self.tree_node = placed
        self.tree = cKDTree(xy[placed], balanced_tree=False)  # builds in half the time, queries are few
        self.xy = xy
        ends = np.concatenate([net.u, net.v])
        order = np.argsort(ends, kind="stable")
        self.node_edges = np.concatenate([np.arange(net.n_edges)] * 2)[order]
        self.node_ptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=net.n_nodes), out=self.node_ptr[1:])

    def edges_within(self, graph: WalkGraph, snaps: Snaps, reach_m: float) -> np.ndarray | None:
        """Sorted ids of every edge a walk of reach_m from the snapped points can use; None: search everything."""
        if not self.usable or not np.isfinite(reach_m):
            return None
        start = snaps.edge[snaps.snapped]
        if len(start) == 0:
            return np.zeros(0, dtype=np.int64)
        net = graph.network
        ends = np.unique(np.concatenate([net.u[start], net.v[start]]))
        radius = reach_m * self.stretch + _SLACK_M
        found = self.tree.query_ball_point(self.xy[ends], radius, return_sorted=False)
        nodes = self.tree_node[np.concatenate([np.asarray(f, dtype=np.int64) for f in found])]
        nodes = np.unique(np.concatenate([nodes, ends]))
        counts = self.node_ptr[nodes + 1] - self.node_ptr[nodes]
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        edges = self.node_edges[np.repeat(self.node_ptr[nodes], counts) + offset]
        return np.unique(np.concatenate([edges, start]))


def node_index(graph: WalkGraph) -> NodeIndex:
    """The NodeIndex of this graph, built on first use and kept on the graph (one per network version)."""
    found = graph.__dict__.get("_node_index")
    if found is None:
        found = graph.__dict__["_node_index"] = NodeIndex(graph)
    return found
