"""The phone app's pages: login required, worker scope, the offline shell's files."""
from __future__ import annotations

import json

from ..cases.helpers import log_case


def test_pages_need_login(client):
    for path in ("/m/", "/m/new", "/m/cases/shell", "/m/cases/1", "/m/csrf"):
        res = client.get(path)
        assert res.status_code == 302, path
        assert "/login" in res.headers["Location"]


def test_worker_lands_on_tasks_after_login(client, users):
    from ..conftest import PASSWORD
    res = client.post("/login", data={"username": "t-worker", "password": PASSWORD})
    assert res.status_code == 302
    home = client.get(res.headers["Location"])
    assert home.status_code == 302 and home.headers["Location"].endswith("/m/")


def test_secretary_still_starts_on_community(login):
    client = login("secretary")
    assert "/communities/" in client.get("/").headers["Location"]


def test_tasks_page(login):
    client = login("worker")
    res = client.get("/m/")
    body = res.get_data(as_text=True)
    assert res.status_code == 200
    assert "我的任务" in body and "甲社区第1网格" in body
    assert 'rel="manifest"' in body
    boot = json.loads(body.split('id="m-boot">')[1].split("</script>")[0])
    assert boot["user"] == "t-worker" and boot["grids"] == ["341702900001001"]
    assert boot["community"] == "341702900001" and boot["csrf"]


def test_tasks_page_in_english(login):
    client = login("worker")
    body = client.get("/m/?lang=en").get_data(as_text=True)
    assert "My tasks" in body and "我的任务" not in body


def _form_data(client) -> dict:
    body = client.get("/m/new").get_data(as_text=True)
    return json.loads(body.split('id="m-form-data">')[1].split("</script>")[0])


def test_new_case_form_puts_most_used_category_counts(login, users, session):
    client = login("worker")
    # Browser tests commit cases as this worker to the shared database: compare before and after.
    before = _form_data(client)["counts"]
    for _ in range(2):
        log_case(session, users["worker"], category="0503")
    log_case(session, users["worker"], category="0701")
    data = _form_data(client)
    grown = {k: v - before.get(k, 0) for k, v in data["counts"].items() if v != before.get(k, 0)}
    assert grown == {"0503": 2, "0701": 1}
    assert {c["code"] for c in data["categories"]} >= {"0101", "0503", "9901"}
    assert data["tiles"]["url"].startswith("https://tile.openstreetmap.org/")
    body = client.get("/m/new").get_data(as_text=True)
    assert 'capture="environment"' in body and 'accept="image/*"' in body


def test_counts_are_per_worker(login, users, session):
    client = login("worker")
    before = _form_data(client)["counts"]
    log_case(session, users["worker_a2"], x=100, y=700, category="0503")
    assert _form_data(client)["counts"] == before


def test_tile_provider_from_config(app, login):
    client = login("worker")
    app.config["TILE_PROVIDER"] = "https://tiles.example.cn/{z}/{x}/{y}.png"
    try:
        body = client.get("/m/new").get_data(as_text=True)
        sw = client.get("/m/sw.js")
    finally:
        app.config["TILE_PROVIDER"] = "osm"
    assert "https://tiles.example.cn/{z}/{x}/{y}.png" in body
    assert "tiles.example.cn" in sw.get_data(as_text=True)
    assert "https://tiles.example.cn" in sw.headers["Content-Security-Policy"]


def test_case_page_scope(login, users, session):
    mine, _ = log_case(session, users["worker"], x=100, y=300)
    other, _ = log_case(session, users["secretary_b"], x=700, y=300)
    client = login("worker")
    assert client.get(f"/m/cases/{mine.id}").status_code == 200
    assert client.get(f"/m/cases/{other.id}").status_code == 404
    assert client.get("/m/cases/999999").status_code == 404
    assert client.get("/m/cases/shell").status_code == 200


def test_planner_may_not_open_the_form(login):
    client = login("planner")
    assert client.get("/m/new").status_code == 403


def test_user_text_is_escaped_in_page(login, users, session):
    # Names come from the DB into the page; descriptions only go through JSON and are escaped by the scripts.
    users["worker"].display_name = "<b>张三</b>"
    session.flush()
    body = login("worker").get("/m/").get_data(as_text=True)
    assert "<b>张三</b>" not in body and "&lt;b&gt;张三&lt;/b&gt;" in body


def test_tianditu_subdomains_in_worker_policy(app, client):
    app.config.update(TILE_PROVIDER="tianditu", TIANDITU_KEY="k123")
    try:
        sw = client.get("/m/sw.js")
    finally:
        app.config.update(TILE_PROVIDER="osm", TIANDITU_KEY="")
    assert "https://*.tianditu.gov.cn" in sw.headers["Content-Security-Policy"]
    assert "tk=k123" in sw.get_data(as_text=True)


def test_csrf_endpoint(login):
    client = login("worker")
    res = client.get("/m/csrf")
    assert res.status_code == 200 and res.get_json()["csrf"]
    assert res.headers["Cache-Control"] == "no-store"


def test_service_worker_and_manifest(client):
    sw = client.get("/m/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Service-Worker-Allowed"] == "/m/"
    # The worker may fetch tiles itself; pages keep the app's stricter policy.
    assert "connect-src 'self' https://tile.openstreetmap.org" in sw.headers["Content-Security-Policy"]
    config = json.loads(sw.get_data(as_text=True).split("const CONFIG = ")[1].split(";\n")[0])
    assert "/static/vendor/leaflet/leaflet.js" in config["static"]
    assert config["pages"] == ["/m/", "/m/new", "/m/cases/shell", "/m/visits", "/m/visits/shell"]
    for url in config["static"]:
        assert client.get(url).status_code == 200, url
    manifest = client.get("/m/manifest.webmanifest")
    body = json.loads(manifest.get_data(as_text=True))
    assert manifest.mimetype == "application/manifest+json"
    assert body["start_url"] == "/m/" and body["display"] == "standalone"
    assert {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}


def test_icons_are_pngs_of_their_size(client):
    import io

    from PIL import Image
    for size in (192, 512):
        res = client.get(f"/static/m/icon-{size}.png")
        img = Image.open(io.BytesIO(res.data))
        assert img.format == "PNG" and img.size == (size, size)
