"""`flask grid api-key-*`: issue, revoke and list Open311 client API keys."""
from __future__ import annotations

import click

from grid_app.cli.atomic import finish, grid_cli
from grid_app.extensions import db
from grid_app.open311 import keys


@grid_cli.command("api-key-add")
@click.argument("name")
def api_key_add(name):
    """Issue an Open311 API key for client NAME; the key is printed once and only its hash is kept."""
    plain = keys.issue(db.session, name)
    finish("api-key-add", {"client": name})  # one transaction with its audit record
    click.echo(f"Open311 API key for {name} (shown once, store it now):")
    click.echo(plain)


@grid_cli.command("api-key-revoke")
@click.argument("name")
def api_key_revoke(name):
    """Revoke client NAME's Open311 API key; the requests it filed stay."""
    keys.revoke(db.session, name)
    finish("api-key-revoke", {"client": name})
    click.echo(f"Open311 API key of {name} revoked")


@grid_cli.command("api-key-list")
def api_key_list():
    """List Open311 clients: state of their key, last use, requests filed."""
    rows = keys.listing(db.session)
    if not rows:
        click.echo("no Open311 clients")
    for row in rows:
        state = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "live"
        used = f"{row['last_used_at']:%Y-%m-%d %H:%M}" if row["last_used_at"] else "never"
        click.echo(f"{row['name']}\t{state}\tcreated {row['created_at']:%Y-%m-%d}\tlast used {used}\t"
                   f"{row['requests']} request(s)")
