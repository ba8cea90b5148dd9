"""Pick k new sites for a facility type that add the most residents within a walking time.

    FLASK_APP=grid_app .venv/bin/python scripts/site_facilities.py --type health_station --k 3 \
        [--minutes 15] [--candidates candidates.geojson] [--exact] [--out plan.geojson]

Candidates are points from a file (GeoJSON, GeoPackage, Shapefile) or, by default, every node of
the walking network. Prints each pick with the residents it adds (lazy greedy); --exact also
solves the integer program with CBC and prints how far greedy is from the optimum.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np


def read_candidates(path: str) -> np.ndarray:
    """Candidate points as an (n, 2) lon/lat array; errors name the file and feature."""
    import shapely
    from grid_app.places.importer.reader import read_features
    points = []
    for feat in read_features(path):
        geom = feat.geometry
        if geom is None or geom.geom_type != "Point":
            raise SystemExit(f"{os.path.basename(path)} feature {feat.index}: candidates must be points")
        points.append(shapely.get_coordinates(geom)[0])
    if not points:
        raise SystemExit(f"{os.path.basename(path)}: no candidate points")
    return np.array(points)


def main() -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--type", required=True, help="facility type code, e.g. health_station")
    ap.add_argument("--k", type=int, required=True, help="how many new sites")
    ap.add_argument("--minutes", type=float, help="walking minutes (default: the type's circle level)")
    ap.add_argument("--candidates", help="file of candidate points (default: network nodes)")
    ap.add_argument("--exact", action="store_true", help="also solve exactly with CBC (small instances)")
    ap.add_argument("--out", help="write the chosen sites as GeoJSON here")
    args = ap.parse_args()

    from grid_app import create_app
    from grid_app.platform.errors import DomainError
    from grid_app.extensions import db
    from grid_app.places.importer import ImportFailed
    from grid_app.coverage.siting_service import site

    app = create_app()
    with app.app_context():
        try:
            cands = read_candidates(args.candidates) if args.candidates else None
            plan = site(db.session, args.type, args.k, args.minutes, app.config["WALK_SPEED_M_S"],
                        cands, exact=args.exact)
        except DomainError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
        except ImportFailed as exc:
            print("\n".join(str(p) for p in exc.problems), file=sys.stderr)
            return 2
    total = plan.residents_total or 1
    print(f"{plan.type_code}, {plan.minutes:g} min: {plan.covered_before:,.0f} of {plan.residents_total:,.0f} "
          f"residents covered now ({plan.covered_before / total:.1%})")
    for s in plan.sites:
        print(f"  #{s['rank']}: {s['lon']:.6f}, {s['lat']:.6f}  +{s['residents_added']:,.0f} residents")
    print(f"after {len(plan.sites)} new site(s): {plan.covered_after:,.0f} ({plan.covered_after / total:.1%}); "
          f"{plan.seconds:.2f} s")
    if plan.exact:
        e = plan.exact
        print(f"exact ({e['status']}, {'optimal' if e['optimal'] else 'not proven optimal'}): "
              f"+{e['covered_added']:,.0f}; greedy reaches {e['greedy_over_exact']:.2%} of it ({e['seconds']} s)")
    if args.out:
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
             "properties": {"rank": s["rank"], "residents_added": s["residents_added"], "type": plan.type_code}}
            for s in plan.sites]}
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(fc, fh, ensure_ascii=False)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
