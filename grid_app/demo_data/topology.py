"""Line-network topology: nodes of a set of lines, noding, dangles, short edges, the graph."""
from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from shapely.geometry import LineString
from shapely.strtree import STRtree

from grid_app.demo_data.constants import RANK


def endpoints(lines):
    """(start, end) coordinates of each line."""
    s = shapely.get_coordinates(shapely.get_point(lines, 0))
    e = shapely.get_coordinates(shapely.get_point(lines, -1))
    return s, e


def node_ids(lines):
    """(node coordinates, start node index, end node index) of the lines."""
    s, e = endpoints(lines)
    n = len(lines)
    nodes, inv = np.unique(np.vstack([s, e]), axis=0, return_inverse=True)
    inv = inv.ravel()
    return nodes, inv[:n], inv[n:]


def prune_dangles(lines, over_tree=None, tol=1e-3, short=0.5, all_dangles=False):
    """Iteratively remove dangling edges (one end of degree 1) that are
    overshoots (free end in over_tree), shorter than `short`, or any dangle."""
    lines = np.asarray(lines, dtype=object)
    keep = np.ones(len(lines), bool)
    while True:
        idx = np.flatnonzero(keep)
        cur = lines[idx]
        nodes, si, ei = node_ids(cur)
        deg = np.bincount(np.concatenate([si, ei]), minlength=len(nodes))
        ds, de = deg[si] == 1, deg[ei] == 1
        if all_dangles:
            rem = ds | de
        else:
            ln = shapely.length(cur)
            rem = (ds | de) & (ln < short)
            if over_tree is not None:
                s, e = endpoints(cur)
                os_ = np.isfinite(over_tree.query(s, distance_upper_bound=tol)[0])
                oe_ = np.isfinite(over_tree.query(e, distance_upper_bound=tol)[0])
                rem |= (ds & os_) | (de & oe_)
        if not rem.any():
            break
        keep[idx[rem]] = False
    return keep


def contract_short(edges, cls, names, min_len=1.0):
    """Contract non-dangling edges shorter than min_len (noding artefacts)
    by merging their end nodes; returns the new (edges, cls, names)."""
    nodes, si, ei = node_ids(edges)
    deg = np.bincount(np.concatenate([si, ei]), minlength=len(nodes))
    ln = shapely.length(edges)
    parent = np.arange(len(nodes))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    short = np.flatnonzero((ln < min_len) & (deg[si] > 1) & (deg[ei] > 1))
    if len(short) == 0:
        return edges, cls, names
    for i in short:
        a, b = find(si[i]), find(ei[i])
        if a != b:
            parent[max(a, b)] = min(a, b)
    out, oc, on = [], [], []
    for i, gm in enumerate(edges):
        a, b = find(si[i]), find(ei[i])
        cs = np.asarray(gm.coords).copy()
        cs[0], cs[-1] = nodes[a], nodes[b]
        if a != si[i] or b != ei[i]:
            # drop interior vertices right next to a moved end node
            d0 = np.hypot(*(cs - cs[0]).T)
            d1 = np.hypot(*(cs - cs[-1]).T)
            inner = np.ones(len(cs), bool)
            inner[1:-1] = (d0[1:-1] > min_len) & (d1[1:-1] > min_len)
            cs = cs[inner]
        keep = [0] + [k for k in range(1, len(cs)) if not np.array_equal(cs[k], cs[k - 1])]
        cs = cs[keep]
        if len(cs) < 2 or a == b:      # collapsed edge or loop: drop
            continue
        out.append(LineString(cs))
        oc.append(cls[i])
        on.append(names[i])
    return (np.asarray(out, dtype=object), np.asarray(oc, dtype=object), np.asarray(on, dtype=object))


def graph(lines):
    """(nodes, start ids, end ids, symmetric sparse matrix of lengths) of the lines."""
    nodes, si, ei = node_ids(lines)
    w = shapely.length(lines)
    n = len(nodes)
    g = coo_matrix((np.concatenate([w, w]), (np.concatenate([si, ei]), np.concatenate([ei, si]))),
                   shape=(n, n)).tocsr()
    return nodes, si, ei, g


def node_and_attr(lines):
    """Node source lines; return segments, class and name arrays."""
    geoms = [g for g, _, _ in lines]
    segs = shapely.get_parts(shapely.union_all(geoms))
    mids = shapely.line_interpolate_point(segs, 0.5, normalized=True)
    tree = STRtree(geoms)
    si, gi = tree.query(mids, predicate="dwithin", distance=1e-6)
    best = np.full(len(segs), -1)
    for a, b in zip(si, gi):
        if best[a] < 0 or RANK[lines[b][1]] < RANK[lines[best[a]][1]] or (
                RANK[lines[b][1]] == RANK[lines[best[a]][1]] and b < best[a]):
            best[a] = b
    if (best < 0).any():
        raise RuntimeError("a noded segment lies on no source line")
    cls = np.array([lines[b][1] for b in best], dtype=object)
    names = np.array([lines[b][2] for b in best], dtype=object)
    return np.asarray(segs, dtype=object), cls, names


def incidence(segs, blocks):
    """(segment index, block index) pairs of the segments on each block's boundary."""
    mids = shapely.line_interpolate_point(segs, 0.5, normalized=True)
    tree = STRtree(shapely.boundary(blocks))
    si, bi = tree.query(mids, predicate="dwithin", distance=1e-6)
    return si, bi


