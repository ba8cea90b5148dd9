"""The whole URL map × every role × objects inside and outside the role's area.

Every GET route is called with its parameters pointing at each community, grid and case of the
test district (and with ?community= / ?grid= filters); whatever the status, no code, name or case
text of an area the role may not read may appear in the body. Then every workflow action, by
every role, on a case in and out of its area, and on a case the role only reported.
"""
from __future__ import annotations

import math
import re

import pytest

from grid_app.cases.workflow import ACTIONS

from .. import district as d
from ..cases.helpers import log_case
from ..geo import lonlat

ROLES = ["admin", "street", "secretary", "secretary_b", "worker", "worker_a2", "planner", "api"]
SKIP = {"static", "auth.logout", "mobile.service_worker", "mobile.manifest", "openapi.openapi"}

# What marks each area in a response body: codes, names, and the text of the case logged there.
MARKS = {
    "A": [d.COMM_A, "甲社区", d.AREA, "翠微苑", d.COURTYARD, "CASE-IN-A1", "CASE-IN-A2"],
    "A1": ["CASE-IN-A1"],
    "A2": ["CASE-IN-A2"],
    "B": [d.COMM_B, "乙社区", d.GRID_B1, d.COMM_B + "B001", "沿街商铺", "CASE-IN-B1"],
}
# Areas each role must never see a trace of (places per community, cases per grid for workers).
FOREIGN = {"admin": [], "street": [], "planner": [], "api": [],
           "secretary": ["B"], "secretary_b": ["A"], "worker": ["B", "A2"], "worker_a2": ["B", "A1"]}


def _tile(x_m: float, y_m: float, z: int) -> tuple[int, int, int]:
    lon, lat = lonlat(x_m, y_m)
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


@pytest.fixture()
def cases(session, users):
    """A case in each grid, logged by the admin (so no role reads one as its reporter)."""
    return {
        "A1": log_case(session, users["admin"], 100, 300, description="CASE-IN-A1 垃圾")[0],
        "A2": log_case(session, users["admin"], 250, 750, description="CASE-IN-A2 垃圾")[0],
        "B1": log_case(session, users["admin"], 700, 300, description="CASE-IN-B1 垃圾")[0],
    }


def _urls(app, cases) -> list[str]:
    """Every GET route, once per object it can name (communities, cases, tiles over the district)."""
    tile = _tile(500, 500, 14)
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        names = set(re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule))
        variants = [{}]
        if "code" in names:
            variants = [{"code": c} for c in (d.COMM_A, d.COMM_B, d.STREET)]
        if "case_id" in names or "request_id" in names:
            variants = [{"case_id": c.id, "request_id": c.id} for c in cases.values()]
        for v in variants:
            values = {"photo_id": 1, "fmt": "json", "layer": "buildings", "z": tile[0], "x": tile[1], "y": tile[2],
                      "filename": "app.css", "anything": "x", "resident_id": 1, "member_id": 1, "visit_id": 1,
                      "key": "visit-key-1", "wish_id": 1, "post_id": 1, "activity_id": 1, "scenario_id": 1, **v}
            if "fmt" in names and "exports" in rule.rule:
                values["fmt"] = "csv"
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)
            urls.append(url)
            if not names - {"fmt"}:  # listings: also filtered to each community and grid
                for c in (d.COMM_A, d.COMM_B):
                    urls.append(f"{url}?community={c}&type=market")
                urls.append(f"{url}?grid={d.GRID_B1}")
    urls += [f"/tiles/coverage/{tile[0]}/{tile[1]}/{tile[2]}.pbf?type=market",
             "/api/v1/exports/hierarchy.gpkg", "/api/v1/exports/cases.xlsx"]
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_no_foreign_data_on_any_get_route(app, login, cases, role):
    client = login(role)
    marks = [m for area in FOREIGN[role] for m in MARKS[area]]
    leaks, errors = [], []
    for url in _urls(app, cases):
        res = client.get(url)
        if res.status_code >= 500:
            errors.append(f"{url} -> {res.status_code}")
            continue
        body = res.get_data()
        # A 404 may echo what the caller asked for; anything else of the foreign area is a leak.
        found = [m for m in marks if m.encode() in body and m not in url]
        if found:
            leaks.append(f"{url} -> {res.status_code} shows {found}")
    assert errors == []
    assert leaks == []


def test_matrix_is_large(app, cases):
    # The matrix must keep covering the whole URL map as routes are added.
    assert len(_urls(app, cases)) >= 80


CASE_AREA = {"admin": {"A1", "A2", "B1"}, "street": {"A1", "A2", "B1"}, "secretary": {"A1", "A2"},
             "secretary_b": {"B1"}, "worker": {"A1"}, "worker_a2": {"A2"}, "planner": set(), "api": set()}
