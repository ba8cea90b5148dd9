"""`flask grid` commands. The database: status, schema, backup and restore."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from grid_app.cli.atomic import finish, grid_cli, mark_saved
from grid_app.extensions import db


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
    from grid_app.platform.reference import seed_reference_data
    # Alembic runs the migrations in one transaction of its own (PostgreSQL has transactional DDL);
    # the code lists are a second one, idempotent, so a failure there leaves the schema and a rerun finishes.
    upgrade()
    mark_saved("the schema upgrade")
    seed_reference_data(db.session)
    finish("init-db", {"schema": _revision()})
    click.echo("schema up to date")


def _revision() -> str | None:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


@grid_cli.command("backup")
@click.argument("out", type=click.Path())
def backup_cmd(out):
    """Write the database, the photos and the schema version to one archive (.tar.gz)."""
    from grid_app.platform.backup import backup
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
    from grid_app.platform.backup import check_restorable, restore
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
