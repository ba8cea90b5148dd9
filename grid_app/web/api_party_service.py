"""JSON API for members' service where they live: service posts (岗位) and activities (sign-up, check-in, hours)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.extensions import db
from grid_app.models.party_service import FAR_FROM_PLACE_M
from grid_app.party import activities, posts, service_hours
from grid_app.places.hierarchy import parse_paging
from grid_app.platform.errors import InvalidInput

bp = Blueprint("api_party_service", __name__, url_prefix="/api/v1")


def _private(response, status: int = 200):
    response.headers["Cache-Control"] = "no-store"  # a member's own sign-ups and the names of those who serve
    return response, status


def _empty_body():
    """Refuse a body that is not an object (these actions take none)."""
    body = request.get_json(silent=True)
    if body is not None and not isinstance(body, dict):
        raise InvalidInput("body must be empty or a JSON object", code="bad_body")


@bp.get("/service-posts")
@login_required
def list_posts():
    """Service posts of the communities whose party side the caller reads: ?community=CODE."""
    return _private(jsonify({"posts": posts.list_posts(db.session, current_user,
                                                       community=request.args.get("community") or None),
                             "examples": list(posts.EXAMPLE_POSTS)}))


@bp.post("/service-posts")
@login_required
def create_post():
    """Define a post of the caller's community (secretary, admin); audited."""
    data = posts.parse_post(request.get_json(silent=True))
    post = posts.create_post(db.session, current_user, data)
    body = posts.post_json(post, [], current_user, None)
    db.session.commit()
    return _private(jsonify(body), 201)


@bp.post("/service-posts/<int:post_id>/claim")
@login_required
def claim_post(post_id: int):
    """The calling member takes the post (201), or already holds it (200)."""
    _empty_body()
    held, created = posts.claim(db.session, current_user, post_id)
    body = posts.claim_json(held)
    db.session.commit()
    return _private(jsonify(body), 201 if created else 200)


@bp.post("/service-posts/<int:post_id>/release")
@login_required
def release_post(post_id: int):
    """The calling member gives the post back."""
    _empty_body()
    body = posts.claim_json(posts.release(db.session, current_user, post_id))
    db.session.commit()
    return _private(jsonify(body))


@bp.get("/activities")
@login_required
def list_activities():
    """Activities the caller reads: ?community=CODE, ?from= and ?to= (ISO dates or times, overlapping)."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(activities.list_activities(
        db.session, current_user, community=request.args.get("community") or None,
        start=request.args.get("from"), end=request.args.get("to"), limit=limit, offset=offset)))


@bp.post("/activities")
@login_required
def create_activity():
    """Plan an activity of the caller's community (secretary, admin); audited."""
    data = activities.parse_activity(request.get_json(silent=True))
    activity = activities.create_activity(db.session, current_user, data, snap_m=current_app.config["GRID_SNAP_M"])
    body = activities.activities_json(db.session, current_user, [activity])[0]
    db.session.commit()
    return _private(jsonify(body), 201)


@bp.get("/activities/<int:activity_id>")
@login_required
def get_activity(activity_id: int):
    """One activity; the desk and the street also get its sign-ups and check-ins (with the far flag)."""
    activity = activities.get_activity(db.session, current_user, activity_id)
    body = activities.activities_json(db.session, current_user, [activity])[0]
    if current_user.role != "member":
        body["signups"] = activities.signups_of(db.session, current_user, activity)
    return _private(jsonify(body))


@bp.post("/activities/<int:activity_id>/signup")
@login_required
def signup(activity_id: int):
    """The calling member signs up (201) or already is (200); full, over or cancelled: 409."""
    _empty_body()
    row, created = activities.signup(db.session, current_user, activity_id)
    body = activities.signup_json(row)
    db.session.commit()
    return _private(jsonify(body), 201 if created else 200)


@bp.post("/activities/<int:activity_id>/withdraw")
@login_required
def withdraw(activity_id: int):
    """The calling member takes back the sign-up (not after checking in)."""
    _empty_body()
    activities.withdraw(db.session, current_user, activity_id)
    db.session.commit()
    return _private(jsonify({"activity_id": activity_id, "signed_up": False}))


@bp.post("/activities/<int:activity_id>/checkin")
@login_required
def checkin(activity_id: int):
    """Check in with the phone's position {lon, lat, crs?} (or none): 201 first time, 200 with the first after."""
    lon, lat = activities.parse_checkin(request.get_json(silent=True))
    row, created = activities.checkin(db.session, current_user, activity_id, lon, lat)
    body = activities.signup_json(row)
    db.session.commit()
    return _private(jsonify(body), 201 if created else 200)


@bp.post("/activities/<int:activity_id>/hours")
@login_required
def confirm_hours(activity_id: int):
    """The desk confirms hours per sign-up {"hours": [{"member_id", "hours"}]}; null hours: the duration."""
    rows = service_hours.parse_hours(request.get_json(silent=True))
    settled = service_hours.confirm_hours(db.session, current_user, activity_id, rows)
    body = {"activity_id": activity_id, "signups": [activities.signup_json(s) for s in settled]}
    db.session.commit()
    return _private(jsonify(body))


