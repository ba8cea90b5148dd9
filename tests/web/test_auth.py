"""Login, logout, tokens."""
from __future__ import annotations

import pytest

from grid_app.web.auth import is_local_path

from ..conftest import PASSWORD


def test_login_wrong_password_shows_message(client, users):
    res = client.post("/login", data={"username": "t-worker", "password": "nope-nope"})
    assert res.status_code == 200 and "用户名或密码错误" in res.get_data(as_text=True)


def test_login_redirects_only_to_local_paths(client, users):
    res = client.post("/login?next=https://evil.example/", data={"username": "t-worker", "password": PASSWORD})
    assert res.status_code == 302 and not res.headers["Location"].startswith("https://evil")


# Each `next` as it stands in the query string of POST /login.
UNSAFE_NEXT = ["//x", "/\\x", "/%5Cx", "/%09/x", "/%0A/x", "/%0D/x", "https:x", "https://evil.example/",
               "/%2F/x", "/%252F/x", "///x", "/%20/x", "x/y", "", "javascript:alert(1)", "/%E2%80%AE/x",
               "%2F%2Fx"]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_login_never_redirects_outside(client, users, target):
    res = client.post(f"/login?next={target}", data={"username": "t-secretary", "password": PASSWORD})
    assert res.status_code == 302 and res.headers["Location"] == "/"


def test_login_next_with_nul_is_refused_not_500(client, users):
    res = client.post("/login?next=/%00/x", data={"username": "t-secretary", "password": PASSWORD})
    assert res.status_code == 400  # the input guard refuses NUL anywhere; no redirect at all


@pytest.mark.parametrize("target", ["/ok/path?a=1", "/cases?state=open&grid=341702900001001", "/communities"])
def test_login_keeps_local_next(client, users, target):
    from urllib.parse import quote
    res = client.post(f"/login?next={quote(target)}", data={"username": "t-secretary", "password": PASSWORD})
    assert res.status_code == 302 and res.headers["Location"] == target


@pytest.mark.parametrize("target", ["//x", "/\\x", "/\tx", "/\nx", "/%2F/x", "/%252f/x", "///x", "https:x",
                                    None, 42, "/a\u2028b"])
def test_is_local_path_refuses(target):
    assert not is_local_path(target)


def test_login_redirect_to_a_page_that_needs_login(client, users):
    page = client.get("/cases?state=open")
    assert page.status_code == 302 and "next=" in page.headers["Location"]
    res = client.post(page.headers["Location"], data={"username": "t-secretary", "password": PASSWORD})
    assert res.headers["Location"] == "/cases?state=open"


def test_token_flow(client, users):
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": PASSWORD})
    assert res.status_code == 201
    token = res.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["role"] == "api"


def test_token_bad_credentials(client, users):
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": "wrong-password"})
    assert res.status_code == 401 and res.get_json()["error"] == "bad_credentials"


@pytest.mark.parametrize("body", [{"username": ["t-api"], "password": PASSWORD},
                                  {"username": "t-api", "password": 12345678},
                                  {"username": None, "password": PASSWORD}, {"password": PASSWORD},
                                  {"username": "t-api", "password": {"a": 1}}])
def test_token_username_and_password_must_be_strings(client, users, body):
    res = client.post("/api/v1/auth/token", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == "bad_body"


@pytest.mark.parametrize("label", [{"a": 1}, ["x"], 7, "x" * 101, "x" * 5000])
def test_token_bad_label(client, users, label):
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": PASSWORD, "label": label})
    assert res.status_code == 400 and res.get_json()["error"] == "bad_label"


def test_token_label_is_kept(client, session, users):
    from grid_app.models import ApiToken
    from sqlalchemy import select
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": PASSWORD, "label": "x" * 100})
    assert res.status_code == 201
    assert session.scalar(select(ApiToken.label).where(ApiToken.user_id == users["api"].id)) == "x" * 100


def test_token_malformed_body(client):
    res = client.post("/api/v1/auth/token", data="x", content_type="application/json")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_json"


def test_api_without_login_is_401_json(client):
    res = client.get("/api/v1/me")
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_bogus_token_is_401(client):
    res = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert res.status_code == 401


def test_worker_scope_in_me(login):
    body = login("worker").get("/api/v1/me").get_json()
    assert body["grids"] == ["341702900001001"] and body["community"] == "341702900001"


def test_a_password_with_control_characters_is_refused(session):
    from grid_app.access.accounts import create_user
    from grid_app.platform.errors import InvalidInput
    with pytest.raises(InvalidInput):
        create_user(session, "ctl-user", "abcd\x0befgh", "planner")


def test_updating_a_user_keeps_its_display_name(session):
    from grid_app.access.accounts import create_user
    create_user(session, "named-user", "first-password-1", "planner", display_name="陈规划")
    assert create_user(session, "named-user", "second-password-2", "planner").display_name == "陈规划"
