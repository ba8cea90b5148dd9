"""Party pages: the phone registration form (/m/party/register), the approval desk, the member card.

Registration is public (no login): an in-service member registering where they live (双报到) has
no account yet, and asking the secretary to create one first would turn self-registration into
paperwork. What guards it: a CSRF token on the form, a rate limit per address, the record is only
pending until the community's secretary approves it, and the form discloses nothing personal (the
pick lists are building and unit names).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db, limiter
from grid_app.party import cards, members, units
from grid_app.party.registration import building_by_code, check_registration, search_buildings
from grid_app.people.crypto import app_keyring
from grid_app.platform.errors import Conflict, InvalidInput

bp = Blueprint("party_pages", __name__)

REGISTER_LIMIT = "10 per hour"  # a family registering together fits; a script filling the desk does not
SEARCH_LIMIT = "60 per minute"
FORM_FIELDS = ("name", "phone", "unit", "employer_name", "employer_party_org", "building", "lon", "lat",
               "crs", "skills")


@bp.route("/m/party/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register():
    """The registration form; a valid submission makes a pending member and says so."""
    form = {k: (request.form.get(k) or "").strip() for k in FORM_FIELDS} if request.method == "POST" else {}
    error = None
    if request.method == "POST":
        try:
            reg = check_registration(db.session, form, snap_m=current_app.config["GRID_SNAP_M"])
            member = members.register(db.session, app_keyring(current_app), reg)
            db.session.commit()
            return render_template("m/party_registered.html", building=reg.building, member_id=member.id), 201
        except (InvalidInput, Conflict) as exc:
            db.session.rollback()
            error = exc.message
    return render_template("m/party_register.html", form=form, error=error), 400 if error else 200


@bp.get("/m/party/buildings")
@limiter.limit(SEARCH_LIMIT)
def buildings():
    """Buildings matching ?q= (code or area + name), for the form's picker."""
    return jsonify({"buildings": search_buildings(db.session, request.args.get("q") or "")})


@bp.get("/m/party/units")
@limiter.limit(SEARCH_LIMIT)
def building_units():
    """The units paired with the community of ?building=CODE (names and codes only)."""
    building = building_by_code(db.session, request.args.get("building") or "")
    return jsonify({"units": [{"code": u.code, "name": u.name}
                              for u in units.units_of_community(db.session, building.community_id)]})


@bp.get("/party/pending")
@login_required
def pending():
    """The approval desk: pending members of the secretary's community, oldest first."""
    found = members.pending_of(db.session, current_user)
    rows = members.members_json(db.session, current_user, app_keyring(current_app), found)
    approved = members.list_members(db.session, current_user, app_keyring(current_app), status="approved",
                                    limit=200)
    return render_template("party/pending.html", pending=rows, approved=approved)


@bp.post("/party/members/<int:member_id>/decide")
@login_required
def decide(member_id: int):
    """Approve or reject from the desk (a form with the CSRF token); back to the desk with a message."""
    decision = request.form.get("decision")
    try:
        member = members.decide(db.session, current_user, member_id, decision, request.form.get("note") or None)
    except (InvalidInput, Conflict) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("party_pages.pending"))
    db.session.commit()
    flash(_("%(name)s approved", name=member.name) if member.status == "approved"
          else _("%(name)s rejected", name=member.name), "ok")
    return redirect(url_for("party_pages.pending"))


@bp.get("/party/members/<int:member_id>/card")
@login_required
def card(member_id: int):
    """The printable card of an approved member (desk staff, or the member themself)."""
    if current_user.role not in scope.PARTY_DESK_ROLES + ("member",):
        abort(403)
    return render_template("party/card.html", card=cards.card(db.session, current_user, member_id))


@bp.get("/party/me")
@login_required
def me():
    """A member account's start: the phone home (posts, activities, wishes, card) once approved."""
    if current_user.role != "member":
        abort(404)
    found = members.list_members(db.session, current_user, app_keyring(current_app), limit=1)["members"]
    if not found:
        abort(404)
    if found[0]["status"] == "approved":
        return redirect(url_for("party_service_pages.member_home"))
    return render_template("party/me.html", member=found[0])

