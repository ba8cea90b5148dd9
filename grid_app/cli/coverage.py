"""`flask grid` commands. Coverage: the job that computes walking distances after data change."""
from __future__ import annotations

import sys

import click
from flask import current_app

from grid_app.cli.atomic import grid_cli
from grid_app.extensions import db


@grid_cli.command("coverage")
@click.option("--type", "type_codes", multiple=True, help="Facility type code (default: every type).")
@click.option("--force", is_flag=True, help="Recompute even the types whose results are current.")
def coverage_cmd(type_codes, force):
    """Recompute stored walking distances for the types whose data changed (the coverage job)."""
    from grid_app.coverage.refresh import describe, refresh
    from grid_app.platform.reference import facility_types
    known = [t.code for t in facility_types(db.session)]
    unknown = sorted(set(type_codes) - set(known))
    if unknown:
        click.echo(f"error: unknown facility type {', '.join(unknown)} (one of {', '.join(known)})", err=True)
        sys.exit(2)
    # Each pass of the job is one transaction (every stale type swapped at once, under an advisory lock).
    report = refresh(db.session, current_app.config["WALK_SPEED_M_S"], type_codes=list(type_codes), force=force,
                     tiles_gcj02=base_map_gcj02())
    for line in describe(report):
        click.echo(line)
    sys.exit(1 if report.no_network else 0)


def base_map_gcj02() -> bool:
    """Whether the configured base map is drawn in GCJ-02 (the map layers are then shifted to it)."""
    from grid_app.maps.providers import ProviderError, provider_from_config
    try:
        return provider_from_config(current_app.config).gcj02
    except ProviderError:
        return False


def refresh_coverage() -> None:
    """Run the coverage job after a committed data change (coalesces with a job already running).

    By design not part of the command's transaction: coverage is derived, computed by one job under an
    advisory lock after the data are committed; when it fails the data stay and `flask grid coverage`
    catches up."""
    from grid_app.coverage.refresh import describe, refresh
    try:
        report = refresh(db.session, current_app.config["WALK_SPEED_M_S"], tiles_gcj02=base_map_gcj02())
    except Exception as exc:  # noqa: BLE001  (the data are committed; say so in one line)
        from grid_app.cli.atomic import one_line
        db.session.rollback()
        click.echo(f"error: the coverage job failed ({type(exc).__name__}: {one_line(exc)}); the data change "
                   "is saved, run flask grid coverage", err=True)
        sys.exit(1)
    for line in describe(report):
        click.echo(line)


@grid_cli.command("seed-tiles")
def seed_tiles_cmd():
    """Render the crowded low-zoom map tiles ahead now (the coverage job does it after each pass)."""
    from grid_app.coverage.refresh import try_lock
    from grid_app.maps.tile_seed import seed
    if not try_lock(db.session):  # the job replaces the same rows; it renders them with its results
        click.echo("tiles: the coverage job is running and renders them; nothing done")
        return
    count = seed(db.session, current_app.config["WALK_SPEED_M_S"], gcj02=base_map_gcj02())
    db.session.commit()
    click.echo(f"tiles: {count} crowded overview tiles rendered ahead")
