"""`flask grid` commands. People: importing, exporting, purging and re-keying the household register."""
from __future__ import annotations

import os
import sys

import click
from flask import current_app

from grid_app.cli.atomic import finish, grid_cli
from grid_app.cli.coverage import refresh_coverage
from grid_app.extensions import db
from grid_app.people import export, retention
from grid_app.people.care import load_codes
from grid_app.people.crypto import app_keyring
from grid_app.people.rekey import rekey
from grid_app.people.register import existing_building_codes, write_people
from grid_app.people.sheet import SheetRefused, check_file


@grid_cli.command("import-residents")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default="utf-8-sig", show_default=True, help="Text encoding of a CSV file (e.g. GBK).")
def import_residents_cmd(file, encoding):
    """Import households and residents from an .xlsx or .csv register (columns: README, People)."""
    try:
        sheet = check_file(file, lambda codes: existing_building_codes(db.session, codes), encoding=encoding,
                           care_codes=load_codes(db.session))
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
                                "care_changed": report.care_changed,
                                "buildings_recounted": len(report.buildings_recounted)}, saved="the register import")
    click.echo(f"{len(sheet.people)} resident(s): {report.created} new, {report.updated} updated; "
               f"{report.households_created} new household(s); "
               f"{len(report.buildings_recounted)} building(s) recounted from the register")
    if report.buildings_recounted:
        refresh_coverage()


@grid_cli.command("purge-residents")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_residents_cmd(dry_run):
    """Delete residents moved out longer ago than GRID_APP_RESIDENT_RETENTION_DAYS (schedule daily)."""
    days = current_app.config["GRID_APP_RESIDENT_RETENTION_DAYS"]
    report = retention.purge(db.session, days, dry_run=dry_run)
    what = (f"{report.residents} resident(s) moved out before {report.cutoff.isoformat()} "
            f"(retention {days} days), {report.households} household(s) left empty, {report.buildings} building(s)")
    if dry_run:
        click.echo(f"dry run, nothing deleted: would delete {what}")
        return
    finish("purge-residents", {"retention_days": days, "cutoff": report.cutoff.isoformat(),
                               "residents": report.residents, "households": report.households,
                               "buildings_recounted": len(report.buildings_recounted)}, saved="the purge")
    click.echo(f"deleted {what}; {len(report.buildings_recounted)} building count(s) changed")
    if report.buildings_recounted:
        refresh_coverage()


@grid_cli.command("export-residents")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--community", help="Only this community's residents (its code).")
@click.option("--unmasked", is_flag=True, help="Full names, ID numbers, phones and birth dates (needs --reason).")
@click.option("--reason", help="Why the export is made (required with --unmasked; written to the audit log).")
def export_residents_cmd(out, community, unmasked, reason):
    """Export the register as .xlsx or .csv with the import's columns, masked unless --unmasked; audited."""
    fmt = os.path.splitext(out)[1].lower().lstrip(".")
    reason = export.check_request(None, fmt, unmasked=unmasked, reason=reason)
    place = export.community_filter(db.session, None, community)
    rows = export.resident_rows(db.session, app_keyring(current_app), place, unmasked=unmasked)
    # Written under a temporary name and renamed after the audit line is committed: no file without its audit.
    partial = f"{out}.partial"
    try:
        export.write(rows, fmt, partial)
        export.record(db.session, None, fmt, place, unmasked=unmasked, rows=len(rows), reason=reason)
        finish(None, saved="the export's audit line")
        os.replace(partial, out)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    click.echo(f"{len(rows)} resident(s) written to {out} ({'unmasked' if unmasked else 'masked'})")


@grid_cli.command("rekey")
def rekey_cmd():
    """Re-encrypt every ID number and phone under the current key (after a key rotation); idempotent."""
    report = rekey(db.session, app_keyring(current_app), progress=True)
    finish("rekey", {"rows": report.rows, "rewritten": report.rewritten}, saved="the re-encryption")
    click.echo(f"{report.rewritten} of {report.rows} row(s) re-encrypted under the current key"
               + ("" if report.rewritten else " (nothing to do)"))
