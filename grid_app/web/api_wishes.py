"""JSON API for 微心愿 (raised by the register's staff, claimed and fulfilled by members) and case helpers."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from grid_app.extensions import db
from grid_app.models.party_service import WISH_STATUSES
from grid_app.party import case_help, wishes
from grid_app.places import hierarchy
from grid_app.places.hierarchy import parse_paging

bp = Blueprint("api_wishes", __name__, url_prefix="/api/v1")


def _private(response):
    response.headers["Cache-Control"] = "no-store"  # the staff's view carries the resident link
    return response


def _one(wish) -> dict:
    return wishes.wishes_json(db.session, current_user, [wish])[0]


def _answer(wish, status: int = 200):
    body = _one(wish)
    db.session.commit()
    return _private(jsonify(body)), status


@bp.get("/wishes")
@login_required
def list_wishes():
    """Wishes in the caller's scope: ?status=, ?community=CODE (staff), limit, offset."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(wishes.list_wishes(
        db.session, current_user, status=request.args.get("status") or None,
        community=request.args.get("community") or None, limit=limit, offset=offset)))


@bp.post("/wishes")
@login_required
def raise_wish():
    """Raise a wish for a resident or household; the same idempotency_key again answers 200 with it."""
    data = wishes.parse_wish(request.get_json(silent=True))
    wish, created = wishes.raise_wish(db.session, current_user, data)
    return _answer(wish, 201 if created else 200)


@bp.post("/visits/<int:visit_id>/wish")
@login_required
def wish_from_visit(visit_id: int):
    """记录微心愿 from a visit: its resident and grid; one wish per visit (another key: 409 visit_has_wish)."""
    data = wishes.parse_wish(request.get_json(silent=True), from_visit=True)
    wish, created = wishes.raise_from_visit(db.session, current_user, visit_id, data)
    return _answer(wish, 201 if created else 200)


@bp.post("/wishes/<int:wish_id>/claim")
@login_required
def claim(wish_id: int):
    """A member claims an open wish of their community; taken already: 409 wish_not_open."""
    wishes.parse_note(request.get_json(silent=True))  # an empty body, or {} (nothing is read)
    return _answer(wishes.claim(db.session, current_user, wish_id))


@bp.post("/wishes/<int:wish_id>/fulfil")
@login_required
def fulfil(wish_id: int):
    """{"note": "..."}: the claimer reports the wish fulfilled."""
    note = wishes.parse_note(request.get_json(silent=True), required=True)
    return _answer(wishes.fulfil(db.session, current_user, wish_id, note))


@bp.post("/wishes/<int:wish_id>/cancel")
@login_required
def cancel(wish_id: int):
    """{"reason": "..."} optional: the grid worker, secretary or admin withdraws the wish (audited)."""
    reason = wishes.parse_note(request.get_json(silent=True), "reason")
    return _answer(wishes.cancel(db.session, current_user, wish_id, reason))


@bp.put("/cases/<int:case_id>/helper")
@login_required
def put_helper(case_id: int):
    """{"member_id": n}: an approved member of the case's community helps with a small case (audited)."""
    member_id = case_help.parse_member_id(request.get_json(silent=True))
    helper, _ = case_help.assign(db.session, current_user, case_id, member_id)
    body = case_help.helper_json(helper, current_user)
    db.session.commit()
    return _private(jsonify(body))


@bp.delete("/cases/<int:case_id>/helper")
@login_required
def delete_helper(case_id: int):
    """Take the helper off the case (audited)."""
    case_help.remove(db.session, current_user, case_id)
    db.session.commit()
    return "", 204


_ID = {"type": "integer", "minimum": 1, "maximum": wishes.MAX_ID}
_WISH_ID = [{"name": "wish_id", "in": "path", "required": True, "schema": _ID}]
_VISIT_ID = [{"name": "visit_id", "in": "path", "required": True, "schema": _ID}]
_CASE_ID = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_TEXT = {"type": "string", "maxLength": wishes.MAX_TEXT}
_KEY = {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{8,100}$"}
_WISH_TEXT = {"title": {"type": "string", "minLength": 1, "maxLength": wishes.MAX_TITLE},
              "description": _TEXT, "idempotency_key": _KEY}
WISH_INPUT = {"type": "object", "required": ["title", "idempotency_key"],
              "properties": {"resident_id": _ID, "household_id": _ID, **_WISH_TEXT}}
VISIT_WISH_INPUT = {"type": "object", "required": ["title", "idempotency_key"], "properties": _WISH_TEXT}
_NOTE = {"type": "object", "required": ["note"], "properties": {"note": {**_TEXT, "minLength": 1}}}
_REASON = {"type": "object", "properties": {"reason": _TEXT}}
_HELPER = {"type": "object", "required": ["member_id"], "properties": {"member_id": _ID}}

OPENAPI = [
    ("/api/v1/wishes", "get", "微心愿 in the caller's scope, newest first. A member: the open wishes of their home "
     "community and their own (title, description, grid name, raised date: never the resident); the register "
     "roles also read the resident link masked; the street officer the counts and words only",
     [{"name": "status", "in": "query", "schema": {"type": "string", "enum": list(WISH_STATUSES)}},
      {"name": "community", "in": "query", "schema": {"type": "string"}},
      *[{"name": n, "in": "query", "schema": {"type": "integer", "minimum": lo, "maximum": hi}} for n, lo, hi in
        (("limit", 1, hierarchy.MAX_LIMIT), ("offset", 0, hierarchy.MAX_OFFSET))]], None, "200", True),
    ("/api/v1/wishes", "post", "Raise a wish for a resident or household (give one of resident_id, household_id) "
     "in the caller's register scope (grid worker, secretary, admin); the text is what members will read: no "
     "names or addresses. The same idempotency_key again answers 200 with it", [], WISH_INPUT, "201", True),
    ("/api/v1/visits/{visit_id}/wish", "post", "记录微心愿 from a visit: the resident and grid are the visit's; one "
     "wish per visit (the same key again: 200; another key: 409 visit_has_wish with its wish_id)",
     _VISIT_ID, VISIT_WISH_INPUT, "201", True),
    ("/api/v1/wishes/{wish_id}/claim", "post", "An approved member claims an open wish of their community (first "
     "come: a wish already claimed is 409 wish_not_open)", _WISH_ID, None, "200", True),
    ("/api/v1/wishes/{wish_id}/fulfil", "post", "The member who claimed the wish reports it fulfilled with a note "
     "(anyone else: 403 not_your_wish)", _WISH_ID, _NOTE, "200", True),
    ("/api/v1/wishes/{wish_id}/cancel", "post", "The grid worker, secretary or admin withdraws an open or claimed "
     "wish (audited); fulfilled or cancelled: 409", _WISH_ID, _REASON, "200", True),
    ("/api/v1/cases/{case_id}/helper", "put", "An approved party member of the case's community helps with a small "
     "case (grid level; escalated or closed: 409); the case's workflow is unchanged (audited)",
     _CASE_ID, _HELPER, "200", True),
    ("/api/v1/cases/{case_id}/helper", "delete", "Take the helper off the case (audited); none: 404",
     _CASE_ID, None, "204", True),
]
MORE_ERRORS = {("/api/v1/cases/{case_id}/helper", "put"): {
    "409": "case_escalated: the case is above grid level; case_closed: the case is no longer open"}}
