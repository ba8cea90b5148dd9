"""Security headers, production settings, proxy handling."""
import pytest

from grid_app import create_app


def test_headers_on_pages_and_api(client):
    for path in ("/login", "/api/v1/categories", "/healthz"):
        res = client.get(path)
        assert res.headers["X-Content-Type-Options"] == "nosniff"
        assert res.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in res.headers["Content-Security-Policy"]
        assert "object-src 'none'" in res.headers["Content-Security-Policy"]


def test_session_cookie_flags(client, users):
    from ..conftest import PASSWORD
    res = client.post("/login", data={"username": "t-worker", "password": PASSWORD})
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_needs_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("GRID_APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "postgresql+psycopg2://x@/y"})
    app = create_app({"DATABASE_URL": "postgresql+psycopg2://x@/y", "SECRET_KEY": "k" * 40,
                      "GRID_APP_PERSONAL_DATA_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="})  # production needs both
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_bad_environment_value_is_named(monkeypatch):
    monkeypatch.setenv("GRID_SNAP_M", "thirty")
    with pytest.raises(ValueError, match="GRID_SNAP_M"):
        create_app({"DATABASE_URL": "postgresql+psycopg2://x@/y"})


def test_proxy_fix(app):
    proxied = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TRUST_PROXY_HOPS": 1, "SECRET_KEY": "x"})

    @proxied.get("/_scheme")
    def scheme():
        from flask import request
        return request.scheme + " " + request.remote_addr

    res = proxied.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert res.get_data(as_text=True) == "https 203.0.113.9"


@pytest.mark.parametrize("path", ["/api/v1/exports/cases.csv", "/api/v1/exports/cases.xlsx",
                                  "/api/v1/indicators?format=csv", "/api/v1/cases", "/cases"])
def test_what_a_user_is_served_is_not_cached(login, path):
    res = login("secretary").get(path)
    assert res.status_code == 200 and res.headers["Cache-Control"] == "private, no-store"
