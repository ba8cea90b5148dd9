"""JSON API for the party side (双报到): members (masked, scoped), units, approval, the organisation tree."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.extensions import db
from grid_app.party import members, membership, units
from grid_app.party.registration import check_registration
from grid_app.people.crypto import app_keyring
from grid_app.places.hierarchy import parse_paging
from grid_app.platform.errors import InvalidInput

bp = Blueprint("api_party", __name__, url_prefix="/api/v1")


def _private(response):
    response.headers["Cache-Control"] = "no-store"  # names and masked phones: never kept by a cache
    return response


def _one(member) -> dict:
    return members.members_json(db.session, current_user, app_keyring(current_app), [member])[0]


@bp.get("/party-members")
@login_required
def list_members():
    """Members in the caller's scope, phones masked: ?status=pending|approved|rejected|left, ?community=CODE."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(members.list_members(
        db.session, current_user, app_keyring(current_app), status=request.args.get("status") or None,
        community=request.args.get("community") or None, limit=limit, offset=offset)))


@bp.get("/party-members/<int:member_id>")
@login_required
def get_member(member_id: int):
    """One member record (a member account: only its own)."""
    return _private(jsonify(_one(members.get_member(db.session, current_user, member_id))))


@bp.post("/party-members")
@login_required
def register_member():
    """Register a member on their behalf (the community's secretary, admin): a pending record."""
    scope.require_party_role(current_user, desk=True)
    reg = check_registration(db.session, request.get_json(silent=True),
                             snap_m=current_app.config["GRID_SNAP_M"])
    members.require_desk_community(db.session, current_user, reg.building)
    member = members.register(db.session, app_keyring(current_app), reg)
    body = _one(member)
    db.session.commit()
    return _private(jsonify(body)), 201


def _decide(member_id: int, decision: str):
    body = request.get_json(silent=True)
    if body is not None and not isinstance(body, dict):
        raise InvalidInput('body must be JSON {"note": "..."} or empty', code="bad_body")
    member = members.decide(db.session, current_user, member_id, decision, (body or {}).get("note"))
    result = _one(member)
    db.session.commit()
    return _private(jsonify(result))


@bp.post("/party-members/<int:member_id>/approve")
@login_required
def approve(member_id: int):
    """Approve a pending member of the caller's community (audited); {"note": ...} optional."""
    return _decide(member_id, "approve")


@bp.post("/party-members/<int:member_id>/reject")
@login_required
def reject(member_id: int):
    """Reject a pending member of the caller's community (audited); {"note": ...} optional."""
    return _decide(member_id, "reject")


@bp.get("/party-units")
@login_required
def list_units():
    """Registered units of the communities whose party side the caller reads: ?community=CODE."""
    return jsonify({"units": units.list_units(db.session, current_user,
                                              community=request.args.get("community") or None)})


@bp.get("/communities/<code>/party-tree")
@login_required
def party_tree(code: str):
    """党委 → 党支部 → 党小组 of a community with approved members per level (derived from home buildings)."""
    community = units.party_community(db.session, current_user, code)
    return jsonify(membership.party_tree(db.session, community))


_ID = [{"name": "member_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_PAGING = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
           {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}]
_COMMUNITY = {"name": "community", "in": "query", "schema": {"type": "string"}}
_TEXT = {"type": "string"}
REGISTRATION = {"type": "object", "required": ["name", "phone"], "properties": {
    "name": {"type": "string", "maxLength": 50}, "phone": {"type": "string", "maxLength": 20},
    "building": {"type": "string", "maxLength": 32, "description": "home building code (or give lon and lat)"},
    "lon": {"type": "number"}, "lat": {"type": "number"}, "crs": {"type": "string", "enum": ["wgs84", "gcj02"]},
    "unit": {"type": "string", "maxLength": 32, "description": "a registered unit's code (or give employer_name)"},
    "employer_name": {"type": "string", "maxLength": 200}, "employer_party_org": {"type": "string", "maxLength": 200},
    "skills": {"type": "string", "maxLength": 500}}}
DECISION = {"type": "object", "properties": {"note": {"type": "string", "maxLength": 500}}}
# OpenAPI entries (path, method, summary, parameters, body schema, success status, login needed): openapi.py.
OPENAPI = [
    ("/api/v1/party-members", "get", "Party members in the caller's scope (secretary: community, street: street, "
     "admin: all, member: own record), phones masked, 党小组/党支部 derived from the home building",
     [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "approved", "rejected", "left"]}},
      _COMMUNITY, *_PAGING], None, "200", True),
    ("/api/v1/party-members", "post", "Register a member living in the caller's community (secretary, admin): "
     "pending until approved; the same phone with the same employer again is 409 already_registered",
     [], REGISTRATION, "201", True),
    ("/api/v1/party-members/{member_id}", "get", "One party member record, masked", _ID, None, "200", True),
    ("/api/v1/party-members/{member_id}/approve", "post", "Approve a pending member of the caller's community "
     "(secretary, admin), audited; not pending: 409 not_pending", _ID, DECISION, "200", True),
    ("/api/v1/party-members/{member_id}/reject", "post", "Reject a pending member of the caller's community "
     "(secretary, admin), audited", _ID, DECISION, "200", True),
    ("/api/v1/party-units", "get", "Registered units (单位报到) of the communities whose party side the caller reads",
     [_COMMUNITY], None, "200", True),
    ("/api/v1/communities/{code}/party-tree", "get", "党委 → 党支部 → 党小组 of a community with approved members "
     "per level, derived from the members' home buildings",
     [{"name": "code", "in": "path", "required": True, "schema": _TEXT}], None, "200", True),
]
