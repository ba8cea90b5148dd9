"""Service pages: the member's phone home (/m/party/: posts and activities) and the secretary's desk pages.

The phone page is rendered on the server and acts through the JSON API (api_party_service.py) with the
session's CSRF token; the desk pages post forms to the same domain functions.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.cases import clock
from grid_app.extensions import db
from grid_app.models.party_service import FAR_FROM_PLACE_M
from grid_app.party import activities, posts, service_hours
from grid_app.party.membership import organisations_of
from grid_app.platform.errors import DomainError
from grid_app.platform.i18n import display_zone

bp = Blueprint("party_service_pages", __name__)

TABS = ("activities", "posts")
ACTIVITY_FIELDS = ("community", "title", "description", "starts_at", "ends_at", "place", "lon", "lat", "needed",
                   "post_id")
DESK_HISTORY = timedelta(days=92)  # the desk list: this quarter's worth of past activities and all coming ones


@bp.app_template_filter("party_span")
def party_span(starts: str, ends: str, year: bool = False) -> str:
    """An activity's time in the display zone: "05-31 08:00–10:00" (the end's date only when it differs)."""
    zone = display_zone()
    a, b = (datetime.fromisoformat(t).astimezone(zone) for t in (starts, ends))
    day = "%Y-%m-%d" if year else "%m-%d"
    return f"{a:{day} %H:%M}–{b:%H:%M}" if a.date() == b.date() else f"{a:{day} %H:%M}–{b:{day} %H:%M}"


@bp.app_template_filter("party_time")
def party_time(value: str | None) -> str:
    """A time in the display zone, short (blank for none)."""
    return f"{datetime.fromisoformat(value).astimezone(display_zone()):%m-%d %H:%M}" if value else ""


def _require_reader() -> None:
    if current_user.role not in ("admin", "street", "secretary"):
        abort(403)


def _local(raw: str | None) -> str | None:
    """A form's datetime-local value (no zone) read in the display zone, as ISO 8601 with its offset."""
    if not raw:
        return raw
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return raw  # parse_activity names the field
    return parsed.replace(tzinfo=display_zone()).isoformat() if parsed.tzinfo is None else raw


@bp.get("/m/party/")
@login_required
def member_home():
    """A member's phone home: their summary, then the 活动 (activities) or 岗位 (posts) tab."""
    if current_user.role != "member":
        abort(404)
    try:
        member = posts.acting_member(db.session, current_user)
    except DomainError:
        return redirect(url_for("party_pages.me"))  # pending or rejected: the status page says so
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "activities"
    now = clock.now()
    orgs = organisations_of(db.session, [member.id]).get(member.id, {})
    summary = service_hours.member_summary(db.session, member, now=now, zone=display_zone())
    return render_template(
        "m/party_home.html", tab=tab, member=member, orgs=orgs, summary=summary, far_m=FAR_FROM_PLACE_M,
        held=posts.posts_held(db.session, member.id), zone=display_zone(),
        posts=posts.list_posts(db.session, current_user) if tab == "posts" else [],
        activities=activities.list_activities(db.session, current_user, upcoming_at=now, limit=100)["activities"]
        if tab == "activities" else [])


@bp.get("/party/posts")
@login_required
def desk_posts():
    """The community's service posts with who holds each; the desk defines new ones."""
    _require_reader()
    return render_template("party/posts.html", posts=posts.list_posts(db.session, current_user),
                           communities=scope.communities_of(db.session, current_user),
                           examples=posts.EXAMPLE_POSTS, may_edit=current_user.role in scope.PARTY_DESK_ROLES,
                           form={})


@bp.post("/party/posts")
@login_required
def desk_create_post():
    """Define a post from the desk form; back to the list with a message (the form kept on error)."""
    _require_reader()
    form = {k: request.form.get(k) or "" for k in ("community", "name", "description")}
    try:
        post = posts.create_post(db.session, current_user, posts.parse_post(form))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return render_template("party/posts.html", posts=posts.list_posts(db.session, current_user),
                               communities=scope.communities_of(db.session, current_user),
                               examples=posts.EXAMPLE_POSTS, may_edit=True, form=form), exc.status
    db.session.commit()
    flash(_("Post %(name)s added", name=post.name), "ok")
    return redirect(url_for("party_service_pages.desk_posts"))


