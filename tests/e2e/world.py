"""A small world for the attack probes: residents, visits, members, posts, activities and wishes in two communities."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from grid_app.access.accounts import create_user
from grid_app.cases import clock
from grid_app.models import Community, User
from grid_app.models.people import Resident
from grid_app.party import activities, members, posts, wishes
from grid_app.party.registration import check_registration
from grid_app.party.units import save_unit
from grid_app.people import visits
from grid_app.people.crypto import app_keyring

from .. import district as d
from ..geo import lonlat
from ..people.ids import make_id
from ..people.register import HEADER, rows, write_csv

SHOP = d.COMM_B + "B001"
PASSWORD = "member-pass-1"
# Tables whose rows an answer of 4xx must leave exactly as they were (checked by one digest query).
WATCHED = ("visit", "case_record", "case_event", "wish", "party_member", "post_claim", "activity_signup", "activity",
           "service_post", "resident_care", "resident", "household", "case_helper", "member_remark", "party_unit",
           "audit_event")


def digest(session) -> str:
    """One md5 over every watched table's rows (a 4xx must not change it)."""
    parts = " || ".join(f"coalesce((select md5(string_agg(t::text, ',' order by t::text)) from {t} t), '-')"
                        for t in WATCHED)
    return session.execute(text(f"select {parts}")).scalar()


def build(app, session, cli, tmp_path) -> dict:
    """Everything the probes aim at, in community A and (the other side) community B."""
    body = rows() + [[SHOP, "", "1", "钱多多", "女", "1948-05-06", make_id("19480506", 21, male=False), "13700001111",
                      "户主", "户籍"]]
    body = [r + [tag] for r, tag in zip(body, ["独居老人:红", "低保:黄", "", "低保:红"])]
    res = cli.invoke(args=["grid", "import-residents", write_csv(tmp_path / "w.csv", body, header=HEADER + ["标签"])])
    assert res.exit_code == 0, res.output
    users = {u.username: u for u in session.scalars(select(User))}
    keys = app_keyring(app)
    comm = {c.code: c for c in session.scalars(select(Community))}
    save_unit(session, code="91341700MA2N0ATK01", name="攻击单位甲", community=comm[d.COMM_A])
    save_unit(session, code="91341700MA2N0ATK02", name="攻击单位乙", community=comm[d.COMM_B])
    res_a = session.scalar(select(Resident).where(Resident.name == "王建国"))
    res_b = session.scalar(select(Resident).where(Resident.name == "钱多多"))
    found = {"resident_a": res_a.id, "resident_b": res_b.id, "household_a": res_a.household_id,
             "household_b": res_b.household_id}

    def member(name, phone, building, unit, approve_as, login):
        reg = check_registration(session, {"name": name, "phone": phone, "building": building, "unit": unit})
        m = members.register(session, keys, reg)
        if approve_as:
            members.decide(session, users[approve_as], m.id, "approve")
        if login:
            members.link_account(session, m, create_user(session, login, PASSWORD, "member", display_name=name))
        return m.id

    found["member_a"] = member("甲党员", "13900003001", d.COURTYARD, "91341700MA2N0ATK01", "t-secretary", "atk-member-a")
    found["member_a2"] = member("甲党员二", "13900003003", d.TOWER, "91341700MA2N0ATK01", "t-secretary", "atk-member-a2")
    found["member_b"] = member("乙党员", "13900003002", SHOP, "91341700MA2N0ATK02", "t-secretary-b", "atk-member-b")
    found["pending_a"] = member("甲待审", "13900003004", d.COURTYARD, "91341700MA2N0ATK01", None, None)
    found["pending_b"] = member("乙待审", "13900003005", SHOP, "91341700MA2N0ATK02", None, None)
    start = (clock.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    for side, code, user, where in (("a", d.COMM_A, "t-secretary", (250, 250)), ("b", d.COMM_B, "t-secretary-b", (700, 700))):
        post = posts.create_post(session, users[user], posts.parse_post({"community": code, "name": f"政策宣传{side}"}))
        lon, lat = lonlat(*where)
        act = activities.create_activity(session, users[user], activities.parse_activity({
            "community": code, "title": f"活动{side}", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "place": "广场", "lon": lon, "lat": lat,
            "needed": 2}), snap_m=app.config["GRID_SNAP_M"])
        found[f"post_{side}"], found[f"activity_{side}"] = post.id, act.id
    found["activity_start"] = start
    worker_of = {"a": ("t-worker", res_a.id), "b": ("t-admin", res_b.id)}
    for side, (user, resident) in worker_of.items():
        visit, _ = visits.record_visit(session, users[user], visits.VisitInput(
            resident, "phone", f"发现{side}", True, None, None, clock.now() - timedelta(hours=1), f"atk-visit-{side}-key"))
        wish, _ = wishes.raise_wish(session, users[user], wishes.parse_wish(
            {"resident_id": resident, "title": f"心愿{side}", "idempotency_key": f"atk-wish-{side}-key"}))
        found[f"visit_{side}"], found[f"wish_{side}"] = visit.id, wish.id
    session.flush()
    return found
