"""JSON API for categories and cases: intake, listing, one case, transitions, events, photos."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, current_app, jsonify, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import inspect
from werkzeug.exceptions import RequestEntityTooLarge

from grid_app.access.scope import get_case
from grid_app.cases import intake, photos, queries, transitions
from grid_app.extensions import db
from grid_app.models import CasePhoto, Category
from grid_app.platform import reference
from grid_app.platform.errors import InvalidInput, NotFound

bp = Blueprint("api_cases", __name__, url_prefix="/api/v1")


def photo_url(photo: CasePhoto, thumb: bool) -> str:
    """URL of a stored photo (scope is checked when it is fetched)."""
    return url_for("api_cases.photo", case_id=photo.case_id, photo_id=photo.id, thumb=1 if thumb else None)


def category_json(c: Category) -> dict:
    """The JSON form of a category."""
    return {"code": c.code, "name": c.name, "name_en": c.name_en, "group": c.group_name,
            "level": c.default_level, "deadline_hours": c.deadline_hours}


@bp.get("/categories")
def categories():
    """The active case categories with their handling level and deadlines."""
    return jsonify({"categories": [category_json(c) for c in reference.active_categories(db.session)]})


# A case or a transition in JSON is a few kilobytes of text; photos come as multipart.
JSON_MAX_BYTES = 64 * 1024
MAX_ID = 2**31 - 1  # ids and versions are PostgreSQL integers


def _request_fields() -> tuple[dict, list[tuple[str, bytes]]]:
    """Fields and photo uploads from a JSON or multipart body."""
    if request.mimetype == "application/json":
        if (request.content_length or 0) > JSON_MAX_BYTES or len(request.get_data(cache=True)) > JSON_MAX_BYTES:
            raise RequestEntityTooLarge(f"a JSON body may hold at most {JSON_MAX_BYTES // 1024} KB; "
                                        "send photos as multipart/form-data")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidInput("body must be a JSON object", code="bad_body")
        return body, []
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        files = [(f.filename or "photo", f.read()) for f in request.files.getlist("photos") if f]
        return request.form.to_dict(), files
    raise InvalidInput("send JSON or multipart/form-data", code="bad_body")


@bp.post("/cases")
@login_required
def create_case():
    """Log a case; the same idempotency_key again answers 200 with the same case."""
    fields, uploads = _request_fields()
    data = intake.parse_case_input(db.session, fields)
    with _loaded_after_commit():
        logged = intake.log_case(
            db.session, current_user, data, uploads, upload_dir=current_app.config["UPLOAD_DIR"],
            snap_m=current_app.config["GRID_SNAP_M"], read_for=current_user)
        case, back = logged.case, logged.back
        if not logged.created:  # the same key again: no commit happened, read the stored case as it is now
            case = queries.fetch(db.session, inspect(case).identity[0])
            return jsonify(queries.case_json(case, photo_url, transitions.available_actions(current_user, case)))
        if uploads:
            intake.read_photos(db.session, case)
        actions = transitions.available_actions(current_user, case, in_area=back.may_act)
        body = queries.case_json(case, photo_url, actions, places=back.places)
        body["possible_duplicates"] = [
            {"id": c.id, "description": c.description, "created_at": c.created_at.isoformat()}
            for c in back.duplicates]
    return jsonify(body), 201


@contextmanager
def _loaded_after_commit() -> Iterator[None]:
    """Keep the request's objects loaded across its commit (the session's default expires them all).

    The answer is read inside the intake's transaction; the commit changes none of it, so reloading
    the case and the user afterwards would only cost statements and a second connection.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = True


@bp.get("/cases")
@login_required
def list_cases():
    """Cases in the caller's scope, filtered and paged."""
    f = queries.parse_filter(request.args)
    cases, total = queries.list_cases(db.session, current_user, f)
    return jsonify({"cases": [queries.case_json(c, photo_url) for c in cases],
                    "total": total, "total_exact": getattr(total, "exact", True), "limit": f.limit,
                    "offset": f.offset})


@bp.get("/cases/<int:case_id>")
@login_required
def get_one(case_id: int):
    """One case with the actions the caller may take."""
    case = get_case(db.session, current_user, case_id)
    return jsonify(queries.case_json(case, photo_url, transitions.available_actions(current_user, case)))


@bp.post("/cases/<int:case_id>/transitions")
@login_required
def transition(case_id: int):
    """Apply {"action", "note", "version", "into", "rating", "grid"}; photos may come with `report`."""
    fields, uploads = _request_fields()
    version, into, rating = (_whole_number(fields, name) for name in ("version", "into", "rating"))
    for name in ("action", "note", "grid"):
        if fields.get(name) is not None and not isinstance(fields[name], str):
            raise InvalidInput(f"{name} must be text", code="bad_body")
    transitions.check_photo_action(fields.get("action"), len(uploads))  # before the photos are decoded
    case = transitions.transition(db.session, current_user, case_id, fields.get("action") or "",
                                  note=fields.get("note"), version=version, into=into, rating=rating,
                                  grid=fields.get("grid"), after_photos=photos.check_photos(uploads),
                                  upload_dir=current_app.config["UPLOAD_DIR"])
    return jsonify(queries.case_json(case, photo_url, transitions.available_actions(current_user, case)))


def _whole_number(fields: dict, name: str) -> int | None:
    """A whole number from 0 to MAX_ID (JSON integer or digits in a form), None when absent."""
    value = fields.get(name)
    if value in (None, ""):
        return None
    try:
        # bool is an int and 1.5 would truncate: neither is a whole number here.
        if isinstance(value, (bool, float)) or not isinstance(value, (int, str)):
            raise TypeError(name)
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be a whole number", code="bad_body") from exc
    if not 0 <= number <= MAX_ID:
        raise InvalidInput(f"{name} must be a whole number from 0 to {MAX_ID}", code="bad_body")
    return number


@bp.get("/cases/<int:case_id>/events")
@login_required
def events(case_id: int):
    """The case's append-only event log."""
    case = get_case(db.session, current_user, case_id)
    return jsonify({"events": [queries.event_json(e) for e in case.events]})


@bp.get("/cases/<int:case_id>/photos/<int:photo_id>")
@login_required
def photo(case_id: int, photo_id: int):
    """A photo of a case in scope (thumbnail with ?thumb=1)."""
    case = get_case(db.session, current_user, case_id)
    found = next((p for p in case.photos if p.id == photo_id), None)
    if found is None:
        raise NotFound(f"no photo {photo_id} on case {case_id}", code="photo_not_found")
    thumb = request.args.get("thumb") == "1"
    path = os.path.join(current_app.config["UPLOAD_DIR"], found.thumb_path if thumb else found.path)
    response = send_file(path, mimetype="image/jpeg" if thumb else found.content_type)
    # A photo of a case is as private as the case: no shared cache, no copy left on a shared computer.
    response.headers["Cache-Control"] = "private, no-store"
    return response
