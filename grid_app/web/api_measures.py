"""JSON API for planners' measures: the life-circle checklist, capacity against demand (2SFCA), equity."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.coverage import measures as measures_service
from grid_app.coverage.service import LIMIT_MINUTES
from grid_app.extensions import db
from grid_app.platform.errors import InvalidInput

bp = Blueprint("api_measures", __name__, url_prefix="/api/v1")


@bp.get("/measures")
@login_required
def measures():
    """?community=CODE[&type=CODE][&minutes=M]: the checklist; with a type its 2SFCA and equity figures."""
    code = request.args.get("community")
    if not code:
        raise InvalidInput("community is required", code="missing_community")
    community = scope.community_in_scope(db.session, current_user, code)
    return jsonify(measures_service.measures(
        db.session, community, current_app.config["WALK_SPEED_M_S"], current_app.config["DEMAND_AGE_SHARES"],
        type_code=request.args.get("type") or None, minutes=request.args.get("minutes")))


OPENAPI = [
    ("/api/v1/measures", "get", "Planners' measures of a community: the life-circle checklist (达标 / 不达标 per "
     "level and type, GB 50180-2018, TD/T 1062-2021); with a type, capacity against demand (2SFCA per building, "
     "residential area and community, catchment the walking minutes) and equity across residential areas "
     "(Gini and bottom-20 % share of the coverage share and of the 2SFCA score)",
     [{"name": "community", "in": "query", "required": True, "schema": {"type": "string"}},
      {"name": "type", "in": "query", "schema": {"type": "string"}},
      {"name": "minutes", "in": "query", "schema": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                                    "maximum": LIMIT_MINUTES},
       "description": "catchment and coverage walk; default the type's circle level"}], None, "200", True),
]
MORE_ERRORS = {("/api/v1/measures", "get"): {
    "409": "coverage_not_computed: the coverage job has not run yet; no_age_share: DEMAND_AGE_SHARES lacks the type"}}
