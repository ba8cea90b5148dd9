"""`flask grid` commands. The bundled demo district."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask_migrate import upgrade

from grid_app.config import PROJECT_ROOT
from grid_app.cli.atomic import finish, grid_cli, mark_saved
from grid_app.cli.coverage import refresh_coverage
from grid_app.extensions import db
from grid_app.places.importer import ImportFailed
from grid_app.places.importer.problems import problem_rows, summary

DEMO_DIR = os.path.join(PROJECT_ROOT, "geodata", "demo")


@grid_cli.command("load-demo")
@click.option("--path", default=DEMO_DIR, show_default=True, help="Folder with the demo layers.")
def load_demo(path):
    """Load the bundled demo district (idempotent: codes are upserted)."""
    from grid_app.demo_data.load import load_demo_data
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
    refresh_coverage()