@bp.post("/activities/<int:activity_id>/cancel")
@login_required
def cancel(activity_id: int):
    """The desk cancels an activity that is not over (sign-ups kept); audited."""
    _empty_body()
    activity = activities.cancel(db.session, current_user, activity_id)
    body = activities.activities_json(db.session, current_user, [activity])[0]
    db.session.commit()
    return _private(jsonify(body))


_POST_ID = [{"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_ACT_ID = [{"name": "activity_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_COMMUNITY = {"name": "community", "in": "query", "schema": {"type": "string"}}
_EMPTY = {"type": "object", "properties": {}}
POST = {"type": "object", "required": ["community", "name"], "properties": {
    "community": {"type": "string", "maxLength": 32}, "name": {"type": "string", "maxLength": posts.MAX_NAME},
    "description": {"type": "string", "maxLength": posts.MAX_DESCRIPTION}}}
ACTIVITY = {"type": "object", "required": ["community", "title", "starts_at", "ends_at", "place", "lon", "lat",
                                           "needed"], "properties": {
    "community": {"type": "string", "maxLength": 32},
    "title": {"type": "string", "maxLength": activities.MAX_TITLE},
    "description": {"type": "string", "maxLength": activities.MAX_DESCRIPTION},
    "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time", "description": "after starts_at, at most 24 h later"},
    "place": {"type": "string", "maxLength": activities.MAX_PLACE},
    "lon": {"type": "number"}, "lat": {"type": "number"}, "crs": {"type": "string", "enum": ["wgs84", "gcj02"]},
    "needed": {"type": "integer", "minimum": 1, "maximum": activities.MAX_NEEDED},
    "post_id": {"type": "integer", "minimum": 1}}}
CHECKIN = {"type": "object", "properties": {
    "lon": {"type": "number"}, "lat": {"type": "number"}, "crs": {"type": "string", "enum": ["wgs84", "gcj02"]}}}
HOURS = {"type": "object", "required": ["hours"], "properties": {"hours": {
    "type": "array", "minItems": 1, "maxItems": service_hours.MAX_HOURS_ROWS, "items": {
        "type": "object", "required": ["member_id"], "properties": {
            "member_id": {"type": "integer", "minimum": 1},
            "hours": {"type": "number", "nullable": True, "minimum": 0, "maximum": 24,
                      "description": "one decimal at most; null: the activity's duration (checked-in members)"}}}}}}
# OpenAPI entries (path, method, summary, parameters, body schema, success status, login needed): openapi.py.
OPENAPI = [
    ("/api/v1/service-posts", "get", "Service posts (岗位) of the communities whose party side the caller reads; "
     "the desk sees who holds each, a member only how many and whether they do", [_COMMUNITY], None, "200", True),
    ("/api/v1/service-posts", "post", "Define a post of the caller's community (secretary, admin), audited; "
     "a name the community already has: 409 post_exists", [], POST, "201", True),
    ("/api/v1/service-posts/{post_id}/claim", "post", "The calling member (approved, of the post's community) "
     "takes the post: 201, or 200 when already held", _POST_ID, _EMPTY, "201", True),
    ("/api/v1/service-posts/{post_id}/release", "post", "The calling member gives the post back; not held: 409",
     _POST_ID, _EMPTY, "200", True),
    ("/api/v1/activities", "get", "Activities of the communities whose party side the caller reads, overlapping "
     "?from= / ?to=; a member gets their own sign-up on each",
     [_COMMUNITY, {"name": "from", "in": "query", "schema": {"type": "string"}},
      {"name": "to", "in": "query", "schema": {"type": "string"}},
      {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
      {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}], None, "200", True),
    ("/api/v1/activities", "post", "Plan an activity of the caller's community (secretary, admin), audited; the "
     "point must lie in the community", [], ACTIVITY, "201", True),
    ("/api/v1/activities/{activity_id}", "get", "One activity; the desk and the street also get its sign-ups and "
     f"check-ins (distance, far_from_place beyond {FAR_FROM_PLACE_M} m)", _ACT_ID, None, "200", True),
    ("/api/v1/activities/{activity_id}/signup", "post", "The calling member signs up: 201, or 200 when already; "
     "full, over or cancelled: 409", _ACT_ID, _EMPTY, "201", True),
    ("/api/v1/activities/{activity_id}/withdraw", "post", "The calling member takes back a sign-up (not after "
     "checking in)", _ACT_ID, _EMPTY, "200", True),
    ("/api/v1/activities/{activity_id}/checkin", "post", "Check in during the activity (± "
     f"{int(activities.WINDOW_MARGIN.total_seconds() // 60)} min) with the phone's position (kept; far_from_place "
     f"beyond {FAR_FROM_PLACE_M} m) or none; a second check-in returns the first (200)", _ACT_ID, CHECKIN, "201",
     True),
    ("/api/v1/activities/{activity_id}/hours", "post", "Confirm hours per sign-up (secretary, admin), 0-24, null: "
     "the activity's duration for checked-in members; audited, all or nothing", _ACT_ID, HOURS, "200", True),
    ("/api/v1/activities/{activity_id}/cancel", "post", "Cancel an activity that is not over (secretary, admin), "
     "audited", _ACT_ID, _EMPTY, "200", True),
]
