"""The grid worker's phone app in headless Chromium: logging cases online and offline, retries, actions."""
from __future__ import annotations

import os
import re
import time
import uuid

from sqlalchemy import select

from grid_app.extensions import db
from grid_app.models import Case

from .. import district
from ..cases.helpers import jpeg, png
from ..conftest import PASSWORD
from ..geo import lonlat
from .conftest import ACTION_MS, DESKTOP, SCREENSHOTS, new_page
from .conftest import screenshot as full_screenshot

# Inside grid A1, away from the points other tests log at: these cases stay in the shared test database.
LON, LAT = lonlat(470, 470)
GEO = {"longitude": LON, "latitude": LAT, "accuracy": 8}
# Failed requests while the test has cut the network are expected; anything else is a bug.
EXPECTED_OFFLINE = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_TIMED_OUT")


def photo(name="p.jpg", color=(200, 30, 30), size=(2400, 1800)):
    """A camera-sized JPEG for set_input_files."""
    return {"name": name, "mimeType": "image/jpeg", "buffer": jpeg(*size, color=color)}


def screenshot(page, name):
    """A full-page screenshot scrolled to the top, so the sticky bar sits where the user sees it."""
    page.evaluate("window.scrollTo(0, 0)")
    return full_screenshot(page, name)


def worker_page(browser, console_errors, live_server, **options):
    """A phone logged in as the grid worker of A1, on the task list, with the service worker ready."""
    page = new_page(browser, console_errors, geolocation=GEO, permissions=["geolocation"], **options)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "t-worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/m/$"))
    if options.get("service_workers") != "block":
        # (wait_for_function would eval a string, which the app's Content-Security-Policy forbids)
        assert wait_until(lambda: page.evaluate("() => navigator.serviceWorker.controller !== null"), 15)
        page.wait_for_load_state("networkidle")  # the first fetches through the worker are cached
    return page


def fill_case(page, live_server, text, photos=(), category="暴露垃圾", goto=True):
    """Open the form, wait for the position, fill it in and submit."""
    if goto:
        page.goto(f"{live_server}/m/new")
    page.wait_for_selector("#gps.ok")
    chip = page.locator(f".m-chip:has-text('{category}')")
    if not chip.is_visible():
        page.click("#cats-more")
    chip.click()
    page.fill("#description", text)
    for i, p in enumerate(photos):
        page.set_input_files("#photo-input", p)
        page.wait_for_selector(f"#photos .m-thumb:nth-of-type({i + 1})")
    page.click("#submit")


def server_cases(app, text):
    """Cases on the server whose description contains text: (grid code, photo kinds, key, state)."""
    with app.app_context():
        try:
            rows = db.session.scalars(select(Case).where(Case.description.contains(text)).order_by(Case.id)).all()
            return [(c.grid.code if c.grid else None, [p.kind for p in c.photos], c.idempotency_key, c.state,
                     c.accuracy_m, c.reporter.username) for c in rows]
        finally:
            db.session.remove()


def wait_until(check, timeout=20.0):
    """Poll check() until it returns something truthy."""
    end = time.time() + timeout
    while time.time() < end:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    return check()


def blank_tiles(page):
    """Without the service worker nothing stands in for the unreachable tile server: serve blank tiles."""
    page.route(re.compile(r"https://tile\.openstreetmap\.org/.*"),
               lambda route: route.fulfill(status=200, content_type="image/png", body=png(1, 1)))


def real_errors(console_errors):
    return [e for e in console_errors if not any(x in e for x in EXPECTED_OFFLINE)]


def assert_fits_phone(page):
    """No sideways scrolling, and every control is big enough for a thumb."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
        'main button, .m-tabs a, .m-chip span, .m-seg label span, .m-photo-add, main input:not([type=radio]):not([type=file]), textarea'))
      .filter(el => el.offsetParent !== null)
      .map(el => [el.id || el.className || el.tagName, el.getBoundingClientRect().height])
      .filter(([, h]) => h < 44)""")
    assert small == []


