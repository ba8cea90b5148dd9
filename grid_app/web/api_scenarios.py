"""JSON API for coverage scenarios: evaluate a change set live, save, list, read, delete, compare."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from grid_app.access import scope
from grid_app.coverage import scenario_measures, scenario_store, scenario_suggest
from grid_app.coverage.scenario import evaluate as evaluate_changes
from grid_app.coverage.scenario_input import MAX_ADDED, MAX_REMOVED, SPEED_RANGE, check_changes
from grid_app.coverage.service import LIMIT_MINUTES
from grid_app.extensions import db
from grid_app.places.locate import CRS_CHOICES
from grid_app.platform.errors import Conflict, InvalidInput

bp = Blueprint("api_scenarios", __name__, url_prefix="/api/v1/scenarios")


def _speed() -> float:
    return current_app.config["WALK_SPEED_M_S"]


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object (the change set)", code="bad_body")
    return body


def _community(code):
    if not isinstance(code, str) or not code:
        raise InvalidInput("community (a community code) is required", code="missing_community")
    return scope.community_in_scope(db.session, current_user, code)


def _visible() -> set[int] | None:
    ids = scope.visible_community_ids(db.session, current_user)
    return None if ids is None else set(ids)


def _id(name: str) -> int:
    value = request.args.get(name, "")
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise InvalidInput(f"{name} must be a scenario id", code=f"bad_{name}")
    return int(value)


def _private(response, status: int = 200):
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.post("/evaluate")
@login_required
def evaluate():
    """Coverage today and under a change set, per residential area and grid; nothing is stored."""
    scenario_store.require_role(current_user)
    body = _body()
    community = _community(body.get("community"))
    changes = check_changes(db.session, community, {k: v for k, v in body.items() if k != "community"}, _speed())
    result = evaluate_changes(db.session, community, changes, _speed())
    try:  # the planners' measures before -> after; coverage alone still answers without them
        result["measures"] = scenario_measures.compare(db.session, community, changes, _speed(),
                                                       current_app.config["DEMAND_AGE_SHARES"])
    except Conflict as exc:
        result["measures"] = {"unavailable": exc.code, "message": exc.message}
    result["seconds_total"] = round(result["seconds"] + result["measures"].get("seconds", 0.0), 4)
    return _private(jsonify(result))


@bp.post("/suggest")
@login_required
def suggest():
    """建议选址: k sites in the community by maximal coverage, returned as the scenario's change set."""
    scenario_store.require_role(current_user)
    body = _body()
    community = _community(body.get("community"))
    changes, k, kind, layer = scenario_suggest.check_request(
        db.session, community, {key: v for key, v in body.items() if key != "community"}, _speed())
    return _private(jsonify(scenario_suggest.suggest(db.session, community, changes, k, kind, layer, _speed())))


@bp.post("")
@login_required
def save():
    """Evaluate a change set and save it under a name (201 with the figures and the id)."""
    scenario_store.require_role(current_user)
    body = _body()
    community = _community(body.get("community"))
    found = scenario_store.save(db.session, community, current_user,
                                {k: v for k, v in body.items() if k != "community"}, _speed())
    db.session.commit()
    return _private(jsonify(found), 201)


@bp.get("")
@login_required
def listed():
    """?community=CODE[&type=CODE]: the community's saved scenarios, newest first."""
    scenario_store.require_role(current_user)
    community = _community(request.args.get("community"))
    return _private(jsonify({"scenarios": scenario_store.listed(db.session, community,
                                                                request.args.get("type") or None)}))


@bp.get("/compare")
@login_required
def compare():
    """?a=ID&b=ID: two saved scenarios of one community and type, side by side with today."""
    scenario_store.require_role(current_user)
    ids, visible = [_id(k) for k in ("a", "b")], _visible()  # both checked before either is looked up
    a, b = (scenario_store.get(db.session, i, visible) for i in ids)
    return _private(jsonify(scenario_store.compare(db.session, a, b, _speed())))


