"""Every route of the app, anonymous and per role: public ones answer, the rest need a login,
and nothing outside a user's scope is served."""
from __future__ import annotations

import re

import pytest

from .. import district as d
from ..cases.helpers import log_case

# Routes anyone may call (the rest must refuse an anonymous caller).
PUBLIC = {"auth.login", "auth.token", "auth.logout", "health.liveness", "health.readiness", "static",
          "openapi.openapi", "api_hierarchy.locate_point", "api_hierarchy.locate_batch",
          "api_cases.categories", "api_coverage.facility_types", "mobile.manifest", "mobile.service_worker",
          "open311.discovery", "open311.service_list", "open311.service_definition", "open311.get_requests",
          "open311.get_request", "open311.post_requests", "open311.unknown",
          "party_pages.register", "party_pages.buildings", "party_pages.building_units"}  # 双报到 is public


def concrete(rule: str, case_id: int) -> str:
    """A URL for a rule, with its parameters filled in with values of the test district."""
    values = {"case_id": case_id, "photo_id": 1, "code": d.COMM_A, "fmt": "json", "layer": "buildings",
              "z": 16, "x": 54113, "y": 27134, "request_id": case_id, "resident_id": 1, "member_id": 1, "filename": "app.css", "anything": "x",
              "visit_id": 1, "key": "visit-key-1", "wish_id": 1,
              "post_id": 1, "activity_id": 1, "scenario_id": 1}
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule)


def all_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_public_or_needs_login(app, session, users):
    case, _ = log_case(session, users["worker"])
    client = app.test_client()
    leaks = []
    for rule, method in all_routes(app):
        if rule.endpoint in PUBLIC:
            continue
        url = concrete(rule.rule, case.id)
        res = client.open(url, method=method)
        refused = res.status_code == 401 or (res.status_code == 302 and "/login" in res.headers.get("Location", ""))
        if not refused:
            leaks.append(f"{method} {url} -> {res.status_code}")
    assert leaks == []


SCOPED_PAGES = ["/communities/{c}", "/communities/{c}/map", "/communities/{c}/dashboard",
                "/communities/{c}/heatmap", "/api/v1/coverage?community={c}&type=market"]


@pytest.mark.parametrize("path", SCOPED_PAGES)
def test_secretary_of_another_community_gets_404(login, path):
    client = login("secretary_b")
    assert client.get(path.format(c=d.COMM_A)).status_code == 404


@pytest.mark.parametrize("path", SCOPED_PAGES[:4])
def test_secretary_of_the_community_is_served(login, path):
    assert login("secretary").get(path.format(c=d.COMM_A)).status_code == 200


@pytest.mark.parametrize("role, status", [("worker", 200), ("worker_a2", 404), ("secretary_b", 404),
                                          ("secretary", 200), ("street", 200), ("planner", 200)])
def test_case_pages_by_role(login, session, users, role, status):
    case, _ = log_case(session, users["worker"])
    client = login(role)
    if role.startswith("worker"):
        assert client.get(f"/m/cases/{case.id}").status_code == status
    else:
        assert client.get(f"/cases/{case.id}").status_code in ((status,) if role != "planner" else (200, 403))


def test_planner_cannot_act_on_cases(login, session, users):
    case, _ = log_case(session, users["worker"])
    res = login("planner").post(f"/api/v1/cases/{case.id}/transitions", json={"action": "register"})
    assert res.status_code == 403
