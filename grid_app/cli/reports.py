"""`flask grid` commands. Printing problems and warnings: grouped by kind, all of them in a CSV report."""
from __future__ import annotations

import os

import click

from grid_app.places.importer.problems import summary, write_report


def report_target(ctx, param, value):
    """Refuse a --report file that cannot be written before anything is imported."""
    folder = os.path.dirname(os.path.abspath(value)) if value else None
    if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
        raise click.BadParameter(f"{value}: folder {folder} does not exist or is not writable")
    return value


def print_rows(rows, verbose: bool, report_path: str | None, err: bool = False) -> None:
    """Problems and warnings grouped by kind (ten examples each unless verbose), all in the CSV report."""
    for line in summary(rows, verbose):
        click.echo(line, err=err)
    if report_path:
        write_report(report_path, rows)
        click.echo(f"{len(rows)} row(s) written to {report_path}", err=err)
