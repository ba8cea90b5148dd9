"""`flask grid ...` commands: database status, import, validation, the demo district."""
from __future__ import annotations

import json
import os
import sys

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from . import PROJECT_ROOT, validation
from .cli_atomic import GridGroup, finish, mark_saved
from .extensions import db
from .errors import DomainError
from .importer import ImportFailed, import_files
from .importer.problems import issue_rows, problem_rows, summary, write_report
from .network.summary import network_summary

# Every command is one transaction: domain functions flush, the command commits once with its audit
# record (cli_atomic.finish); any error rolls it back and prints one line, never a traceback.
grid_cli = GridGroup("grid", help="grid_app commands: database, import, validation, demo.")

DEMO_DIR = os.path.join(PROJECT_ROOT, "geodata", "demo")



@grid_cli.command("db-status")
def db_status():
    """Say which database is in use and whether it answers."""
    url = db.engine.url
    click.echo(f"database: {url.render_as_string(hide_password=True)}")
    try:
        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
            revision = conn.execute(text(
                "SELECT version_num FROM alembic_version")).scalar() if _has_table(conn, "alembic_version") else None
            click.echo(f"server: {conn.execute(text('SHOW server_version')).scalar()}, PostGIS {version}")
            click.echo(f"schema revision: {revision or 'none (run flask db upgrade)'}")
            durability = {name: conn.execute(text(f"SHOW {name}")).scalar()
                          for name in ("fsync", "synchronous_commit", "full_page_writes")}
            click.echo("durability: " + ", ".join(f"{k} = {v}" for k, v in durability.items()))
            if "off" in durability.values():
                click.echo("warning: not durable, a crash can lose committed data "
                           "(acceptable only for throw-away test databases)", err=True)
    except OperationalError as exc:
        click.echo(f"not reachable: {exc.orig}", err=True)
        sys.exit(1)


def _has_table(conn, name: str) -> bool:
    return bool(conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar())


@grid_cli.command("init-db")
def init_db():
    """Create or upgrade the schema (Alembic migrations) and seed reference data."""
    from .reference import seed_reference_data
    # Alembic runs the migrations in one transaction of its own (PostgreSQL has transactional DDL);
    # the code lists are a second one, idempotent, so a failure there leaves the schema and a rerun finishes.
    upgrade()
    mark_saved("the schema upgrade")
    seed_reference_data(db.session)
    finish("init-db", {"schema": _revision()})
    click.echo("schema up to date")


def _revision() -> str | None:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _report_target(ctx, param, value):
    """Refuse a --report file that cannot be written before anything is imported."""
    folder = os.path.dirname(os.path.abspath(value)) if value else None
    if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
        raise click.BadParameter(f"{value}: folder {folder} does not exist or is not writable")
    return value


@grid_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--level", help="Layer of every file (streets, communities, grids, residential_areas, "
                              "buildings, facilities); default: from each file name.")
@click.option("--repair", is_flag=True, help="Make invalid polygons valid instead of refusing them.")
@click.option("--encoding", help="Text encoding of the attribute table (e.g. GBK for old Shapefiles).")
@click.option("--verbose", is_flag=True, help="Print every problem and warning, not ten of each kind.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), callback=_report_target,
              help="Write every problem and warning to this CSV file.")
def import_cmd(files, level, repair, encoding, verbose, report_path):
    """Import GeoJSON, GeoPackage or Shapefile layers in one transaction."""
    try:
        report = import_files(db.session, list(files), level=level, repair=repair, encoding=encoding,
                              commit=False)
    except ImportFailed as exc:
        rows = problem_rows(exc.problems)
        _print_rows(rows, verbose, report_path, err=True)
        click.echo(f"import refused: {len(exc.problems)} problem(s); nothing was written", err=True)
        sys.exit(1)
    finish("import", {"files": report.counts, "repair": repair}, saved="the import")
    for name, count in report.counts.items():
        click.echo(f"{name}: {count} features")
    _print_rows(issue_rows(report.warnings, report.where), verbose, report_path)
    _refresh_coverage()


