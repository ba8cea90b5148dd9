"""Benchmark the 15-minute coverage engine against networkx, the OSMnx ego-graph pattern and pgRouting."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from grid_app.coverage.augment import augment  # noqa: E402
from grid_app.coverage.engine import PreparedHomes, nearest_distances  # noqa: E402
from grid_app.coverage.faces import face_index  # noqa: E402
from grid_app.coverage.graph import WalkGraph, snap  # noqa: E402
from grid_app.coverage.isochrones import isochrones  # noqa: E402
from grid_app.network.synthetic import grid_network, metric_to_lonlat  # noqa: E402

SPEED_M_S = 1.2
LIMIT_M = 15 * 60 * SPEED_M_S  # 1080 m


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def _pgrouting(dsn: str, csr, sources: np.ndarray, limit: float) -> tuple[np.ndarray, float]:
    """pgr_drivingDistance (equicost: nearest start per node) over the same augmented graph."""
    import psycopg2  # only needed when a database is offered

    coo = csr.tocoo()
    conn = psycopg2.connect(dsn)
    try:
        cur = conn.cursor()
        cur.execute("CREATE TEMP TABLE bench_edges (id bigint, source bigint, target bigint, "
                    "cost float8, reverse_cost float8)")
        rows = "\n".join(f"{i + 1}\t{r + 1}\t{c + 1}\t{w!r}\t-1"
                         for i, (r, c, w) in enumerate(zip(coo.row, coo.col, coo.data)))
        import io
        cur.copy_from(io.StringIO(rows), "bench_edges")
        t = time.perf_counter()
        cur.execute("SELECT node, agg_cost FROM pgr_drivingDistance("
                    "'SELECT id, source, target, cost, reverse_cost FROM bench_edges', "
                    "%s::bigint[], %s, directed => true, equicost => true)",
                    ([int(s) + 1 for s in sources], float(limit)))
        result = cur.fetchall()
        seconds = time.perf_counter() - t
    finally:
        conn.close()
    dist = np.full(csr.shape[0], np.inf)
    for node, cost in result:
        dist[int(node) - 1] = min(dist[int(node) - 1], float(cost))
    return dist, seconds


def main() -> None:
    """Run the benchmark and print figures; the last line is one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small network for a smoke run")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    side, n_fac, n_home, ego_sample = (100, 100, 10_000, 10) if args.quick else (320, 500, 50_000, 25)
    spacing = 60.0

    net, t_gen = _timed(grid_network, side, side, spacing_m=spacing, seed=args.seed)
    graph, t_graph = _timed(WalkGraph, net)
    rng = np.random.default_rng(args.seed)
    extent = (side - 1) * spacing

    def points(n):
        lon, lat = metric_to_lonlat(rng.uniform(0, extent, n), rng.uniform(0, extent, n))
        return np.column_stack([lon, lat])

    fac_pts, home_pts = points(n_fac), points(n_home)
    (fs, hs), t_snap = _timed(lambda: (snap(graph, fac_pts, 150.0), snap(graph, home_pts, 150.0)))
    print(f"network: {net.n_nodes} nodes, {net.n_edges} edges; {n_fac} facilities, {n_home} homes "
          f"(generate {t_gen:.2f} s, graph {t_graph:.2f} s, snap {t_snap:.2f} s)")

    runs = [_timed(nearest_distances, graph, fs, hs, LIMIT_M) for _ in range(3)]
    ours, t_single = runs[0][0], min(r[1] for r in runs)
    prepared, t_prep = _timed(PreparedHomes, graph, hs)
    runs = [_timed(prepared.distances, fs, LIMIT_M) for _ in range(3)]
    t_ours = min(r[1] for r in runs)
    if not np.array_equal(runs[0][0], ours):
        raise SystemExit("prepared-homes distances differ from nearest_distances")
    covered = np.isfinite(ours)
    print(f"ours: {t_ours:.3f} s per facility type (one multi-source dijkstra) after a one-off "
          f"{t_prep:.3f} s home split; {t_single:.3f} s for a lone nearest_distances call; "
          f"{covered.mean():.1%} of homes within {LIMIT_M:.0f} m")

    # networkx on the very same augmented graph (search direction: facility -> home).
    aug = augment(graph, [hs, fs], source_sets=[1])
    sources = aug.source_node[1][aug.source_node[1] >= 0]
    home_nodes = aug.point_node[0]
    G, t_nxbuild = _timed(nx.from_scipy_sparse_array, aug.csr, create_using=nx.DiGraph)
    best = np.full(aug.n_nodes, np.inf)
    t = time.perf_counter()
    for s in sources:
        for node, d in nx.single_source_dijkstra_path_length(G, int(s), cutoff=LIMIT_M).items():
            if d < best[node]:
                best[node] = d
    t_nx = time.perf_counter() - t
    nx_dist = np.full(n_home, np.inf)
    ok = home_nodes >= 0
    nx_dist[ok] = best[home_nodes[ok]] + hs.access_m[ok]
    nx_dist[nx_dist > LIMIT_M] = np.inf
    same_nx = bool(np.array_equal(np.isfinite(nx_dist), covered))
    print(f"networkx per-facility single_source_dijkstra_path_length: {t_nx:.2f} s "
          f"(graph build {t_nxbuild:.2f} s not counted); same covered set: {same_nx}")

    # OSMnx pattern: nx.ego_graph per facility (sampled, extrapolated).
    sample = rng.choice(sources, size=min(ego_sample, len(sources)), replace=False)
    t = time.perf_counter()
    egos = [nx.ego_graph(G, int(s), radius=LIMIT_M, distance="weight") for s in sample]
    t_ego = (time.perf_counter() - t) * len(sources) / len(sample)
    same_ego = all(set(e.nodes) == set(nx.single_source_dijkstra_path_length(G, int(s), cutoff=LIMIT_M))
                   for e, s in zip(egos, sample))
    print(f"OSMnx ego_graph pattern: {t_ego:.2f} s extrapolated from {len(sample)} facilities; "
          f"same reach as dijkstra: {same_ego}")

    pg: dict = {"skipped": True}
    dsn = os.environ.get("BENCH_PG_DSN")
    if dsn:
        try:
            pg_best, t_pg = _pgrouting(dsn, aug.csr, sources, LIMIT_M)
            pg_dist = np.full(n_home, np.inf)
            pg_dist[ok] = pg_best[home_nodes[ok]] + hs.access_m[ok]
            pg_dist[pg_dist > LIMIT_M] = np.inf
            pg = {"skipped": False, "seconds": t_pg, "ratio": t_pg / t_ours,
                  "same_covered": bool(np.array_equal(np.isfinite(pg_dist), covered))}
            print(f"pgRouting pgr_drivingDistance: {t_pg:.2f} s; same covered set: {pg['same_covered']}")
        except Exception as exc:  # noqa: BLE001 - any database failure just skips this comparison
            pg = {"skipped": True, "error": f"{type(exc).__name__}: {exc}"}
            print(f"pgRouting skipped: {pg['error']}")
    else:
        print("pgRouting skipped: set BENCH_PG_DSN to a PostgreSQL with pgrouting to include it")

    _, t_faces = _timed(face_index, graph, 40.0)
    iso, t_iso = _timed(isochrones, graph, fs, [LIMIT_M])
    print(f"isochrones: block index {t_faces:.2f} s once per network, then {len(fs)} isochrones "
          f"({LIMIT_M:.0f} m, 40 m buffer) in {t_iso:.2f} s")

    figures = {
        "nodes": int(net.n_nodes), "edges": int(net.n_edges), "facilities": n_fac, "homes": n_home,
        "limit_m": LIMIT_M, "ours_s": round(t_ours, 4), "home_split_s": round(t_prep, 4),
        "ours_single_call_s": round(t_single, 4), "ratio_networkx_single_call": round(t_nx / t_single, 1), "networkx_s": round(t_nx, 3),
        "osmnx_ego_s": round(t_ego, 3), "ratio_networkx": round(t_nx / t_ours, 1),
        "ratio_osmnx": round(t_ego / t_ours, 1), "same_covered_networkx": same_nx,
        "same_reach_ego": same_ego, "pgrouting": pg, "isochrones_s": round(t_iso, 3),
        "isochrone_index_s": round(t_faces, 3), "covered_share": round(float(covered.mean()), 4),
    }
    print(f"ratios: networkx {figures['ratio_networkx']}x, OSMnx pattern {figures['ratio_osmnx']}x")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
