"""Split edges at snapped points so facilities and homes become graph nodes (vectorised)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from grid_app.coverage.graph import Snaps, WalkGraph, csr_from_arcs


@dataclass
class Augmented:
    """The search graph with point nodes; arcs run AGAINST walking direction (facility -> home).

    Searching from facilities over reversed arcs gives, per node, the distance a person walks
    from that node to the nearest facility, which is what coverage means under oneway:foot.
    """

    csr: sparse.csr_matrix
    n_base: int
    point_node: list[np.ndarray]    # per snap set: node of each point, -1 if unsnapped
    source_node: list[np.ndarray]   # per snap set: virtual start node (behind the access leg), -1 if none
    # Pieces of original edges between consecutive nodes, in geometry order (a at t0, b at t1).
    piece_a: np.ndarray
    piece_b: np.ndarray
    piece_edge: np.ndarray
    piece_t0: np.ndarray
    piece_t1: np.ndarray
    piece_len: np.ndarray
    piece_two_way: np.ndarray
    base_node: np.ndarray | None = None  # graph node of each base node, when built over some edges only

    @property
    def n_nodes(self) -> int:
        """Number of nodes of the search graph."""
        return self.csr.shape[0]


def augment(graph: WalkGraph, snap_sets: Sequence[Snaps], source_sets: Sequence[int] = (),
            edges: np.ndarray | None = None) -> Augmented:
    """Insert every snapped point of `snap_sets` as a node; sets in `source_sets` also get start nodes.

    edges: search only these edges (sorted ids, holding every snapped point's edge); their nodes are
    numbered 0.. in id order (Augmented.base_node), pieces keep the graph's edge ids and their order."""
    net = graph.network
    edge = np.concatenate([s.edge for s in snap_sets]) if snap_sets else np.zeros(0, np.int64)
    frac = np.concatenate([s.frac for s in snap_sets]) if snap_sets else np.zeros(0)
    valid = edge >= 0
    if edges is None:
        base_node = None
        n_base, n_edges, net_u, net_v = net.n_nodes, net.n_edges, net.u, net.v
        edge_id, length_m, directed = None, net.length_m, net.directed
    else:
        edge_id = np.asarray(edges, dtype=np.int64)
        base_node = np.unique(np.concatenate([net.u[edge_id], net.v[edge_id]]))
        n_base, n_edges = len(base_node), len(edge_id)
        net_u, net_v = np.searchsorted(base_node, net.u[edge_id]), np.searchsorted(base_node, net.v[edge_id])
        length_m, directed = net.length_m[edge_id], net.directed[edge_id]
        pos = np.searchsorted(edge_id, edge[valid])
        if np.any(pos >= n_edges) or np.any(edge_id[np.minimum(pos, n_edges - 1)] != edge[valid]):
            raise ValueError("edges must hold the edge of every snapped point")
        edge = edge.copy()
        edge[valid] = pos  # positions in `edges` from here on
    n_points = int(valid.sum())
    node = np.full(len(edge), -1, dtype=np.int64)
    node[valid] = n_base + np.arange(n_points)

    # Ties keep set order (stable sort), so a home (set 0) precedes a facility at the same spot
    # and can still walk to it along a one-way edge.
    order = np.lexsort((frac[valid], edge[valid]))
    es, ts, ns = edge[valid][order], frac[valid][order], node[valid][order]
    first = np.ones(n_points, dtype=bool)
    first[1:] = es[1:] != es[:-1]
    last = np.ones(n_points, dtype=bool)
    last[:-1] = es[1:] != es[:-1]
    # Chain along each split edge: u -> p1 -> ... -> pk -> v, in fraction order.
    prev_node = np.where(first, net_u[es], np.roll(ns, 1))
    prev_t = np.where(first, 0.0, np.roll(ts, 1))
    untouched = np.ones(n_edges, dtype=bool)
    untouched[es] = False
    whole = np.flatnonzero(untouched)
    piece_a = np.concatenate([net_u[whole], prev_node, ns[last]])
    piece_b = np.concatenate([net_v[whole], ns, net_v[es[last]]])
    piece_edge = np.concatenate([whole, es, es[last]])
    piece_t0 = np.concatenate([np.zeros(len(whole)), prev_t, ts[last]])
    piece_t1 = np.concatenate([np.ones(len(whole)), ts, np.ones(int(last.sum()))])
    piece_len = (piece_t1 - piece_t0) * length_m[piece_edge]
    two_way = ~directed[piece_edge]
    if edge_id is not None:
        piece_edge = edge_id[piece_edge]

    point_node, source_node = [], []
    start = 0
    src_from, src_to, src_w = [], [], []
    n_total = n_base + n_points
    for i, s in enumerate(snap_sets):
        pn = node[start:start + len(s)]
        start += len(s)
        point_node.append(pn)
        sn = np.full(len(s), -1, dtype=np.int64)
        if i in source_sets:
            ok = pn >= 0
            sn[ok] = n_total + np.arange(int(ok.sum()))
            n_total += int(ok.sum())
            src_from.append(sn[ok])
            src_to.append(pn[ok])
            src_w.append(s.access_m[ok])
        source_node.append(sn)

    # Walking goes a->b always and b->a on two-way pieces; the search runs the other way.
    arc_from = np.concatenate([piece_b, piece_a[two_way], *src_from])
    arc_to = np.concatenate([piece_a, piece_b[two_way], *src_to])
    arc_w = np.concatenate([piece_len, piece_len[two_way], *src_w])
    csr = csr_from_arcs(n_total, arc_from.astype(np.int64), arc_to.astype(np.int64), arc_w)
    return Augmented(csr, n_base, point_node, source_node, piece_a, piece_b, piece_edge,
                     piece_t0, piece_t1, piece_len, two_way, base_node)