def _print_rows(rows, verbose: bool, report_path: str | None, err: bool = False) -> None:
    """Problems and warnings grouped by kind (ten examples each unless verbose), all in the CSV report."""
    for line in summary(rows, verbose):
        click.echo(line, err=err)
    if report_path:
        write_report(report_path, rows)
        click.echo(f"{len(rows)} row(s) written to {report_path}", err=err)


@grid_cli.command("validate")
@click.option("--community", "community_code", help="Only this community (code).")
@click.option("--json", "as_json", is_flag=True, help="Print the issues as JSON.")
@click.option("--min-area", default=1.0, show_default=True, help="Ignore gaps/overlaps below this many m².")
@click.option("--verbose", is_flag=True, help="Print every issue, not ten of each kind.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), callback=_report_target,
              help="Write every issue to this CSV file.")
def validate_cmd(community_code, as_json, min_area, verbose, report_path):
    """Report invalid geometries, children outside parents, grid gaps and overlaps, orphans."""
    from .hierarchy import community_by_code
    from .errors import NotFound
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
        _print_rows(rows, verbose, report_path)
        blocking = sum(1 for i in issues if i.blocking)
        click.echo(f"{len(issues)} issue(s), {blocking} blocking")
    sys.exit(1 if any(i.blocking for i in issues) else 0)


@grid_cli.command("load-demo")
@click.option("--path", default=DEMO_DIR, show_default=True, help="Folder with the demo layers.")
def load_demo(path):
    """Load the bundled demo district (idempotent: codes are upserted)."""
    from .demo import load_demo_data
    if not os.path.isdir(path):
        click.echo(f"error: {path}: no such folder; nothing was written", err=True)
        sys.exit(2)
    upgrade()  # its own transaction (Alembic); the demo data below are one more
    mark_saved("the schema upgrade")
    try:
        lines = load_demo_data(db.session, path, current_app.config)
    except ImportFailed as exc:
        for line in summary(problem_rows(exc.problems)):
            click.echo(line, err=True)
        click.echo(f"load-demo refused: {len(exc.problems)} problem(s); nothing was written", err=True)
        sys.exit(1)
    finish("load-demo", {"path": path}, saved="the demo district")
    for line in lines:
        click.echo(line)
    _refresh_coverage()


@grid_cli.command("user-add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "street", "secretary", "worker", "planner", "api"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", help="Name shown in the UI.")
@click.option("--street", help="Street code (street officers).")
@click.option("--community", help="Community code (secretaries).")
@click.option("--grid", "grids", multiple=True, help="Grid code (grid workers; repeat for several).")
def user_add(username, role, password, display_name, street, community, grids):
    """Create or update a user with a role and its area."""
    from .accounts import create_user
    user = create_user(db.session, username, password, role, display_name=display_name,
                       street=street, community=community, grids=list(grids))
    finish("user-add", {"username": user.username, "role": user.role,
                        "street": street, "community": community, "grids": list(grids)})
    click.echo(f"user {user.username} ({user.role}) saved")


@grid_cli.command("token-revoke")
@click.argument("username")
@click.option("--all", "revoke_all", is_flag=True, help="Revoke every live token of the user.")
@click.option("--label", help="Revoke the user's live tokens with this label.")
def token_revoke(username, revoke_all, label):
    """Revoke a user's API tokens: the newest live one, those with --label, or --all."""
    from .accounts import revoke_tokens, user_by_name
    if revoke_all and label is not None:
        click.echo("error: give --all or --label, not both", err=True)
        sys.exit(2)
    user = user_by_name(db.session, username)
    revoked = revoke_tokens(db.session, user, label=label, newest_only=not revoke_all and label is None)
    if not revoked and not revoke_all:
        which = f"labelled {label!r}" if label is not None else "at all"
        click.echo(f"error: {username} has no live token {which}", err=True)
        sys.exit(1)
    finish("token-revoke", {"username": username, "tokens": [t.id for t in revoked],
                            "all": revoke_all, "label": label})
    click.echo(f"{len(revoked)} token(s) of {username} revoked")


