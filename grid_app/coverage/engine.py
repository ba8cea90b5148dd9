"""Walking distance from each home to the nearest facility of a type: one multi-source Dijkstra."""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from grid_app.coverage.augment import Augmented, augment
from grid_app.coverage.graph import MIN_WEIGHT_M, Snaps, WalkGraph


def _check_limit(limit_m: float) -> None:
    if not limit_m >= 0 or not np.isfinite(limit_m):
        raise ValueError(f"limit_m must be a finite distance >= 0, got {limit_m}")


class PreparedHomes:
    """The graph split at the homes once; each facility type then only adds start arcs."""

    def __init__(self, graph: WalkGraph, home_snaps: Snaps, split: Augmented | None = None) -> None:
        """`split`: the graph already split at these homes (the disk cache's), else split here (1 s at 1M edges)."""
        self.homes = home_snaps
        self.aug = split if split is not None else augment(graph, [home_snaps])
        self.length_m = graph.network.length_m
        # Pieces ordered by (edge, t0) so a facility's piece is one searchsorted away.
        self._order = np.lexsort((self.aug.piece_t0, self.aug.piece_edge))
        self._key = self.aug.piece_edge[self._order] + 0.5 * self.aug.piece_t0[self._order]
        # The homes on the graph: their node and access leg, gathered once instead of per pass.
        hn = self.aug.point_node[0]
        self._home_at = np.flatnonzero(hn >= 0)
        self._home_node = hn[self._home_at]
        self._home_access = home_snaps.access_m[self._home_at]
        self._spare = _Spare(self.aug)
        self.aug.csr = self._spare.routing()  # the routing arcs live once, in the spare's arrays

    def _start_arcs(self, facilities: Snaps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per snapped facility its start arcs' count, and the arcs' heads and weights grouped by facility.

        Each start node is tied to its piece's two ends: no home lies strictly inside a piece, so
        reaching the piece's ends is enough, and a home at a piece end gets the direct along-edge distance."""
        aug = self.aug
        ok = facilities.snapped
        e, t, acc = facilities.edge[ok], facilities.frac[ok], facilities.access_m[ok]
        piece = self._order[np.searchsorted(self._key, e + 0.5 * t, side="right") - 1]
        n_src = len(e)
        length = self.length_m[e]
        # Walking from the piece's a end to the facility is always allowed (a -> b); from b only two-way.
        two = aug.piece_two_way[piece]
        row = np.concatenate([np.arange(n_src), np.arange(n_src)[two]])
        col = np.concatenate([aug.piece_a[piece], aug.piece_b[piece][two]])
        w = np.concatenate([acc + (t - aug.piece_t0[piece]) * length,
                            acc[two] + (aug.piece_t1[piece][two] - t[two]) * length[two]])
        order = np.argsort(row, kind="stable")
        return (np.bincount(row, minlength=n_src), col[order].astype(np.int32),
                np.maximum(w[order], MIN_WEIGHT_M))

    def with_sources(self, facilities: Snaps) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Search CSR plus one start node per snapped facility (their indexes), in new arrays of its own."""
        aug, csr = self.aug, self.aug.csr
        counts, col, w = self._start_arcs(facilities)
        n = aug.n_nodes + len(counts)
        indptr = np.concatenate([csr.indptr, csr.indptr[-1] + np.cumsum(counts)]).astype(np.int32)
        out = sparse.csr_matrix((np.concatenate([csr.data, w]), np.concatenate([csr.indices, col]), indptr),
                                shape=(n, n))
        return out, aug.n_nodes + np.arange(len(counts))

    @contextmanager
    def sources(self, facilities: Snaps) -> Iterator[tuple[sparse.csr_matrix, np.ndarray]]:
        """with_sources' graph for the block's passes: the start arcs written after the routing arcs' copy
        held for them (no copy of the whole network per pass) when it is free and roomy, else new arrays."""
        counts, col, w = self._start_arcs(facilities)
        spare = self._spare
        if len(col) > spare.room or len(counts) > spare.room or not spare.lock.acquire(blocking=False):
            yield self.with_sources(facilities)
            return
        try:
            yield spare.graph(counts, col, w), self.aug.n_nodes + np.arange(len(counts))
        finally:
            spare.lock.release()

    def distances(self, facilities: Snaps, limit_m: float) -> np.ndarray:
        """Metres each home walks to its nearest facility of `facilities`, inf beyond limit_m."""
        _check_limit(limit_m)
        out = np.full(len(self.homes), np.inf)
        if not facilities.snapped.any():
            return out
        with self.sources(facilities) as (csr, sources):
            dist = dijkstra(csr, directed=True, indices=sources, min_only=True, limit=limit_m)
        out[self._home_at] = dist[self._home_node] + self._home_access
        out[out > limit_m] = np.inf
        return out


class _Spare:
    """The routing CSR's arrays copied once with room after them, where one pass at a time writes its start arcs.

    Building the search graph by concatenation copied every arc of the network for each pass (a
    large share of a bounded pass at a city's size); this copies only the start arcs. The base part
    is never written after construction (the home split's routing CSR is a view of it), so a pass
    reading it while the next one waits is safe."""

    ROOM = 8192  # start arcs (two per facility at most): a scenario's planned sites, a community's catchments
    __slots__ = ("n", "nnz", "room", "data", "indices", "indptr", "lock")

    def __init__(self, aug) -> None:
        csr = aug.csr
        self.n, self.nnz, self.room = aug.n_nodes, csr.nnz, self.ROOM
        self.data = np.concatenate([csr.data, np.zeros(self.room)])
        self.indices = np.concatenate([csr.indices, np.zeros(self.room, dtype=np.int32)]).astype(np.int32)
        self.indptr = np.concatenate([csr.indptr, np.zeros(self.room, dtype=np.int32)]).astype(np.int32)
        self.lock = threading.Lock()

    def __eq__(self, other) -> bool:
        """The same routing arcs (the room after them is scratch)."""
        return (isinstance(other, _Spare) and (self.n, self.nnz, self.room) == (other.n, other.nnz, other.room)
                and all(np.array_equal(getattr(self, k)[:end], getattr(other, k)[:end])
                        for k, end in (("data", self.nnz), ("indices", self.nnz), ("indptr", self.n + 1))))

    __hash__ = None

    def routing(self) -> sparse.csr_matrix:
        """The routing CSR on the base part of the arrays (a view: no second copy of the network's arcs)."""
        return sparse.csr_matrix((self.data[:self.nnz], self.indices[:self.nnz], self.indptr[:self.n + 1]),
                                 shape=(self.n, self.n), copy=False)

    def graph(self, counts: np.ndarray, col: np.ndarray, w: np.ndarray) -> sparse.csr_matrix:
        """The routing arcs plus these start nodes' arcs (the caller holds the lock while it is used)."""
        m, k = len(col), len(counts)
        self.data[self.nnz:self.nnz + m], self.indices[self.nnz:self.nnz + m] = w, col
        self.indptr[self.n + 1:self.n + 1 + k] = self.nnz + np.cumsum(counts)
        size = self.n + k
        return sparse.csr_matrix((self.data[:self.nnz + m], self.indices[:self.nnz + m], self.indptr[:size + 1]),
                                 shape=(size, size), copy=False)


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

