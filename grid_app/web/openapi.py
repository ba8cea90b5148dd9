"""The OpenAPI 3 document of /api/v1, built from one table of operations.

Every limit in it (lengths, ranges, enumerations, page sizes) is imported from the module that
enforces it, so the document cannot drift from what the API accepts.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from grid_app.cases import dates, indicators, intake, intake_sql, queries, transitions, workflow
from grid_app.cases.moderation import MAX_REASON
from grid_app.config import Defaults
from grid_app.models.care import VISIT_KINDS
from grid_app.coverage.service import LIMIT_MINUTES
from grid_app.people import queries as people_queries
from grid_app.people import visits as people_visits
from grid_app.places import export, hierarchy, locate
from grid_app.web import api_cases, api_party, api_party_service, api_register, input_guard
from grid_app.web.auth import MAX_LABEL
from grid_app.web import api_wishes  # 微心愿 and case helpers
from grid_app.web import api_measures  # planners' measures (issue 18)
from grid_app.web import api_scenarios  # coverage scenarios (issue 18)

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERROR = {"$ref": "#/components/schemas/Error"}
PAGING = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": hierarchy.MAX_LIMIT}},
          {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                        "maximum": hierarchy.MAX_OFFSET}}]
LAYER_QUERY = [{"name": "community", "in": "query", "schema": {"type": "string"}},
               {"name": "bbox", "in": "query", "schema": {"type": "string"},
                "description": "minlon,minlat,maxlon,maxlat"}, *PAGING]
PERIOD = [{"name": name, "in": "query", "schema": {"type": "string"},
           "description": f"ISO 8601 date or date-time from {dates.RANGE}"} for name in ("since", "until")]
CASE_FILTERS = [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
    ("state", "string"), ("category", "string"), ("grid", "string"), ("community", "string"),
    ("level", "string"), ("overdue", "boolean"), ("unlocated", "boolean"), ("bbox", "string"))] + PERIOD + [
    {"name": n, "in": "query", "schema": {"type": "string"}} for n in ("text", "order")] + [
    {"name": "reported", "in": "query", "schema": {"type": "string", "enum": ["me"]},
     "description": "only the cases the caller logged (followed read-only outside their area)"},
    {"name": "area", "in": "query", "schema": {"type": "string", "enum": ["mine", "other"]},
     "description": "mine: only the cases of the area the caller works; other: only those outside it"}] + PAGING
CASE_ID = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
GROUP = {"name": "group", "in": "query", "schema": {"type": "string", "enum": list(indicators.GROUPS)}}
# OpenAPI 3.0 (JSON Schema draft 4): exclusiveMinimum is a flag on minimum, not a number.
MINUTES = {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": LIMIT_MINUTES}
CRS = {"type": "string", "enum": list(locate.CRS_CHOICES)}
COORDS = [{"name": "lon", "in": "query", "required": True, "schema": {"type": "number"}},
          {"name": "lat", "in": "query", "required": True, "schema": {"type": "number"}},
          {"name": "crs", "in": "query", "schema": CRS}]
CASE_INPUT = {"type": "object", "required": ["category", "lon", "lat", "description", "idempotency_key"],
              "properties": {
                  "category": {"type": "string", "maxLength": intake.MAX_CODE},
                  "lon": {"type": "number"}, "lat": {"type": "number"}, "crs": CRS,
                  "accuracy_m": {"type": "number", "minimum": 0, "maximum": intake.MAX_ACCURACY_M},
                  "address": {"type": "string", "maxLength": intake.MAX_ADDRESS},
                  "description": {"type": "string", "maxLength": intake.MAX_DESCRIPTION},
                  "severity": {"type": "integer", "minimum": intake.SEVERITIES[0], "maximum": intake.SEVERITIES[1]},
                  "idempotency_key": {"type": "string", "pattern": intake.KEY_PATTERN.pattern},
                  "contact": {"type": "object", "properties": {
                      name: {"type": "string", "maxLength": limit} for name, limit in intake.CONTACT_FIELDS.items()}}}}
VISIT_CASE_INPUT = {"type": "object", "required": ["category", "idempotency_key"], "properties": {
    "category": {"type": "string", "maxLength": intake.MAX_CODE},
    "description": {"type": "string", "maxLength": intake.MAX_DESCRIPTION},
    "idempotency_key": {"type": "string", "pattern": intake.KEY_PATTERN.pattern}}}
TRANSITION = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": [*workflow.ACTIONS, "merge"]},
    "note": {"type": "string", "maxLength": transitions.MAX_NOTE}, "version": {"type": "integer"},
    "into": {"type": "integer", "description": "merge: the open case to merge into"},
    "rating": {"type": "integer", "minimum": transitions.RATINGS[0], "maximum": transitions.RATINGS[1]},
    "grid": {"type": "string", "maxLength": 15,
             "description": "place: the code of the grid to place an unlocated case in (street officer or admin)"}}}

REASON = {"type": "string", "minLength": 1, "maxLength": MAX_REASON}
RESIDENT_ID = [{"name": "resident_id", "in": "path", "required": True, "schema": {"type": "integer"}}]

# (path, method, summary, parameters, request body schema or None, success status, login needed)
OPERATIONS = [
    ("/api/v1/locate", "get", "Locate one point to its community, grid, residential area and building",
     COORDS, None, "200", False),
    ("/api/v1/locate", "post", f"Locate up to {Defaults.LOCATE_BATCH_MAX:,} points (LOCATE_BATCH_MAX) in order", [],
     {"type": "object", "required": ["points"], "properties": {
         "points": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
         "crs": CRS}}, "200", False),
    ("/api/v1/communities", "get", "Communities as GeoJSON", LAYER_QUERY, None, "200", True),
    ("/api/v1/communities/{code}", "get", "One community's summary",
     [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}], None, "200", True),
    ("/api/v1/grids", "get", "Grids as GeoJSON", LAYER_QUERY, None, "200", True),
    ("/api/v1/residential-areas", "get", "Residential areas as GeoJSON", LAYER_QUERY, None, "200", True),
    ("/api/v1/buildings", "get", "Buildings as GeoJSON", LAYER_QUERY, None, "200", True),
    ("/api/v1/categories", "get", "Case categories with level and deadlines", [], None, "200", False),
    ("/api/v1/facility-types", "get", "Facility types with their circle level", [], None, "200", False),
    ("/api/v1/auth/token", "post", "Exchange user name and password for a bearer token", [],
     {"type": "object", "required": ["username", "password"],
      "properties": {"username": {"type": "string"}, "password": {"type": "string"},
                     "label": {"type": "string", "maxLength": MAX_LABEL}}}, "201", False),
    ("/api/v1/auth/token", "delete", "Revoke the bearer token sent in the Authorization header", [], None,
     "204", False),
    ("/api/v1/me", "get", "The caller and their scope", [], None, "200", True),
    ("/api/v1/cases", "get", "Cases in the caller's scope; `total` is counted up to "
     f"{queries.COUNT_CAP} (past it `total_exact` is false and `total` a lower bound)", CASE_FILTERS, None, "200",
     True),
    ("/api/v1/cases", "post", "Log a case (JSON, or multipart with up to 3 photos); possible_duplicates in the answer: "
     f"the {intake_sql.DUPLICATE_SHOWN} newest of the {intake_sql.DUPLICATE_CANDIDATES} nearest open cases of its "
     f"category within {intake_sql.DUPLICATE_RADIUS_M} m logged in the {intake_sql.DUPLICATE_DAYS} days before",
     [], CASE_INPUT, "201", True),
    ("/api/v1/cases/{case_id}", "get", "One case with the caller's possible actions", CASE_ID, None, "200", True),
    ("/api/v1/cases/{case_id}/transitions", "post", "Apply a workflow action", CASE_ID, TRANSITION, "200", True),
    ("/api/v1/cases/{case_id}/events", "get", "The case's event log", CASE_ID, None, "200", True),
    ("/api/v1/cases/{case_id}/publish", "post", "Publish a case on Open311 (or make it internal again)", CASE_ID,
     {"type": "object", "required": ["published"], "properties": {"published": {"type": "boolean"}}}, "200", True),
    ("/api/v1/cases/{case_id}/hide", "post", "Hide a case from everyone but administrators (admin)", CASE_ID,
     {"type": "object", "required": ["hidden", "reason"],
      "properties": {"hidden": {"type": "boolean"}, "reason": REASON}}, "200", True),
    ("/api/v1/cases/{case_id}/redact", "post", "Replace a case's text, keeping the original in the audit log (admin)",
     CASE_ID, {"type": "object", "required": ["reason"], "properties": {"reason": REASON}}, "200", True),
    ("/api/v1/cases/{case_id}/photos/{photo_id}", "get", "A case photo (?thumb=1 for the thumbnail)",
     CASE_ID + [{"name": "photo_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                {"name": "thumb", "in": "query", "schema": {"type": "string", "enum": ["1"]}}], None, "200", True),
    ("/api/v1/indicators", "get", "Indicators per grid, community or street (JSON, CSV, Excel)",
     [GROUP, *PERIOD,
      {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}}],
     None, "200", True),
    ("/api/v1/indicators/party", "get", "Party indicators (双报到) per community or street for a quarter",
     [{"name": "quarter", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{4}[Qq][1-4]$"}},
      {"name": "group", "in": "query", "schema": {"type": "string", "enum": ["community", "street"]}}],
     None, "200", True),
    ("/api/v1/coverage", "get", "Residents within walking time of a facility type",
     [{"name": "community", "in": "query", "required": True, "schema": {"type": "string"}},
      {"name": "type", "in": "query", "required": True, "schema": {"type": "string"}},
      {"name": "minutes", "in": "query", "schema": MINUTES}],
     None, "200", True),
    ("/api/v1/isochrones", "get", "Walking-time areas of each facility of a type (GeoJSON)",
     [{"name": "type", "in": "query", "required": True, "schema": {"type": "string"}},
      {"name": "minutes", "in": "query", "schema": MINUTES},
      {"name": "community", "in": "query", "schema": {"type": "string"}}], None, "200", True),
    ("/api/v1/exports/cases.{fmt}", "get", "Cases as CSV, Excel or GeoJSON, streamed (case-list filters)",
     [{"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["csv", "xlsx", "geojson"]}},
      *CASE_FILTERS], None, "200", True),
    ("/api/v1/exports/indicators.{fmt}", "get", "Indicators as CSV, Excel or GeoJSON",
     [{"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["csv", "xlsx", "geojson"]}},
      GROUP, *PERIOD], None, "200", True),
    ("/api/v1/exports/hierarchy.{fmt}", "get", "Hierarchy layers as GeoJSON or GeoPackage",
     [{"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["geojson", "gpkg"]}},
      {"name": "layer", "in": "query", "schema": {"type": "string"},
       "description": f"comma list of {', '.join(export.FIELDS)}"}], None, "200", True),
    ("/api/v1/residents", "get", "Residents of the caller's register scope, masked (admin, secretary, worker)",
     [{"name": "building", "in": "query", "schema": {"type": "string"}},
      {"name": "grid", "in": "query", "schema": {"type": "string"}}, *PAGING], None, "200", True),
    ("/api/v1/residents/{resident_id}", "get", "One resident, masked", RESIDENT_ID, None, "200", True),
    ("/api/v1/residents/{resident_id}/reveal", "post",
     "One full ID number or phone, with the reason in the audit log (the community's secretary, admin)", RESIDENT_ID,
     {"type": "object", "required": ["field", "reason"], "properties": {
         "field": {"type": "string", "enum": list(people_queries.REVEALABLE)},
         "reason": {"type": "string", "minLength": 1, "maxLength": people_queries.MAX_REASON}}}, "200", True),
    ("/api/v1/households", "get", "The flats of a building with their number of residents (no names)",
     [{"name": "building", "in": "query", "required": True, "schema": {"type": "string"}}, *PAGING],
     None, "200", True),
    ("/api/v1/visits/due", "get", "Key residents with their next visit due, overdue first (masked; care tags "
     "for the residents' grid workers, secretary and admins)",
     [{"name": "grid", "in": "query", "schema": {"type": "string"}}, *PAGING], None, "200", True),
    ("/api/v1/visits", "post", "Record a visit (home, phone, video) once per idempotency key; "
     f"a home visit more than {people_visits.FAR_FROM_HOME_M} m from the building is flagged far_from_home", [],
     {"type": "object", "required": ["resident_id", "kind", "idempotency_key"], "properties": {
         "resident_id": {"type": "integer", "minimum": 1},
         "kind": {"type": "string", "enum": list(VISIT_KINDS)},
         "finding": {"type": "string", "maxLength": people_visits.MAX_FINDING},
         "follow_up": {"type": "boolean"},
         "lon": {"type": "number"}, "lat": {"type": "number"}, "crs": CRS,
         "at": {"type": "string", "format": "date-time"},
         "idempotency_key": {"type": "string", "pattern": intake.KEY_PATTERN.pattern}}}, "201", True),
    ("/api/v1/residents/{resident_id}/visits", "get", "One resident's visits, newest first", RESIDENT_ID + PAGING,
     None, "200", True),
    *[(path, "post", "转为事件: the visit's finding becomes a case (description defaults to the finding, never a "
       "name or tag), at the visit's position or else on the building, with the resident's building; one case per "
       "visit: the same idempotency_key again answers 200 with it, another key 409 visit_has_case with its case_id",
       [param], VISIT_CASE_INPUT, "201", True) for path, param in (
        ("/api/v1/visits/{visit_id}/case", {"name": "visit_id", "in": "path", "required": True,
                                            "schema": {"type": "integer"}}),
        ("/api/v1/visits/by-key/{key}/case", {"name": "key", "in": "path", "required": True,
                                              "schema": {"type": "string"},
                                              "description": "the visit's idempotency_key (the phone's outbox)"}))],
    ("/api/v1/people/figures", "get", "Per grid and in total: residents, households, key residents by care level "
     "(and by care tag for the residents' grid workers, secretary and admins), visits due / overdue / on time, "
     "visit coverage, overdue key residents by grid worker (names masked, register roles only); give community "
     "or grid (admin, street, secretary, worker)",
     [{"name": "community", "in": "query", "schema": {"type": "string"}},
      {"name": "grid", "in": "query", "schema": {"type": "string"}}], None, "200", True),
    *api_party.OPENAPI,  # party members and units (双报到)
    *api_party_service.OPENAPI,  # service posts and activities
    *api_wishes.OPENAPI,  # 微心愿 and case helpers
    *api_measures.OPENAPI,  # life-circle checklist, 2SFCA, equity
    *api_register.OPENAPI,  # care tags and the register's exports
    *api_scenarios.OPENAPI,  # coverage scenarios: evaluate, suggest, save, list, compare
    ("/api/v1/openapi.json", "get", "This document", [], None, "200", False),
]


# JSON bodies the case endpoints read themselves (photos come as multipart), with their smaller limit.
SMALL_BODIES = {("/api/v1/cases", "post"): api_cases.JSON_MAX_BYTES,
                ("/api/v1/cases/{case_id}/transitions", "post"): api_cases.JSON_MAX_BYTES}
# Errors particular to one operation: (path, method) -> {status: description}.
MORE_ERRORS = {("/api/v1/coverage", "get"): {
    "409": "coverage_not_computed: a walking network is stored but the coverage job has not run yet"}}
MORE_ERRORS.update(api_wishes.MORE_ERRORS)
MORE_ERRORS.update(api_measures.MORE_ERRORS)


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _bad_input(params: list, body) -> str:
    """What a 400 of this operation may mean, beyond a field's own message."""
    reasons = ["bad input"]
    if body is not None:
        reasons.append(f"bad_json: not JSON, or nested deeper than {input_guard.JSON_MAX_DEPTH} levels")
    if any(p in PERIOD for p in params):
        reasons.append(f"since or until is not an ISO 8601 date or time from {dates.RANGE}")
    return "; ".join(reasons)


