"""The demo's party service: posts per community, members' claims, two quarters of activities with
sign-ups, check-ins and confirmed hours, and the community's remarks on the previous quarter.

Activities run from the first day of the previous quarter to a few weeks after the load date, so the
quarter's report has hours to add up and the phone has activities to sign up for, whenever the demo is
loaded. Who does what comes from generators seeded per community and activity number; only the dates
move with the load date. A reload finds the demo's activities again by community and title (made by
the communities' demo secretaries) and re-dates them, upserts the sign-ups by activity and member, and
leaves posts, claims and remarks that are already stored as they are.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from grid_app.demo_data.party_members import SEED, StoredMember
from grid_app.party.quarters import quarter_of
from grid_app.models.party_service import (FAR_FROM_PLACE_M, Activity, ActivitySignup, MemberRemark, PostClaim,
                                           ServicePost)

POSTS = {
    "政策宣传": "向居民宣讲惠民政策、防诈骗知识，发放宣传资料",
    "环境整治": "楼道、绿地和背街小巷的卫生清理与杂物清运",
    "治安巡逻": "小区夜间巡逻，排查消防通道与安全隐患",
    "文明劝导": "垃圾分类、文明养犬和车辆规范停放的劝导",
    "关爱帮扶": "走访慰问独居老人和困难家庭，提供志愿服务",
    "矛盾调解": "协助调解邻里纠纷，提供法律和物业问题咨询",
}
WHAT = {
    "政策宣传": ("惠民政策宣讲", "防范电信诈骗宣传", "医保政策咨询"),
    "环境整治": ("楼道杂物清理", "环境卫生大扫除", "绿地白色垃圾捡拾"),
    "治安巡逻": ("夜间治安巡逻", "消防通道排查", "平安巡防"),
    "文明劝导": ("垃圾分类劝导", "文明养犬劝导", "非机动车规范停放劝导"),
    "关爱帮扶": ("独居老人走访慰问", "四点半课堂", "义诊与健康咨询"),
    "矛盾调解": ("邻里纠纷调解日", "法律咨询进小区", "物业问题协商会"),
}
ACTIVITIES, SLICE_ACTIVITIES = 26, 8  # per community, over the two quarters and the weeks ahead
AHEAD_DAYS = 21
P_CHECK_IN, P_FAR = 0.88, 0.05
CONFIRM_AFTER = timedelta(days=2)  # the last two days' hours still wait for the secretary
REMARKS = ((6, "积极参加社区志愿服务，服务时长居前，表现突出"), (3, "按时参加报到社区的活动，服务认真负责"),
           (0, "本季度参加活动较少，希望下季度多参与社区服务"))
M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Place:
    """Where a community's activities take place: its 党群服务中心 or a residential area."""

    name: str
    title_prefix: str
    lon: float
    lat: float


def load_service(session: Session, members: list[StoredMember], secretaries: dict[int, int], featured: int | None,
                 now: datetime, zone: tzinfo, *, slice_: bool) -> list[str]:
    """Posts, claims, activities with sign-ups and remarks for every community of the members; flush only."""
    today = now.astimezone(zone).date()
    previous = quarter_of(today).previous()
    communities = sorted(secretaries)
    posts = _posts(session, communities)
    serving = [m for m in members if m.plan.approved and m.status == "approved"]
    claims = _claims(session, serving, posts, featured, today, zone)
    activities = signups = 0
    hours: dict[int, Decimal] = {}  # confirmed in the previous quarter, per member: what its remark says
    for cid in communities:
        mine = [m for m in serving if m.plan.home.community_id == cid]
        planned = _plan_activities(session, cid, posts, mine, featured, now, zone,
                                   SLICE_ACTIVITIES if slice_ else ACTIVITIES)
        ids = _write_activities(session, cid, planned, secretaries[cid])
        rows = [dict(s, activity_id=ids[a["title"]], confirmed_by=secretaries[cid] if s["hours"] is not None else None)
                for a in planned for s in a["signups"]]
        _write_signups(session, rows)
        activities, signups = activities + len(planned), signups + len(rows)
        for a in planned:
            if quarter_of(a["starts_at"].astimezone(zone).date()) == previous:
                for s in a["signups"]:
                    if s["hours"] is not None:
                        hours[s["member_id"]] = hours.get(s["member_id"], Decimal(0)) + s["hours"]
    remarks = _remarks(session, serving, hours, secretaries, previous.first_day)
    return [f"party service: {len(posts)} posts, {claims} claims added, {activities} activities from "
            f"{previous.first_day} to {today + timedelta(days=AHEAD_DAYS)} with {signups} sign-ups, "
            f"{remarks} remarks added for {previous.code}"]


