"""Step 5: the walking network — roads, ring roads, paths between rows, gates, entrance stubs and
park paths — noded into one connected graph of edges at most MAX_EDGE long."""
from __future__ import annotations

import math

import numpy as np
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from grid_app.demo_data.constants import MAX_EDGE, ROAD_CLASSES
from grid_app.demo_data.topology import contract_short, graph, node_and_attr, prune_dangles


def walking_network(net_lines, over_pts, log) -> list[tuple]:
    """Node every line; returns the edges as (coordinates, highway, name)."""
    log(f"noding {len(net_lines)} lines")
    edges, ecls, enames = node_and_attr(list(net_lines))
    # ends meant to overshoot (paths drawn a little past the line they join) are cut back
    over_tree = cKDTree(np.array(over_pts)) if over_pts else None
    keep = prune_dangles(edges, over_tree=over_tree, tol=1e-3, short=0.5)
    edges, ecls, enames = edges[keep], ecls[keep], enames[keep]
    n0 = len(edges)
    edges, ecls, enames = contract_short(edges, ecls, enames, 1.0)
    log(f"contracted {n0 - len(edges)} edges shorter than 1 m")
    # drop near-duplicate vertices (keeps end points)
    edges = np.asarray(shapely.simplify(edges, 0.1, preserve_topology=False), dtype=object)
    keep = _main_component(edges, ecls, log)
    out_edges = []
    for gm, h, n in zip(edges[keep], ecls[keep], enames[keep]):
        for pc in _split_long(np.asarray(gm.coords), gm.length):
            out_edges.append((pc, h, n))
    return out_edges


def _main_component(edges, ecls, log):
    """Mask of the edges in the longest connected component (the other fragments are paths only)."""
    _nodes, s_i, _e_i, g = graph(edges)
    ncomp, lab = connected_components(g, directed=False)
    elab = lab[s_i]
    comp_len = np.bincount(elab, weights=shapely.length(edges), minlength=ncomp)
    main = int(np.argmax(comp_len))
    dropped = int((elab != main).sum())
    dropped_roads = int(sum(1 for i in np.flatnonzero(elab != main) if ecls[i] in ROAD_CLASSES))
    if dropped_roads:
        raise RuntimeError("street network itself is not connected")
    log(f"network: {int((elab == main).sum())} noded edges, {dropped} edges in {ncomp - 1} detached fragments dropped")
    return elab == main


def _split_long(cs, L):
    """A polyline of length L cut into equal pieces of at most MAX_EDGE."""
    k = int(math.ceil(L / MAX_EDGE - 1e-9)) if L > MAX_EDGE else 1
    if k == 1:
        return [cs]
    seg = np.hypot(*(cs[1:] - cs[:-1]).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    cuts = [L * j / k for j in range(1, k)]
    pieces, cur = [], [cs[0]]
    ci = 1
    for cut in cuts:
        while ci < len(cs) and cum[ci] <= cut:
            if cum[ci] < cut:
                cur.append(cs[ci])
            ci += 1
        a = cs[ci - 1]
        bpt = cs[ci] if ci < len(cs) else cs[-1]
        sl = cum[ci] - cum[ci - 1] if ci < len(cs) else 1.0
        t = (cut - cum[ci - 1]) / sl if sl > 0 else 0.0
        p = a + (bpt - a) * t
        cur.append(p)
        pieces.append(np.array(cur))
        cur = [p]
    cur += list(cs[ci:])
    pieces.append(np.array(cur))
    return pieces
