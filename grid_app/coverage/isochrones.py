"""Walking isochrones: the buffered part of the street network within each distance of a facility."""
from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from grid_app.coverage.augment import Augmented, augment
from grid_app.coverage.faces import face_index
from grid_app.coverage.graph import Snaps, WalkGraph
from grid_app.coverage.neighbourhood import node_index
from grid_app.coverage.substring import LineTable

DEFAULT_BUFFER_M = 40.0
# Rows of the (facilities x nodes) distance matrix held at once: bounds memory (~8 bytes each).
_MAX_MATRIX_CELLS = 16_000_000


def _reached_intervals(aug: Augmented, dist: np.ndarray, incidence: sparse.csr_matrix,
                       thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, threshold index, edge, f0, f1) of every reached stretch of edge, for a block of rows."""
    rows, nodes = np.nonzero(np.isfinite(dist))
    counts = np.diff(incidence.indptr)[nodes]
    row_rep = np.repeat(rows, counts)
    starts = np.repeat(incidence.indptr[nodes], counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    piece = incidence.indices[starts + offset]
    key = np.unique(row_rep.astype(np.int64) * len(aug.piece_a) + piece)
    row, piece = key // len(aug.piece_a), key % len(aug.piece_a)
    da = dist[row, aug.piece_a[piece]]
    db = dist[row, aug.piece_b[piece]]
    length = aug.piece_len[piece]
    two_way = aug.piece_two_way[piece]
    t0, t1 = aug.piece_t0[piece], aug.piece_t1[piece]
    out: list[tuple[np.ndarray, ...]] = []
    for ti, limit in enumerate(thresholds):
        # Metres of the piece reachable from its a end (needs two-way) and from its b end.
        ra = np.where(two_way, limit - da, -np.inf)
        rb = limit - db
        full = (ra >= length) | (rb >= length) | (ra + rb >= length)
        part_a = ~full & (ra > 0)
        part_b = ~full & (rb > 0)
        safe = np.where(length > 0, length, 1.0)
        p0 = np.concatenate([np.zeros(int(full.sum())), np.zeros(int(part_a.sum())),
                             1.0 - rb[part_b] / safe[part_b]])
        p1 = np.concatenate([np.ones(int(full.sum())), ra[part_a] / safe[part_a],
                             np.ones(int(part_b.sum()))])
        sel = np.concatenate([np.flatnonzero(full), np.flatnonzero(part_a), np.flatnonzero(part_b)])
        span = t1[sel] - t0[sel]
        out.append((row[sel], np.full(len(sel), ti), aug.piece_edge[piece[sel]],
                    t0[sel] + p0 * span, t0[sel] + p1 * span))
    return tuple(np.concatenate(parts) for parts in zip(*out))  # type: ignore[return-value]


def _grouped(group: np.ndarray, items: np.ndarray) -> dict[int, np.ndarray]:
    """items split by their group id."""
    order = np.argsort(group, kind="stable")
    group, items = group[order], items[order]
    cuts = np.flatnonzero(np.diff(group)) + 1
    heads = group[np.r_[0, cuts]] if len(group) else []
    return {int(g): part for g, part in zip(heads, np.split(items, cuts))}


def _chains(group: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group, line) after joining each group's pieces end to end into longer lines.

    Why: unioning the buffers is the slow part, and one buffer of a chain replaces one per piece.
    """
    # A zero-length piece (reach ending on a node) still buffers to a disc; line_merge would drop it.
    dot = shapely.length(lines) == 0
    if dot.all():
        return group, lines
    order = np.flatnonzero(~dot)[np.argsort(group[~dot], kind="stable")]
    heads, dense = np.unique(group[order], return_inverse=True)
    merged = shapely.line_merge(shapely.multilinestrings(lines[order], indices=dense))
    parts, owner = shapely.get_parts(merged, return_index=True)
    return np.concatenate([heads[owner], group[dot]]), np.concatenate([parts, lines[dot]])


def _workers(n_tasks: int) -> int:
    """Threads for the per-isochrone unions: one per core, at most one per task."""
    return max(1, min(os.cpu_count() or 1, n_tasks))


