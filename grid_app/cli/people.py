"""`flask grid` commands. People: importing the household register."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app

from grid_app.cli.atomic import finish, grid_cli
from grid_app.cli.coverage import refresh_coverage
from grid_app.extensions import db
from grid_app.people.crypto import app_keyring
from grid_app.people.register import existing_building_codes, write_people
from grid_app.people.sheet import SheetRefused, check_file


@grid_cli.command("import-residents")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default="utf-8-sig", show_default=True, help="Text encoding of a CSV file (e.g. GBK).")
def import_residents_cmd(file, encoding):
    """Import households and residents from an .xlsx or .csv register (columns: README, People)."""
    try:
        sheet = check_file(file, lambda codes: existing_building_codes(db.session, codes), encoding=encoding)
    except SheetRefused as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"import refused: {len(exc.problems)} bad row(s); nothing was written", err=True)
        sys.exit(1)
    for column in sheet.ignored_columns:
        click.echo(f"column {column!r} ignored (not a register column)", err=True)
    report = write_people(db.session, app_keyring(current_app), sheet.people, progress=True)
    finish("import-residents", {"file": os.path.basename(file), "rows": len(sheet.people), "created": report.created,
                                "updated": report.updated, "households_created": report.households_created,
                                "buildings_recounted": len(report.buildings_recounted)}, saved="the register import")
    click.echo(f"{len(sheet.people)} resident(s): {report.created} new, {report.updated} updated; "
               f"{report.households_created} new household(s); "
               f"{len(report.buildings_recounted)} building(s) recounted from the register")
    if report.buildings_recounted:
        refresh_coverage()
