"""JSON API for facility types, coverage and isochrones."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.coverage import service as coverage_service
from grid_app.extensions import db
from grid_app.platform import reference
from grid_app.platform.errors import InvalidInput

bp = Blueprint("api_coverage", __name__, url_prefix="/api/v1")


@bp.get("/facility-types")
def facility_types():
    """The facility types with their circle level (5, 10 or 15 minutes)."""
    rows = reference.facility_types(db.session)
    return jsonify({"facility_types": [
        {"code": t.code, "name": t.name, "name_en": t.name_en, "circle_minutes": t.circle_minutes}
        for t in rows]})


def _required(name: str) -> str:
    value = request.args.get(name)
    if not value:
        raise InvalidInput(f"{name} is required", code=f"missing_{name}")
    return value


@bp.get("/coverage")
@login_required
def coverage():
    """?community=CODE&type=CODE[&minutes=M]: residents covered, in all and per residential area."""
    community = scope.community_in_scope(db.session, current_user, _required("community"))
    return jsonify(coverage_service.view(
        db.session, community, _required("type"), request.args.get("minutes"), current_app.config["WALK_SPEED_M_S"],
        distances=False, isochrones=False).summary)


@bp.get("/isochrones")
@login_required
def isochrones():
    """?type=CODE[&minutes=M][&community=CODE]: walking-time areas of each facility (GeoJSON).

    Users who see only part of the district name one of their communities."""
    code = request.args.get("community") if scope.sees_everything(current_user) else _required("community")
    if code:
        code = scope.community_in_scope(db.session, current_user, code).code
    return jsonify(coverage_service.isochrones_geojson(
        db.session, _required("type"), request.args.get("minutes"), current_app.config["WALK_SPEED_M_S"], code))