@grid_cli.command("user-disable")
@click.argument("username")
def user_disable(username):
    """Disable a user: no more logins, every session ended, every token revoked."""
    from .accounts import disable_user, user_by_name
    disable_user(db.session, user_by_name(db.session, username))
    finish("user-disable", {"username": username})
    click.echo(f"user {username} disabled; sessions ended and tokens revoked")


@grid_cli.command("escalate")
def escalate_cmd():
    """Escalate overdue cases one level; idempotent and safe to run concurrently (cron it)."""
    from .cases.transitions import escalate_overdue
    escalated = escalate_overdue(db.session, commit=False)
    finish(None, saved="the escalations")  # each escalation's case event is its record
    click.echo(f"escalated {len(escalated)} case(s)")


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
    from .network_import import import_network_file
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
    _refresh_coverage()


@grid_cli.command("coverage")
@click.option("--type", "type_codes", multiple=True, help="Facility type code (default: every type).")
@click.option("--force", is_flag=True, help="Recompute even the types whose results are current.")
def coverage_cmd(type_codes, force):
    """Recompute stored walking distances for the types whose data changed (the coverage job)."""
    from .coverage.refresh import describe, refresh
    from .reference import facility_types
    known = [t.code for t in facility_types(db.session)]
    unknown = sorted(set(type_codes) - set(known))
    if unknown:
        click.echo(f"error: unknown facility type {', '.join(unknown)} (one of {', '.join(known)})", err=True)
        sys.exit(2)
    # Each pass of the job is one transaction (every stale type swapped at once, under an advisory lock).
    report = refresh(db.session, current_app.config["WALK_SPEED_M_S"], type_codes=list(type_codes), force=force)
    for line in describe(report):
        click.echo(line)
    sys.exit(1 if report.no_network else 0)


def _refresh_coverage() -> None:
    """Run the coverage job after a committed data change (coalesces with a job already running).

    By design not part of the command's transaction: coverage is derived, computed by one job under an
    advisory lock after the data are committed; when it fails the data stay and `flask grid coverage`
    catches up."""
    from .coverage.refresh import describe, refresh
    try:
        report = refresh(db.session, current_app.config["WALK_SPEED_M_S"])
    except Exception as exc:  # noqa: BLE001  (the data are committed; say so in one line)
        from .cli_atomic import one_line
        db.session.rollback()
        click.echo(f"error: the coverage job failed ({type(exc).__name__}: {one_line(exc)}); the data change "
                   "is saved, run flask grid coverage", err=True)
        sys.exit(1)
    for line in describe(report):
        click.echo(line)


@grid_cli.command("backup")
@click.argument("out", type=click.Path())
def backup_cmd(out):
    """Write the database, the photos and the schema version to one archive (.tar.gz)."""
    from .backup import backup
    # The archive is written whole or not at all; a backup nobody audited is removed again.
    manifest = backup(db.session, current_app.config["DATABASE_URL"], current_app.config["UPLOAD_DIR"], out)
    try:
        finish("backup", {"file": out, "schema": manifest["schema_revision"]})
    except Exception:
        os.unlink(out)
        raise
    click.echo(f"wrote {out}: schema {manifest['schema_revision']}, {manifest['counts']['case_record']} cases")


@grid_cli.command("restore")
@click.argument("archive", type=click.Path())
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_cmd(archive, yes):
    """Replace the database and photos with a backup archive's, then upgrade the schema."""
    from .backup import check_restorable, restore
    # Checked before anything is written; then one pg_restore transaction (see backup.py for what is atomic).
    manifest = check_restorable(archive)
    if not yes:
        click.confirm(f"Replace everything in the database with the backup of {manifest['created_at']}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # pg_restore --clean needs no other connection holding locks
    restore(current_app.config["DATABASE_URL"], current_app.config["UPLOAD_DIR"], archive,
            on_database_restored=lambda: mark_saved("the restored database (photos and upgrade pending: rerun)"))
    mark_saved("the restored database and photos")
    upgrade()
    finish("restore", {"file": archive, "backup_created_at": manifest["created_at"]})
    click.echo(f"restored {archive} (schema {manifest['schema_revision']}, {manifest['counts']['case_record']} cases)")


from . import cli_open311  # noqa: E402,F401  (attaches the Open311 API key commands)
