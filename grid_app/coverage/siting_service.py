"""Where k new facilities of a type would cover the most residents not yet covered (MCLP)."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from grid_app.coverage.graph import snap
from grid_app.coverage.prepared import MAX_ACCESS_M, facility_points, prepared_network
from grid_app.coverage.service import walk
from grid_app.coverage.siting import coverage_matrix, exact_mclp, greedy_exact_ratio, greedy_mclp
from grid_app.platform.errors import InvalidInput


@dataclass
class SitingPlan:
    """The chosen sites in pick order with the residents each adds, and totals."""

    type_code: str
    minutes: float
    sites: list[dict]
    residents_total: float
    covered_before: float
    covered_after: float
    seconds: float
    exact: dict | None = None


def site(session: Session, type_code: str, k: int, minutes, speed_m_s: float,
         candidates_lonlat: np.ndarray | None = None, exact: bool = False,
         exact_time_limit_s: float = 60.0) -> SitingPlan:
    """Lazy-greedy MCLP over candidate points (default: the network's nodes); optionally exact too."""
    if not 1 <= k <= 500:
        raise InvalidInput("k must be between 1 and 500", code="bad_k")
    w = walk(session, type_code, minutes, speed_m_s)
    threshold = w.threshold_m
    started = time.perf_counter()
    net = prepared_network(session)
    if candidates_lonlat is None:
        candidates_lonlat = np.column_stack([net.graph.network.lon, net.graph.network.lat])
    cand = snap(net.graph, candidates_lonlat, MAX_ACCESS_M)
    homes = net.homes
    fac_xy = facility_points(session, w.type_id)
    existing = net.prepared.distances(snap(net.graph, fac_xy, MAX_ACCESS_M), threshold)
    already = np.isfinite(existing)
    cover = coverage_matrix(net.graph, cand, homes.snaps, threshold)
    greedy = greedy_mclp(cover, homes.residents, k, already_covered=already)
    sites = [{"rank": i + 1, "lon": round(float(candidates_lonlat[j, 0]), 7),
              "lat": round(float(candidates_lonlat[j, 1]), 7), "candidate": int(j),
              "residents_added": float(g)}
             for i, (j, g) in enumerate(zip(greedy.selected, greedy.gains))]
    plan = SitingPlan(w.type_code, w.minutes, sites, greedy.total_weight, greedy.already_covered,
                      greedy.already_covered + greedy.covered_weight, time.perf_counter() - started)
    if exact:
        t = time.perf_counter()
        best = exact_mclp(cover, homes.residents, k, already_covered=already, time_limit_s=exact_time_limit_s)
        plan.exact = {"covered_added": best.covered_weight, "optimal": best.optimal, "status": best.status,
                      "greedy_over_exact": round(greedy_exact_ratio(greedy, best), 6),
                      "seconds": round(time.perf_counter() - t, 3)}
    return plan
