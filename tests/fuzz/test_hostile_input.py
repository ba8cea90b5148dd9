"""Classes of hostile input that once gave a 500 (issue 12): each a parametrized family, each a 4xx, nothing stored.

Deep and huge JSON, malformed JSON, control and non-characters in every text field, wrong JSON types
in every field of a case and a transition, contact details without a schema, and calendar-edge dates on
every page and endpoint that takes a period.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from grid_app.cases import dates
from grid_app.platform.errors import InvalidInput
from grid_app.models import Case, CaseEvent

from .. import district as d
from ..cases.helpers import new_key
from ..geo import lonlat


def _headers(token):
    return {"Authorization": f"Bearer {token}"}


def _count(session, model=Case):
    return session.scalar(select(func.count()).select_from(model))


def _case_body(**change):
    lon, lat = lonlat(100, 300)
    body = {"category": "0101", "lon": lon, "lat": lat, "accuracy_m": 5, "severity": 1,
            "description": "井盖松动", "address": "幸福路 1 号", "idempotency_key": new_key()}
    body.update(change)
    return {k: v for k, v in body.items() if v is not ...}


def _post_raw(client, path, raw, token=None, content_type="application/json"):
    return client.post(path, data=raw, content_type=content_type, headers=_headers(token) if token else {})


def _error_code(res):
    body = res.get_json()
    return body[0]["code"] if isinstance(body, list) else body["error"]


# --- JSON bodies: nesting, size, syntax -------------------------------------------------------------

def _nested(levels: int):
    value = "x"
    for _ in range(levels):
        value = [value]
    return value


JSON_ENDPOINTS = ["/api/v1/cases", "/api/v1/cases/{case}/transitions", "/api/v1/locate", "/api/v1/auth/token",
                  "/api/v1/categories", "/open311/v2/requests.json"]
DEEP = ["[" * 5000, "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000,
        json.dumps(_case_body(description="x", contact={"name": _nested(33)}))]
MALFORMED = ["{oops", '{"a": }', "[1, 2", '{"a": 1}}', "\xff\xfe", "NaN-ish", "1" * 5000]


@pytest.mark.parametrize("raw", DEEP, ids=["5000-open", "5000-closed", "3000-objects", "contact-depth-35"])
@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_deep_json_is_bad_json_everywhere(client, session, admin_token, known_cases, path, raw):
    before = _count(session)
    method = client.get if path == "/api/v1/categories" else client.post
    res = method(path.format(case=known_cases[0].id), data=raw, content_type="application/json",
                 headers=_headers(admin_token))
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    assert _error_code(res) == (400 if path.startswith("/open311") else "bad_json")
    assert _count(session) == before


@pytest.mark.parametrize("raw", MALFORMED)
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/cases/{case}/transitions", "/api/v1/locate",
                                  "/api/v1/auth/token"])
def test_malformed_json_is_bad_json(client, admin_token, known_cases, path, raw):
    res = _post_raw(client, path.format(case=known_cases[0].id), raw.encode("utf-8", "surrogatepass"), admin_token)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_json"


def test_nesting_up_to_the_limit_is_read(client, admin_token):
    """32 levels is allowed (the case body still refuses it as a body, not as JSON)."""
    raw = "[" * 32 + "]" * 32
    res = _post_raw(client, "/api/v1/cases", raw, admin_token)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_body"
    res = _post_raw(client, "/api/v1/cases", "[" * 33 + "]" * 33, admin_token)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_json"


def test_empty_json_body_on_a_get_is_ignored(client, admin_token):
    res = client.get("/api/v1/categories", content_type="application/json", headers=_headers(admin_token))
    assert res.status_code == 200


@pytest.mark.parametrize("path, size", [("/api/v1/cases", 70_000), ("/api/v1/cases/{case}/transitions", 70_000),
                                        ("/api/v1/locate", 1_100_000), ("/api/v1/auth/token", 1_100_000)])
def test_huge_json_is_413_with_the_json_error_body(client, session, admin_token, known_cases, path, size):
    before = _count(session), _count(session, CaseEvent)
    raw = json.dumps(_case_body(description="x" * size, action="register"))
    res = _post_raw(client, path.format(case=known_cases[0].id), raw, admin_token)
    assert res.status_code == 413
    assert res.get_json()["error"] == "request_entity_too_large" and res.get_json()["message"]
    assert (_count(session), _count(session, CaseEvent)) == before


def test_a_ten_thousand_point_locate_batch_still_fits(app, client):
    n = app.config["LOCATE_BATCH_MAX"]
    res = client.post("/api/v1/locate", json={"points": [[117.481234567, 30.661234567]] * n})
    assert res.status_code == 200


# --- control characters and non-characters ----------------------------------------------------------

REFUSED = ["\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ufffe", "\uffff", "\ufdd0", "\ud800",
           "\udfff", "\U0001fffe", "\U0010ffff"]
CASE_TEXT_FIELDS = ["description", "address", "category", "idempotency_key", "crs", "contact.name",
                    "contact.phone", "contact.email"]


def _with_field(body: dict, field: str, value: str) -> dict:
    if field.startswith("contact."):
        body["contact"] = {field.split(".", 1)[1]: value}
    else:
        body[field] = value
    return body


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
@pytest.mark.parametrize("field", CASE_TEXT_FIELDS)
def test_control_characters_in_case_fields_are_refused_by_name(client, session, admin_token, field, char):
    before = _count(session)
    body = _with_field(_case_body(), field, f"ab{char}cd-{new_key()}")
    # json.dumps escapes lone surrogates as \ud800, as a hostile client would send them
    res = _post_raw(client, "/api/v1/cases", json.dumps(body), admin_token)
    assert res.status_code == 400, res.get_data(as_text=True)
    error = res.get_json()
    assert error["error"] == "bad_input" and field in error["message"]
    assert error["details"]["character"] == f"U+{ord(char):04X}"
    assert _count(session) == before


@pytest.mark.parametrize("char", ["\x0b", "\x85", "\ufffe"])
@pytest.mark.parametrize("field", ["description", "address", "category"])
def test_control_characters_in_multipart_case_fields_are_refused(client, session, admin_token, field, char):
    before = _count(session)
    body = {k: str(v) for k, v in _case_body().items()}
    body[field] = f"ab{char}cd"
    res = client.post("/api/v1/cases", data=body, content_type="multipart/form-data", headers=_headers(admin_token))
    assert res.status_code == 400 and field in res.get_json()["message"]
    assert _count(session) == before


def test_control_characters_are_refused_in_the_domain_too(session):
    """The CLI and other callers go through parse_case_input without the web guard."""
    from grid_app.cases import intake
    for field in ("description", "address", "contact.name"):
        with pytest.raises(InvalidInput, match=field.replace(".", r"\.")):
            intake.parse_case_input(session, _with_field(_case_body(), field, "a\x0bb"))


def test_tab_newline_and_carriage_return_are_kept(client, admin_token):
    text = "第一行\n第二行\r\n\t缩进"
    res = client.post("/api/v1/cases", json=_case_body(description=text), headers=_headers(admin_token))
    assert res.status_code == 201 and res.get_json()["description"] == text


@pytest.mark.parametrize("char", ["\x01", "\x0b", "\x85", "\uffff"], ids=["01", "0B", "85", "FFFF"])
@pytest.mark.parametrize("how", ["json", "form"])
def test_control_characters_in_a_transition_note_are_refused(client, session, admin_token, known_cases, how, char):
    case = known_cases[0]
    before = _count(session, CaseEvent)
    body = {"action": "register", "note": f"已核实{char}"}
    res = (client.post(f"/api/v1/cases/{case.id}/transitions", data=json.dumps(body), content_type="application/json",
                       headers=_headers(admin_token)) if how == "json" else
           client.post(f"/api/v1/cases/{case.id}/transitions", data=body, headers=_headers(admin_token)))
    assert res.status_code == 400 and "note" in res.get_json()["message"]
    assert _count(session, CaseEvent) == before


def test_control_characters_in_a_note_are_refused_in_the_domain(session, users, known_cases):
    from grid_app.cases import transitions
    with pytest.raises(InvalidInput, match="note"):
        transitions.transition(session, users["admin"], known_cases[0].id, "register", note="a\x0bb")


OPEN311_FIELDS = ["description", "address_string", "first_name", "last_name", "email", "phone", "device_id",
                  "account_id", "service_code", "idempotency_key"]


@pytest.mark.parametrize("field", OPEN311_FIELDS)
def test_control_characters_in_open311_fields_are_refused(client, session, field):
    from grid_app.open311 import keys
    key = keys.issue(session, "ctl-client")
    session.commit()
    before = _count(session)
    lon, lat = lonlat(100, 300)
    form = {"api_key": key, "service_code": "0101", "lat": str(lat), "long": str(lon), "description": "路灯不亮",
            "email": "a@example.cn"}
    form[field] = "x\x0by@example.cn"
    res = client.post("/open311/v2/requests.json", data=form)
    assert res.status_code == 400 and field in res.get_json()[0]["description"]
    res = client.post("/open311/v2/requests.xml", data=form)
    assert res.status_code == 400 and ET.fromstring(res.get_data()).find("error/code").text == "400"
    assert _count(session) == before


@pytest.mark.parametrize("field", ["username", "password"])
def test_control_characters_in_the_login_form_are_refused(client, field):
    form = {"username": "t-admin", "password": "test-password-1"}
    form[field] += "\x1b"
    res = client.post("/login", data=form)
    assert res.status_code == 400 and "location" not in {k.lower() for k in res.headers.keys()}


@pytest.mark.parametrize("query", ["text=a%0Bb", "category=%C2%85", "grid=%EF%BF%BE", "a%01b=1"])
def test_control_characters_in_query_strings_are_refused(client, admin_token, query):
    res = client.get(f"/api/v1/cases?{query}", headers=_headers(admin_token))
    assert res.status_code == 400 and res.get_json()["error"] == "bad_input"


def test_control_characters_in_token_labels_are_refused(client):
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": "test-password-1",
                                                   "label": "a\x0bb"})
    assert res.status_code == 400 and "label" in res.get_json()["message"]


# --- wrong JSON types and huge strings in every field ---------------------------------------------

WRONG_CASE_VALUES = {
    "category": [101, True, [], {"a": 1}, "0" * 5000],
    "lon": [True, [], {"a": 1}, "x" * 5000, "east"],
    "lat": [False, [1], {}, "9" * 5000],
    "accuracy_m": [True, [], {"a": 1}, "1" * 5000],
    "severity": [True, 1.5, [], {"a": 1}, "2" * 5000],
    "description": [1, True, [], {"a": 1}, "长" * 2001],
    "address": [1, False, ["x"], {"a": 1}, "址" * 301],
    "idempotency_key": [12345678, True, [], {"a": 1}, "k" * 5000],
    "crs": [1, True, [], {"a": 1}, "gcj02" * 1000],
    "contact": ["李", 1, True, ["x"]],
}


@pytest.mark.parametrize("field, value", [(f, v) for f, values in WRONG_CASE_VALUES.items() for v in values],
                         ids=[f"{f}-{type(v).__name__}-{i}" for f, values in WRONG_CASE_VALUES.items()
                              for i, v in enumerate(values)])
def test_wrong_types_and_huge_strings_in_a_new_case_are_400(client, session, admin_token, field, value):
    before = _count(session)
    res = client.post("/api/v1/cases", json=_case_body(**{field: value}), headers=_headers(admin_token))
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    assert res.get_json()["message"]
    assert _count(session) == before


CONTACTS = [
    ({"name": "李" * 101}, "contact.name"), ({"phone": "1" * 31}, "contact.phone"),
    ({"email": "a" * 250 + "@x.cn"}, "contact.email"), ({"name": 1}, "contact.name"),
    ({"phone": ["138"]}, "contact.phone"), ({"email": {"a": 1}}, "contact.email"),
    ({"name": "李", "address": "家里"}, "unknown"), ({"x" * 5000: "y"}, "unknown"),
]


@pytest.mark.parametrize("contact, named", CONTACTS)
def test_contact_has_a_schema(client, session, admin_token, contact, named):
    before = _count(session)
    res = client.post("/api/v1/cases", json=_case_body(contact=contact), headers=_headers(admin_token))
    assert res.status_code == 400 and res.get_json()["error"] == "bad_contact"
    assert named in res.get_json()["message"]
    assert _count(session) == before


def test_a_good_contact_is_stored(client, session, admin_token):
    contact = {"name": "李" * 100, "phone": "+86 138-0000-0000", "email": "li@example.cn"}
    res = client.post("/api/v1/cases", json=_case_body(contact=contact), headers=_headers(admin_token))
    assert res.status_code == 201
    assert session.get(Case, res.get_json()["id"]).reporter_contact == contact


def test_a_five_megabyte_contact_is_refused_before_it_is_read(client, session, admin_token):
    raw = json.dumps(_case_body(contact={"name": "x" * 5_000_000}))
    res = _post_raw(client, "/api/v1/cases", raw, admin_token)
    assert res.status_code == 413 and res.get_json()["error"] == "request_entity_too_large"


WRONG_TRANSITION_VALUES = {
    "action": [1, True, [], {"a": 1}, "register" * 1000],
    "note": [1, False, [], {"a": 1}, "注" * 2001],
    "version": [True, 1.5, [], {"a": 1}, "x", -1, 2**40, "9" * 5000],
    "into": [True, 2.5, [], {}, "y", -5, 2**63],
    "rating": [True, 4.5, ["5"], {"r": 5}, "five", 10**30],
}


@pytest.mark.parametrize("field, value", [(f, v) for f, values in WRONG_TRANSITION_VALUES.items() for v in values],
                         ids=[f"{f}-{type(v).__name__}-{i}" for f, values in WRONG_TRANSITION_VALUES.items()
                              for i, v in enumerate(values)])
def test_wrong_types_and_huge_strings_in_a_transition_are_400(client, session, admin_token, known_cases, field,
                                                               value):
    case = known_cases[0]
    before = _count(session, CaseEvent)
    body = {"action": "evaluate" if field == "rating" else "register", field: value}
    res = client.post(f"/api/v1/cases/{case.id}/transitions", json=body, headers=_headers(admin_token))
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    assert _count(session, CaseEvent) == before
    session.refresh(case)
    assert case.state == "collected"


def test_whole_numbers_as_digits_in_a_form_still_work(client, admin_token, known_cases):
    case = known_cases[0]
    res = client.post(f"/api/v1/cases/{case.id}/transitions", data={"action": "register", "version": str(case.version)},
                      headers=_headers(admin_token))
    assert res.status_code == 200, res.get_data(as_text=True)


# --- dates -------------------------------------------------------------------------------------------

DATE_PAGES = [
    ("/api/v1/indicators?{p}={v}", "json"), ("/api/v1/indicators?format=csv&{p}={v}", "json"),
    ("/api/v1/indicators?format=xlsx&{p}={v}", "json"),
    ("/api/v1/exports/cases.csv?{p}={v}", "json"), ("/api/v1/exports/cases.xlsx?{p}={v}", "json"),
    ("/api/v1/exports/indicators.csv?{p}={v}", "json"), ("/api/v1/cases?{p}={v}", "json"),
    ("/cases?{p}={v}", "html"), (f"/communities/{d.COMM_A}/dashboard?{{p}}={{v}}", "html"),
    (f"/streets/{d.STREET}/compare?{{p}}={{v}}", "html"), (f"/communities/{d.COMM_A}/heatmap?{{p}}={{v}}", "html"),
    ("/open311/v2/requests.json?{p}={v}", "open311"), ("/open311/v2/requests.xml?{p}={v}", "open311"),
]
# The calendar's ends (OverflowError once), just outside the documented range, and an impossible day.
EDGE_DATES = ["0001-01-01", "9999-12-31", "1969-12-31", "3000-01-01T00:00:01", "0001-01-01T00:00:00%2B14:00",
              "2024-02-30"]


@pytest.mark.parametrize("value", EDGE_DATES)
@pytest.mark.parametrize("param", ["since", "until"])
@pytest.mark.parametrize("page, kind", DATE_PAGES, ids=[p.split("?")[0] + ("-" + p.split("format=")[1][:4]
                                                        if "format=" in p else "") for p, _ in DATE_PAGES])
def test_calendar_edge_dates_are_a_400(login, page, kind, param, value):
    if kind == "open311":
        param = {"since": "start_date", "until": "end_date"}[param]
    res = login("admin").get(page.format(p=param, v=value))
    assert res.status_code == 400, res.get_data(as_text=True)[:300]
    if kind == "json":
        assert res.get_json()["error"] in ("bad_period", "bad_filter")
    elif kind == "open311":
        assert res.get_json() is None or res.get_json()[0]["code"] == 400
    else:
        assert 'role="alert"' in res.get_data(as_text=True) or "flash error" in res.get_data(as_text=True)


# Open311 caps a query at 90 days (its own rule): its edges are tested below.
RANGE_PAGES = [page.replace("{p}={v}", "") for page, kind in DATE_PAGES if kind != "open311"]


@pytest.mark.parametrize("query", ["since=1970-01-01&until=2999-12-31", "since=1970-01-01", "until=2999-12-31"])
@pytest.mark.parametrize("page", RANGE_PAGES)
def test_the_ends_of_the_range_are_accepted(login, page, query):
    res = login("admin").get(page + query)
    assert res.status_code == 200, res.get_data(as_text=True)[:300]


def test_open311_range_edges(client):
    res = client.get("/open311/v2/requests.json?start_date=2999-12-01T00:00:00Z&end_date=2999-12-31T00:00:00Z")
    assert res.status_code == 200 and res.get_json() == []


@pytest.mark.parametrize("raw, expected", [
    ("2026-05-31", "2026-05-31T00:00:00+00:00"), ("2026-05-31T08:00:00+08:00", "2026-05-31T08:00:00+08:00"),
    ("2026-05-31T08:00:00 08:00", "2026-05-31T08:00:00+08:00"), ("2026-05-31T08:00:00Z", "2026-05-31T08:00:00+00:00"),
    ("1970-01-01", "1970-01-01T00:00:00+00:00"), ("2999-12-31T23:59:59", "2999-12-31T23:59:59+00:00"),
])
def test_parse_time_reads_iso_8601(raw, expected):
    assert dates.parse_time(raw, "since").isoformat() == expected


def test_the_range_ends_at_the_last_instant_of_2999():
    assert dates.parse_time("3000-01-01T00:00:00", "until").year == 3000
    for raw in ("3000-01-01T00:00:01", "3000-01-01", "1969-12-31T23:59:59"):
        with pytest.raises(InvalidInput, match="1970-01-01 to 2999-12-31"):
            dates.parse_time(raw, "until")


def test_parse_time_makes_a_bare_until_date_inclusive():
    assert dates.parse_time("2999-12-31", "until", next_day=True).isoformat() == "3000-01-01T00:00:00+00:00"
    assert dates.parse_time("2026-05-31T10:00", "until", next_day=True).isoformat() == "2026-05-31T10:00:00+00:00"
    assert dates.parse_time("", "until") is None and dates.parse_time(None, "until") is None