def _posts(session: Session, communities: list[int]) -> dict[tuple[int, str], int]:
    street = dict(session.execute(text("SELECT id, street_code FROM community WHERE id = ANY(:ids)"),
                                  {"ids": communities}).all())
    rows = [{"community_id": cid, "street_code": street[cid], "name": name, "description": text_}
            for cid in communities for name, text_ in POSTS.items()]
    session.execute(insert(ServicePost.__table__).on_conflict_do_nothing(constraint="uq_service_post_name"), rows)
    found = session.execute(select(ServicePost.community_id, ServicePost.name, ServicePost.id)
                            .where(ServicePost.community_id.in_(communities), ServicePost.name.in_(list(POSTS))))
    return {(cid, name): pid for cid, name, pid in found}


def _claims(session: Session, serving: list[StoredMember], posts: dict, featured: int | None, today: date,
            zone: tzinfo) -> int:
    rows = []
    for m in serving:
        rng = random.Random(f"{SEED}:claims:{m.plan.phone}")
        k = rng.choices((0, 1, 2), (0.1, 0.7, 0.2))[0] or (1 if m.id == featured else 0)
        for name in rng.sample(list(POSTS), k):
            days = max(1, m.plan.registered_days_ago - rng.randint(6, 25))  # after the approval
            rows.append({"post_id": posts[(m.plan.home.community_id, name)], "member_id": m.id,
                         "claimed_at": datetime.combine(today - timedelta(days=days), time(9), zone)
                         + timedelta(minutes=rng.randrange(600))})
    if not rows:
        return 0
    stmt = insert(PostClaim.__table__).on_conflict_do_nothing(
        index_elements=["post_id", "member_id"], index_where=text("released_at IS NULL"))
    added = session.execute(stmt.returning(PostClaim.__table__.c.id), rows)
    return len(added.all())


def _places(session: Session, cid: int) -> list[Place]:
    centre = session.execute(text(
        "SELECT f.name, ST_X(f.geom), ST_Y(f.geom), c.name FROM facility f JOIN community c ON c.id = f.community_id "
        "JOIN facility_type t ON t.id = f.type_id WHERE f.community_id = :c AND t.code = 'party_service' "
        "ORDER BY f.code LIMIT 1"), {"c": cid}).first()
    areas = session.execute(text(
        "SELECT name, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM residential_area "
        "WHERE community_id = :c ORDER BY code"), {"c": cid}).all()
    places = [Place(name, name, x, y) for name, x, y in areas]
    if centre:
        places.insert(0, Place(centre[0], centre[3], centre[1], centre[2]))
    return places


def _plan_activities(session: Session, cid: int, posts: dict, mine: list[StoredMember], featured: int | None,
                     now: datetime, zone: tzinfo, count: int) -> list[dict]:
    today = now.astimezone(zone).date()
    first = quarter_of(today).previous().first_day
    span = (today + timedelta(days=AHEAD_DAYS) - first).days
    places, code = _places(session, cid), session.scalar(text("SELECT code FROM community WHERE id = :c"), {"c": cid})
    planned, titles = [], set()
    for i in range(count):
        rng = random.Random(f"{SEED}:activity:{code}:{i}")
        post = rng.choice(list(POSTS))
        place = places[0] if rng.random() < 0.4 else rng.choice(places)
        title = place.title_prefix + rng.choice(WHAT[post])
        n = 2
        while title in titles:  # the title finds the activity again on a reload: unique per community
            title, n = f"{place.title_prefix}{rng.choice(WHAT[post])}（{n}）", n + 1
        titles.add(title)
        starts = datetime.combine(first + timedelta(days=round(i * span / max(1, count - 1))),
                                  rng.choice((time(9), time(14, 30), time(19))), zone)
        ends = starts + timedelta(minutes=rng.choice((90, 120, 150, 180)))
        needed = rng.randint(4, 12)
        planned.append({"post_id": posts[(cid, post)], "title": title, "description": POSTS[post],
                        "starts_at": starts, "ends_at": ends, "place": place.name,
                        "geom": f"SRID=4326;POINT({place.lon:.7f} {place.lat:.7f})", "needed": needed,
                        # The demo-member's login: every activity ahead and every second one past.
                        "signups": _signups(rng, mine, featured if i % 2 == 0 or starts > now else None, starts,
                                            ends, needed, place, now)})
    return planned


