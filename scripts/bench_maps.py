#!/usr/bin/env python3
"""Benchmark the community map and the coverage map: HTML bytes, server time, time until drawn.

For the demo district (scale 1) and a generated city (default scale 34, ≥ 50,000 buildings), each
loaded into its own fresh database (bench_maps_<scale>): the community with most buildings is
opened in headless Chromium (tiles answered locally with a blank image, as no internet is here).
"Drawn" is the time from navigation until the map's vector layers are in the page's SVG/canvas.
The last line printed is one JSON object. Goal: page ≤ 1.5 MB, drawn ≤ 2 s at 50,000 buildings.

Usage: .venv/bin/python scripts/bench_maps.py [--scales 1,34] [--runs 3]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import tempfile
import threading
import time

from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import make_server

from grid_app import create_app
from grid_app.platform import localdb
from grid_app.access.accounts import create_user
from grid_app.demo_data import generate, write
from grid_app.extensions import db
from grid_app.places.importer import import_files
from grid_app.models import Building, Community
from grid_app.network.store import read_network_file, replace_network
from grid_app.platform.reference import seed_reference_data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-1"
LAYERS = ("streets", "communities", "grids", "residential_areas", "buildings", "facilities")
DRAWN = "document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-tile-container svg path').length > 0"
COVERAGE_TYPE = "elderly_care"


def load(scale: float) -> tuple:
    """A fresh database with the generated district at this scale; returns (app, community code, buildings)."""
    started = time.perf_counter()
    layers = generate(seed=7, scale=scale)
    folder = tempfile.mkdtemp(prefix=f"bench-maps-{scale:g}-")
    write(folder, layers)
    app = create_app({"DATABASE_URL": localdb.ensure_database(f"bench_maps_{str(scale).replace('.', '_')}", fresh=True),
                      "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "UPLOAD_DIR": os.path.join(folder, "uploads")})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session)
        db.session.commit()
        import_files(db.session, [os.path.join(folder, f"{n}.geojson") for n in LAYERS if n in layers],
                     progress=False)
        network = next((n for n in ("network", "walk_network", "paths") if n in layers), None)
        if network:
            replace_network(db.session, read_network_file(os.path.join(folder, f"{network}.geojson")),
                            progress=False)
        create_user(db.session, "bench-admin", PASSWORD, "admin")
        db.session.commit()
        code, count = db.session.execute(
            select(Community.code, func.count(Building.id)).join(Building, Building.community_id == Community.id)
            .group_by(Community.code).order_by(func.count(Building.id).desc()).limit(1)).one()
        total = db.session.scalar(select(func.count(Building.id)))
    print(f"scale {scale:g}: {total} buildings, loaded in {time.perf_counter() - started:.0f} s; "
          f"community {code} has {count} buildings", flush=True)
    return app, code, total, count, bool(network)


def server_times(app, path: str, runs: int) -> tuple[int, float, float]:
    """(HTML bytes, first response s, median of warm responses s) through the app itself."""
    client = app.test_client()
    client.post("/login", data={"username": "bench-admin", "password": PASSWORD})
    started = time.perf_counter()
    res = client.get(path)
    first = time.perf_counter() - started
    if res.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {res.status_code}: {res.get_data(as_text=True)[:300]}")
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        res = client.get(path)
        warm.append(time.perf_counter() - started)
    return len(res.data), first, statistics.median(warm)


def _browser_test_harness():
    """The browser tests' conftest (Chromium's path and flags), loaded from its file: tests/ is not installed."""
    path = os.path.join(ROOT, "tests", "browser", "conftest.py")
    spec = importlib.util.spec_from_file_location("grid_app_browser_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drawn_times(app, path: str, runs: int) -> float:
    """Median seconds from navigation until the map's layers are drawn in headless Chromium."""
    from playwright.sync_api import sync_playwright

    browser_tests = _browser_test_harness()
    CHROMIUM_ARGS, chromium_path = browser_tests.CHROMIUM_ARGS, browser_tests.chromium_path
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    blank = _blank_png()
    times = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.route(lambda url: not url.startswith(base),
                       lambda route: route.fulfill(status=200, content_type="image/png", body=blank))
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "bench-admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for _ in range(runs):
                started = time.perf_counter()
                page.goto(f"{base}{path}", wait_until="commit")
                page.wait_for_function(DRAWN, timeout=60000, polling="raf")
                times.append(time.perf_counter() - started)
            browser.close()
    finally:
        server.shutdown()
    return statistics.median(times)


def _blank_png() -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (238, 242, 243)).save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    """Run the benchmark and print one JSON line last."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="1,34", help="comma-separated generator scales (1 = the demo district)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    results = []
    for scale in (float(s) for s in args.scales.split(",")):
        app, code, total, in_community, has_network = load(scale)
        pages = {"community_map": f"/communities/{code}/map"}
        if has_network:
            pages["coverage_map"] = f"/communities/{code}/coverage?type={COVERAGE_TYPE}"
        for name, path in pages.items():
            size, first, warm = server_times(app, path, args.runs)
            drawn = drawn_times(app, path, args.runs)
            row = {"scale": scale, "buildings": total, "community": code, "community_buildings": in_community,
                   "page": name, "html_bytes": size, "server_first_s": round(first, 3),
                   "server_s": round(warm, 3), "drawn_s": round(drawn, 3),
                   "ok": size <= 1_500_000 and drawn <= 2.0}
            results.append(row)
            print(f"  {name}: {size / 1e6:.2f} MB, server {warm:.2f} s (first {first:.2f} s), drawn {drawn:.2f} s"
                  f" {'OK' if row['ok'] else 'OVER GOAL'}", flush=True)
    print(json.dumps({"bench": "maps", "goal": {"html_bytes": 1_500_000, "drawn_s": 2.0}, "results": results,
                      "all_ok": all(r["ok"] for r in results)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
