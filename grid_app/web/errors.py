"""One place that maps domain errors and HTTP errors to responses: JSON for the API, pages otherwise."""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from grid_app.platform.errors import DomainError


def wants_json() -> bool:
    """True for API routes and clients that ask for JSON."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, details=None):
    """The single error shape: {"error": code, "message": text} (+ details)."""
    if wants_json():
        body = {"error": code, "message": message}
        if details is not None:
            body["details"] = details
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "csrf_failed", exc.description)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        body, status = error_response(exc.code or 500, code, exc.description or exc.name)
        # Keep the exception's own headers (Allow on 405, Retry-After on 429), as RFC 9110 asks.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    def unavailable():
        from grid_app.extensions import login_manager
        # The page's layout asks who is logged in, and loading (or refreshing) the user needs the
        # database that just failed: the outage page is shown as to a visitor, or it would answer 500.
        g._login_user = login_manager.anonymous_user()
        return error_response(503, "database_unavailable",
                              _("The database is not reachable; please retry shortly."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(exc: DBAPIError):
        from grid_app.extensions import db
        db.session.rollback()
        app.logger.warning("database unavailable: %s", exc.orig)
        return unavailable()

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        from grid_app.extensions import db
        db.session.rollback()
        if exc.connection_invalidated:
            return unavailable()
        app.logger.exception("database error")
        return error_response(500, "internal_error", _("Internal error."))
