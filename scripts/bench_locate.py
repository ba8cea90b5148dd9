"""Benchmark: locating points through the batch path, against shapely peers in the same run.

"ours" is the steady state (index loaded); "ours cold" includes loading the index from PostGIS,
which happens once after each change to the hierarchy. The STRtree peer builds its trees each run.

For the demo district and a generated city (>= 50,000 buildings) loaded into scratch databases of
the local cluster: 200,000 random points are located by grid_app (batches of 10,000, as
POST /api/v1/locate takes them), by (a) a naive shapely loop over every polygon (on a sample,
extrapolated) and (b) a shapely 2 STRtree with vectorised predicates. The answers are compared.
Prints points/s and ratios; the last line is one JSON object.

    .venv/bin/python scripts/bench_locate.py [--points 200000] [--city-scale 30] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import shapely
from pyproj import Transformer

from grid_app import create_app
from grid_app.platform import localdb
from grid_app.demo_data import generate, write
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.places.locate import locate_many
from grid_app.platform.reference import seed_reference_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = ("streets", "communities", "grids", "residential_areas", "buildings")
SNAP_M = 30.0
BATCH = 10_000


def load_district(name: str, folder: str):
    """A fresh scratch database with the district's layers; returns the app."""
    from flask_migrate import upgrade
    url = localdb.ensure_database(f"grid_app_bench_{name}", fresh=True)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        t = time.perf_counter()
        import_files(db.session, [os.path.join(folder, f"{layer}.geojson") for layer in LAYERS])
        print(f"[{name}] imported in {time.perf_counter() - t:.1f} s")
    return app


def city_folder(scale: float) -> str:
    """Generate (once) a synthetic city with the demo generator at the given scale."""
    folder = os.path.join(ROOT, "bench-data", f"city-{scale:g}")
    if not os.path.exists(os.path.join(folder, "buildings.geojson")):
        write(folder, generate(seed=11, scale=scale))
    return folder


def load_polygons(table: str):
    """(codes, polygons) of a layer, in code order."""
    rows = db.session.execute(db.text(f"SELECT code, ST_AsBinary(geom) FROM {table} ORDER BY code")).all()
    return np.array([r[0] for r in rows], dtype=object), shapely.from_wkb([bytes(r[1]) for r in rows])


def random_points(n: int, seed: int = 1) -> np.ndarray:
    """Uniform points over the street's bounding box, a little enlarged so some fall outside."""
    minx, miny, maxx, maxy = db.session.execute(db.text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM street) s")).one()
    pad = 0.002
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(minx - pad, maxx + pad, n), rng.uniform(miny - pad, maxy + pad, n)])


def ours(points: np.ndarray) -> tuple[float, list]:
    """grid_app's batch path; returns seconds and the grid/area/building codes per point."""
    t = time.perf_counter()
    out = []
    for start in range(0, len(points), BATCH):
        chunk = points[start:start + BATCH]
        out.extend(locate_many(db.session, chunk[:, 0], chunk[:, 1], SNAP_M))
    seconds = time.perf_counter() - t
    return seconds, [(p.grid.code if p.grid else None,
                      p.residential_area.code if p.residential_area else None,
                      p.building.code if p.building else None) for p in out]


