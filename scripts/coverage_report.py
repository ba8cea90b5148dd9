"""Write a community's 15-minute coverage report: CSV, GeoJSON, Excel and a standalone HTML map.

    FLASK_APP=grid_app .venv/bin/python scripts/coverage_report.py --community 341702001001 \
        [--type health_station ...] [--minutes 15] [--out reports/] [--lang zh|en] [--scenario ID]

Without --type every facility type is reported (each at its own circle level unless --minutes is
given); the HTML map shows the first type that has facilities. --scenario adds a saved scenario's figures
(recomputed on today's data: per residential area and grid, today and in the scenario, and the homes
that move) as a CSV and an Excel sheet, and draws it on the HTML map (which then shows the scenario's
type at its minutes: planned sites, closed facilities, homes newly covered or lost, its figures next
to today's). The numbers are those of GET
/api/v1/coverage: the last result of the coverage job (`flask grid coverage`).
"""
from __future__ import annotations

import argparse
import os
import sys


def main() -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--community", required=True, help="community code")
    ap.add_argument("--type", dest="types", action="append", help="facility type code (repeatable)")
    ap.add_argument("--minutes", type=float, help="walking minutes (default: each type's circle level)")
    ap.add_argument("--out", default="reports", help="output folder (default: reports/)")
    ap.add_argument("--lang", default="zh", choices=("zh", "en"))
    ap.add_argument("--scenario", type=int, help="id of a saved scenario of the community to include")
    args = ap.parse_args()

    from sqlalchemy import select

    from grid_app import create_app
    from grid_app.coverage.report import write_report
    from grid_app.extensions import db
    from grid_app.maps.standalone import coverage_map_file
    from grid_app.models import FacilityType
    from grid_app.platform.errors import DomainError
    from grid_app.platform.i18n import translator

    app = create_app()
    gettext = translator(args.lang)  # the map's labels: no request needed
    with app.app_context():
        types = args.types or db.session.scalars(select(FacilityType.code).order_by(FacilityType.id)).all()
        try:
            scenario = None
            if args.scenario is not None:
                from grid_app.coverage import scenario_store
                row = scenario_store.get(db.session, args.scenario, None)
                if scenario_store.describe(db.session, row)["community"] != args.community:
                    print(f"error: scenario {args.scenario} is not of community {args.community}", file=sys.stderr)
                    return 2
                scenario = scenario_store.figures(db.session, row, app.config["WALK_SPEED_M_S"])
            paths = write_report(
                db.session, args.out, args.community, types, args.minutes, app.config["WALK_SPEED_M_S"],
                lambda view: coverage_map_file(db.session, view, app.config, gettext=gettext, lang=args.lang,
                                               scenario=scenario),
                lang=args.lang, scenario=scenario)
        except DomainError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2
    for kind, path in paths.items():
        print(f"{kind}: {path} ({os.path.getsize(path) / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
