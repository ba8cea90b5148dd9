"""Hypothesis against Open311 GeoReport v2: never a 5xx; errors always the spec's list of {code, description}."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grid_app.open311 import keys

from .. import district
from ..geo import lonlat

BASE = "/open311/v2"
# FUZZ_EXAMPLES=500 for a deeper run by hand; CI keeps the default so the file stays fast.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 50)), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text a form can carry (no lone surrogates, which no client can encode), with the awkward ones likely.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(["", " ", "\x00", "²", "①", "٣", "1e309", "nan", "-0", "0x10", "9" * 30, "a" * 3000,
                     "<script>alert(1)</script>", "' OR 1=1 --", "翠微苑 1栋", district.TOWER, district.AREA]),
)
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    TEXT,
)
# Coordinates inside and around the test district, as a client would send them.
IN_DISTRICT = st.tuples(st.floats(-200, 1500), st.floats(-200, 1200)).map(lambda p: lonlat(*p))
SERVICE_CODES = st.one_of(st.sampled_from(["0101", "0301", "0402", "0503", "0703", "0801", "0602", "9999"]), TEXT)
FIELD_NAMES = ["service_code", "lat", "long", "address_string", "address_id", "description", "email",
               "first_name", "last_name", "phone", "device_id", "account_id", "media_url", "idempotency_key",
               "attribute[WHEN]", "attribute[FLOWING]", "attribute[PLATE]", "attribute[FLOOR]", "attribute[NEED][]",
               "attribute[NOPE]", "attribute[", "jurisdiction_id"]


@st.composite
def request_forms(draw):
    """A POST form: mostly plausible (a real service and place), with any field fuzzed or dropped."""
    form = {"service_code": draw(SERVICE_CODES)}
    if draw(st.booleans()):
        lon, lat = draw(IN_DISTRICT)
        form["lat"], form["long"] = f"{lat:.7f}", f"{lon:.7f}"
    extra = draw(st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), TEXT), st.one_of(NUMBER_TEXT, TEXT),
                                 max_size=6))
    form.update(extra)
    return form


def check_answer(res, fmt: str, ok_statuses=(200, 201)) -> list:
    """The parsed body; a 4xx must be the spec's error list whose code is the HTTP status."""
    assert res.status_code < 500, f"{res.status_code}: {res.get_data(as_text=True)[:500]}"
    if fmt == "json":
        assert res.content_type.startswith("application/json"), res.content_type
        body = json.loads(res.get_data(as_text=True))
        assert isinstance(body, list)
        items = body
    else:
        assert res.content_type.startswith("text/xml"), res.content_type
        root = ET.fromstring(res.get_data())
        items = [{child.tag: child.text for child in item} for item in root]
        body = items
        if res.status_code >= 400:
            assert root.tag == "errors"
            items = [{"code": int(i["code"]), "description": i["description"]} for i in items]
    if res.status_code >= 400:
        assert items, "an error answer lists at least one error"
        for item in items:
            assert set(item) == {"code", "description"}, item
            assert item["code"] == res.status_code and isinstance(item["description"], str) and item["description"]
    else:
        assert res.status_code in ok_statuses
    return body


@pytest.fixture()
def open311_key(session):
    """A live Open311 key (rolled back with the test)."""
    plain = keys.issue(session, "fuzz-client")
    session.commit()
    return plain


@FUZZ
@given(form=request_forms(), fmt=st.sampled_from(["json", "xml"]),
       with_key=st.sampled_from(["good", "good", "bad", "none"]))
def test_post_requests_never_fail_badly(client, open311_key, form, fmt, with_key):
    if with_key != "none":
        form = {**form, "api_key": open311_key if with_key == "good" else "o311_" + "x" * 40}
    res = client.post(f"{BASE}/requests.{fmt}", data=form)
    body = check_answer(res, fmt)
    if with_key != "good":  # refused: 403, or 400 when a field is malformed before the key is looked at
        assert res.status_code in (400, 403)
    if res.status_code in (200, 201):
        (answer,) = body
        assert str(answer["service_request_id"]).isdigit()


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["service_request_id", "service_code", "start_date", "end_date",
                                               "status", "page", "page_size", "jurisdiction_id"]),
                             st.one_of(NUMBER_TEXT, TEXT, st.just("2026-01-01T00:00:00Z"), st.just("open,closed")),
                             max_size=4),
       fmt=st.sampled_from(["json", "xml"]))
def test_get_requests_never_fail_badly(client, query, fmt):
    res = client.get(f"{BASE}/requests.{fmt}", query_string=query)
    check_answer(res, fmt, ok_statuses=(200,))


@FUZZ
@given(ident=st.one_of(NUMBER_TEXT, TEXT).filter(lambda s: s and "/" not in s and "?" not in s and "#" not in s),
       kind=st.sampled_from(["requests", "services"]), fmt=st.sampled_from(["json", "xml"]))
def test_one_request_or_service_never_fails_badly(client, ident, kind, fmt):
    res = client.get(f"{BASE}/{kind}/{ident}.{fmt}")
    check_answer(res, fmt, ok_statuses=(200,))
