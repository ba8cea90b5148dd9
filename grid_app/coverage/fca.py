"""Two-step floating catchment area (2SFCA, Luo & Wang 2003) on the engine's walking distances.

Step 1: each facility's ratio R_j = capacity_j / demand within its catchment.
Step 2: each home's score A_i = sum of R_j over facilities whose catchment holds it.
A home is in a catchment when its walk to the facility is at most the catchment (inclusive).
local_pairs gives the same pairs as catchment_pairs from one call: every facility's bounded pass at once
on the whole graph (few facilities), or one bounded pass over the whole graph and then per-facility passes
on the small subgraph that pass reached (a path within the catchment never leaves it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from grid_app.coverage.engine import PreparedHomes
from grid_app.coverage.graph import Snaps


@dataclass
class Pairs:
    """Every (facility, home) pair within the catchment, with its walking distance in metres."""

    facility: np.ndarray
    home: np.ndarray
    distance_m: np.ndarray


def catchment_pairs(prepared: PreparedHomes, facilities: Snaps, catchment_m: float) -> Pairs:
    """The engine's distance from each facility to every home within catchment_m (one limited pass each)."""
    fac, home, dist = [], [], []
    for j in np.flatnonzero(facilities.snapped):
        d = prepared.distances(facilities.subset(np.array([j])), catchment_m)
        near = np.flatnonzero(np.isfinite(d))
        fac.append(np.full(len(near), j, dtype=np.int64))
        home.append(near)
        dist.append(d[near])
    if not fac:
        return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    return Pairs(np.concatenate(fac), np.concatenate(home), np.concatenate(dist))


DENSE_BYTES = 64 * 2**20  # the per-facility distance rows of one chunk on the subgraph
# Up to this many cells (facilities x graph nodes) the per-facility passes run on the whole graph at
# once: a bounded pass only walks its catchment, and cutting the subgraph out costs more than the rows.
DIRECT_CELLS = 2**20


def _empty() -> Pairs:
    return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


def _pairs_of(d: np.ndarray, ok: np.ndarray, homes: np.ndarray, catchment_m: float) -> tuple:
    """(facility, home, metres) of the cells within the catchment; d is facilities x homes."""
    r, c = np.nonzero(d <= catchment_m)  # row-major: by facility, then home, as catchment_pairs
    return ok[r], homes[c], d[r, c]


def local_pairs(prepared: PreparedHomes, facilities: Snaps, catchment_m: float) -> Pairs:
    """catchment_pairs' result (same pairs, order and distances) in one call (few facilities x nodes), else
    from one whole-graph pass and per-facility passes on the subgraph it reached."""
    ok = np.flatnonzero(facilities.snapped)
    if not len(ok):
        return _empty()
    # One start node per snapped facility; they have no incoming arcs, so one never shortens another's walk.
    with prepared.sources(facilities.subset(ok)) as (csr, src):
        hn = prepared.aug.point_node[0]
        if len(ok) * csr.shape[0] <= DIRECT_CELLS:
            homes = np.flatnonzero(hn >= 0)
            d = (dijkstra(csr, directed=True, indices=src, limit=catchment_m)[:, hn[homes]]
                 + prepared.homes.access_m[homes])
            fac, home, dist = _pairs_of(d, ok, homes, catchment_m)
            return Pairs(fac.astype(np.int64), home.astype(np.int64), dist)
        reach = dijkstra(csr, directed=True, indices=src, min_only=True, limit=catchment_m)
        keep = np.flatnonzero(np.isfinite(reach))
        pos = np.full(csr.shape[0], -1, dtype=np.int64)
        pos[keep] = np.arange(len(keep))
        sub = csr[keep][:, keep]  # a copy: the spare arrays are free again after the block
    homes = np.flatnonzero(hn >= 0)
    homes = homes[pos[hn[homes]] >= 0]  # ascending, like catchment_pairs' np.flatnonzero
    at, access = pos[hn[homes]], prepared.homes.access_m[homes]
    fac, home, dist = [], [], []
    rows = max(1, DENSE_BYTES // (8 * max(len(keep), 1)))
    for start in range(0, len(ok), rows):
        d = dijkstra(sub, directed=True, indices=pos[src[start:start + rows]], limit=catchment_m)[:, at] + access
        f, h, m = _pairs_of(d, ok[start:start + rows], homes, catchment_m)
        fac.append(f)
        home.append(h)
        dist.append(m)
    return Pairs(np.concatenate(fac).astype(np.int64), np.concatenate(home).astype(np.int64), np.concatenate(dist))


def two_step(pairs: Pairs, supply, demand) -> tuple[np.ndarray, np.ndarray]:
    """Scores per home and ratios per facility; a facility with no demand in reach has ratio 0."""
    supply = np.asarray(supply, dtype=np.float64)
    demand = np.asarray(demand, dtype=np.float64)
    reached = np.bincount(pairs.facility, weights=demand[pairs.home], minlength=len(supply))
    ratio = np.divide(supply, reached, out=np.zeros(len(supply)), where=reached > 0)
    score = np.bincount(pairs.home, weights=ratio[pairs.facility], minlength=len(demand))
    return score, ratio
