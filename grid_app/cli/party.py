"""`flask grid` commands. Party (双报到): registered units, a unit's member list, member accounts."""
from __future__ import annotations

import os
import sys
from datetime import datetime

import click
from flask import current_app
from sqlalchemy import select

from grid_app.cli.atomic import finish, grid_cli
from grid_app.extensions import db
from grid_app.models import Building, Community
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.party.importing import existing_codes, write_rows
from grid_app.party.sheet import check_file
from grid_app.party.units import save_unit
from grid_app.people.crypto import app_keyring
from grid_app.people.sheet import SheetRefused
from grid_app.platform.errors import InvalidInput, NotFound


@grid_cli.command("party-unit")
@click.argument("code")
@click.option("--name", required=True, help="The unit's name (单位名称).")
@click.option("--community", required=True, help="Code of the community it pairs with (结对社区).")
@click.option("--party-org", help="The unit's party organisation (单位党组织).")
@click.option("--projects", help="Projects agreed with the community (共建项目).")
@click.option("--registered-on", type=click.DateTime(["%Y-%m-%d"]), help="Date of 单位报到 (default today).")
def party_unit_cmd(code, name, community, party_org, projects, registered_on):
    """Register (or update, by code) a unit with the community it pairs with."""
    found = db.session.scalar(select(Community).where(Community.code == community))
    if found is None:
        raise InvalidInput(f"no community with code {community!r}")
    unit = save_unit(db.session, code=code, name=name, community=found, party_org_name=party_org, projects=projects,
                     registered_on=registered_on.date() if isinstance(registered_on, datetime) else None)
    finish("party-unit", {"unit": unit.code, "community": community})
    click.echo(f"unit {unit.code} ({unit.name}) registered with community {community}")


@grid_cli.command("import-party-members")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default="utf-8-sig", show_default=True, help="Text encoding of a CSV file (e.g. GBK).")
@click.option("--approved", is_flag=True, help="New members are approved at once (the desk checked the list).")
def import_party_members_cmd(file, encoding, approved):
    """Import a unit's party members from an .xlsx or .csv list (columns: README, Party members)."""
    try:
        sheet = check_file(file, lambda codes: existing_codes(db.session, PartyUnit, codes),
                           lambda codes: existing_codes(db.session, Building, codes), encoding=encoding)
    except SheetRefused as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"import refused: {len(exc.problems)} bad row(s); nothing was written", err=True)
        sys.exit(1)
    for column in sheet.ignored_columns:
        click.echo(f"column {column!r} ignored (not a party member column)", err=True)
    report = write_rows(db.session, app_keyring(current_app), sheet.rows, approve=approved, progress=True)
    finish("import-party-members", {"file": os.path.basename(file), "rows": len(sheet.rows),
                                    "created": report.created, "updated": report.updated, "approved": approved})
    click.echo(f"{len(sheet.rows)} party member(s): {report.created} new"
               f"{' (approved)' if approved else ' (pending approval)'}, {report.updated} updated")


@grid_cli.command("party-member-account")
@click.argument("member_id", type=int)
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def party_member_account_cmd(member_id, username, password):
    """Create (or update) the `member` login of an approved party member and link it to the record."""
    from grid_app.access.accounts import create_user
    from grid_app.party.members import link_account
    member = db.session.get(PartyMember, member_id)
    if member is None:
        raise NotFound(f"no party member {member_id}")
    account = create_user(db.session, username, password, "member", display_name=member.name)
    link_account(db.session, member, account)
    finish("party-member-account", {"member": member.id, "username": username})
    click.echo(f"account {username} (member) linked to party member {member.id}")


@grid_cli.command("party-report")
@click.option("--quarter", required=True, help="The quarter, e.g. 2026Q3 (bounds in the display time zone).")
@click.option("--unit", "unit_code", help="Only the members of this registered unit (its code).")
@click.option("--community", "community_codes", multiple=True, help="Only members living in this community (repeatable).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="FILE.xlsx (one sheet per unit) or FILE.html.")
def party_report_cmd(quarter, unit_code, community_codes, out):
    """双报告: per employer unit, what each registered member did in the quarter, as XLSX or printable HTML."""
    from grid_app.party.quarters import parse_quarter
    from grid_app.party.report import build
    from grid_app.party.report_files import render_html, write_xlsx
    from grid_app.platform.i18n import display_zone
    fmt = os.path.splitext(out)[1].lower().lstrip(".")
    if fmt not in ("xlsx", "html"):
        raise InvalidInput(f"--out must end in .xlsx or .html, got {os.path.basename(out)!r}", code="bad_format")
    parsed = parse_quarter(quarter, "--quarter")
    query = select(Community).order_by(Community.code)
    if community_codes:
        query = query.where(Community.code.in_(community_codes))
    communities = list(db.session.scalars(query))
    unknown = sorted(set(community_codes) - {c.code for c in communities})
    if unknown:
        raise InvalidInput(f"no community with code {unknown[0]!r}", code="community_not_found")
    zone = display_zone()
    report = build(db.session, app_keyring(current_app), parsed, zone, communities=communities, unit_code=unit_code)
    members = sum(len(s.members) for s in report.sections)
    partial = f"{out}.part"  # written whole, then renamed once the audit line is committed
    if fmt == "xlsx":
        write_xlsx(report, zone, partial)
    else:
        with open(partial, "w", encoding="utf-8") as f:
            f.write(render_html(report, zone, datetime.now(zone).strftime("%Y-%m-%d %H:%M"), current_app.jinja_env))
    try:
        finish("party-report", {"quarter": parsed.code, "unit": unit_code, "communities": list(community_codes),
                                "format": fmt, "units": len(report.sections), "members": members})
    except BaseException:
        os.remove(partial)
        raise
    os.replace(partial, out)
    click.echo(f"{parsed.code}: {len(report.sections)} unit(s), {members} member(s) written to {out}")
