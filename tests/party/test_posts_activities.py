"""Service posts and activities: claims, sign-ups (never overfilled), check-in distance, hours, scope, bad input."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from pyproj import Transformer
from sqlalchemy import delete, func, select

from grid_app.access.accounts import create_user
from grid_app.cases import clock
from grid_app.extensions import db
from grid_app.models import User
from grid_app.models.audit import AuditEvent
from grid_app.models.party import PartyMember
from grid_app.models.party_service import Activity, ActivitySignup, PostClaim, ServicePost
from grid_app.party import activities, members
from grid_app.party.registration import check_registration
from grid_app.people.crypto import app_keyring
from grid_app.platform.errors import Conflict

from .. import district as d
from ..cases.test_concurrency import run_threads
from ..conftest import PASSWORD
from ..geo import lonlat

PLACE_A = lonlat(250, 700)  # in community A (grid A2)
PLACE_B = lonlat(750, 500)  # in community B


def _iso(delta: timedelta) -> str:
    return (clock.now() + delta).isoformat()


def _activity(place=PLACE_A, community=d.COMM_A, *, start=timedelta(minutes=-10), hours=2, needed=5, **extra):
    return {"community": community, "title": "清理楼道杂物", "place": "1栋门前", "lon": place[0], "lat": place[1],
            "starts_at": _iso(start), "ends_at": _iso(start + timedelta(hours=hours)), "needed": needed, **extra}


@pytest.fixture()
def as_member(session, client, make_member, users):
    """as_member(name, phone) → the client logged in as a new approved member of community A, and the member."""
    def _login(name="张红", phone="13900001111", building=d.COURTYARD):
        member = make_member(name, phone, building=building, approve_as=users["secretary"])
        account = create_user(session, f"m-{phone}", PASSWORD, "member", display_name=name)
        members.link_account(session, member, account)
        client.post("/logout")
        assert client.post("/login", data={"username": account.username, "password": PASSWORD}).status_code == 302
        return client, member
    return _login


def _create(login, path, body, role="secretary"):
    res = login(role).post(path, json=body)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def test_claim_and_release_a_post(login, as_member, session):
    post = _create(login, "/api/v1/service-posts", {"community": d.COMM_A, "name": "环境整治", "description": "每周六上午"})
    assert login("secretary").post("/api/v1/service-posts", json={"community": d.COMM_A, "name": "环境整治"}
                                   ).get_json()["error"] == "post_exists"
    other = _create(login, "/api/v1/service-posts", {"community": d.COMM_B, "name": "治安巡逻"}, role="secretary_b")
    client, member = as_member()
    listed = client.get("/api/v1/service-posts").get_json()["posts"]
    assert [(p["name"], p["held_by_me"]) for p in listed] == [("环境整治", False)]  # B's post is not shown
    assert "holders" not in listed[0]  # a member never sees who else serves
    assert client.post(f"/api/v1/service-posts/{post['id']}/claim").status_code == 201
    assert client.post(f"/api/v1/service-posts/{post['id']}/claim").status_code == 200  # held already: no second
    assert client.post(f"/api/v1/service-posts/{other['id']}/claim").status_code == 404
    assert client.get("/api/v1/service-posts").get_json()["posts"][0]["held_by_me"] is True
    desk = login("secretary").get("/api/v1/service-posts").get_json()["posts"]
    assert [h["name"] for h in desk[0]["holders"]] == ["张红"]
    assert session.scalar(select(func.count()).select_from(PostClaim).where(PostClaim.member_id == member.id)) == 1
    client, _ = as_member("李明", "13900002222")
    assert client.post(f"/api/v1/service-posts/{post['id']}/release").get_json()["error"] == "not_claimed"
    assert login("secretary").post(f"/api/v1/service-posts/{post['id']}/claim").status_code == 403  # not a member
    client.post("/logout")
    client.post("/login", data={"username": "m-13900001111", "password": PASSWORD})
    released = client.post(f"/api/v1/service-posts/{post['id']}/release")
    assert released.status_code == 200 and released.get_json()["released_at"]
    assert client.get("/api/v1/service-posts").get_json()["posts"][0]["held_by_me"] is False


def test_full_activity_refused_and_place_freed_by_withdrawal(login, as_member):
    activity = _create(login, "/api/v1/activities", _activity(needed=1, start=timedelta(days=1)))
    first, _ = as_member()
    assert first.post(f"/api/v1/activities/{activity['id']}/signup").status_code == 201
    assert first.post(f"/api/v1/activities/{activity['id']}/signup").status_code == 200
    second, _ = as_member("李明", "13900002222")
    refused = second.post(f"/api/v1/activities/{activity['id']}/signup")
    assert refused.status_code == 409 and refused.get_json()["error"] == "activity_full"
    assert second.post(f"/api/v1/activities/{activity['id']}/withdraw").get_json()["error"] == "not_signed_up"
    second.post("/logout")
    second.post("/login", data={"username": "m-13900001111", "password": PASSWORD})
    assert second.post(f"/api/v1/activities/{activity['id']}/withdraw").status_code == 200
    listed = second.get("/api/v1/activities").get_json()["activities"]
    assert [(a["id"], a["signed_up"], a["my_signup"]) for a in listed] == [(activity["id"], 0, None)]


def test_over_and_cancelled_activities_refuse_sign_ups(login, as_member):
    over = _create(login, "/api/v1/activities", _activity(start=timedelta(hours=-5)))
    cancelled = _create(login, "/api/v1/activities", _activity(start=timedelta(days=2)))
    assert login("secretary").post(f"/api/v1/activities/{cancelled['id']}/cancel").get_json()["cancelled"] is True
    client, _ = as_member()
    assert client.post(f"/api/v1/activities/{over['id']}/signup").get_json()["error"] == "activity_over"
    assert client.post(f"/api/v1/activities/{cancelled['id']}/signup").get_json()["error"] == "activity_cancelled"


def _offset(place, north_m: float) -> tuple[float, float]:
    """The point north_m metres north of `place`, through an azimuthal equidistant projection centred on it."""
    aeqd = f"+proj=aeqd +lat_0={place[1]} +lon_0={place[0]} +datum=WGS84 +units=m"
    return Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True).transform(0, north_m)


@pytest.mark.parametrize("metres, far", [(299, False), (301, True)])
def test_checkin_far_flag_at_the_edge(login, as_member, metres, far):
    activity = _create(login, "/api/v1/activities", _activity())
    client, _ = as_member()
    assert client.post(f"/api/v1/activities/{activity['id']}/signup").status_code == 201
    lon, lat = _offset(PLACE_A, metres)
    first = client.post(f"/api/v1/activities/{activity['id']}/checkin", json={"lon": lon, "lat": lat})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["far_from_place"] is far and first.get_json()["checkin_lat"] == pytest.approx(lat)
    again = client.post(f"/api/v1/activities/{activity['id']}/checkin", json={"lon": PLACE_A[0], "lat": PLACE_A[1]})
    assert again.status_code == 200 and again.get_json() == first.get_json()  # the first check-in stands
    desk = login("secretary").get(f"/api/v1/activities/{activity['id']}").get_json()
    assert desk["signups"][0]["far_from_place"] is far
    assert desk["signups"][0]["distance_m"] == pytest.approx(metres, abs=0.5)


def test_checkin_without_position_and_outside_the_window(login, as_member):
    now_on = _create(login, "/api/v1/activities", _activity())
    later = _create(login, "/api/v1/activities", _activity(start=timedelta(hours=3)))
    client, _ = as_member()
    assert client.post(f"/api/v1/activities/{now_on['id']}/checkin").get_json()["error"] == "not_signed_up"
    for a in (now_on, later):
        assert client.post(f"/api/v1/activities/{a['id']}/signup").status_code == 201
    body = client.post(f"/api/v1/activities/{now_on['id']}/checkin").get_json()
    assert body["checkin_without_position"] is True and body["far_from_place"] is False and body["checkin_lon"] is None
    assert client.post(f"/api/v1/activities/{later['id']}/checkin",
                       json={"lon": PLACE_A[0], "lat": PLACE_A[1]}).get_json()["error"] == "outside_window"
    assert client.post(f"/api/v1/activities/{now_on['id']}/withdraw").get_json()["error"] == "checked_in"


def test_hours_confirmed_by_the_secretary_only(login, as_member, session, users):
    activity = _create(login, "/api/v1/activities", _activity(start=timedelta(minutes=-20), hours=2.5))
    client, came = as_member()
    client.post(f"/api/v1/activities/{activity['id']}/signup")
    client.post(f"/api/v1/activities/{activity['id']}/checkin", json={"lon": PLACE_A[0], "lat": PLACE_A[1]})
    client, absent = as_member("李明", "13900002222")
    client.post(f"/api/v1/activities/{activity['id']}/signup")
    url = f"/api/v1/activities/{activity['id']}/hours"
    body = {"hours": [{"member_id": came.id, "hours": None}, {"member_id": absent.id, "hours": 1}]}
    assert client.post(url, json=body).status_code == 403  # the member
    assert login("street").post(url, json=body).status_code == 403
    assert login("planner").post(url, json=body).status_code == 403
    assert login("secretary_b").post(url, json=body).status_code == 404
    missing = login("secretary").post(url, json={"hours": [{"member_id": came.id}, {"member_id": absent.id}]})
    assert missing.status_code == 400 and missing.get_json()["error"] == "bad_hours"  # absent: no default
    assert session.scalar(select(func.count()).where(ActivitySignup.hours.is_not(None))) == 0
    done = login("secretary").post(url, json=body)
    assert done.status_code == 200, done.get_json()
    assert {s["member_id"]: s["hours"] for s in done.get_json()["signups"]} == {came.id: 2.5, absent.id: 1.0}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "activity-hours")
                           .order_by(AuditEvent.id.desc()))
    assert event.actor_id == users["secretary"].id and len(event.detail["hours"]) == 2


def test_member_cannot_see_another_communitys_activity(login, as_member):
    b = _create(login, "/api/v1/activities", _activity(PLACE_B, d.COMM_B), role="secretary_b")
    a = _create(login, "/api/v1/activities", _activity())
    client, _ = as_member()
    assert [x["id"] for x in client.get("/api/v1/activities").get_json()["activities"]] == [a["id"]]
    for path in ("", "/signup", "/checkin", "/withdraw"):
        res = client.open(f"/api/v1/activities/{b['id']}{path}", method="POST" if path else "GET")
        assert res.status_code == 404, (path, res.get_json())
    assert client.get(f"/api/v1/activities?community={d.COMM_B}").status_code == 404
    assert "signups" not in client.get(f"/api/v1/activities/{a['id']}").get_json()
    assert login("secretary").get(f"/api/v1/activities/{b['id']}").status_code == 404


def test_planner_and_worker_refused(login):
    for role in ("planner", "worker"):
        client = login(role)
        assert client.get("/api/v1/service-posts").status_code == 403
        assert client.get("/api/v1/activities").status_code == 403
        assert client.post("/api/v1/activities", json=_activity()).status_code == 403
        assert client.post("/api/v1/service-posts", json={"community": d.COMM_A, "name": "x"}).status_code == 403
        assert client.get("/party/activities").status_code == 403


BAD_ACTIVITIES = [
    ("not an object", ["x"], "bad_body"),
    ("no title", {"title": ""}, "bad_title"),
    ("ends first", {"starts_at": "2026-06-01T10:00:00+08:00", "ends_at": "2026-06-01T09:00:00+08:00"}, "bad_time"),
    ("two days", {"starts_at": "2026-06-01T08:00:00+08:00", "ends_at": "2026-06-02T09:00:00+08:00"}, "bad_time"),
    ("bad time", {"starts_at": "tomorrow"}, "bad_time"),
    ("no point", {"lon": None, "lat": None}, "bad_coordinates"),
    ("point in B", {"lon": PLACE_B[0], "lat": PLACE_B[1]}, "bad_place"),
    ("nobody needed", {"needed": 0}, "bad_needed"),
    ("needed text", {"needed": "5"}, "bad_needed"),
    ("bool needed", {"needed": True}, "bad_needed"),
    ("no place", {"place": "  "}, "bad_place"),
    ("long title", {"title": "长" * 101}, "bad_title"),
    ("bad crs", {"crs": "bd09"}, "bad_crs"),
    ("unknown post", {"post_id": 999999}, "post_not_found"),
]


@pytest.mark.parametrize("why, change, code", BAD_ACTIVITIES, ids=[b[0] for b in BAD_ACTIVITIES])
def test_bad_activity_bodies_write_nothing(login, session, why, change, code):
    body = change if isinstance(change, list) else {**_activity(), **change}
    before = session.scalar(select(func.count(Activity.id)))
    res = login("secretary").post("/api/v1/activities", json=body)
    assert res.status_code in (400, 404) and res.get_json()["error"] == code, res.get_json()
    assert session.scalar(select(func.count(Activity.id))) == before


@pytest.mark.parametrize("body, code", [
    (None, "bad_body"), ({"community": d.COMM_A}, "bad_name"), ({"name": "环境整治"}, "bad_community"),
    ({"community": d.COMM_A, "name": "x" * 51}, "bad_name"), ({"community": d.COMM_A, "name": 5}, "bad_name"),
    ({"community": d.COMM_A, "name": "ok", "description": ["x"]}, "bad_description")])
def test_bad_post_bodies_write_nothing(login, session, body, code):
    res = login("secretary").post("/api/v1/service-posts", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == code
    assert session.scalar(select(func.count(ServicePost.id))) == 0


@pytest.mark.parametrize("body, code", [
    ({}, "bad_body"), ({"hours": []}, "bad_body"), ({"hours": "3"}, "bad_body"), ({"hours": [3]}, "bad_hours"),
    ({"hours": [{"member_id": "1", "hours": 2}]}, "bad_member"), ({"hours": [{"member_id": 1, "hours": 25}]}, "bad_hours"),
    ({"hours": [{"member_id": 1, "hours": -1}]}, "bad_hours"), ({"hours": [{"member_id": 1, "hours": 1.25}]}, "bad_hours"),
    ({"hours": [{"member_id": 1, "hours": True}]}, "bad_hours"),
    ({"hours": [{"member_id": 1, "hours": 1}, {"member_id": 1, "hours": 2}]}, "bad_member"),
    ({"hours": [{"member_id": 987654, "hours": 1}]}, "bad_member")])
def test_bad_hours_bodies_write_nothing(login, as_member, session, body, code):
    activity = _create(login, "/api/v1/activities", _activity())
    client, member = as_member()
    client.post(f"/api/v1/activities/{activity['id']}/signup")
    for row in body.get("hours", []) if isinstance(body.get("hours"), list) else []:
        if isinstance(row, dict) and row.get("member_id") == 1:
            row["member_id"] = member.id
    res = login("secretary").post(f"/api/v1/activities/{activity['id']}/hours", json=body)
    assert res.status_code == 400 and res.get_json()["error"] == code, res.get_json()
    assert session.scalar(select(func.count()).where(ActivitySignup.confirmed_at.is_not(None))) == 0


def test_bad_checkin_bodies(login, as_member):
    activity = _create(login, "/api/v1/activities", _activity())
    client, _ = as_member()
    client.post(f"/api/v1/activities/{activity['id']}/signup")
    for body, code in (([1], "bad_body"), ({"lon": 117.5}, "bad_coordinates"),
                       ({"lon": "east", "lat": 30.6}, "bad_coordinates"), ({"lon": 200, "lat": 30}, "bad_coordinates")):
        res = client.post(f"/api/v1/activities/{activity['id']}/checkin", json=body)
        assert res.status_code == 400 and res.get_json()["error"] == code
    assert client.get("/api/v1/activities").get_json()["activities"][0]["my_signup"]["checked_in_at"] is None


def test_pages(login, as_member):
    activity = _create(login, "/api/v1/activities", _activity())
    _create(login, "/api/v1/service-posts", {"community": d.COMM_A, "name": "政策宣传"})
    desk = login("secretary")
    assert "清理楼道杂物" in desk.get("/party/activities").get_data(as_text=True)
    assert "政策宣传" in desk.get("/party/posts").get_data(as_text=True)
    assert desk.get(f"/party/activities/{activity['id']}").status_code == 200
    assert desk.get("/m/party/").status_code == 404
    assert login("street").get("/party/activities").status_code == 200
    client, member = as_member()
    client.post(f"/api/v1/activities/{activity['id']}/signup")
    home = client.get("/m/party/").get_data(as_text=True)
    assert "清理楼道杂物" in home and "1栋党小组" in home and 'data-act="checkin"' in home
    assert "政策宣传" in client.get("/m/party/?tab=posts").get_data(as_text=True)
    assert client.get("/party/activities").status_code == 403
    created = login("secretary").post("/party/activities", data={
        "community": d.COMM_A, "title": "表单活动", "starts_at": "2030-05-01T09:00", "ends_at": "2030-05-01T11:00",
        "place": "广场", "lon": str(PLACE_A[0]), "lat": str(PLACE_A[1]), "needed": "3"})
    assert created.status_code == 302
    listed = login("secretary").get("/api/v1/activities?from=2030-05-01&to=2030-05-01").get_json()["activities"]
    assert [(a["title"], a["starts_at"]) for a in listed] == [("表单活动", "2030-05-01T01:00:00+00:00")]  # Beijing time


@pytest.fixture()
def racers(app):
    """Two approved members with logins and a one-place activity, committed for real (and removed after)."""
    made = {"users": [], "members": [], "activity": None}
    try:
        with app.app_context():
            keys = app_keyring(app)
            secretary = db.session.scalar(select(User).where(User.username == "t-secretary"))
            for i in range(2):
                reg = check_registration(db.session, {"name": f"并发{i}", "phone": f"1390000990{i}",
                                                      "building": d.TOWER, "employer_name": "并发测试单位"})
                member = members.register(db.session, keys, reg)
                members.decide(db.session, secretary, member.id, "approve")
                account = create_user(db.session, f"race-{i}", PASSWORD, "member")
                members.link_account(db.session, member, account)
                made["users"].append(account.id)
                made["members"].append(member.id)
            data = activities.parse_activity(_activity(needed=1, start=timedelta(days=1)))
            made["activity"] = activities.create_activity(db.session, secretary, data, snap_m=30).id
            db.session.commit()
        yield made
    finally:
        with app.app_context():
            if made["activity"]:
                db.session.execute(delete(Activity).where(Activity.id == made["activity"]))
            db.session.execute(delete(PartyMember).where(PartyMember.id.in_(made["members"])))
            db.session.execute(delete(User).where(User.id.in_(made["users"])))
            db.session.commit()


def _signups(app, activity_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(ActivitySignup.activity_id == activity_id))


def test_the_last_place_waits_for_the_first_taker(app, racers):
    """Member 0 holds the last place uncommitted; member 1's sign-up must wait for it, then be refused."""
    flushed, outcome = threading.Event(), {}

    def second():
        flushed.wait(10)
        with app.app_context():
            try:
                activities.signup(db.session, db.session.get(User, racers["users"][1]), racers["activity"])
                db.session.commit()
                outcome["result"] = "signed up"
            except Conflict as exc:
                db.session.rollback()
                outcome["result"] = exc.code
    thread = threading.Thread(target=second)
    thread.start()
    with app.app_context():
        activities.signup(db.session, db.session.get(User, racers["users"][0]), racers["activity"])
        flushed.set()
        time.sleep(1.0)  # without the row lock the second sign-up counts no one and commits meanwhile
        db.session.commit()
    thread.join(20)
    assert outcome == {"result": "activity_full"}
    assert _signups(app, racers["activity"]) == 1


def test_two_members_taking_the_last_place_at_once(app, racers):
    """Two phones at once over HTTP: one 201, one 409, one sign-up stored."""
    clients = []
    for i in range(2):
        c = app.test_client()
        assert c.post("/login", data={"username": f"race-{i}", "password": PASSWORD}).status_code == 302
        clients.append(c)
    results = run_threads(2, lambda i: clients[i].post(f"/api/v1/activities/{racers['activity']}/signup"))
    assert sorted(r.status_code for r in results) == [201, 409]
    assert _signups(app, racers["activity"]) == 1
