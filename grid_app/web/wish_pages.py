"""微心愿 pages: the member's phone list (claim, fulfil, cases I help with), the worker's phone form, the desk list."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db
from grid_app.models.party_service import WISH_STATUSES
from grid_app.party import case_help, wishes
from grid_app.people.masking import mask_name
from grid_app.people.queries import get_resident
from grid_app.people.visit_case import visit_in_scope
from grid_app.platform.errors import DomainError
from grid_app.web.mobile import _page as phone_page

bp = Blueprint("wish_pages", __name__)


def _require_member() -> None:
    if current_user.role != "member":
        abort(403)


@bp.get("/m/party/wishes")
@login_required
def member_wishes():
    """A member's phone page: open wishes of the home community, my wishes, the cases I help with."""
    _require_member()
    try:
        wishes.my_member(db.session, current_user)
    except DomainError:
        return redirect(url_for("party_pages.me"))
    rows = wishes.list_wishes(db.session, current_user, limit=200)["wishes"]
    return render_template("m/party_wishes.html", open=[w for w in rows if w["status"] == "open"],
                           mine=sorted((w for w in rows if w["claimed_by_me"]), key=lambda w: w["status"] != "claimed"),
                           helping=case_help.cases_i_help(db.session, current_user))


def _member_action(wish_id: int, action) -> object:
    _require_member()
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
    return redirect(url_for("wish_pages.member_wishes") + f"#wish-{wish_id}")


@bp.post("/m/party/wishes/<int:wish_id>/claim")
@login_required
def member_claim(wish_id: int):
    """Claim from the phone page (a form with the CSRF token)."""
    def act():
        wishes.claim(db.session, current_user, wish_id)
        flash(_("Wish claimed: it is yours now."), "ok")
    return _member_action(wish_id, act)


@bp.post("/m/party/wishes/<int:wish_id>/fulfil")
@login_required
def member_fulfil(wish_id: int):
    """Report fulfilled from the phone page, with the note."""
    def act():
        note = wishes.parse_note({"note": request.form.get("note")}, required=True)
        wishes.fulfil(db.session, current_user, wish_id, note)
        flash(_("Thank you: the wish is reported fulfilled."), "ok")
    return _member_action(wish_id, act)


def _target():
    """The visit (?visit=ID) or resident (?resident=ID) the worker raises the wish for, in scope; else 404."""
    visit_id, resident_id = request.values.get("visit", type=int), request.values.get("resident", type=int)
    if visit_id:
        visit = visit_in_scope(db.session, current_user, visit_id=visit_id)
        return visit, get_resident(db.session, current_user, visit.resident_id)
    if resident_id:
        return None, get_resident(db.session, current_user, resident_id)
    abort(404)


@bp.route("/m/wishes/new", methods=["GET", "POST"])
@login_required
def worker_form():
    """记录微心愿 on the phone: the worker writes what a member needs to know (nothing is filled in for them)."""
    if current_user.role not in scope.REGISTER_ROLES:
        abort(403)
    visit, resident = _target()
    form = {"title": request.form.get("title", ""), "description": request.form.get("description", ""),
            "key": request.form.get("key") or str(uuid.uuid4())}
    error, done = None, None
    if request.method == "POST":
        body = {"title": form["title"], "description": form["description"], "idempotency_key": form["key"]}
        try:
            if visit is not None:
                done, _created = wishes.raise_from_visit(db.session, current_user, visit.id,
                                                         wishes.parse_wish(body, from_visit=True))
            else:
                done, _created = wishes.raise_wish(db.session, current_user,
                                                   wishes.parse_wish({**body, "resident_id": resident.id}))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
    return phone_page("m/party_wishes_new.html", visit=visit, who=mask_name(resident.name), form=form,
                      error=error, done=done), 400 if error else 200


@bp.get("/party/wishes")
@login_required
def desk():
    """The secretary's list of wishes by status with the time to fulfil."""
    if current_user.role not in ("admin", "street", "secretary", "worker"):
        abort(403)
    status = request.args.get("status") or None
    if status not in (None, *WISH_STATUSES):
        status = None
    listing = wishes.list_wishes(db.session, current_user, status=status, limit=500)
    return render_template("party/wishes.html", listing=listing, status=status, statuses=WISH_STATUSES,
                           summary=wishes.summary(db.session, current_user),
                           may_cancel=current_user.role in scope.REGISTER_ROLES)


@bp.post("/party/wishes/<int:wish_id>/cancel")
@login_required
def desk_cancel(wish_id: int):
    """Withdraw a wish from the desk (audited)."""
    try:
        reason = wishes.parse_note({"reason": request.form.get("reason")}, "reason")
        wishes.cancel(db.session, current_user, wish_id, reason)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Wish withdrawn."), "ok")
    return redirect(url_for("wish_pages.desk", status=request.args.get("status") or None))
