"""The member role: its own record and its home community's party side; never the household register."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from grid_app.models import User

from .. import district as d

PASSWORD = "member-password-1"
PUBLIC_CODE_LISTS = {"/api/v1/care-tags"}  # the care-tag code list names categories, no person


@pytest.fixture()
def member_client(app, cli, session, client, users, make_member):
    """A client logged in as the `member` account of an approved member of community A, and that member."""
    member = make_member(approve_as=users["secretary"])
    result = cli.invoke(args=["grid", "party-member-account", str(member.id), "t-member", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(User).where(User.username == "t-member")).role == "member"
    client.post("/logout")
    assert client.post("/login", data={"username": "t-member", "password": PASSWORD}).status_code == 302
    return client, member


def test_member_reads_only_own_record_and_home_community(member_client, make_member, users):
    client, member = member_client
    other = make_member("王芳", "13900003333", approve_as=users["secretary"])
    listing = client.get("/api/v1/party-members").get_json()
    assert [m["id"] for m in listing["members"]] == [member.id]
    assert client.get(f"/api/v1/party-members/{other.id}").status_code == 404
    assert client.get(f"/api/v1/communities/{d.COMM_A}/party-tree").status_code == 200
    assert client.get(f"/api/v1/communities/{d.COMM_B}/party-tree").status_code == 404
    assert [u["community"] for u in client.get("/api/v1/party-units").get_json()["units"]] == [d.COMM_A]
    assert client.get(f"/party/members/{member.id}/card").status_code == 200
    assert client.get(f"/party/members/{other.id}/card").status_code == 404
    assert client.get("/party/pending").status_code == 403
    assert client.post(f"/api/v1/party-members/{other.id}/approve").status_code == 403
    assert client.get("/").headers["Location"].endswith("/party/me")
    assert client.get("/party/me").headers["Location"].endswith("/m/party/")  # approved: the phone home


def test_member_sees_no_places_or_cases(member_client):
    client, _ = member_client
    assert client.get(f"/communities/{d.COMM_A}").status_code == 404
    assert client.get("/api/v1/cases").get_json().get("total", 0) == 0


def _register_routes(app) -> list[tuple[str, str]]:
    """Every route of the household register, care and visits (whoever wrote it), with a sample URL."""
    found = []
    for rule in app.url_map.iter_rules():
        if not re.search(r"resident|household|visit|register|care", rule.rule) or "party" in rule.rule:
            continue
        if rule.rule in PUBLIC_CODE_LISTS or "residential-area" in rule.rule:  # places, not people
            continue
        if rule.rule.startswith("/static"):
            continue
        url = re.sub(r"<(?:int:)?[a-z_]+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_member_refused_on_every_register_route(app, member_client):
    client, _ = member_client
    routes = _register_routes(app)
    assert ("GET", "/api/v1/residents") in routes and ("POST", "/api/v1/visits") in routes
    leaked = []  # a POST may refuse the empty body (400) before the role: nothing is written either way
    for method, url in routes:
        res = client.open(url, method=method, json={})
        if res.status_code < 400 or res.status_code >= 500:
            leaked.append((method, url, res.status_code))
        elif method == "GET" and url.startswith("/api/") and res.status_code not in (403, 404):
            leaked.append((method, url, res.status_code))
    assert leaked == [], leaked
    assert client.get("/api/v1/residents").status_code == 403
    assert client.get(f"/api/v1/households?building={d.COURTYARD}").status_code == 403
    assert client.get("/api/v1/visits/due").status_code == 403
