"""Maximal coverage location (MCLP): pick k new sites covering the most uncovered residents."""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pulp
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from grid_app.coverage.augment import augment
from grid_app.coverage.graph import Snaps, WalkGraph

_MAX_MATRIX_CELLS = 16_000_000  # rows of candidate x node distances held at once
_GAIN_EPS = 1e-9


@dataclass
class SitingResult:
    """Chosen candidate indices in pick order, the weight each added, and totals."""

    selected: np.ndarray
    gains: np.ndarray
    covered_weight: float    # newly covered by the selected sites
    already_covered: float   # covered by existing facilities before siting
    total_weight: float
    optimal: bool | None = None  # exact solver only: proven optimal (False on time limit)
    status: str = ""


def coverage_matrix(graph: WalkGraph, candidate_snaps: Snaps, demand_snaps: Snaps,
                    threshold_m: float) -> sparse.csr_matrix:
    """Boolean candidate x demand CSR: demand i walks to candidate j within threshold_m."""
    if not threshold_m >= 0 or not np.isfinite(threshold_m):
        raise ValueError(f"threshold_m must be a finite distance >= 0, got {threshold_m}")
    n_c, n_d = len(candidate_snaps), len(demand_snaps)
    aug = augment(graph, [demand_snaps, candidate_snaps], source_sets=[1])
    src = aug.source_node[1]
    cand = np.flatnonzero(src >= 0)
    dn = aug.point_node[0]
    dem = np.flatnonzero(dn >= 0)
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    block = max(1, _MAX_MATRIX_CELLS // aug.n_nodes)
    for lo in range(0, len(cand), block):
        c = cand[lo:lo + block]
        dist = np.atleast_2d(dijkstra(aug.csr, directed=True, indices=src[c], limit=threshold_m))
        total = dist[:, dn[dem]] + demand_snaps.access_m[dem]
        r, k = np.nonzero(total <= threshold_m)
        rows.append(c[r])
        cols.append(dem[k])
    r, k = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(r), dtype=bool), (r, k)), shape=(n_c, n_d))


def _prepare(cover: sparse.csr_matrix, weights: np.ndarray, already: np.ndarray | None
             ) -> tuple[sparse.csr_matrix, np.ndarray, float, float]:
    """Validated cover, weights zeroed where already covered, already-covered and total weight."""
    cover = sparse.csr_matrix(cover, dtype=bool)
    cover.sum_duplicates()
    w = np.asarray(weights, dtype=np.float64).copy()
    if w.shape != (cover.shape[1],):
        raise ValueError(f"weights has shape {w.shape}, expected ({cover.shape[1]},)")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and >= 0")
    total = float(w.sum())
    base = 0.0
    if already is not None:
        already = np.asarray(already, dtype=bool)
        if already.shape != w.shape:
            raise ValueError(f"already_covered has shape {already.shape}, expected {w.shape}")
        base = float(w[already].sum())
        w[already] = 0.0
    return cover, w, base, total


def greedy_mclp(cover: sparse.csr_matrix, weights: np.ndarray, k: int,
                already_covered: np.ndarray | None = None) -> SitingResult:
    """Lazy greedy MCLP: stops early when no candidate adds weight; within 1 - 1/e of optimal."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    cover, w, base, total = _prepare(cover, weights, already_covered)
    indptr, indices = cover.indptr, cover.indices
    gains0 = cover.astype(np.float64) @ w
    heap = [(-g, j) for j, g in enumerate(gains0) if g > _GAIN_EPS]
    heapq.heapify(heap)
    uncovered = w > 0
    selected: list[int] = []
    gains: list[float] = []
    while len(selected) < k and heap:
        _, j = heapq.heappop(heap)
        cols = indices[indptr[j]:indptr[j + 1]]
        cols = cols[uncovered[cols]]
        gain = float(w[cols].sum())
        # Gains only shrink as coverage grows, so a fresh gain >= every stale bound is the maximum.
        if heap and gain < -heap[0][0] - _GAIN_EPS:
            if gain > _GAIN_EPS:
                heapq.heappush(heap, (-gain, j))
            continue
        if gain <= _GAIN_EPS:
            break
        selected.append(j)
        gains.append(gain)
        uncovered[cols] = False
    return SitingResult(np.asarray(selected, dtype=np.int64), np.asarray(gains), float(sum(gains)),
                        base, total, status="greedy")


def exact_mclp(cover: sparse.csr_matrix, weights: np.ndarray, k: int,
               already_covered: np.ndarray | None = None, time_limit_s: float = 60.0) -> SitingResult:
    """MCLP as an integer program solved by CBC (bundled with PuLP); for small instances."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    cover, w, base, total = _prepare(cover, weights, already_covered)
    # Demand points with the same set of covering candidates merge into one weighted row.
    by_demand = cover.T.tocsr()
    groups: dict[bytes, float] = {}
    members: dict[bytes, np.ndarray] = {}
    for i in np.flatnonzero(w > 0):
        cands = by_demand.indices[by_demand.indptr[i]:by_demand.indptr[i + 1]]
        if len(cands) == 0:
            continue
        key = np.sort(cands).tobytes()
        groups[key] = groups.get(key, 0.0) + w[i]
        members.setdefault(key, np.sort(cands))
    useful = np.unique(np.concatenate(list(members.values()))) if members else np.zeros(0, np.int64)
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    # PuLP >= 3 attaches variables to the model; older PuLP (setup.cfg allows 2.8) lacks add_variable.
    new_var = getattr(prob, "add_variable", pulp.LpVariable)
    x = {int(j): new_var(f"x{j}", cat=pulp.LpBinary) for j in useful}
    y = [new_var(f"y{g}", lowBound=0, upBound=1) for g in range(len(groups))]
    prob += pulp.lpSum(wt * y[g] for g, wt in enumerate(groups.values()))
    prob += pulp.lpSum(x.values()) <= k
    for g, key in enumerate(groups):
        prob += y[g] <= pulp.lpSum(x[int(j)] for j in members[key])
    if not x:
        return SitingResult(np.zeros(0, np.int64), np.zeros(0), 0.0, base, total, True, "empty")
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s))
    status = pulp.LpStatus[prob.status]
    chosen = np.asarray(sorted(j for j, var in x.items() if (var.value() or 0) > 0.5), dtype=np.int64)
    covered = np.zeros(len(w), dtype=bool)
    if len(chosen):
        covered[np.unique(cover[chosen].indices)] = True
    optimal = prob.sol_status == pulp.LpSolutionOptimal
    return SitingResult(chosen, np.zeros(0), float(w[covered].sum()), base, total, optimal, status)


def greedy_exact_ratio(greedy: SitingResult, exact: SitingResult) -> float:
    """Greedy newly-covered weight over the exact one (1.0 when both cover nothing)."""
    if exact.covered_weight <= 0:
        return 1.0
    return greedy.covered_weight / exact.covered_weight