def _signups(rng: random.Random, mine: list[StoredMember], featured: int | None, starts: datetime, ends: datetime,
             needed: int, place: Place, now: datetime) -> list[dict]:
    # Only members registered by the day of the activity take part in it.
    eligible = [m for m in mine if now - timedelta(days=m.plan.registered_days_ago) <= starts]
    ids = [m.id for m in rng.sample(eligible, min(len(eligible), max(1, needed - rng.randint(0, 3))))]
    if featured is not None and featured in {m.id for m in eligible} and featured not in ids:
        ids.append(featured)
    hours = Decimal(round((ends - starts).total_seconds() / 1800) / 2).quantize(Decimal("0.1"))
    rows = []
    for mid in ids:
        signed = min(starts - timedelta(days=rng.randint(1, 6), minutes=rng.randrange(600)),
                     now - timedelta(minutes=rng.randint(5, 600)))
        row = {"member_id": mid, "signed_up_at": signed, "checked_in_at": None, "checkin_geom": None,
               "far_from_place": False, "hours": None, "confirmed_at": None}
        if ends <= now and rng.random() < P_CHECK_IN:
            far = rng.random() < P_FAR
            metres, angle = (rng.uniform(400, 1500) if far else rng.uniform(3, 80)), rng.uniform(0, 2 * math.pi)
            lat = place.lat + metres * math.sin(angle) / M_PER_DEG
            lon = place.lon + metres * math.cos(angle) / (M_PER_DEG * math.cos(math.radians(place.lat)))
            row.update(checked_in_at=starts - timedelta(minutes=rng.randint(-15, 10)),
                       checkin_geom=f"SRID=4326;POINT({lon:.7f} {lat:.7f})", far_from_place=metres > FAR_FROM_PLACE_M)
            if ends <= now - CONFIRM_AFTER:
                row.update(hours=hours, confirmed_at=ends + timedelta(hours=rng.randint(16, 40)))
        rows.append(row)
    return rows


def _write_activities(session: Session, cid: int, planned: list[dict], secretary: int) -> dict[str, int]:
    """{title: id}: the demo's activities re-dated where stored (by community, title, demo author), else added."""
    stored = dict(session.execute(select(Activity.title, Activity.id).where(
        Activity.community_id == cid, Activity.created_by == secretary,
        Activity.title.in_([a["title"] for a in planned]))).all())
    moved = [{"id": stored[a["title"]], "starts_at": a["starts_at"], "ends_at": a["ends_at"]}
             for a in planned if a["title"] in stored]
    if moved:
        session.execute(update(Activity), moved)
    street = session.scalar(text("SELECT street_code FROM community WHERE id = :c"), {"c": cid})
    fresh = [{k: v for k, v in a.items() if k != "signups"} | {"community_id": cid, "street_code": street,
                                                               "created_by": secretary}
             for a in planned if a["title"] not in stored]
    if fresh:
        added = session.execute(insert(Activity.__table__).returning(Activity.title, Activity.id), fresh)
        stored.update(dict(added.all()))
    return stored


def _write_signups(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    stmt = insert(ActivitySignup.__table__)
    changed = ("signed_up_at", "checked_in_at", "checkin_geom", "far_from_place", "hours", "confirmed_by",
               "confirmed_at")
    # Upserted: a reload re-dates the same sign-ups with their activity.
    session.execute(stmt.on_conflict_do_update(constraint="uq_activity_signup",
                                               set_={c: getattr(stmt.excluded, c) for c in changed}), rows)


def _remarks(session: Session, serving: list[StoredMember], hours: dict[int, Decimal], secretaries: dict[int, int],
             quarter: date) -> int:
    rows = []
    for m in serving:
        if m.id not in hours or random.Random(f"{SEED}:remark:{m.plan.phone}:{quarter}").random() >= 0.7:
            continue
        remark = next(text_ for floor, text_ in REMARKS if hours[m.id] >= floor)
        rows.append({"member_id": m.id, "quarter_start": quarter, "remark": remark,
                     "author_id": secretaries[m.plan.home.community_id]})
    if not rows:
        return 0
    added = session.execute(insert(MemberRemark.__table__).on_conflict_do_nothing(
        constraint="uq_member_remark_quarter").returning(MemberRemark.__table__.c.id), rows)
    return len(added.all())
