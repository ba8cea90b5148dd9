"""Login, logout, tokens."""
from __future__ import annotations

from ..conftest import PASSWORD


def test_login_wrong_password_shows_message(client, users):
    res = client.post("/login", data={"username": "t-worker", "password": "nope-nope"})
    assert res.status_code == 200 and "用户名或密码错误" in res.get_data(as_text=True)


def test_login_redirects_only_to_local_paths(client, users):
    res = client.post("/login?next=https://evil.example/", data={"username": "t-worker", "password": PASSWORD})
    assert res.status_code == 302 and not res.headers["Location"].startswith("https://evil")


def test_token_flow(client, users):
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": PASSWORD})
    assert res.status_code == 201
    token = res.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["role"] == "api"


def test_token_bad_credentials(client, users):
    res = client.post("/api/v1/auth/token", json={"username": "t-api", "password": "wrong-password"})
    assert res.status_code == 401 and res.get_json()["error"] == "bad_credentials"


def test_token_malformed_body(client):
    res = client.post("/api/v1/auth/token", data="x", content_type="application/json")
    assert res.status_code == 400 and res.get_json()["error"] == "bad_body"


def test_api_without_login_is_401_json(client):
    res = client.get("/api/v1/me")
    assert res.status_code == 401 and res.get_json()["error"] == "unauthorized"


def test_bogus_token_is_401(client):
    res = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert res.status_code == 401


def test_worker_scope_in_me(login):
    body = login("worker").get("/api/v1/me").get_json()
    assert body["grids"] == ["341702900001001"] and body["community"] == "341702900001"
