"""`flask grid` commands. Cases: the escalation job."""
from __future__ import annotations

import click

from grid_app.cli.atomic import finish, grid_cli
from grid_app.extensions import db


@grid_cli.command("escalate")
def escalate_cmd():
    """Escalate overdue cases one level; idempotent and safe to run concurrently (cron it)."""
    from grid_app.cases.transitions import escalate_overdue
    escalated = escalate_overdue(db.session, commit=False)
    finish(None, saved="the escalations")  # each escalation's case event is its record
    click.echo(f"escalated {len(escalated)} case(s)")


@grid_cli.command("rebuild-case-stats")
def rebuild_case_stats_cmd():
    """Recount the indicators' case counts per grid and month from the cases (after a bulk load)."""
    from grid_app.cases import case_stats
    rows = case_stats.rebuild(db.session)
    finish(None, saved="the case counts")
    click.echo(f"case_stats: {rows} row(s) per grid and month")
