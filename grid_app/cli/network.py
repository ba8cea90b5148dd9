"""`flask grid` commands. The walking network."""
from __future__ import annotations

import sys

import click

from grid_app.cli.atomic import grid_cli
from grid_app.cli.coverage import refresh_coverage
from grid_app.extensions import db
from grid_app.network.summary import network_summary
from grid_app.places.importer import ImportFailed
from grid_app.places.importer.problems import issue_rows, problem_rows, summary
from grid_app.platform.errors import DomainError


@grid_cli.command("import-network")
@click.argument("path", type=click.Path())
@click.option("--pois", is_flag=True, help="Also import buildings and facilities found by OSM tags into the "
                                            "stored communities (OSM extracts only).")
@click.option("--snap", "snap_m", default=0.5, show_default=True, type=float,
              help="Join line ends that come this close (metres) to another end or line.")
@click.option("--class-field", help="Field holding the road class (default: highway / fclass / kind).")
@click.option("--keep", multiple=True, help="Treat this road class as walkable (repeatable).")
@click.option("--drop", multiple=True, help="Treat this road class as not walkable (repeatable).")
def import_network(path, pois, snap_m, class_field, keep, drop):
    """Replace the walking network from an OSM extract (.osm.pbf, .osm) or a line layer of whole ways."""
    from grid_app.network.importer import import_network_file
    try:
        result = import_network_file(db.session, path, pois=pois, snap_m=snap_m, class_field=class_field,
                                     keep=frozenset(k.lower() for k in keep),
                                     drop=frozenset(d.lower() for d in drop))
    except DomainError as exc:
        click.echo(f"error: {exc.message}; nothing was written", err=True)
        sys.exit(1)
    except ImportFailed as exc:
        for line in summary(problem_rows(exc.problems)):
            click.echo(line, err=True)
        click.echo(f"import refused: {len(exc.problems)} problem(s); nothing was written", err=True)
        sys.exit(1)
    for line in network_summary(result):
        click.echo(line)
    if pois:
        counts = result.pois
        click.echo(f"OSM: {counts['buildings']} buildings and {counts['facilities']} facilities imported; "
                   f"{counts['buildings_outside']} buildings outside every community skipped")
        for line in summary(issue_rows(counts["warnings"])):
            click.echo(line)
    refresh_coverage()