def test_log_case_online_located_to_grid(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server)
    screenshot(page, "m-tasks")
    assert_fits_phone(page)
    page.goto(f"{live_server}/m/new")
    page.wait_for_selector("#place.ok")
    assert "甲社区第1网格" in page.inner_text("#place")
    assert "±8" in page.inner_text("#gps")
    text = "垃圾桶满溢 " + uuid.uuid4().hex[:8]
    page.click(".m-chip:has-text('暴露垃圾')")
    page.fill("#description", text)
    page.set_input_files("#photo-input", photo())
    page.wait_for_selector("#photos .m-thumb")
    screenshot(page, "m-new")
    page.locator("#description").scroll_into_view_if_needed()
    page.screenshot(path=os.path.join(SCREENSHOTS, "m-new-viewport.png"), timeout=ACTION_MS)  # what the thumb sees
    assert_fits_phone(page)
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/m/cases/\d+$"))
    page.wait_for_selector(".m-case h2")
    assert "事件已上报" in page.inner_text("#m-flash")
    [(grid, kinds, key, state, accuracy, reporter)] = server_cases(app, text)
    assert (grid, kinds, state, accuracy, reporter) == (district.GRID_A1, ["before"], "collected", 8, "t-worker")
    assert re.fullmatch(r"[0-9a-f-]{36}", key)
    # The photo was downscaled in the browser to at most 1600 px before upload.
    with app.app_context():
        c = db.session.scalar(select(Case).where(Case.description == text))
        assert max(c.photos[0].width, c.photos[0].height) == 1600
        db.session.remove()
    screenshot(page, "m-case-new")
    assert console_errors == []