def _activities_page(form: dict, status: int = 200):
    now = clock.now()
    listing = activities.list_activities(db.session, current_user, start=(now - DESK_HISTORY).isoformat(), limit=500)
    communities = scope.communities_of(db.session, current_user)
    post_choices = [p for p in posts.list_posts(db.session, current_user) if p["active"]]
    return render_template("party/activities.html", activities=listing["activities"], total=listing["total"],
                           communities=communities, posts=post_choices, form=form, zone=display_zone(), far_m=FAR_FROM_PLACE_M,
                           may_edit=current_user.role in scope.PARTY_DESK_ROLES), status


@bp.get("/party/activities")
@login_required
def desk_activities():
    """Activities of the last quarter and to come, with sign-ups and check-ins; the desk plans new ones."""
    _require_reader()
    return _activities_page({})


@bp.post("/party/activities")
@login_required
def desk_create_activity():
    """Plan an activity from the desk form (times in the display zone); to its page on success."""
    _require_reader()
    form = {k: (request.form.get(k) or "").strip() for k in ACTIVITY_FIELDS}
    body = {**form, "starts_at": _local(form["starts_at"]), "ends_at": _local(form["ends_at"]),
            "lon": form["lon"] or None, "lat": form["lat"] or None, "description": form["description"] or None,
            "needed": int(form["needed"]) if form["needed"].isdigit() and len(form["needed"]) < 6 else form["needed"],
            "post_id": int(form["post_id"]) if form["post_id"].isdigit() and len(form["post_id"]) < 10 else None}
    try:
        activity = activities.create_activity(db.session, current_user, activities.parse_activity(body),
                                              snap_m=current_app.config["GRID_SNAP_M"])
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _activities_page(form, exc.status)
    db.session.commit()
    flash(_("Activity %(title)s planned", title=activity.title), "ok")
    return redirect(url_for("party_service_pages.desk_activity", activity_id=activity.id))


@bp.get("/party/activities/<int:activity_id>")
@login_required
def desk_activity(activity_id: int):
    """One activity: sign-ups, check-ins (distance, far flag) and the hours to confirm."""
    _require_reader()
    activity = activities.get_activity(db.session, current_user, activity_id)
    item = activities.activities_json(db.session, current_user, [activity])[0]
    return render_template("party/activities_detail.html", activity=item,
                           signups=activities.signups_of(db.session, current_user, activity),
                           started=activity.starts_at <= clock.now(), zone=display_zone(), far_m=FAR_FROM_PLACE_M,
                           may_edit=current_user.role in scope.PARTY_DESK_ROLES)


@bp.post("/party/activities/<int:activity_id>/hours")
@login_required
def desk_confirm_hours(activity_id: int):
    """Confirm the hours typed per sign-up (blank: the duration for checked-in members; unticked: left)."""
    _require_reader()
    ids = request.form.getlist("member_id")
    rows = [{"member_id": int(m) if m.isdigit() and len(m) < 10 else m,
             "hours": request.form.get(f"hours_{m}") or None} for m in ids]
    try:
        settled = service_hours.confirm_hours(db.session, current_user, activity_id,
                                           service_hours.parse_hours({"hours": rows}))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("party_service_pages.desk_activity", activity_id=activity_id))
    db.session.commit()
    flash(_("Hours confirmed for %(n)d members", n=len(settled)), "ok")
    return redirect(url_for("party_service_pages.desk_activity", activity_id=activity_id))


@bp.post("/party/activities/<int:activity_id>/cancel")
@login_required
def desk_cancel(activity_id: int):
    """Cancel an activity that is not over (audited)."""
    _require_reader()
    try:
        activities.cancel(db.session, current_user, activity_id)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("party_service_pages.desk_activity", activity_id=activity_id))
    db.session.commit()
    flash(_("Activity cancelled"), "ok")
    return redirect(url_for("party_service_pages.desk_activity", activity_id=activity_id))
