"""The phone's 走访 in headless Chromium: the due list in order, a home visit made offline with its case,
both sent once when the network returns, the far-from-home flag shown, the case in the right grid."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from grid_app.cases import clock
from grid_app.extensions import db
from grid_app.models import Case, User
from grid_app.models.care import CareLevel, CareTag, ResidentCare, Visit
from grid_app.models.people import Resident
from grid_app.people.crypto import app_keyring
from grid_app.people.register import existing_building_codes, write_people
from grid_app.people.sheet import check_file

from .. import district
from ..people.ids import make_id
from ..people.register import write_csv
from .conftest import SCREENSHOTS
from .test_mobile import real_errors, screenshot, wait_until, worker_page


@pytest.fixture(scope="module")
def key_residents(app, tmp_path_factory):
    """Three key residents of grid A1, committed (the live server reads them): overdue, due now, not yet due."""
    tag = uuid.uuid4().hex[:4]
    rows = [[district.COURTYARD, "3", f"8{n}1", name, "", "", make_id(born, 20 + n, male=n != 1), "", "户主", "户籍"]
            for n, (name, born) in enumerate([("孙德明", "19400105"), ("周桂兰", "19380709"), ("吴志强", "19560220")])]
    with app.app_context():
        sheet = check_file(write_csv(tmp_path_factory.mktemp("reg") / f"r{tag}.csv", rows),
                           lambda c: existing_building_codes(db.session, c))
        write_people(db.session, app_keyring(current_app), sheet.people)
        db.session.flush()
        ids = {r.name: r.id for r in db.session.scalars(select(Resident).where(Resident.name.in_(["孙德明", "周桂兰", "吴志强"])))}
        levels = {c.code: c.id for c in db.session.scalars(select(CareLevel))}
        alone = db.session.scalar(select(CareTag).where(CareTag.code == "elderly_alone")).id
        worker = db.session.scalar(select(User.id).where(User.username == "t-worker"))
        now = clock.now()
        for name, level, ago in (("孙德明", "red", 10), ("周桂兰", "green", None), ("吴志强", "yellow", 9)):
            db.session.add(ResidentCare(resident_id=ids[name], tag_id=alone, level_id=levels[level]))
            if ago is not None:
                db.session.add(Visit(resident_id=ids[name], worker_id=worker, street_code=district.STREET, kind="phone",
                                     at=now - timedelta(days=ago), follow_up=False, far_from_home=False,
                                     idempotency_key=f"seed-{tag}-{name.encode().hex()[:12]}"))
        db.session.commit()
        db.session.remove()
    return ids


def _server(app, finding):
    with app.app_context():
        try:
            visits = db.session.scalars(select(Visit).where(Visit.finding == finding)).all()
            cases = db.session.scalars(select(Case).where(Case.visit_id.in_([v.id for v in visits]))).all()
            return ([(v.kind, v.far_from_home, v.geom is not None) for v in visits],
                    [(c.grid.code, c.building.code, c.description) for c in cases])
        finally:
            db.session.remove()


def test_visits_list_offline_visit_and_case_sent_once(app, browser, live_server, console_errors, key_residents):
    page = worker_page(browser, console_errors, live_server)
    page.click(".m-tabs a[href='/m/visits']")
    page.wait_for_selector("#visits-list[aria-busy=false] .v-row")
    order = page.eval_on_selector_all("#visits-list .v-row", "els => els.map(e => Number(e.dataset.resident))")
    mine = [i for i in order if i in key_residents.values()]
    # overdue (red, 10 days since the last visit) → due now (never visited) → yellow, due in 5 days
    assert mine == [key_residents["孙德明"], key_residents["周桂兰"], key_residents["吴志强"]]
    first = page.locator(f".v-row[data-resident='{key_residents['孙德明']}']")
    assert "孙**" in first.inner_text() and "孙德明" not in page.content()  # masked
    assert "超时" in first.inner_text() and "1栋" in first.inner_text()
    screenshot(page, "m-visits")

    finding = "楼道灯坏了，老人夜里看不见 " + uuid.uuid4().hex[:6]
    first.click()
    page.wait_for_url(re.compile(r".*/m/visits/\d+$"))
    page.wait_for_selector("#who-name:has-text('孙**')")
    page.wait_for_selector("#vgps.ok")  # the home visit's position
    page.fill("#finding", finding)
    page.check("#follow-up")
    page.check("#make-case")
    page.select_option("#case-category", "9901")
    screenshot(page, "m-visit-form")
    page.screenshot(path=f"{SCREENSHOTS}/m-visit-form-viewport.png", timeout=20_000)
    page.context.set_offline(True)
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/m/visits$"))
    page.wait_for_selector("#visit-outbox-list .k-visit.o-pending")
    assert "走访记录送达后发送" in page.inner_text("#visit-outbox-list .k-visit_case")
    assert "已保存在本机" in page.inner_text("#m-flash")
    screenshot(page, "m-visits-offline")
    assert _server(app, finding) == ([], [])

    page.context.set_offline(False)
    page.wait_for_selector("#visit-outbox-list .k-visit.o-sent", timeout=20_000)
    page.wait_for_selector("#visit-outbox-list .k-visit_case.o-sent", timeout=20_000)
    assert "距住址超过 200 米" in page.inner_text("#visit-outbox-list .k-visit")  # GPS at (470, 470): far
    visits, cases = wait_until(lambda: _server(app, finding)[1] and _server(app, finding))
    assert visits == [("home", True, True)]
    assert cases == [(district.GRID_A1, district.COURTYARD, finding)]  # on the building, the finding only
    # The list follows: the resident just visited is no longer overdue, and the offline note is gone.
    page.wait_for_selector(f".v-row[data-resident='{key_residents['孙德明']}']:not(.t-over)", timeout=20_000)
    assert page.is_hidden("#m-flash")
    screenshot(page, "m-visits-sent")

    # Sent again (a retry whose first answer was lost): still one visit and one case on the server.
    page.evaluate("""async () => { for (const i of await Outbox.all()) {
        if (i.kind === 'visit' || i.kind === 'visit_case') await Outbox.sendOne(i); } }""")
    assert _server(app, finding) == (visits, cases)
    assert real_errors(console_errors) == []


def test_make_a_case_from_a_sent_visit(app, browser, live_server, console_errors, key_residents):
    page = worker_page(browser, console_errors, live_server)
    page.goto(f"{live_server}/m/visits/{key_residents['吴志强']}")
    finding = "电话回访：家中漏水 " + uuid.uuid4().hex[:6]
    page.click("label:has(input[value=phone])")
    page.wait_for_selector("#vgps:has-text('无需位置')")
    page.fill("#finding", finding)
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/m/visits$"))
    assert "走访已记录" in page.inner_text("#m-flash")
    item = page.locator("#visit-outbox-list .k-visit", has_text=finding)
    item.locator("[data-to-case]").click()
    form = item.locator(".m-to-case")
    assert form.locator("textarea").input_value() == finding  # the finding, ready to edit
    form.locator("select").select_option("9901")
    screenshot(page, "m-visits-to-case")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#visit-outbox-list .k-visit_case.o-sent", timeout=20_000)
    visits, cases = _server(app, finding)
    assert visits == [("phone", False, False)] and cases == [(district.GRID_A1, district.COURTYARD, finding)]
    assert page.locator(f"#visit-outbox-list .k-visit:has-text('{finding}') [data-to-case]").count() == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case).where(Case.description == finding)) == 1
        db.session.remove()
    assert real_errors(console_errors) == []
