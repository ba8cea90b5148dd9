"""Health endpoints for load balancers and orchestrators."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from grid_app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def liveness():
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readiness():
    """The database answers; 503 with the JSON error body otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify({"error": "database_unavailable", "message": "the database is not reachable"}), 503
    return jsonify({"status": "ready"})
