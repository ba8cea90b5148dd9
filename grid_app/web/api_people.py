"""JSON API for the household register and visits: masked, scoped reads, the audited reveal, visits sent once."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.cases import queries as case_queries
from grid_app.extensions import db
from grid_app.people import queries, visit_case, visits
from grid_app.people.crypto import app_keyring
from grid_app.places.hierarchy import parse_paging
from grid_app.platform.errors import InvalidInput
from grid_app.web.api_cases import photo_url

bp = Blueprint("api_people", __name__, url_prefix="/api/v1")


def _private(response):
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or the browser
    return response


@bp.get("/residents")
@login_required
def residents():
    """Residents in the caller's scope, masked: ?building=CODE or ?grid=CODE, limit, offset."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(queries.list_residents(
        db.session, current_user, app_keyring(current_app), building=request.args.get("building"),
        grid=request.args.get("grid"), limit=limit, offset=offset)))


@bp.get("/residents/<int:resident_id>")
@login_required
def resident(resident_id: int):
    """One resident, masked."""
    found = queries.get_resident(db.session, current_user, resident_id)
    return _private(jsonify(queries.resident_json(found, app_keyring(current_app))))


@bp.post("/residents/<int:resident_id>/reveal")
@login_required
def reveal(resident_id: int):
    """{"field": "id_number"|"phone", "reason": text}: one full value, audited (secretary, admin)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('body must be JSON {"field": "id_number"|"phone", "reason": "..."}', code="bad_body")
    return _private(jsonify(queries.reveal(db.session, current_user, app_keyring(current_app), resident_id,
                                           body.get("field"), body.get("reason"))))


@bp.get("/households")
@login_required
def households():
    """The flats of a building in the caller's scope: ?building=CODE (counts of residents, no names)."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(queries.list_households(db.session, current_user, building=request.args.get("building"),
                                                    limit=limit, offset=offset)))


@bp.get("/visits/due")
@login_required
def visits_due():
    """Key residents with their next visit due, overdue first: ?grid=CODE, limit, offset."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(visits.due_list(db.session, current_user, grid=request.args.get("grid"),
                                            limit=limit, offset=offset)))


@bp.post("/visits")
@login_required
def record_visit():
    """Record a visit; the same idempotency_key again answers 200 with the visit already stored."""
    data = visits.parse_visit(request.get_json(silent=True))
    visit, created = visits.record_visit(db.session, current_user, data)
    return _private(jsonify(visits.visit_json(visit))), 201 if created else 200


@bp.get("/residents/<int:resident_id>/visits")
@login_required
def resident_visits(resident_id: int):
    """One resident's visits, newest first."""
    limit, offset = parse_paging(request.args.get("limit"), request.args.get("offset"))
    return _private(jsonify(visits.resident_visits(db.session, current_user, resident_id,
                                                   limit=limit, offset=offset)))


def _case_answer(case, created: bool):
    """The case made from a visit, as the case API shows it, with the visit it came from."""
    body = case_queries.case_json(case_queries.fetch(db.session, case.id), photo_url)
    body["visit_id"] = case.visit_id
    return _private(jsonify(body)), 201 if created else 200


@bp.post("/visits/<int:visit_id>/case")
@login_required
def visit_to_case(visit_id: int):
    """转为事件: {"category", "description"?, "idempotency_key"}: the visit's finding becomes a case, once."""
    data = visit_case.parse_visit_case(db.session, request.get_json(silent=True))
    case, created = visit_case.case_from_visit(db.session, current_user, data, visit_id=visit_id,
                                               upload_dir=current_app.config["UPLOAD_DIR"],
                                               snap_m=current_app.config["GRID_SNAP_M"])
    return _case_answer(case, created)


@bp.post("/visits/by-key/<key>/case")
@login_required
def visit_key_to_case(key: str):
    """转为事件 for a visit named by its idempotency key: the phone's outbox chains a case to a visit it sent."""
    data = visit_case.parse_visit_case(db.session, request.get_json(silent=True))
    case, created = visit_case.case_from_visit(db.session, current_user, data, visit_key=key,
                                               upload_dir=current_app.config["UPLOAD_DIR"],
                                               snap_m=current_app.config["GRID_SNAP_M"])
    return _case_answer(case, created)
