"""Benchmark MCLP siting: lazy greedy on 10,000 demand x 1,000 candidates, and greedy vs exact (CBC)."""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

from grid_app.coverage.graph import WalkGraph, snap
from grid_app.coverage.siting import coverage_matrix, exact_mclp, greedy_exact_ratio, greedy_mclp
from grid_app.network.synthetic import grid_network, metric_to_lonlat

THRESHOLD_M = 10 * 60 * 1.2  # 10-minute walk


def main() -> None:
    """Run the benchmark and print figures; the last line is one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small instance for a smoke run")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    side, n_dem, n_cand, k = (60, 2_000, 200, 10) if args.quick else (150, 10_000, 1_000, 30)
    small_dem, small_cand, small_k = (500, 60, 5) if args.quick else (2_000, 200, 10)
    spacing = 60.0
    net = grid_network(side, side, spacing_m=spacing, seed=args.seed)
    graph = WalkGraph(net)
    rng = np.random.default_rng(args.seed)
    extent = (side - 1) * spacing

    def points(n):
        lon, lat = metric_to_lonlat(rng.uniform(0, extent, n), rng.uniform(0, extent, n))
        return np.column_stack([lon, lat])

    dem, cand = snap(graph, points(n_dem), 150.0), snap(graph, points(n_cand), 150.0)
    weights = rng.integers(20, 400, n_dem).astype(float)  # residents per building
    t = time.perf_counter()
    cover = coverage_matrix(graph, cand, dem, THRESHOLD_M)
    t_cover = time.perf_counter() - t
    t = time.perf_counter()
    greedy = greedy_mclp(cover, weights, k)
    t_greedy = time.perf_counter() - t
    print(f"{net.n_nodes} nodes; {n_dem} demand x {n_cand} candidates, k={k}, {THRESHOLD_M:.0f} m: "
          f"coverage matrix {t_cover:.2f} s ({cover.nnz} pairs), lazy greedy {t_greedy:.3f} s, "
          f"covers {greedy.covered_weight / greedy.total_weight:.1%} of residents")

    sd, sc = dem.subset(np.arange(small_dem)), cand.subset(np.arange(small_cand))
    small_cover = coverage_matrix(graph, sc, sd, THRESHOLD_M)
    sw = weights[:small_dem]
    t = time.perf_counter()
    g_small = greedy_mclp(small_cover, sw, small_k)
    t_gs = time.perf_counter() - t
    t = time.perf_counter()
    exact = exact_mclp(small_cover, sw, small_k, time_limit_s=120)
    t_exact = time.perf_counter() - t
    ratio = greedy_exact_ratio(g_small, exact)
    print(f"small instance {small_dem} x {small_cand}, k={small_k}: greedy {t_gs:.3f} s, "
          f"exact (CBC, {exact.status}, optimal={exact.optimal}) {t_exact:.2f} s, greedy/exact = {ratio:.4f}")
    print(json.dumps({
        "nodes": int(net.n_nodes), "demand": n_dem, "candidates": n_cand, "k": k,
        "threshold_m": THRESHOLD_M, "coverage_matrix_s": round(t_cover, 3), "greedy_s": round(t_greedy, 4),
        "greedy_share": round(greedy.covered_weight / greedy.total_weight, 4),
        "greedy_gains_non_increasing": bool(np.all(np.diff(greedy.gains) <= 1e-9)),
        "small": {"demand": small_dem, "candidates": small_cand, "k": small_k,
                  "greedy_s": round(t_gs, 4), "exact_s": round(t_exact, 3), "optimal": exact.optimal,
                  "ratio": round(ratio, 5)},
    }))


if __name__ == "__main__":
    main()
