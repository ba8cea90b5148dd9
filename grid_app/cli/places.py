"""`flask grid` commands. Places: importing and validating the hierarchy layers."""
from __future__ import annotations

import json
import sys

import click

from grid_app.cli.atomic import finish, grid_cli
from grid_app.cli.coverage import refresh_coverage
from grid_app.cli.reports import print_rows, report_target
from grid_app.extensions import db
from grid_app.places import validation
from grid_app.places.importer import ImportFailed, import_files
from grid_app.places.importer.problems import issue_rows, problem_rows


@grid_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--level", help="Layer of every file (streets, communities, grids, residential_areas, "
                              "buildings, facilities); default: from each file name.")
@click.option("--repair", is_flag=True, help="Make invalid polygons valid instead of refusing them.")
@click.option("--encoding", help="Text encoding of the attribute table (e.g. GBK for old Shapefiles).")
@click.option("--verbose", is_flag=True, help="Print every problem and warning, not ten of each kind.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), callback=report_target,
              help="Write every problem and warning to this CSV file.")
def import_cmd(files, level, repair, encoding, verbose, report_path):
    """Import GeoJSON, GeoPackage or Shapefile layers in one transaction."""
    try:
        report = import_files(db.session, list(files), level=level, repair=repair, encoding=encoding,
                              commit=False)
    except ImportFailed as exc:
        rows = problem_rows(exc.problems)
        print_rows(rows, verbose, report_path, err=True)
        click.echo(f"import refused: {len(exc.problems)} problem(s); nothing was written", err=True)
        sys.exit(1)
    finish("import", {"files": report.counts, "repair": repair}, saved="the import")
    for name, count in report.counts.items():
        click.echo(f"{name}: {count} features")
    print_rows(issue_rows(report.warnings, report.where), verbose, report_path)
    refresh_coverage()


@grid_cli.command("validate")
@click.option("--community", "community_code", help="Only this community (code).")
@click.option("--json", "as_json", is_flag=True, help="Print the issues as JSON.")
@click.option("--min-area", default=1.0, show_default=True, help="Ignore gaps/overlaps below this many m².")
@click.option("--verbose", is_flag=True, help="Print every issue, not ten of each kind.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), callback=report_target,
              help="Write every issue to this CSV file.")
def validate_cmd(community_code, as_json, min_area, verbose, report_path):
    """Report invalid geometries, children outside parents, grid gaps and overlaps, orphans."""
    from grid_app.places.hierarchy import community_by_code
    from grid_app.platform.errors import NotFound
    ids = None
    if community_code:
        try:
            ids = [community_by_code(db.session, community_code).id]
        except NotFound as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(2)
    issues = validation.validate(db.session, ids, min_area_m2=min_area)
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in issues], ensure_ascii=False, indent=1))
    else:
        rows = issue_rows([i for i in issues if i.blocking], severity="problem") + issue_rows(
            [i for i in issues if not i.blocking])
        print_rows(rows, verbose, report_path)
        blocking = sum(1 for i in issues if i.blocking)
        click.echo(f"{len(issues)} issue(s), {blocking} blocking")
    sys.exit(1 if any(i.blocking for i in issues) else 0)
