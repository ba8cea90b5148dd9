"""JSON API for the secretary's figures: counts of residents and visits per grid, in the caller's scope."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from grid_app.extensions import db
from grid_app.people import figures

bp = Blueprint("api_people_figures", __name__, url_prefix="/api/v1")


@bp.get("/people/figures")
@login_required
def people_figures():
    """?community=CODE or ?grid=CODE: residents, households, key residents, visits and 走访覆盖率 per grid."""
    body = figures.figures(db.session, current_user, community=request.args.get("community"),
                           grid=request.args.get("grid"))
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"  # counts of vulnerable people and masked names: never cached
    return response
