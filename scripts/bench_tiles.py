"""Time vector tiles per zoom and layer, in-process, around random buildings of a database (read-only).

    .venv/bin/python scripts/bench_tiles.py [--db grid_city_full] [--per 12] [--zooms 12,13,14,15]

Prints the median and max milliseconds and the median size of vector_tiles.tile() per zoom and layer:
the same tiles on every run (seeded), so two versions of the code can be compared on one database.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from grid_app.maps import vector_tiles  # noqa: E402
from grid_app.platform import localdb  # noqa: E402


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point."""
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="grid_city_full", help="a database of the tests' cluster")
    parser.add_argument("--per", type=int, default=12, help="tiles per zoom and layer")
    parser.add_argument("--zooms", default="12,13,14,15")
    args = parser.parse_args()
    engine = create_engine(localdb.for_tests().url(args.db),
                           connect_args={"options": "-c jit=off -c statement_timeout=60000"})
    rng = random.Random(7)
    with Session(engine) as s:
        points = s.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM building "
                                "WHERE id % 97 = 3 ORDER BY id) b")).all()
        types = s.execute(text("SELECT id FROM facility_type ORDER BY id")).scalars().all()
        s.rollback()
        for z in (int(v) for v in args.zooms.split(",")):
            for layer in ("buildings", "coverage"):
                took, sizes = [], []
                for _ in range(args.per):
                    x, y = tile_xy(*points[rng.randrange(len(points))], z)
                    params = {"t": rng.choice(types), "threshold": 1080.0, "speed": 1.2} if layer == "coverage" else {}
                    t = time.perf_counter()
                    body = vector_tiles.tile(s, layer, z, x, y, visible=None, params=params)
                    took.append((time.perf_counter() - t) * 1000)
                    sizes.append(len(body))
                    s.rollback()
                print(f"z{z} {layer:<9} median {statistics.median(took):6.1f} ms  max {max(took):6.1f} ms  "
                      f"size ~{int(statistics.median(sizes)):,} B", flush=True)


if __name__ == "__main__":
    main()