def test_most_used_category_comes_first(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/m/new")
    counts = page.evaluate("JSON.parse(document.getElementById('m-form-data').textContent).counts")
    assert "独居老人帮扶" not in page.inner_text(".m-chip >> nth=0")
    # Other tests log cases as this worker too: log enough to make this category the most used.
    for n in range(max(counts.values(), default=0) + 1 - counts.get("0801", 0)):
        fill_case(page, live_server, f"独居老人 {n} " + uuid.uuid4().hex[:6], category="独居老人帮扶")
        page.wait_for_url(re.compile(r".*/m/cases/\d+$"))
    page.goto(f"{live_server}/m/new")
    assert "独居老人帮扶" in page.inner_text(".m-chip >> nth=0")
    assert console_errors == []


def test_worker_handles_a_case_to_closing(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server)
    text = "井盖松动 " + uuid.uuid4().hex[:8]
    fill_case(page, live_server, text, photos=[photo()])
    page.wait_for_url(re.compile(r".*/m/cases/\d+$"))
    for action, label in (("register", "立案"), ("dispatch", "派遣"), ("start", "开始处理")):
        page.click(f"#action-buttons button[data-action={action}]")
        page.click("#action-submit")
        page.wait_for_selector(f"#m-flash:has-text('已完成：{label}')")
    page.click("#action-buttons button[data-action=report]")
    page.click("#action-submit")
    assert "处理后照片" in page.inner_text("#action-error")  # an after photo is asked for
    page.set_input_files("#after-input", photo("after.jpg", color=(30, 160, 60)))
    page.wait_for_selector("#after-photos .m-thumb")
    page.fill("#action-note", "已重新固定井盖")
    screenshot(page, "m-case-report")
    page.click("#action-submit")
    page.wait_for_selector("#m-flash:has-text('处理反馈')")
    page.click("#action-buttons button[data-action=close]")
    page.click("#action-submit")
    page.wait_for_selector(".m-case .st-closed")
    page.wait_for_selector("#timeline li:nth-child(6)")
    assert "已重新固定井盖" in page.inner_text("#timeline")
    screenshot(page, "m-case-closed")
    assert_fits_phone(page)
    [(grid, kinds, _, state, _, _)] = server_cases(app, text)
    assert (grid, kinds, state) == (district.GRID_A1, ["before", "after"], "closed")
    assert console_errors == []


def test_offline_cases_are_kept_and_sent_once(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server)
    context = page.context
    tag = uuid.uuid4().hex[:8]
    context.set_offline(True)
    fill_case(page, live_server, f"离线一 {tag}", photos=[photo()])
    page.wait_for_url(re.compile(r".*/m/$"))
    assert "已保存在本机" in page.inner_text("#m-flash")
    fill_case(page, live_server, f"离线二 {tag}", photos=[photo("a.jpg"), photo("b.jpg", color=(20, 20, 200))],
              category="违规停车")
    page.wait_for_url(re.compile(r".*/m/$"))
    page.reload()  # still offline: the service worker serves the page, IndexedDB keeps the cases
    page.wait_for_selector("#outbox-list .o-pending >> nth=1")
    assert page.is_visible("#m-net")
    assert page.inner_text("#m-pending-badge") == "2"
    screenshot(page, "m-offline-pending")
    assert server_cases(app, tag) == []
    context.set_offline(False)
    page.wait_for_selector("#outbox-list .o-sent >> nth=1", timeout=20000)
    found = wait_until(lambda: len(server_cases(app, tag)) == 2 and server_cases(app, tag))
    assert sorted((g, len(k)) for g, k, *_ in found) == [(district.GRID_A1, 1), (district.GRID_A1, 2)]
    screenshot(page, "m-offline-sent")
    page.reload()
    page.wait_for_selector("#outbox-list .o-sent >> nth=1")
    assert len(server_cases(app, tag)) == 2
    assert real_errors(console_errors) == []


def test_retry_after_timeout_makes_no_duplicate(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server, service_workers="block")
    blank_tiles(page)
    posts = []

    def first_times_out(route):
        posts.append(route.request.post_data_buffer)
        if len(posts) == 1:
            route.fetch(timeout=ACTION_MS)  # the server stores the case…
            route.abort("timedout")  # …but the answer never reaches the phone
        else:
            route.continue_()

    page.route("**/api/v1/cases", first_times_out)
    text = "路灯不亮 " + uuid.uuid4().hex[:8]
    fill_case(page, live_server, text, photos=[photo()])
    page.wait_for_selector("#outbox-list .o-sent", timeout=20000)
    assert len(posts) == 2
    [(grid, kinds, key, *_)] = server_cases(app, text)
    assert grid == district.GRID_A1 and kinds == ["before"]
    assert all(key.encode() in body for body in posts)  # both attempts carried the form's key
    assert real_errors(console_errors) == []


def test_rejected_case_is_shown_not_retried(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server, service_workers="block")
    blank_tiles(page)
    posts = []

    def refuse(route):
        posts.append(1)
        route.fulfill(status=400, content_type="application/json",
                      body='{"error": "bad_coordinates", "message": "lon must be between -180 and 180"}')

    page.route("**/api/v1/cases", refuse)
    text = "拒收测试 " + uuid.uuid4().hex[:8]
    fill_case(page, live_server, text)
    page.wait_for_selector("#submit-status:has-text('lon must be between')")
    page.goto(f"{live_server}/m/")
    page.wait_for_selector("#outbox-list .o-failed")
    assert "lon must be between -180 and 180" in page.inner_text("#outbox-list .o-failed")
    screenshot(page, "m-failed")
    time.sleep(3)
    assert len(posts) == 1  # a 4xx is not retried by itself
    page.unroute("**/api/v1/cases")
    page.click("#outbox-list [data-retry]")
    page.wait_for_selector("#outbox-list .o-sent")
    assert len(server_cases(app, text)) == 1
    # The refused request logged a 400 in the console; nothing else may have.
    assert [e for e in console_errors if "400" not in e] == []


def test_map_without_tiles_draws_grids_and_english(app, browser, live_server, console_errors):
    page = worker_page(browser, console_errors, live_server, viewport={"width": 320, "height": 640})
    page.goto(f"{live_server}/m/new?lang=en")
    page.wait_for_selector("#place.ok")
    assert page.locator(".m-map path.leaflet-interactive, .m-map svg path").count() >= 3  # grids A1, A2 and…
    assert "Report a case" in page.inner_text(".m-title")
    # Tap the map inside grid A2: the pin moves there and the grid shown follows it.
    page.locator("#map").scroll_into_view_if_needed()
    page.evaluate("M.formMap.setZoom(15, {animate: false})")
    lon2, lat2 = lonlat(100, 700)
    x, y = page.evaluate("""([lat, lon]) => { const p = M.formMap.latLngToContainerPoint([lat, lon]);
        const r = document.getElementById('map').getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
                         [lat2, lon2])
    page.mouse.click(x, y)
    page.wait_for_selector("#place.ok:has-text('甲社区第2网格')")
    assert "Placed by hand" in page.inner_text("#gps") and page.is_visible("#use-gps")
    assert "not one of your grids" in page.inner_text("#place")
    screenshot(page, "m-new-en-320")
    assert_fits_phone(page)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/m/?lang=zh")
    page.wait_for_selector("#tasks-list[aria-busy=false]")
    screenshot(page, "m-tasks-desktop")
    assert console_errors == []