def isochrones(graph: WalkGraph, facility_snaps: Snaps, thresholds_m: Sequence[float],
               buffer_m: float = DEFAULT_BUFFER_M, quad_segs: int = 2, use_faces: bool = True,
               local: bool = True) -> np.ndarray:
    """(facilities x thresholds) array of WGS84 polygons; empty for unsnapped facilities.

    Each polygon is the union of buffer_m buffers of every reached stretch of street (partly
    reached edges cut at the exact reach). use_faces fills fully-surrounded narrow blocks as
    whole polygons instead (same shape, much faster; the block index is built once per graph).
    local searches only the edges the walk can touch (neighbourhood.py; same result, time
    proportional to the facilities' surroundings); False searches the whole graph.
    """
    thresholds = np.asarray(thresholds_m, dtype=np.float64)
    if thresholds.ndim != 1 or len(thresholds) == 0 or not np.all(thresholds >= 0):
        raise ValueError(f"thresholds_m must be a non-empty list of distances >= 0, got {thresholds_m}")
    if not buffer_m > 0:
        raise ValueError(f"buffer_m must be > 0, got {buffer_m}")
    n_fac, n_thr = len(facility_snaps), len(thresholds)
    result = np.full(n_fac * n_thr, shapely.Polygon(), dtype=object)
    edges = node_index(graph).edges_within(graph, facility_snaps, float(thresholds.max())) if local else None
    aug = augment(graph, [facility_snaps], source_sets=[0], edges=edges)
    src = aug.source_node[0]
    fac_index = np.flatnonzero(src >= 0)
    if len(fac_index) == 0:
        return result.reshape(n_fac, n_thr)
    n_pieces = len(aug.piece_a)
    incidence = sparse.csr_matrix(
        (np.ones(2 * n_pieces), (np.concatenate([aug.piece_a, aug.piece_b]),
                                 np.concatenate([np.arange(n_pieces)] * 2))),
        shape=(aug.n_nodes, n_pieces))
    block = max(1, _MAX_MATRIX_CELLS // aug.n_nodes)
    parts = []
    for lo in range(0, len(fac_index), block):
        rows = fac_index[lo:lo + block]
        dist = dijkstra(aug.csr, directed=True, indices=src[rows], limit=float(thresholds.max()))
        row, ti, edge, f0, f1 = _reached_intervals(aug, np.atleast_2d(dist), incidence, thresholds)
        parts.append((rows[row] * n_thr + ti, edge, f0, f1))
    group, edge, f0, f1 = (np.concatenate(p) for p in zip(*parts))

    whole = (f0 <= 0.0) & (f1 >= 1.0)
    face_groups: dict[int, np.ndarray] = {}
    if use_faces:
        faces = face_index(graph, buffer_m, quad_segs)
        filled = faces.filled(group[whole], edge[whole])
        keep = ~faces.absorbed(group, edge, filled)
        group, edge, f0, f1, whole = group[keep], edge[keep], f0[keep], f1[keep], whole[keep]
        face_groups = _grouped(filled // faces.n_faces, faces.faces[filled % faces.n_faces])
    geoms = np.empty(len(edge), dtype=object)
    geoms[whole] = graph.edges_xy[edge[whole]]
    # Only the partly reached edges are cut: a table of those, not of the city's streets.
    cut, cut_at = np.unique(edge[~whole], return_inverse=True)
    geoms[~whole] = LineTable(graph.edges_xy[cut]).substrings(cut_at, f0[~whole], f1[~whole])
    line_groups = _grouped(*_chains(group, geoms))

    def merge(g: int) -> None:
        pieces = list(shapely.buffer(line_groups.get(g, []), buffer_m, quad_segs=quad_segs))
        if g in face_groups:
            block_union = shapely.coverage_union_all(face_groups[g])
            pieces.append(shapely.buffer(block_union, buffer_m, quad_segs=quad_segs))
        result[g] = shapely.union_all(pieces)

    # union_all releases the GIL, so groups can share the cores.
    todo = sorted(set(line_groups) | set(face_groups))
    with ThreadPoolExecutor(_workers(len(todo))) as pool:
        list(pool.map(merge, todo))
    return graph.unproject(result).reshape(n_fac, n_thr)