READ = {"admin": {"A1", "A2", "B1"}, "street": {"A1", "A2", "B1"}, "secretary": {"A1", "A2"},
        "secretary_b": {"B1"}, "worker": {"A1"}, "worker_a2": {"A2"}, "planner": {"A1", "A2", "B1"},
        "api": {"A1", "A2", "B1"}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("grid", ["A1", "A2", "B1"])
def test_read_and_act_follow_the_area(login, cases, role, grid):
    client = login(role)
    case = cases[grid]
    got = client.get(f"/api/v1/cases/{case.id}")
    assert got.status_code == (200 if grid in READ[role] else 404)
    if got.status_code == 200 and grid not in CASE_AREA[role]:
        assert got.get_json()["actions"] == []
    res = client.post(f"/api/v1/cases/{case.id}/transitions", json={"action": "register"})
    if grid not in READ[role]:
        assert res.status_code == 404
    elif grid not in CASE_AREA[role] or role in ("planner", "api"):
        assert res.status_code == 403
    assert res.status_code != 500


# Every role that may log a case, logging one in an area it does not work: it may follow it, not act on it.
REPORTERS = {"secretary": (700, 300), "secretary_b": (100, 300), "worker": (700, 300),
             "worker_a2": (100, 300), "api": (700, 300)}


@pytest.mark.parametrize("role", sorted(REPORTERS))
@pytest.mark.parametrize("action", sorted([*ACTIONS, "merge"]))
def test_reporting_is_not_owning(session, users, login, role, action):
    case, _ = log_case(session, users[role], *REPORTERS[role], description="CASE-REPORTED 路灯不亮")
    client = login(role)
    got = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert got["description"].startswith("CASE-REPORTED") and got["actions"] == []
    res = client.post(f"/api/v1/cases/{case.id}/transitions",
                      json={"action": action, "into": case.id, "rating": 5, "version": case.version})
    assert res.status_code == 403, res.get_json()
    assert res.get_json()["error"] in ("not_your_area", "forbidden")
    assert client.get(f"/api/v1/cases/{case.id}").get_json()["state"] == "collected"


def test_the_area_staff_act_on_a_case_someone_else_reported(session, users, login):
    case, _ = log_case(session, users["worker"], 700, 300)  # worker of A1 logs in community B
    res = login("secretary_b").post(f"/api/v1/cases/{case.id}/transitions", json={"action": "register"})
    assert res.status_code == 200 and res.get_json()["state"] == "registered"


def test_merge_into_a_case_outside_the_area_is_refused(session, users, login, cases):
    own, _ = log_case(session, users["admin"], 120, 320, description="CASE-IN-A1 again")
    res = login("secretary").post(f"/api/v1/cases/{own.id}/transitions",
                                  json={"action": "merge", "into": cases["B1"].id})
    assert res.status_code in (400, 404) and res.status_code != 200


def test_duplicates_name_only_readable_cases(session, users, login):
    log_case(session, users["admin"], 700, 300, description="CASE-IN-B1 first")
    client = login("worker")  # worker of A1 logs the same thing in community B
    lon, lat = lonlat(701, 301)
    res = client.post("/api/v1/cases", json={"category": "0101", "lon": lon, "lat": lat,
                                             "description": "又一个", "idempotency_key": "dup-test-key-1"})
    assert res.status_code == 201
    assert res.get_json()["possible_duplicates"] == []
    res = login("secretary_b").post("/api/v1/cases", json={
        "category": "0101", "lon": lon, "lat": lat, "description": "再一个", "idempotency_key": "dup-test-key-2"})
    assert len(res.get_json()["possible_duplicates"]) == 2


def test_worker_map_counts_only_own_grids(session, users, login, cases):
    page = login("worker").get(f"/communities/{d.COMM_A}/map").get_data(as_text=True)
    # Grid A2's row shows a dash, not a count of cases the worker may not see.
    row = re.search(r"甲社区第2网格</td><td>[^<]*</td>\s*<td class=\"num\">([^<]*)<", page)
    assert row and row.group(1).strip() == "—"


def test_scoped_isochrones_need_an_own_community(login):
    assert login("secretary").get("/api/v1/isochrones?type=market").status_code == 400
    assert login("secretary").get(f"/api/v1/isochrones?type=market&community={d.COMM_B}").status_code == 404


def test_reported_by_me_lists_what_i_logged_anywhere(session, users, login, cases):
    own, _ = log_case(session, users["worker"], 700, 300, description="CASE-MINE in B")
    client = login("worker")
    mine = client.get("/api/v1/cases?reported=me&limit=5000").get_json()["cases"]
    assert [c["id"] for c in mine] == [own.id] and mine[0]["description"] == "CASE-MINE in B"
    assert client.get("/api/v1/cases?reported=someone").status_code == 400
    assert str(own.id) in client.get("/api/v1/exports/cases.csv?reported=me").get_data(as_text=True)


def test_area_filter_separates_my_work_from_what_i_only_reported(session, users, login, cases):
    own, _ = log_case(session, users["worker"], 700, 300, description="CASE-MINE in B")
    client = login("worker")
    mine = {c["id"] for c in client.get("/api/v1/cases?area=mine&limit=5000").get_json()["cases"]}
    other = {c["id"] for c in client.get("/api/v1/cases?reported=me&area=other").get_json()["cases"]}
    assert cases["A1"].id in mine and own.id not in mine
    assert other == {own.id}
    assert client.get("/api/v1/cases?area=everywhere").status_code == 400
