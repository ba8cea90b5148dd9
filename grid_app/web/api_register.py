"""JSON API for register operations: residents' care tags, the care code lists, and the admin's exports."""
from __future__ import annotations

import io

from flask import Blueprint, current_app, jsonify, request, send_file
from flask_login import current_user, login_required

from grid_app.extensions import db
from grid_app.people import care, export
from grid_app.people.crypto import app_keyring
from grid_app.platform.i18n import ui_language

bp = Blueprint("api_register", __name__, url_prefix="/api/v1")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
TRUE = ("1", "true", "yes")


def _private(response):
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or the browser
    return response


@bp.get("/care-tags")
@login_required
def care_tags():
    """The care tags and levels (code lists for the phone and the desk; no residents)."""
    return jsonify(care.code_lists(db.session))


@bp.put("/residents/<int:resident_id>/care")
@login_required
def set_care(resident_id: int):
    """{"tags": [{"tag": code, "level": code}, ...]} replaces the resident's care tags, audited."""
    result = care.set_resident_care(db.session, current_user, resident_id, request.get_json(silent=True))
    return _private(jsonify(result))


@bp.get("/exports/residents.<fmt>")
@login_required
def export_residents(fmt: str):
    """The register with the import's columns (admin): ?community=CODE, ?unmasked=1&reason=TEXT; audited."""
    unmasked = (request.args.get("unmasked") or "").lower() in TRUE
    reason = export.check_request(current_user, fmt, unmasked=unmasked, reason=request.args.get("reason"))
    place = export.community_filter(db.session, current_user, request.args.get("community"))
    rows = export.resident_rows(db.session, app_keyring(current_app), place, unmasked=unmasked)
    buf = io.BytesIO()
    export.write(rows, fmt, buf, ui_language())
    export.record(db.session, current_user, fmt, place, unmasked=unmasked, rows=len(rows), reason=reason)
    db.session.commit()  # the audit line is written before a byte of personal data leaves
    buf.seek(0)
    name = f"residents-{place.code if place is not None else 'all'}{'' if unmasked else '-masked'}.{fmt}"
    return _private(send_file(buf, mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name))


_FMT = [{"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": list(export.FORMATS)}}]
_RESIDENT_ID = [{"name": "resident_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
# OpenAPI entries (path, method, summary, parameters, body schema, success status, login needed): openapi.py.
OPENAPI = [
    ("/api/v1/care-tags", "get", "Care tags and care levels (code lists with visit intervals)", [], None, "200", True),
    ("/api/v1/residents/{resident_id}/care", "put",
     "Replace a resident's care tags (their grid workers, community secretary, admins), audited; [] clears",
     _RESIDENT_ID, {"type": "object", "required": ["tags"], "properties": {"tags": {
         "type": "array", "items": {"type": "object", "required": ["tag", "level"], "properties": {
             "tag": {"type": "string"}, "level": {"type": "string"}}}}}}, "200", True),
    ("/api/v1/exports/residents.{fmt}", "get",
     "The register with the import's columns (admin only), masked unless unmasked=1 with a reason; audited",
     _FMT + [{"name": "community", "in": "query", "schema": {"type": "string"}},
             {"name": "unmasked", "in": "query", "schema": {"type": "string", "enum": ["1"]}},
             {"name": "reason", "in": "query", "schema": {"type": "string", "maxLength": export.MAX_REASON}}],
     None, "200", True),
]
