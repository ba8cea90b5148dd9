"""Login sessions and API tokens that end: logout, password and role changes, revocation, expiry, CSRF."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import g, request_started
from sqlalchemy import select

from grid_app.access import accounts
from grid_app.models import ApiToken, AuditEvent, User, UserSession

from .. import district as d
from ..conftest import PASSWORD

NEW_PASSWORD = "another-password-2"


def _login(client, username: str, password: str = PASSWORD):
    res = client.post("/login", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def _token(client, username: str = "t-api", label: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD} | ({"label": label} if label else {})
    res = client.post("/api/v1/auth/token", json=body)
    assert res.status_code == 201, res.get_data(as_text=True)
    return res.get_json()["token"]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _sid(client) -> str | None:
    with client.session_transaction() as flask_session:
        return flask_session.get("sid")


def _live_sessions(session, user) -> int:
    return len(session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                         UserSession.ended_at.is_(None))).all())


# --- server-side login sessions ---------------------------------------------------------------------

def test_login_keeps_only_the_hash_of_the_session_id(client, session, users):
    _login(client, "t-secretary")
    sid = _sid(client)
    assert sid and len(sid) >= 40
    row = session.scalar(select(UserSession).where(UserSession.user_id == users["secretary"].id,
                                                   UserSession.ended_at.is_(None)))
    assert row.sid_sha256 == hashlib.sha256(sid.encode()).hexdigest() and row.sid_sha256 != sid


def test_replayed_cookie_after_logout_is_refused(app, client, session, users):
    _login(client, "t-secretary")
    assert client.get("/api/v1/me").status_code == 200
    cookie = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    row = session.scalar(select(UserSession).where(UserSession.user_id == users["secretary"].id)
                         .order_by(UserSession.id.desc()))
    assert row.ended_at is not None

    replay = app.test_client()
    replay.set_cookie("session", cookie)
    api = replay.get("/api/v1/me")
    assert api.status_code == 401 and api.get_json()["error"] == "unauthorized"
    page = replay.get("/cases")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_cookie_whose_session_belongs_to_another_user_is_refused(client, users):
    _login(client, "t-worker")
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = str(users["admin"].id)  # forged: the worker's sid, the admin's id
    assert client.get("/api/v1/me").status_code == 401


def test_cookie_without_a_session_id_is_refused(client, users):
    _login(client, "t-worker")
    with client.session_transaction() as flask_session:
        del flask_session["sid"]  # a cookie from before server-side sessions
    assert client.get("/api/v1/me").status_code == 401


def test_two_logins_are_two_sessions_and_logout_ends_only_its_own(app, client, users):
    first, second = app.test_client(), app.test_client()
    _login(first, "t-street")
    _login(second, "t-street")
    assert _sid(first) != _sid(second)
    first.post("/logout")
    assert first.get("/api/v1/me").status_code == 401
    assert second.get("/api/v1/me").status_code == 200


# --- CSRF: rotation at login, and no CSRF error for anonymous API calls -------------------------------

@pytest.fixture()
def csrf_on(app, monkeypatch):
    """CSRF protection on, as in production (the test app has it off).

    The test keeps one app context for all its requests, so Flask-WTF's token cached in `g` would
    outlive the request it belongs to; production has a fresh `g` per request.
    """
    def forget(sender, **extra):
        g.pop("csrf_token", None)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_csrf_token_rotates_at_login(client, csrf_on, users):
    before = _form_token(client.get("/login").get_data(as_text=True))
    with client.session_transaction() as flask_session:
        raw_before = flask_session["csrf_token"]
    res = client.post("/login", data={"username": "t-secretary", "password": PASSWORD, "csrf_token": before})
    assert res.status_code == 302
    after = _form_token(client.get("/cases").get_data(as_text=True))  # the top bar's logout form
    with client.session_transaction() as flask_session:
        raw_after = flask_session["csrf_token"]
    assert raw_after != raw_before and after != before
    # The token of the anonymous page no longer counts.
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400
    assert client.post("/logout", data={"csrf_token": after}).status_code == 302


def test_login_keeps_the_chosen_language(client, users):
    client.get("/login?lang=en")
    _login(client, "t-secretary")
    assert "Log out" in client.get("/cases").get_data(as_text=True)


@pytest.mark.parametrize("method, path", [("POST", "/api/v1/cases"), ("DELETE", "/api/v1/auth/token"),
                                          ("POST", "/api/v1/cases/1/transitions")])
def test_anonymous_api_call_gets_401_json_not_csrf_error(client, csrf_on, method, path):
    res = client.open(path, method=method, json={})
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_cookie_authenticated_api_call_still_needs_csrf(client, csrf_on, users):
    token = _form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "t-worker", "password": PASSWORD, "csrf_token": token})
    res = client.post("/api/v1/cases", json={"category": "x"})
    assert res.status_code == 400 and res.get_json()["error"] == "csrf_failed"


def test_ended_session_cookie_api_call_gets_401_not_csrf_error(app, client, csrf_on, users):
    token = _form_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "t-worker", "password": PASSWORD, "csrf_token": token})
    cookie = client.get_cookie("session").value
    after = _form_token(client.get("/cases").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": after})
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    res = replay.post("/api/v1/cases", json={})
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_bearer_api_call_needs_no_csrf(client, csrf_on, users):
    assert client.delete("/api/v1/auth/token", headers=_bearer(_token(client))).status_code == 204


# --- password and role changes, disabling ------------------------------------------------------------

def test_password_change_ends_sessions_and_tokens(client, session, users):
    token = _token(client, "t-worker")
    _login(client, "t-worker")
    accounts.create_user(session, "t-worker", NEW_PASSWORD, "worker", grids=[d.GRID_A1])
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert _live_sessions(session, users["worker"]) == 0
    # The new password works and makes a new session.
    assert _login(client, "t-worker", NEW_PASSWORD).get("/api/v1/me").status_code == 200


def test_role_change_ends_sessions_and_tokens(client, session, users):
    token = _token(client, "t-planner")
    _login(client, "t-planner")
    accounts.create_user(session, "t-planner", PASSWORD, "street", street=d.STREET)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_same_password_and_role_keeps_sessions(client, session, users):
    # load-demo re-saves the demo accounts: that must not log everyone out.
    token = _token(client, "t-worker")
    _login(client, "t-worker")
    accounts.create_user(session, "t-worker", PASSWORD, "worker", grids=[d.GRID_A1])
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_set_password_ends_access(client, session, users):
    token = _token(client, "t-street")
    accounts.set_password(session, users["street"], NEW_PASSWORD)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == users["street"].id)) is not None


def test_user_disable_cli(cli, client, session, users):
    token = _token(client, "t-worker")
    _login(client, "t-worker")
    res = cli.invoke(args=["grid", "user-disable", "t-worker"])
    assert res.exit_code == 0, res.output
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    session.expire_all()
    assert session.get(User, users["worker"].id).active is False
    assert _live_sessions(session, users["worker"]) == 0
    login = client.post("/login", data={"username": "t-worker", "password": PASSWORD})
    assert login.status_code == 200  # the form again, with "wrong user name or password"
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user-disable"))
    assert event.detail == {"username": "t-worker"}


@pytest.mark.parametrize("command", [["user-disable", "nobody"], ["token-revoke", "nobody", "--all"],
                                     ["token-revoke", "nobody"]])
def test_cli_unknown_user(cli, session, command):
    res = cli.invoke(args=["grid", *command])
    assert res.exit_code == 2 and "no user named 'nobody'" in res.output
    assert session.scalar(select(AuditEvent).where(AuditEvent.action.in_(["user-disable", "token-revoke"]))) is None


# --- revoking tokens ---------------------------------------------------------------------------------

def _works(client, token: str) -> bool:
    return client.get("/api/v1/me", headers=_bearer(token)).status_code == 200


def test_token_revoke_without_options_revokes_the_newest(cli, client, session):
    old, new = _token(client, label="laptop"), _token(client, label="script")
    res = cli.invoke(args=["grid", "token-revoke", "t-api"])
    assert res.exit_code == 0 and "1 token(s)" in res.output
    assert _works(client, old) and not _works(client, new)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "token-revoke"))
    assert event.detail["username"] == "t-api" and len(event.detail["tokens"]) == 1


def test_token_revoke_by_label(cli, client):
    laptop, script = _token(client, label="laptop"), _token(client, label="script")
    assert cli.invoke(args=["grid", "token-revoke", "t-api", "--label", "laptop"]).exit_code == 0
    assert not _works(client, laptop) and _works(client, script)
    res = cli.invoke(args=["grid", "token-revoke", "t-api", "--label", "laptop"])
    assert res.exit_code == 1 and "no live token labelled 'laptop'" in res.output


def test_token_revoke_all(cli, client):
    tokens = [_token(client, label=f"t{i}") for i in range(3)]
    res = cli.invoke(args=["grid", "token-revoke", "t-api", "--all"])
    assert res.exit_code == 0 and "3 token(s)" in res.output
    assert not any(_works(client, t) for t in tokens)
    again = cli.invoke(args=["grid", "token-revoke", "t-api", "--all"])  # idempotent for scripts
    assert again.exit_code == 0 and "0 token(s)" in again.output


def test_token_revoke_all_and_label_together_is_refused(cli):
    res = cli.invoke(args=["grid", "token-revoke", "t-api", "--all", "--label", "x"])
    assert res.exit_code == 2 and "not both" in res.output


def test_delete_token_revokes_only_the_callers_token(client):
    mine, other = _token(client), _token(client)
    res = client.delete("/api/v1/auth/token", headers=_bearer(mine))
    assert res.status_code == 204 and res.get_data() == b""
    assert not _works(client, mine) and _works(client, other)
    again = client.delete("/api/v1/auth/token", headers=_bearer(mine))
    assert again.status_code == 401 and again.get_json()["error"] == "unauthorized"


def test_delete_token_without_bearer_is_401(login):
    res = login("secretary").delete("/api/v1/auth/token")
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_expired_token_is_refused(client, session):
    token = _token(client)
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == hashlib.sha256(token.encode()).hexdigest()))
    assert row.expires_at - datetime.now(timezone.utc) > timedelta(days=accounts.TOKEN_DAYS - 1)
    row.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    session.flush()
    res = client.get("/api/v1/me", headers=_bearer(token))
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


# --- the logout control on desk pages ----------------------------------------------------------------

DESK_PAGES = {"secretary": ["/cases", f"/communities/{d.COMM_A}", f"/communities/{d.COMM_A}/map",
                            f"/communities/{d.COMM_A}/dashboard", f"/communities/{d.COMM_A}/heatmap",
                            "/communities"],
              "street": [f"/streets/{d.STREET}/compare", "/cases"],
              "admin": ["/communities", "/cases"], "planner": ["/communities"]}


@pytest.mark.parametrize("role, path", [(r, p) for r, paths in DESK_PAGES.items() for p in paths])
def test_desk_pages_have_a_logout_control_with_name_and_role(login, users, role, path):
    res = login(role).get(path)
    assert res.status_code == 200, path
    html = res.get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout" class="who" id="logout">(.*?)</form>', html, re.S)
    assert form, path
    label = {"secretary": "社区书记", "street": "街道", "admin": "管理员", "planner": "规划"}[role]
    assert users[role].display_name in form.group(1) and f"<small>{label}</small>" in form.group(1)
    assert 'name="csrf_token"' in form.group(1) and "退出" in form.group(1)


def test_logout_control_in_english(login):
    html = login("street").get("/cases?lang=en").get_data(as_text=True)
    assert "<small>Street officer</small>" in html and ">Log out</button>" in html


def test_login_page_has_no_logout_control(client):
    assert 'id="logout"' not in client.get("/login").get_data(as_text=True)


def test_a_bearer_header_turns_the_cookie_off(login):
    client = login("secretary")  # logged in by cookie
    res = client.post("/api/v1/cases/1/publish", json={"published": True},
                      headers={"Authorization": "Bearer made-up-token"})
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"
