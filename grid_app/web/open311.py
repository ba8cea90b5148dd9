"""Open311 GeoReport v2 under /open311/v2/: discovery, services, and filing and reading requests.

Every answer comes as JSON or XML by the path's extension, errors included (the spec's list of
{code, description}). Filing needs an api_key issued with `flask grid api-key-add`; it is also the
rate-limit key, so one client cannot starve the others.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from grid_app.extensions import db, limiter
from grid_app.open311 import keys, listing, render, reports, services
from grid_app.platform.errors import DomainError, InvalidInput, NotFound
from grid_app.platform.i18n import ui_language

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
DEFAULT_RATE = "60 per minute"


def _rate() -> str:
    return current_app.config.get("OPEN311_RATE_LIMIT", DEFAULT_RATE)


def _rate_key() -> str:
    # Per client key when one is sent (a hash, so keys never sit in the limiter's storage).
    plain = request.values.get("api_key")
    return "open311-key:" + keys.digest(plain)[:24] if plain else "open311-ip:" + get_remote_address()


limited = limiter.limit(_rate, key_func=_rate_key)


def _format(fmt: str) -> str:
    if fmt not in render.FORMATS:
        raise InvalidInput(f"format must be .json or .xml, got .{fmt}", code="bad_format")
    return fmt


def answer(fmt: str, root: str, body, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON or XML response with the spec's content type."""
    return Response(render.render(fmt, root, body), status=status, mimetype=None,
                    content_type=render.FORMATS[fmt], headers=headers)


def _error_format() -> str:
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in render.FORMATS else "json"


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):
    """Domain errors in the spec's error format."""
    return answer(_error_format(), "errors", render.errors([(exc.status, exc.message)]), exc.status)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """HTTP errors (405, 413, 429...) in the spec's error format."""
    status = exc.code or 500
    return answer(_error_format(), "errors", render.errors([(status, exc.description or exc.name)]), status)


@bp.get("/discovery.<fmt>")
@limited
def discovery(fmt: str):
    """Where this endpoint is and which formats it speaks."""
    base = request.url_root.rstrip("/") + url_for("open311.discovery", fmt="json").rsplit("/", 1)[0] + "/"
    body = services.discovery(
        base, current_app.config.get("OPEN311_CONTACT", "网格化服务管理中心"),
        current_app.config.get("OPEN311_KEY_SERVICE",
                               "API keys are issued by the district's grid management centre."))
    return answer(_format(fmt), "discovery", body)


@bp.get("/services.<fmt>")
@limited
def service_list(fmt: str):
    """Every service (case category)."""
    fmt = _format(fmt)
    return answer(fmt, "services", services.service_list(db.session, ui_language()))


@bp.get("/services/<code>.<fmt>")
@limited
def service_definition(code: str, fmt: str):
    """One service's extra attributes."""
    fmt = _format(fmt)
    return answer(fmt, "service_definition", services.definition(db.session, code, ui_language()))


@bp.get("/requests.<fmt>")
@limited
def get_requests(fmt: str):
    """Requests by id, service, dates and status; last 90 days and 1,000 at most by default."""
    fmt = _format(fmt)
    query = listing.parse_query(request.args)
    cases, total = listing.find(db.session, query)
    return answer(fmt, "service_requests", listing.as_open311(db.session, cases, ui_language()),
                  headers={"X-Total-Count": str(total)})


@bp.post("/requests.<fmt>")
@limited
def post_requests(fmt: str):
    """File a request (form-encoded); answers [{service_request_id, service_notice, account_id}]."""
    fmt = _format(fmt)
    key = keys.check(db.session, request.values.get("api_key"))
    case, created = reports.submit(
        db.session, key, request.form, upload_dir=current_app.config["UPLOAD_DIR"],
        snap_m=current_app.config["GRID_SNAP_M"], lang=ui_language())
    body = [{"service_request_id": str(case.id),
             "service_notice": services.notice(case.category, case.level, ui_language(),
                                               located=case.grid_id is not None),
             "account_id": request.form.get("account_id") or None}]
    return answer(fmt, "service_requests", body, 201 if created else 200)


@bp.get("/requests/<request_id>.<fmt>")
@limited
def get_request(request_id: str, fmt: str):
    """One request, as a list of one (as the spec has it)."""
    fmt = _format(fmt)
    case = listing.one(db.session, request_id)
    return answer(fmt, "service_requests", listing.as_open311(db.session, [case], ui_language()))


@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str):
    """Any other path or method under /open311/v2/: an error in the spec's format, not a page."""
    if any(request.path.endswith(f"/{name}.{ext}") for name in ("services", "requests", "discovery")
           for ext in render.FORMATS):
        raise MethodNotAllowed(description=f"{request.method} is not allowed on {request.path}")
    raise NotFound(f"no Open311 method at {request.path}", code="not_found")
