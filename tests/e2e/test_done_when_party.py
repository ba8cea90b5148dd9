"""Issue 16, "Done when", walked through the phone form, the CLI and the HTTP API: a unit's members register
(one on the phone with the form's CSRF token, the others by spreadsheet), are approved, get logins, claim
posts, join an activity and check in, the secretary confirms the hours, a member fulfils a worker's wish;
the quarter's 双报告 workbook for the unit lists exactly what each did, and the community page shows the
organisation tree with the members counted at the right levels."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from grid_app.cases import clock
from grid_app.models.party import PartyMember
from grid_app.models.people import Resident
from grid_app.party.quarters import quarter_of
from grid_app.platform.i18n import display_zone

from .. import district as d
from ..geo import lonlat
from ..people.register import HEADER, rows, write_csv

UNIT = "91341700MA2N0E2E01"
UNIT_NAME = "市审计局"
PASSWORD = "member-pass-1"
PHONE_MEMBER = ("孟瑾瑜", "13900002001", d.COURTYARD)
SHEET = [("韩璟琛", "13900002002", d.COURTYARD), ("秦珩瑶", "13900002003", d.TOWER),
         ("尤玥珏", "13900002004", d.TOWER), ("施琰璇", "13900002005", d.COURTYARD)]  # the last stays pending
OUTSIDER = ("褚瑄琬", "13900002006", d.COURTYARD)  # another employer, same 党小组


def _member_id(session, name):
    return session.scalar(select(PartyMember.id).where(PartyMember.name == name))


def _login(client, username, password=PASSWORD):
    client.post("/logout")
    res = client.post("/login", data={"username": username, "password": password})
    assert res.status_code == 302, res.get_data(as_text=True)
    return client


def _ok(res, status=(200, 201)):
    assert res.status_code in status, res.get_data(as_text=True)
    return res.get_json()


def _register_on_the_phone(app, client, session, monkeypatch):
    """The public form with its CSRF token: without the token nothing is written, with it a pending record."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client.post("/logout")
    name, phone, building = PHONE_MEMBER
    form = {"name": name, "phone": phone, "building": building, "unit": UNIT}
    refused = client.post("/m/party/register", data=form)
    assert refused.status_code == 400 and _member_id(session, name) is None
    page = client.get("/m/party/register")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = client.post("/m/party/register", data={**form, "csrf_token": token})
    assert done.status_code == 201, done.get_data(as_text=True)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    member = session.get(PartyMember, _member_id(session, name))
    assert (member.status, member.unit.code, member.building.code) == ("pending", UNIT, building)
    return member.id


def _import_sheet(cli, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "单位编码", "楼栋编码"])
    for row in SHEET:
        sheet.append([row[0], row[1], UNIT, row[2]])
    book.save(tmp_path / "members.xlsx")
    res = cli.invoke(args=["grid", "import-party-members", str(tmp_path / "members.xlsx")])
    assert res.exit_code == 0, res.output


