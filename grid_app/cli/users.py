"""`flask grid` commands. Users and their API tokens."""
from __future__ import annotations

import sys

import click

from grid_app.cli.atomic import finish, grid_cli
from grid_app.extensions import db


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
    from grid_app.access.accounts import create_user
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
    from grid_app.access.accounts import revoke_tokens, user_by_name
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
    from grid_app.access.accounts import disable_user, user_by_name
    disable_user(db.session, user_by_name(db.session, username))
    finish("user-disable", {"username": username})
    click.echo(f"user {username} disabled; sessions ended and tokens revoked")
