"""Noding a line layer of whole ways: split at shared vertices and same-level crossings, snap near ends.

Works in a metric CRS. A line is split where
- a vertex is the end of any line (ends join whatever passes through them, as OSM ways do),
- a vertex is shared by two lines (or visited twice by one) on the same level,
- two lines on the same level cross between vertices,
never where only lines on different levels (``layer``/``bridge``/``tunnel``) meet: a bridge over a
road makes no junction. Ends that almost meet (within ``snap_m``) are joined first: to another end
on any level, else to the nearest line on their own level.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

# Points closer than this are one node (the crossing of three lines computed pairwise differs by ~1e-10 m).
NODE_CELL_M = 0.01


@dataclass
class Noded:
    """Pieces of the input lines between nodes: source line, end nodes, geometry (metric)."""

    geometry: np.ndarray  # LineStrings in the metric CRS
    source: np.ndarray    # index of the input line each piece comes from
    u: np.ndarray
    v: np.ndarray
    node_xy: np.ndarray   # (n, 2)
    snapped_ends: int     # ends moved to meet another line


def _snap_ends(coords, line, local, counts, level, snap_m) -> tuple[list, int]:
    """Move ends within snap_m of another end (any level) or line (same level); return split events."""
    ends = np.flatnonzero((local == 0) | (local == counts[line] - 1))
    if snap_m <= 0 or len(ends) == 0:
        return [], 0
    # Only a dangling end moves: one that touches no vertex of another line (or of itself elsewhere).
    dangling = ends[_alone(coords)[ends]]
    moved = 0
    others = ends[~_alone(coords)[ends]]
    if len(dangling) and len(others):
        # To a junction or joined end within reach.
        dist, j = cKDTree(coords[others]).query(coords[dangling], distance_upper_bound=snap_m)
        hit = np.isfinite(dist)
        coords[dangling[hit]] = coords[others[j[hit]]]
        moved += int(hit.sum())
        dangling = dangling[~hit]
    if len(dangling) > 1:
        # Dangling ends near each other: join each cluster at its first member.
        pairs = cKDTree(coords[dangling]).query_pairs(snap_m, output_type="ndarray")
        if len(pairs):
            n = len(dangling)
            graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
            _, label = connected_components(graph, directed=False)
            first = np.full(label.max() + 1, n)
            np.minimum.at(first, label, np.arange(n))
            target = coords[dangling[first[label]]]
            shift = (target != coords[dangling]).any(axis=1)
            coords[dangling] = target
            moved += int(shift.sum())
    # End to line: a still dangling end near a line of its own level.
    dangling = ends[_alone(coords)[ends]]
    if len(dangling) == 0:
        return [], moved
    seg = np.flatnonzero(local < counts[line] - 1)  # segment s runs coords[s] -> coords[s + 1]
    a, b = coords[seg], coords[seg + 1]
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    qi, si = tree.query(shapely.points(coords[dangling]), predicate="dwithin", distance=snap_m)
    ok = (line[seg[si]] != line[dangling[qi]]) & (level[line[seg[si]]] == level[line[dangling[qi]]])
    qi, si = qi[ok], si[ok]
    if len(qi) == 0:
        return [], moved
    p = coords[dangling[qi]]
    d = b[si] - a[si]
    dd = np.einsum("ij,ij->i", d, d)
    t = np.clip(np.divide(np.einsum("ij,ij->i", p - a[si], d), dd, out=np.zeros(len(dd)), where=dd > 0), 0, 1)
    q = a[si] + t[:, None] * d
    dist = np.hypot(*(q - p).T)
    order = np.lexsort((dist, qi))
    best = order[np.r_[True, qi[order][1:] != qi[order][:-1]]]
    best = best[dist[best] > 0]
    coords[dangling[qi[best]]] = q[best]
    events = [line[seg[si[best]]], local[seg[si[best]]] + t[best], q[best]]
    return events, moved + len(best)


def _alone(coords: np.ndarray) -> np.ndarray:
    """True for each vertex that no other vertex shares."""
    _, vid, occurrences = np.unique(_cells(coords), axis=0, return_inverse=True, return_counts=True)
    return occurrences[vid.ravel()] == 1


def _cells(xy: np.ndarray) -> np.ndarray:
    return np.floor(xy / NODE_CELL_M).astype(np.int64)


def _crossings(coords, line, local, counts, level) -> list:
    """Split events where two segments on the same level cross (or touch) between vertices."""
    seg = np.flatnonzero(local < counts[line] - 1)
    a, b = coords[seg], coords[seg + 1]
    tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
    i, j = tree.query(tree.geometries, predicate="intersects")
    li, lj = line[seg[i]], line[seg[j]]
    keep = (i < j) & (level[li] == level[lj]) & ~((li == lj) & (np.abs(local[seg[i]] - local[seg[j]]) <= 1))
    i, j, li, lj = i[keep], j[keep], li[keep], lj[keep]
    r, s = b[i] - a[i], b[j] - a[j]
    qp = a[j] - a[i]
    denom = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    ok = denom != 0  # collinear overlaps are left alone: their shared vertices already join them
    denom = np.where(ok, denom, 1.0)
    t = (qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / denom
    u = (qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / denom
    ok &= (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1)
    t, u, i, j, li, lj = t[ok], u[ok], i[ok], j[ok], li[ok], lj[ok]
    point = a[i] + t[:, None] * r[ok]
    return [np.r_[li, lj], np.r_[local[seg[i]] + t, local[seg[j]] + u], np.vstack([point, point])]


def node_lines(lines_xy: np.ndarray, level: np.ndarray, snap_m: float = 0.5) -> Noded:
    """Split metric LineStrings into edges between junctions (see the module docstring)."""
    lines_xy = np.asarray(lines_xy, dtype=object)
    level = np.asarray(level, dtype=np.int64)
    coords, line = shapely.get_coordinates(lines_xy, return_index=True)
    counts = np.bincount(line, minlength=len(lines_xy))
    start = np.r_[0, np.cumsum(counts)[:-1]]
    local = np.arange(len(coords)) - start[line]
    snap_events, snapped = _snap_ends(coords, line, local, counts, level, snap_m)

    # Vertex splits: ends, and vertices met twice on one level.
    is_end = (local == 0) | (local == counts[line] - 1)
    _, vid = np.unique(_cells(coords), axis=0, return_inverse=True)
    vid = vid.ravel()
    end_at = np.zeros(vid.max() + 1, dtype=bool)
    end_at[vid[is_end]] = True
    _, vl, vl_count = np.unique(np.column_stack([vid, level[line]]), axis=0, return_inverse=True,
                                return_counts=True)
    split = end_at[vid] | (vl_count[vl.ravel()] >= 2)
    parts = [[line[split], local[split].astype(np.float64), coords[split]], _crossings(coords, line, local, counts, level)]
    if snap_events:
        parts.append(snap_events)
    ev_line = np.concatenate([p[0] for p in parts]).astype(np.int64)
    ev_param = np.concatenate([p[1] for p in parts])
    ev_xy = np.vstack([p[2] for p in parts])
    order = np.lexsort((ev_param, ev_line))
    ev_line, ev_param, ev_xy = ev_line[order], ev_param[order], ev_xy[order]
    fresh = np.r_[True, (ev_line[1:] != ev_line[:-1]) | (ev_param[1:] - ev_param[:-1] > 1e-12)]
    ev_line, ev_param, ev_xy = ev_line[fresh], ev_param[fresh], ev_xy[fresh]

    # Nodes: one per cell, except that interior splits on different levels stay apart.
    cell = _cells(ev_xy)
    _, loc = np.unique(cell, axis=0, return_inverse=True)
    loc = loc.ravel()
    ev_end = (ev_param == 0) | (ev_param == (counts[ev_line] - 1))
    loc_end = np.zeros(loc.max() + 1, dtype=bool)
    loc_end[loc[ev_end]] = True
    node_level = np.where(loc_end[loc], -(2 ** 40), level[ev_line])
    first_of, node = np.unique(np.column_stack([loc, node_level]), axis=0, return_index=True,
                               return_inverse=True)[1:]
    node = node.ravel()
    node_xy = ev_xy[first_of]

    # Pieces between consecutive events of a line: event point, the vertices strictly between, event point.
    k = np.flatnonzero(ev_line[1:] == ev_line[:-1])
    src = ev_line[k]
    lo = np.floor(ev_param[k]).astype(np.int64) + 1
    hi = np.ceil(ev_param[k + 1]).astype(np.int64) - 1
    inner = np.maximum(hi - lo + 1, 0)
    sizes = inner + 2
    piece = np.repeat(np.arange(len(k)), sizes)
    offset = np.arange(len(piece)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    vertex = start[src][piece] + lo[piece] + offset - 1
    xy = coords[np.clip(vertex, 0, len(coords) - 1)]
    first = offset == 0
    last = offset == sizes[piece] - 1
    xy[first] = node_xy[node[k]]
    xy[last] = node_xy[node[k + 1]]
    geometry = shapely.linestrings(xy, indices=piece)
    u, v = node[k], node[k + 1]
    keep = shapely.length(geometry) > 0  # two events at one point make an empty piece
    return Noded(geometry[keep], src[keep], u[keep], v[keep], node_xy, snapped)
