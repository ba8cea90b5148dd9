"""JSON API for publishing a case to Open311, and for an administrator's redact and hide."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required

from grid_app.cases import moderation, queries, transitions
from grid_app.extensions import db
from grid_app.platform.errors import InvalidInput
from grid_app.web.api_cases import photo_url

bp = Blueprint("api_moderation", __name__, url_prefix="/api/v1")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("body must be a JSON object", code="bad_body")
    return body


def _flag(body: dict, name: str) -> bool:
    if not isinstance(body.get(name), bool):
        raise InvalidInput(f"{name} must be true or false", code="bad_body")
    return body[name]


def _answer(case):
    return jsonify(queries.case_json(queries.fetch(db.session, case.id), photo_url,
                                     transitions.available_actions(current_user, case)))


@bp.post("/cases/<int:case_id>/publish")
@login_required
def publish(case_id: int):
    """{"published": true|false}: list the case on Open311, or keep it internal."""
    return _answer(moderation.set_published(db.session, current_user, case_id, _flag(_body(), "published")))


@bp.post("/cases/<int:case_id>/hide")
@login_required
def hide(case_id: int):
    """{"hidden": true|false, "reason": text}: hide the case from everyone but administrators."""
    body = _body()
    return _answer(moderation.set_hidden(db.session, current_user, case_id, _flag(body, "hidden"), body.get("reason")))


@bp.post("/cases/<int:case_id>/redact")
@login_required
def redact(case_id: int):
    """{"reason": text}: replace the case's text; the original is kept in the audit log."""
    return _answer(moderation.redact(db.session, current_user, case_id, _body().get("reason")))

