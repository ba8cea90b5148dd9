"""`flask grid ...`: the command-line adapters, a module per group, each command one transaction.

The group and its all-or-nothing wrapper live in atomic.py; importing a module attaches its commands."""
from grid_app.cli import cases, coverage, database, demo, network, open311, party, people, places, users  # noqa: F401
from grid_app.cli.atomic import grid_cli

__all__ = ["grid_cli"]
