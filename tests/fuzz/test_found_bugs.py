"""What the fuzzers found, pinned as plain examples: each of these was a 500 (or a wrong answer) once."""
from __future__ import annotations

import pytest

from grid_app.places import locate

from ..geo import lonlat

NUL_REQUESTS = [
    ("get", "/api/v1/cases?category=%00", None),
    ("get", "/api/v1/cases?text=a%00b", None),
    ("get", "/api/v1/communities/%00", None),
    ("get", "/api/v1/communities?community=%00", None),
    ("post", "/api/v1/auth/token", {"username": "a\x00", "password": "b"}),
]


@pytest.mark.parametrize("method, path, body", NUL_REQUESTS)
def test_nul_characters_are_a_400_not_a_500(client, admin_token, request_scoped_login, method, path, body):
    res = getattr(client, method)(path, json=body, headers={"Authorization": f"Bearer {admin_token}"})
    assert res.status_code == 400, res.get_data(as_text=True)
    assert res.get_json()["error"] == "bad_input"


def test_nul_in_a_new_case_is_refused_and_nothing_is_stored(client, admin_token, request_scoped_login):
    lon, lat = lonlat(100, 300)
    headers = {"Authorization": f"Bearer {admin_token}"}
    body = {"category": "0101", "lon": lon, "lat": lat, "description": "垃圾\x00", "idempotency_key": "nul-case-1"}
    assert client.post("/api/v1/cases", json=body, headers=headers).status_code == 400
    listed = client.get("/api/v1/cases?text=垃圾", headers=headers).get_json()
    assert all(c["description"] != "垃圾" for c in listed["cases"])


def test_nul_in_forms_and_open311(client, session):
    from grid_app.open311 import keys
    key = keys.issue(session, "nul-client")
    session.commit()
    assert client.post("/login", data={"username": "x\x00", "password": "y"}).status_code == 400
    lon, lat = lonlat(100, 300)
    res = client.post("/open311/v2/requests.json", data={"api_key": key, "service_code": "0101", "lat": str(lat),
                                                        "long": str(lon), "description": "a\x00"})
    assert res.status_code == 400 and res.get_json()[0]["code"] == 400
    res = client.get("/open311/v2/services/%00.xml")
    assert res.status_code == 400 and b"<code>400</code>" in res.get_data()


def test_non_text_note_is_a_400(client, admin_token, known_cases, request_scoped_login):
    res = client.post(f"/api/v1/cases/{known_cases[0].id}/transitions", json={"action": "register", "note": False},
                      headers={"Authorization": f"Bearer {admin_token}"})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_body"


@pytest.mark.parametrize("field", ["version", "into", "rating"])
def test_infinite_numbers_in_a_transition_are_a_400(client, admin_token, known_cases, request_scoped_login, field):
    raw = '{"action": "register", "%s": 1e400}' % field  # Python's json reads 1e400 as inf
    res = client.post(f"/api/v1/cases/{known_cases[0].id}/transitions", data=raw, content_type="application/json",
                      headers={"Authorization": f"Bearer {admin_token}"})
    assert res.status_code == 400, res.get_data(as_text=True)


def test_huge_integer_coordinates_and_accuracy_are_a_400(client, admin_token, request_scoped_login):
    headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"}
    huge = "1" + "0" * 400
    res = client.post("/api/v1/locate", data='{"points": [[%s, 30]]}' % huge, headers=headers)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_coordinates"
    lon, lat = lonlat(100, 300)
    body = ('{"category": "0101", "lon": %r, "lat": %r, "accuracy_m": %s, "description": "x", '
            '"idempotency_key": "huge-accuracy-1"}' % (lon, lat, huge))
    res = client.post("/api/v1/cases", data=body, headers=headers)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_accuracy_m"


def test_subnormal_numbers_are_read_as_zero(client, admin_token, request_scoped_login):
    """5e-324 once reached PostgreSQL, whose float8 refuses it as an underflow (a 500)."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    assert client.get("/api/v1/locate?lon=5e-324&lat=-5e-324", headers=headers).status_code == 404  # not located
    assert client.get("/api/v1/grids?bbox=5e-324,0,1,1", headers=headers).status_code == 200
    lon, lat = lonlat(100, 300)
    res = client.post("/api/v1/cases", headers=headers, json={
        "category": "0101", "lon": lon, "lat": lat, "accuracy_m": 5e-324, "description": "x",
        "idempotency_key": "subnormal-accuracy-1"})
    assert res.status_code == 201 and res.get_json()["accuracy_m"] == 0.0
    assert locate.flush_tiny(5e-324) == 0.0 and locate.flush_tiny(-1e-300) == -1e-300


def test_huge_offset_is_a_400(client, admin_token, request_scoped_login):
    res = client.get("/api/v1/cases?offset=99999999999999999999", headers={"Authorization": f"Bearer {admin_token}"})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_paging"


def test_bad_crs_is_refused_even_for_an_empty_batch(client):
    res = client.post("/api/v1/locate", json={"points": [], "crs": "AAA"})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_crs"


def test_405_says_which_methods_are_allowed(client):
    res = client.open("/api/v1/categories", method="TRACE")
    assert res.status_code == 405 and "GET" in res.headers["Allow"]
    assert res.get_json()["error"] == "method_not_allowed"


@pytest.mark.parametrize("raw", ["²", "①", "１２"])
def test_unicode_digits_in_open311_ids_are_refused(client, raw):
    """str.isdigit() is true for these, but int() refuses them: that was a ValueError, a 500."""
    res = client.get(f"/open311/v2/requests/{raw}.json")
    assert res.status_code == 404 and res.get_json()[0]["code"] == 404
    res = client.get("/open311/v2/requests.json", query_string={"page": raw})
    assert res.status_code == 400


def test_snapping_tie_at_a_shared_corner_goes_to_the_smallest_code(session):
    """1 m west of the corner grids A1 and A2 share: both are 1 m away; the index once said A2, SQL A1."""
    lon, lat = lonlat(-1, 500)
    (by_sql,), (by_index,) = (locate.locate_with_sql(session, [lon], [lat], 30.0),
                              locate.locate_with_index(session, [lon], [lat], 30.0))
    assert by_sql.grid.code == by_index.grid.code and by_sql.grid.code.endswith("001001")
    assert by_index.snapped_m == pytest.approx(1.0, abs=0.01)
