"""A live server (CSRF on, real commits) and headless Chromium from Debian's package, via Playwright."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from grid_app import create_app

SCREENSHOTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "screenshots")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Without these, Chromium keeps trying to reach Google's hosts on a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Every Playwright wait ends: actions, waits and screenshots after ACTION_MS, page loads after NAVIGATION_MS
# (generous, for a busy 2-core machine). page.evaluate has no timeout of its own: never evaluate a promise
# that the page may not settle; poll with wait_for_function instead.
ACTION_MS = 20_000
NAVIGATION_MS = 45_000
LAUNCH_MS = 60_000


def chromium_path() -> str:
    """Debian's Chromium; the test command installs it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("chromium is not installed: run scripts/dev.sh test, which installs it")
    return path


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on a free loopback port, with CSRF protection on, sharing the test database."""
    live = create_app({
        "TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "browser-test",
        "UPLOAD_DIR": app.config["UPLOAD_DIR"], "RATELIMIT_ENABLED": False,
    })
    server = make_server("127.0.0.1", 0, live, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
                                     timeout=LAUNCH_MS)
        yield browser
        browser.close()


@pytest.fixture()
def console_errors():
    """Collects console errors and page errors of the pages a test opens."""
    return []


def new_page(browser, console_errors, viewport=PHONE, **context_options):
    """A fresh context and page at the given size, recording console errors."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **context_options)
    context.set_default_timeout(ACTION_MS)
    context.set_default_navigation_timeout(NAVIGATION_MS)
    page = context.new_page()
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    return page


def screenshot(page, name: str) -> str:
    """Save a full-page screenshot under screenshots/ for review."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    path = os.path.join(SCREENSHOTS, f"{name}.png")
    page.screenshot(path=path, full_page=True, timeout=ACTION_MS)
    return path