@bp.get("/<int:scenario_id>")
@login_required
def detail(scenario_id: int):
    """A saved scenario with its figures recomputed on today's data."""
    scenario_store.require_role(current_user)
    row = scenario_store.get(db.session, scenario_id, _visible())
    return _private(jsonify(scenario_store.figures(db.session, row, _speed())))


@bp.delete("/<int:scenario_id>")
@login_required
def remove(scenario_id: int):
    """Delete a saved scenario (its author or an administrator)."""
    scenario_store.require_role(current_user)
    row = scenario_store.get(db.session, scenario_id, _visible())
    scenario_store.delete(db.session, row, current_user)
    db.session.commit()
    return "", 204


# OpenAPI: (path, method, summary, parameters, body schema, success status, login), as in web/openapi.py.
_SITE = {"type": "object", "required": ["lon", "lat"], "properties": {
    "lon": {"type": "number"}, "lat": {"type": "number"}, "name": {"type": "string", "maxLength": 200},
    "capacity": {"type": "integer", "minimum": 0}}}
_CHANGES = {"type": "object", "required": ["community", "type"], "properties": {
    "community": {"type": "string"}, "type": {"type": "string", "description": "facility type code"},
    "minutes": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": LIMIT_MINUTES},
    "speed_m_s": {"type": "number", "minimum": SPEED_RANGE[0], "maximum": SPEED_RANGE[1]},
    "crs": {"type": "string", "enum": list(CRS_CHOICES)},
    "add": {"type": "array", "maxItems": MAX_ADDED, "items": _SITE},
    "remove": {"type": "array", "maxItems": MAX_REMOVED, "items": {"type": "integer"},
               "description": "ids of facilities of the type in the community"}}}
_SUGGEST = {**_CHANGES, "required": ["community", "type", "k"], "properties": {
    **_CHANGES["properties"], "k": {"type": "integer", "minimum": 1, "maximum": scenario_suggest.MAX_K},
    "candidates": {"type": "string", "enum": list(scenario_suggest.CANDIDATES), "default": "network",
                   "description": "the network's nodes in the community, or the points of `layer`"},
    "layer": {"type": "object", "description": "GeoJSON FeatureCollection of available plots (candidates 'layer'; "
              f"at most {scenario_suggest.MAX_LAYER_SITES} features; a polygon gives a point on it)"}}}
_SCENARIO_ID = [{"name": "scenario_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
OPENAPI = [
    ("/api/v1/scenarios/evaluate", "post", "Coverage today and under a change set (planned sites, closures, walking "
     "speed) per residential area and grid, with the homes gained or lost; nothing is stored", [], _CHANGES, "200",
     True),
    ("/api/v1/scenarios/suggest", "post", "建议选址: the k sites in the community (network nodes or a layer of "
     "plots) that bring the most residents not yet covered by the scenario within the walk (maximal coverage, "
     "greedy), returned as the scenario's change set with them added; nothing is stored", [], _SUGGEST, "200", True),
    ("/api/v1/scenarios", "post", "Evaluate a change set and save it as a named scenario", [],
     {**_CHANGES, "required": ["community", "type", "name"],
      "properties": {**_CHANGES["properties"], "name": {"type": "string", "minLength": 1, "maxLength": 100}}},
     "201", True),
    ("/api/v1/scenarios", "get", "A community's saved scenarios, newest first",
     [{"name": "community", "in": "query", "required": True, "schema": {"type": "string"}},
      {"name": "type", "in": "query", "schema": {"type": "string"}}], None, "200", True),
    ("/api/v1/scenarios/compare", "get", "Two saved scenarios of one community and type side by side with today",
     [{"name": n, "in": "query", "required": True, "schema": {"type": "integer"}} for n in ("a", "b")],
     None, "200", True),
    ("/api/v1/scenarios/{scenario_id}", "get", "A saved scenario with its figures recomputed on today's data",
     _SCENARIO_ID, None, "200", True),
    ("/api/v1/scenarios/{scenario_id}", "delete", "Delete a saved scenario (its author or an administrator)",
     _SCENARIO_ID, None, "204", True),
]
