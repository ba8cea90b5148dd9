"""Build a synthetic city into a scratch database of the tests' cluster (port 54339), for scale benchmarks.

    .venv/bin/python scripts/gen_city.py --scale 0.05            # database grid_city: 9 tiles, 272,727 cases
    .venv/bin/python scripts/gen_city.py --scale 1 --db grid_city_full --fresh   # ≥ 300k buildings, 5M cases

The demo district is tiled (grid_app/demo_data/city): at full size 165 tiles = 165 streets, 990 communities,
4,785 grids, 301,125 buildings, 1,138,830 walking edges, and 5,000,000 cases over five years with their
events (about 6.8 per case), COPY-loaded; a smaller scale takes ceil(165 × scale) tiles (at least 2) and
cases in proportion to the tiles. At 0.1 (17 tiles, 500k cases) it took 3.5 minutes on 2 busy cores.
Never the app's database: the target is created (or, with --fresh, recreated) in the tests' throw-away
cluster and must be empty.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from grid_app.demo_data.city import build_city, plan
from grid_app.platform import localdb


def main(argv: list[str] | None = None) -> int:
    """Parse the options, make the scratch database, build the city, print its figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=0.05, help="0.01..1 of the full city (default 0.05)")
    ap.add_argument("--db", default="grid_city", help="database name in the tests' cluster (default grid_city)")
    ap.add_argument("--fresh", action="store_true", help="drop the database first")
    ap.add_argument("--cases", type=int, default=None, help="number of cases (default 5,000,000 × tiles / 165)")
    ap.add_argument("--years", type=float, default=5.0, help="years of cases, ending now (default 5)")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--no-coverage", action="store_true", help="skip the coverage job at the end")
    args = ap.parse_args(argv)
    if args.db in ("grid_app", "postgres", "template0", "template1"):
        ap.error("the city goes into a scratch database, never the app's")
    try:
        p = plan(args.scale, args.cases, args.years)
    except ValueError as exc:
        ap.error(str(exc))
    print(f"city at scale {args.scale}: {p.tiles} tiles, {p.cases:,} cases over {p.years:g} years "
          f"into {args.db} (tests' cluster)", file=sys.stderr)
    url = localdb.for_tests().ensure_database(args.db, fresh=args.fresh)
    t0 = time.time()
    figures = build_city(url, args.scale, seed=args.seed, cases=args.cases, years=args.years,
                         coverage=not args.no_coverage)
    figures["total_s"] = round(time.time() - t0, 1)
    figures["database"] = args.db
    for key, value in figures.items():
        print(f"{key:>18}: {value:,}" if isinstance(value, int) else f"{key:>18}: {value}")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