def strtree(points: np.ndarray, layers: dict) -> tuple[float, list]:
    """Peer (b): STRtree per layer, vectorised covered_by, smallest code on ties, metric snapping."""
    t = time.perf_counter()
    pts = shapely.points(points)
    answers = {}
    for name, (codes, polys) in layers.items():
        tree = shapely.STRtree(polys)
        qi, ti = tree.query(pts, predicate="covered_by")
        best = np.full(len(pts), -1, dtype=np.int64)
        order = np.lexsort((ti, qi))  # codes are sorted, so the smallest index is the smallest code
        qi, ti = qi[order], ti[order]
        first = np.r_[True, qi[1:] != qi[:-1]]
        best[qi[first]] = ti[first]
        if name == "grid":
            missing = np.flatnonzero(best < 0)
            if len(missing):
                crs = 32650
                fwd = Transformer.from_crs(4326, crs, always_xy=True)
                proj = lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))  # noqa: E731
                mtree = shapely.STRtree(shapely.transform(polys, proj))
                (mi, mt) = mtree.query_nearest(shapely.transform(pts[missing], proj), max_distance=SNAP_M,
                                               all_matches=False)
                best[missing[mi]] = mt
        answers[name] = np.where(best >= 0, codes[np.maximum(best, 0)], None)
    seconds = time.perf_counter() - t
    return seconds, list(zip(answers["grid"], answers["residential_area"], answers["building"]))


def naive(points: np.ndarray, layers: dict) -> tuple[float, list]:
    """Peer (a): a Python loop over every polygon of every layer (no index)."""
    t = time.perf_counter()
    out = []
    for x, y in points:
        p = shapely.Point(x, y)
        row = []
        for name in ("grid", "residential_area", "building"):
            codes, polys = layers[name]
            row.append(next((codes[i] for i in range(len(polys)) if polys[i].covers(p)), None))
        out.append(tuple(row))
    return time.perf_counter() - t, out


def run(name: str, folder: str, n: int, naive_sample: int) -> dict:
    """Benchmark one district."""
    app = load_district(name, folder)
    with app.app_context():
        points = random_points(n)
        layers = {t: load_polygons(t) for t in ("grid", "residential_area", "building")}
        buildings = len(layers["building"][0])
        cold_s, _ = ours(points)  # includes loading the index from PostGIS, as the first batch after a change does
        ours_s, ours_ans = ours(points)
        tree_s, tree_ans = strtree(points, layers)
        sample = points[:naive_sample]
        naive_s, naive_ans = naive(sample, layers)
    naive_full = naive_s * n / len(sample)
    inside = [a == b for a, b in zip(ours_ans, tree_ans)]
    agree_tree = sum(inside) / n
    agree_naive = sum(1 for a, b in zip(ours_ans[:naive_sample], naive_ans)
                      if a == b or (b[0] is None and a[1:] == b[1:])) / len(sample)
    fig = {"district": name, "buildings": buildings, "points": n,
           "ours_pts_per_s": round(n / ours_s), "ours_cold_pts_per_s": round(n / cold_s),
           "strtree_pts_per_s": round(n / tree_s),
           "naive_pts_per_s_extrapolated": round(n / naive_full),
           "ours_vs_strtree": round(tree_s / ours_s, 3), "ours_vs_naive": round(naive_full / ours_s, 1),
           "agree_with_strtree": round(agree_tree, 6), "agree_with_naive": round(agree_naive, 6),
           "located": sum(1 for a in ours_ans if a[0]) / n}
    print(f"[{name}] {buildings} buildings, {n} points: ours {fig['ours_pts_per_s']:,} pts/s "
          f"({fig['ours_cold_pts_per_s']:,} with the index load), "
          f"STRtree {fig['strtree_pts_per_s']:,} pts/s, naive ~{fig['naive_pts_per_s_extrapolated']:,} pts/s "
          f"(sample {len(sample)}); ours/STRtree speed {fig['ours_vs_strtree']}x, ours/naive "
          f"{fig['ours_vs_naive']}x; same answers as STRtree {agree_tree:.4%}, as naive {agree_naive:.4%}")
    return fig


def main() -> None:
    """Run both districts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--city-scale", type=float, default=30.0)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="20,000 points, demo district only")
    args = parser.parse_args()
    n = 20_000 if args.quick else args.points
    results = [run("demo", os.path.join(ROOT, "geodata", "demo"), n, min(args.naive_sample, n))]
    if not args.quick:
        results.append(run("city", city_folder(args.city_scale), n, min(args.naive_sample // 5, n)))
    print(json.dumps({"bench": "locate", "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