def document(extra: list[tuple] | None = None) -> dict:
    """The OpenAPI 3.0 document of every operation (plus any registered by other blueprints)."""
    paths: dict = {}
    for path, method, summary, params, body, status, login in OPERATIONS + (extra or []):
        op = {"summary": summary, "parameters": params, "responses": {
            status: {"description": "success"},
            "400": _error(_bad_input(params, body)),
            "404": _error("not found or out of scope"),
        }}
        if path.endswith("/auth/token"):  # wrong user name or password
            op["responses"]["401"] = _error("bad credentials")
        if login:
            op["security"] = [{"bearer": []}, {"session": []}]
            op["responses"]["401"] = _error("no login")
            op["responses"]["403"] = _error("role may not")
        if method == "post":
            op["responses"]["409"] = _error("conflict")
        if body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            limit = SMALL_BODIES.get((path, method), input_guard.JSON_MAX_BYTES)
            op["responses"]["413"] = _error(f"the JSON body is larger than {limit:,} bytes")
        for code, description in MORE_ERRORS.get((path, method), {}).items():
            op["responses"][code] = _error(description)
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "grid_app API", "version": "1",
                 "description": "Grid-based community governance: hierarchy, locate, cases, indicators, coverage."},
        "paths": paths,
        "components": {
            "schemas": {"Error": {"type": "object", "required": ["error", "message"],
                                  "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                                 "details": {}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    }


EXTRA_OPERATIONS: list[tuple] = []  # other blueprints append their operations here


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document."""
    return jsonify(document(EXTRA_OPERATIONS))