@pytest.fixture()
def walked(app, client, cli, session, login, tmp_path, monkeypatch):
    """The whole walk; returns what the report and the tree are checked against."""
    res = cli.invoke(args=["grid", "party-unit", UNIT, "--name", UNIT_NAME, "--community", d.COMM_A,
                           "--party-org", "市审计局机关党支部"])
    assert res.exit_code == 0, res.output
    res = cli.invoke(args=["grid", "import-residents", write_csv(tmp_path / "r.csv", rows(), header=HEADER)])
    assert res.exit_code == 0, res.output
    ids = {PHONE_MEMBER[0]: _register_on_the_phone(app, client, session, monkeypatch)}
    _import_sheet(cli, tmp_path)
    ids.update({name: _member_id(session, name) for name, _, _ in SHEET})
    secretary = login("secretary")
    outsider = _ok(secretary.post("/api/v1/party-members", json={
        "name": OUTSIDER[0], "phone": OUTSIDER[1], "building": OUTSIDER[2], "employer_name": "某科技公司"}))
    ids[OUTSIDER[0]] = outsider["id"]
    for name in [PHONE_MEMBER[0], *[s[0] for s in SHEET[:3]], OUTSIDER[0]]:
        assert _ok(secretary.post(f"/api/v1/party-members/{ids[name]}/approve", json={}))["status"] == "approved"
    # another community's secretary can neither see nor approve the pending one
    other = login("secretary_b")
    assert other.post(f"/api/v1/party-members/{ids[SHEET[3][0]]}/approve", json={}).status_code in (403, 404)
    logins = {}
    for n, name in enumerate([PHONE_MEMBER[0], SHEET[0][0], SHEET[1][0], SHEET[2][0]], start=1):
        res = cli.invoke(args=["grid", "party-member-account", str(ids[name]), f"e2e-member-{n}",
                               "--password", PASSWORD])
        assert res.exit_code == 0, res.output
        logins[name] = f"e2e-member-{n}"

    # posts: the secretary defines two, two members claim one each
    secretary = login("secretary")
    posts = {title: _ok(secretary.post("/api/v1/service-posts", json={"community": d.COMM_A, "name": title}))["id"]
             for title in ("政策宣传", "环境整治")}
    _ok(_login(client, logins[PHONE_MEMBER[0]]).post(f"/api/v1/service-posts/{posts['政策宣传']}/claim"), (201,))
    _ok(_login(client, logins[SHEET[0][0]]).post(f"/api/v1/service-posts/{posts['环境整治']}/claim"), (201,))

    # an activity tomorrow, two hours; three sign up today
    start = (clock.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    lon, lat = lonlat(250, 250)
    secretary = login("secretary")
    activity = _ok(secretary.post("/api/v1/activities", json={
        "community": d.COMM_A, "title": "楼道清洁日", "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(), "place": "翠微苑广场", "lon": lon, "lat": lat,
        "needed": 10}), (201,))["id"]
    for name in (PHONE_MEMBER[0], SHEET[0][0], SHEET[1][0]):
        _ok(_login(client, logins[name]).post(f"/api/v1/activities/{activity}/signup"), (201,))
    # during the activity: two check in (one from 450 m away), the hours are confirmed
    during = start + timedelta(minutes=40)
    monkeypatch.setattr(clock, "now", lambda: during)
    near, far = lonlat(250, 260), lonlat(250, 700)
    checked = _ok(_login(client, logins[PHONE_MEMBER[0]]).post(
        f"/api/v1/activities/{activity}/checkin", json={"lon": near[0], "lat": near[1]}), (201,))
    assert checked["far_from_place"] is False
    checked = _ok(_login(client, logins[SHEET[0][0]]).post(
        f"/api/v1/activities/{activity}/checkin", json={"lon": far[0], "lat": far[1]}), (201,))
    assert checked["far_from_place"] is True
    secretary = login("secretary")
    _ok(secretary.post(f"/api/v1/activities/{activity}/hours", json={"hours": [
        {"member_id": ids[PHONE_MEMBER[0]], "hours": None}, {"member_id": ids[SHEET[0][0]], "hours": 1.5}]}))

    # a worker raises a wish, a member claims it (a second member is too late) and fulfils it
    resident = session.scalar(select(Resident.id).where(Resident.name == "王建国"))
    wish = _ok(login("worker").post("/api/v1/wishes", json={
        "resident_id": resident, "title": "帮忙更换厨房灯泡", "idempotency_key": "e2e-wish-0001"}), (201,))["id"]
    member = _login(client, logins[PHONE_MEMBER[0]])
    listed = json.dumps(_ok(member.get("/api/v1/wishes")), ensure_ascii=False)
    assert "帮忙更换厨房灯泡" in listed and "王建国" not in listed and "王*" not in listed
    _ok(member.post(f"/api/v1/wishes/{wish}/claim"))
    late = _login(client, logins[SHEET[1][0]]).post(f"/api/v1/wishes/{wish}/claim")
    assert late.status_code == 409 and late.get_json()["error"] == "wish_not_open"
    _ok(_login(client, logins[PHONE_MEMBER[0]]).post(f"/api/v1/wishes/{wish}/fulfil", json={"note": "已更换"}))
    return {"ids": ids, "quarter": quarter_of(start.astimezone(display_zone()).date()).code}


def test_the_quarter_report_lists_exactly_what_each_did(cli, walked, tmp_path):
    out = tmp_path / "r.xlsx"
    res = cli.invoke(args=["grid", "party-report", "--quarter", walked["quarter"], "--unit", UNIT, "--out", str(out)])
    assert res.exit_code == 0, res.output
    book = load_workbook(out)
    assert book.sheetnames == [UNIT_NAME]
    table = list(book[UNIT_NAME].iter_rows(values_only=True))
    head = list(table[0])
    got = {row[head.index("姓名")]: {k: row[head.index(h)] for k, h in (
        ("posts", "认领岗位"), ("signed_up", "报名活动"), ("checked_in", "签到次数"), ("far", "偏离地点签到"),
        ("hours", "服务时长(小时)"), ("wishes", "完成微心愿"), ("wish_titles", "微心愿明细"))} for row in table[1:]}
    total = got.pop("合计（4人）")
    blank = {"posts": None, "signed_up": 0, "checked_in": 0, "far": 0, "hours": 0, "wishes": 0, "wish_titles": None}
    assert got == {
        PHONE_MEMBER[0]: {"posts": "政策宣传", "signed_up": 1, "checked_in": 1, "far": 0, "hours": 2,
                          "wishes": 1, "wish_titles": "帮忙更换厨房灯泡"},
        SHEET[0][0]: {**blank, "posts": "环境整治", "signed_up": 1, "checked_in": 1, "far": 1, "hours": 1.5},
        SHEET[1][0]: {**blank, "signed_up": 1},
        SHEET[2][0]: blank,
    }  # neither the pending member nor the other employer's
    assert (total["signed_up"], total["checked_in"], total["far"], total["hours"], total["wishes"]) == (3, 2, 1, 3.5, 1)
    detail = {row[head.index("姓名")]: row[head.index("活动明细")] for row in table[1:]}
    assert "楼道清洁日（已签到，偏离地点，1.5小时）" in detail[SHEET[0][0]]
    assert "楼道清洁日（未签到）" in detail[SHEET[1][0]]


def test_the_community_page_shows_the_tree_with_members_per_level(session, login, walked):
    secretary = login("secretary")
    tree = _ok(secretary.get(f"/api/v1/communities/{d.COMM_A}/party-tree"))
    assert (tree["organisation"]["name"], tree["members"], tree["members_without_branch"]) == ("甲社区党委", 5, 0)
    [branch] = tree["branches"]
    assert (branch["organisation"]["name"], branch["members"], branch["members_without_group"]) == ("翠微苑党支部", 5, 2)
    assert [(g["organisation"]["name"], g["members"]) for g in branch["groups"]] == [("1栋党小组", 3)]
    page = secretary.get(f"/communities/{d.COMM_A}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index('id="party-tree"'):]
    section = section[:section.index("</section>")]
    assert [re.sub(r"\s+", " ", m) for m in re.findall(r'<span class="n">([^<]*)</span>', section)] == \
        ["党员 5 名", "党员 5 名", "党员 3 名"]  # community, 翠微苑党支部, 1栋党小组
    assert "翠微苑党支部" in section and "1栋党小组" in section
    assert session.scalar(select(func.count()).select_from(PartyMember).where(PartyMember.status == "pending")) == 1
