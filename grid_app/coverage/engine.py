"""Walking distance from each home to the nearest facility of a type: one multi-source Dijkstra."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from grid_app.coverage.augment import augment
from grid_app.coverage.graph import MIN_WEIGHT_M, Snaps, WalkGraph


def _check_limit(limit_m: float) -> None:
    if not limit_m >= 0 or not np.isfinite(limit_m):
        raise ValueError(f"limit_m must be a finite distance >= 0, got {limit_m}")


class PreparedHomes:
    """The graph split at the homes once; each facility type then only adds start arcs."""

    def __init__(self, graph: WalkGraph, home_snaps: Snaps) -> None:
        self.homes = home_snaps
        self.aug = augment(graph, [home_snaps])
        self.length_m = graph.network.length_m
        # Pieces ordered by (edge, t0) so a facility's piece is one searchsorted away.
        self._order = np.lexsort((self.aug.piece_t0, self.aug.piece_edge))
        self._key = self.aug.piece_edge[self._order] + 0.5 * self.aug.piece_t0[self._order]

    def with_sources(self, facilities: Snaps) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Search CSR plus one start node per snapped facility (their indexes), tied to its piece's two ends.

        No home lies strictly inside a piece, so reaching the piece's ends is enough, and a home
        at a piece end gets the direct along-edge distance.
        """
        aug, csr = self.aug, self.aug.csr
        ok = facilities.snapped
        e, t, acc = facilities.edge[ok], facilities.frac[ok], facilities.access_m[ok]
        piece = self._order[np.searchsorted(self._key, e + 0.5 * t, side="right") - 1]
        n_src = len(e)
        src = aug.n_nodes + np.arange(n_src)
        length = self.length_m[e]
        # Walking from the piece's a end to the facility is always allowed (a -> b); from b only two-way.
        two = aug.piece_two_way[piece]
        row = np.concatenate([src, src[two]])
        col = np.concatenate([aug.piece_a[piece], aug.piece_b[piece][two]])
        w = np.concatenate([acc + (t - aug.piece_t0[piece]) * length,
                            acc[two] + (aug.piece_t1[piece][two] - t[two]) * length[two]])
        order = np.argsort(row, kind="stable")
        counts = np.bincount(row - aug.n_nodes, minlength=n_src)
        n = aug.n_nodes + n_src
        indptr = np.concatenate([csr.indptr, csr.indptr[-1] + np.cumsum(counts)]).astype(np.int32)
        out = sparse.csr_matrix((np.concatenate([csr.data, np.maximum(w[order], MIN_WEIGHT_M)]),
                                 np.concatenate([csr.indices, col[order].astype(np.int32)]), indptr),
                                shape=(n, n))
        return out, src

    def distances(self, facilities: Snaps, limit_m: float) -> np.ndarray:
        """Metres each home walks to its nearest facility of `facilities`, inf beyond limit_m."""
        _check_limit(limit_m)
        out = np.full(len(self.homes), np.inf)
        if not facilities.snapped.any():
            return out
        csr, sources = self.with_sources(facilities)
        dist = dijkstra(csr, directed=True, indices=sources, min_only=True, limit=limit_m)
        hn = self.aug.point_node[0]
        ok = hn >= 0
        out[ok] = dist[hn[ok]] + self.homes.access_m[ok]
        out[out > limit_m] = np.inf
        return out


def nearest_distances_by_type(graph: WalkGraph, facilities: Mapping[str, Snaps], home_snaps: Snaps,
                              limit_m: float) -> dict[str, np.ndarray]:
    """Per facility type, metres each home walks to its nearest facility (inf beyond limit_m)."""
    _check_limit(limit_m)
    prepared = PreparedHomes(graph, home_snaps)  # the home split is shared by all types
    return {k: prepared.distances(fs, limit_m) for k, fs in facilities.items()}


def nearest_distances(graph: WalkGraph, facility_snaps: Snaps, home_snaps: Snaps,
                      limit_m: float) -> np.ndarray:
    """Metres each home walks to its nearest facility: access + network + access, inf beyond limit_m."""
    _check_limit(limit_m)
    return PreparedHomes(graph, home_snaps).distances(facility_snaps, limit_m)

