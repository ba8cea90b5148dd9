"""Schemathesis against the app's own OpenAPI document, in process: no 5xx, errors of the documented shape.

Every operation of /api/v1 gets at most MAX_EXAMPLES generated requests (valid and invalid ones),
sent as the admin with a bearer token inside the test's rolled-back session. Path ids are steered
onto a few real cases now and then, so transitions, events and photos are reached, not only 404s.
"""
from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, ignored_auth, negative_data_rejection,
                                 not_a_server_error, response_headers_conformance, status_code_conformance,
                                 unsupported_method)
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import response_schema_conformance

from grid_app.web.openapi import EXTRA_OPERATIONS, document

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 25))  # raise by hand for a deeper run

# The document passed to the fuzzer is the one the app serves (test_served_document_is_the_fuzzed_one).
# Built at import rather than through schemathesis.pytest.from_fixture, which fails under pytest 9
# ('Function' object has no attribute '_nodeid'); the app itself comes from the fixture in the test.
schema = schemathesis.openapi.from_dict(document(EXTRA_OPERATIONS))


def body_data_rejection(ctx, response, case):
    """Invalid JSON bodies and path ids must be refused; query strings are lenient on purpose.

    The app reads an empty or unrecognised query value (limit=, unlocated=, thumb=x) as absent, as
    HTML forms send them, so a negative query alone is not a failure.
    """
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.QUERY):
        return None
    return negative_data_rejection(ctx, response, case)


# positive_data_acceptance is left out on purpose: the document gives types, not every domain rule
# (a bbox string's format, a category code that exists), so a schema-valid request may be a 400.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, body_data_rejection, ignored_auth, unsupported_method]


def _steer_ids(case, cases) -> None:
    """Point two of three generated case ids at real cases (the rest stay as generated: mostly 404s)."""
    params = case.path_parameters or {}
    raw = params.get("case_id")
    if isinstance(raw, int) and raw % 3:
        target = cases[raw % len(cases)]
        params["case_id"] = target.id
        if "photo_id" in params and target.photos and isinstance(params["photo_id"], int) and params["photo_id"] % 2:
            params["photo_id"] = target.photos[0].id


def assert_error_shape(response, label: str) -> None:
    """A 4xx under /api/v1 carries the JSON body {"error": str, "message": str}."""
    if not 400 <= response.status_code < 500:
        return
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), \
        f"{label}: {response.status_code} is not JSON: {response.text[:300]}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("message"), str), \
        f"{label}: {response.status_code} error body {body!r}"


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_operations(case, app, admin_token, known_cases, request_scoped_login):
    case.operation.schema.app = app  # probes made by the checks (e.g. without auth) go to the app too
    _steer_ids(case, known_cases)
    headers = {"Authorization": f"Bearer {admin_token}"}
    response = case.call(app=app, headers=headers)
    label = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"
    assert_error_shape(response, label)
    case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs={"app": app, "headers": headers})


def test_served_document_is_the_fuzzed_one(client):
    assert client.get("/api/v1/openapi.json").get_json() == schema.raw_schema
