"""The OpenAPI 3 document of /api/v1, built from one table of operations."""
from __future__ import annotations

from flask import Blueprint, jsonify

from grid_app.cases.moderation import MAX_REASON

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERROR = {"$ref": "#/components/schemas/Error"}
PAGING = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}},
          {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}]
LAYER_QUERY = [{"name": "community", "in": "query", "schema": {"type": "string"}},
               {"name": "bbox", "in": "query", "schema": {"type": "string"},
                "description": "minlon,minlat,maxlon,maxlat"}, *PAGING]
CASE_FILTERS = [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
    ("state", "string"), ("category", "string"), ("grid", "string"), ("community", "string"),
    ("level", "string"), ("overdue", "boolean"), ("unlocated", "boolean"), ("bbox", "string"),
    ("since", "string"), ("until", "string"), ("text", "string"), ("order", "string"))] + PAGING
CASE_ID = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
# OpenAPI 3.0 (JSON Schema draft 4): exclusiveMinimum is a flag on minimum, not a number.
MINUTES = {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 30}
COORDS = [{"name": "lon", "in": "query", "required": True, "schema": {"type": "number"}},
          {"name": "lat", "in": "query", "required": True, "schema": {"type": "number"}},
          {"name": "crs", "in": "query", "schema": {"type": "string", "enum": ["wgs84", "gcj02"]}}]
CASE_INPUT = {"type": "object", "required": ["category", "lon", "lat", "description", "idempotency_key"],
              "properties": {
                  "category": {"type": "string"}, "lon": {"type": "number"}, "lat": {"type": "number"},
                  "crs": {"type": "string", "enum": ["wgs84", "gcj02"]},
                  "accuracy_m": {"type": "number", "minimum": 0}, "address": {"type": "string", "maxLength": 300},
                  "description": {"type": "string", "maxLength": 2000},
                  "severity": {"type": "integer", "minimum": 1, "maximum": 3},
                  "idempotency_key": {"type": "string", "minLength": 8, "maxLength": 100,
                                      "pattern": "^[A-Za-z0-9._:-]{8,100}$"}}}
TRANSITION = {"type": "object", "required": ["action"], "properties": {
    "action": {"type": "string", "enum": ["register", "reject", "dispatch", "start", "report", "close",
                                          "reopen", "evaluate", "escalate", "deescalate", "merge"]},
    "note": {"type": "string", "maxLength": 2000}, "version": {"type": "integer"},
    "into": {"type": "integer"}, "rating": {"type": "integer", "minimum": 1, "maximum": 5}}}

REASON = {"type": "string", "minLength": 1, "maxLength": MAX_REASON}

# (path, method, summary, parameters, request body schema or None, success status, login needed)
OPERATIONS = [
    ("/api/v1/locate", "get", "Locate one point to its community, grid, residential area and building",
     COORDS, None, "200", False),
    ("/api/v1/locate", "post", "Locate up to 10,000 points in order", [],
     {"type": "object", "required": ["points"], "properties": {
         "points": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
         "crs": {"type": "string", "enum": ["wgs84", "gcj02"]}}}, "200", False),
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
                     "label": {"type": "string", "maxLength": 100}}}, "201", False),
    ("/api/v1/auth/token", "delete", "Revoke the bearer token sent in the Authorization header", [], None,
     "204", False),
    ("/api/v1/me", "get", "The caller and their scope", [], None, "200", True),
    ("/api/v1/cases", "get", "Cases in the caller's scope", CASE_FILTERS, None, "200", True),
    ("/api/v1/cases", "post", "Log a case (JSON, or multipart with up to 3 photos)", [], CASE_INPUT, "201", True),
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
     [{"name": "group", "in": "query", "schema": {"type": "string", "enum": ["grid", "community", "street"]}},
      {"name": "since", "in": "query", "schema": {"type": "string"}},
      {"name": "until", "in": "query", "schema": {"type": "string"}},
      {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}}],
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
      {"name": "group", "in": "query", "schema": {"type": "string", "enum": ["grid", "community", "street"]}},
      {"name": "since", "in": "query", "schema": {"type": "string"}},
      {"name": "until", "in": "query", "schema": {"type": "string"}}], None, "200", True),
    ("/api/v1/exports/hierarchy.{fmt}", "get", "Hierarchy layers as GeoJSON or GeoPackage",
     [{"name": "fmt", "in": "path", "required": True, "schema": {"type": "string", "enum": ["geojson", "gpkg"]}},
      {"name": "layer", "in": "query", "schema": {"type": "string"},
       "description": "comma list of streets, communities, grids, residential_areas, buildings"}], None, "200", True),
    ("/api/v1/openapi.json", "get", "This document", [], None, "200", False),
]


def document(extra: list[tuple] | None = None) -> dict:
    """The OpenAPI 3.0 document of every operation (plus any registered by other blueprints)."""
    paths: dict = {}
    for path, method, summary, params, body, status, login in OPERATIONS + (extra or []):
        op = {"summary": summary, "parameters": params, "responses": {
            status: {"description": "success"},
            "400": {"description": "bad input", "content": {"application/json": {"schema": ERROR}}},
            "404": {"description": "not found or out of scope", "content": {"application/json": {"schema": ERROR}}},
        }}
        if path.endswith("/auth/token"):  # wrong user name or password
            op["responses"]["401"] = {"description": "bad credentials",
                                      "content": {"application/json": {"schema": ERROR}}}
        if login:
            op["security"] = [{"bearer": []}, {"session": []}]
            op["responses"]["401"] = {"description": "no login", "content": {"application/json": {"schema": ERROR}}}
            op["responses"]["403"] = {"description": "role may not", "content": {"application/json": {"schema": ERROR}}}
        if method == "post":
            op["responses"]["409"] = {"description": "conflict", "content": {"application/json": {"schema": ERROR}}}
        if body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
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
