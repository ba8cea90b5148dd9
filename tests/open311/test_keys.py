"""Client keys from the CLI: shown once, stored hashed, listed, revoked; and the rate-limit key."""
from __future__ import annotations

from sqlalchemy import select

from grid_app.models import Open311Key
from grid_app.web.open311 import _rate_key

from .conftest import BASE, body


def test_cli_issue_list_revoke(session, cli, client):
    res = cli.invoke(args=["grid", "api-key-add", "citizen-app"])
    assert res.exit_code == 0, res.output
    plain = res.output.strip().splitlines()[-1]
    assert plain.startswith("o311_") and len(plain) > 30
    stored = session.scalar(select(Open311Key).where(Open311Key.name == "citizen-app"))
    assert stored.key_sha256 != plain and plain not in stored.key_sha256

    form = {"api_key": plain, "service_code": "0101", "lat": "30.662", "long": "117.481", "description": "垃圾"}
    assert client.post(f"{BASE}/requests.json", data=form).status_code == 201
    listing = cli.invoke(args=["grid", "api-key-list"]).output
    assert "citizen-app\tlive" in listing and "1 request(s)" in listing and plain not in listing

    again = cli.invoke(args=["grid", "api-key-add", "citizen-app"])
    assert again.exit_code == 2 and "already has a live key" in again.output

    assert cli.invoke(args=["grid", "api-key-revoke", "citizen-app"]).exit_code == 0
    res = client.post(f"{BASE}/requests.xml", data=form)
    assert res.status_code == 403 and body(res).findtext("error/code") == "403"
    assert "revoked" in cli.invoke(args=["grid", "api-key-list"]).output

    # A revoked client can be given a new key; the old one stays dead.
    fresh = cli.invoke(args=["grid", "api-key-add", "citizen-app"]).output.strip().splitlines()[-1]
    assert client.post(f"{BASE}/requests.json", data={**form, "api_key": fresh}).status_code == 201
    assert client.post(f"{BASE}/requests.json", data=form).status_code == 403


def test_cli_errors(cli):
    res = cli.invoke(args=["grid", "api-key-revoke", "nobody"])
    assert res.exit_code == 2 and "no Open311 client" in res.output
    res = cli.invoke(args=["grid", "api-key-add", "bad name!"])
    assert res.exit_code == 2 and "client name" in res.output


def test_rate_limit_key_is_per_client_key(app):
    with app.test_request_context(f"{BASE}/requests.json", method="POST", data={"api_key": "k1"}):
        one = _rate_key()
    with app.test_request_context(f"{BASE}/requests.json", method="POST", data={"api_key": "k2"}):
        two = _rate_key()
    with app.test_request_context(f"{BASE}/requests.json", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        anonymous = _rate_key()
    assert one != two and one.startswith("open311-key:") and "k1" not in one
    assert anonymous == "open311-ip:10.1.2.3"
