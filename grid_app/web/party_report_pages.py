"""The 双报告 page: a community's quarterly report per employer unit, remarks written on it, XLSX and HTML downloads.

?quarter=2026Q3 (default the current quarter, in the display zone) &community=CODE (a secretary's own by
default; the street and admin choose one). Remarks: the community's desk (secretary, admin), audited.
Downloads are audited like the register's exports: names and masked phones leave the system.
"""
from __future__ import annotations

import io
from datetime import datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db
from grid_app.party import report as party_report
from grid_app.party.quarters import current_quarter, parse_quarter
from grid_app.party.remarks import parse_member_ids, save_remarks
from grid_app.party.report_files import activity_text, render_html, write_xlsx
from grid_app.people.crypto import app_keyring
from grid_app.platform import audit
from grid_app.platform.errors import InvalidInput, NotFound
from grid_app.platform.i18n import display_zone

bp = Blueprint("party_report_pages", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _quarter(raw):
    """The asked quarter, the current one when none is asked."""
    return parse_quarter(raw) if raw is not None else current_quarter(display_zone())


@bp.get("/party/report")
@login_required
def report_page():
    """The report of one community for one quarter, with a remark field per member for the desk."""
    shown = request.args.get("quarter")
    community = party_report.report_community(db.session, current_user, request.args.get("community"))
    try:
        quarter = _quarter(shown)
    except InvalidInput as exc:
        return render_template("party/report.html", error=exc.message, shown=shown, community=community,
                               report=None, choices=[], page="party-report"), 400
    if community is None:
        return render_template("party/report.html", report=None, quarter=quarter, shown=quarter.code, community=None,
                               choices=scope.communities_of(db.session, current_user), page="party-report")
    built = party_report.build(db.session, app_keyring(current_app), quarter, display_zone(), communities=[community],
                               full_names=current_user.role != "street")
    return render_template("party/report.html", report=built, quarter=quarter, shown=quarter.code, community=community,
                           choices=[], zone=display_zone(), activity_text=activity_text,
                           may_write=current_user.role in scope.PARTY_DESK_ROLES, page="party-report")


@bp.post("/party/report/remarks")
@login_required
def remarks():
    """Save the remark fields of the form (remark-<member id>); back to the report with a message."""
    quarter = parse_quarter(request.form.get("quarter"))
    community = party_report.report_community(db.session, current_user, request.form.get("community"))
    if community is None:
        raise InvalidInput("community is required", code="bad_community")
    ids = parse_member_ids(request.form.keys())
    changed = save_remarks(db.session, current_user, quarter,
                           {member_id: request.form.get(f"remark-{member_id}") for member_id in ids})
    db.session.commit()
    flash(_("%(n)s remark(s) saved", n=changed), "ok")
    return redirect(url_for("party_report_pages.report_page", quarter=quarter.code, community=community.code))


@bp.get("/party/report.<fmt>")
@login_required
def download(fmt: str):
    """The report as report-<community>-<quarter>.xlsx or .html (the printable page); audited."""
    if fmt not in ("xlsx", "html"):
        raise NotFound(f"no report format {fmt!r}: xlsx or html", code="bad_format")
    quarter = parse_quarter(request.args.get("quarter"))
    community = party_report.report_community(db.session, current_user, request.args.get("community"))
    if community is None:
        raise InvalidInput("community is required", code="bad_community")
    zone = display_zone()
    built = party_report.build(db.session, app_keyring(current_app), quarter, zone, communities=[community],
                               full_names=current_user.role != "street")
    if fmt == "xlsx":
        buf = io.BytesIO()
        write_xlsx(built, zone, buf)
        body, mimetype = buf.getvalue(), XLSX
    else:
        generated = datetime.now(zone).strftime("%Y-%m-%d %H:%M")
        body = render_html(built, zone, generated, current_app.jinja_env).encode("utf-8")
        mimetype = "text/html; charset=utf-8"
    audit.record(db.session, "party-report-export", {"community": community.code, "quarter": quarter.code,
                                                     "format": fmt, "members": sum(len(s.members)
                                                                                   for s in built.sections)},
                 actor=current_user)
    db.session.commit()
    name = f"party-report-{community.code}-{quarter.code}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}",
                                                      "Cache-Control": "no-store"})
