"""A hand-computed quarter (2026Q3, Beijing time) of two units' members across communities A and B.

Written straight with the ORM: posts, activities and wishes have their own engineers' code.
Expected figures (see EXPECTED_* below) were worked out by hand from these rows.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from grid_app.models import Community
from grid_app.models.party import PartyUnit
from grid_app.models.party_service import Activity, ActivitySignup, MemberRemark, PostClaim, ServicePost, Wish
from grid_app.party.units import save_unit

from .. import district as d
from .conftest import UNIT_B_CODE, UNIT_CODE

BJ = ZoneInfo("Asia/Shanghai")
PHONES = {"张红": "13900001111", "王芳": "13900002222", "李强": "13900003333", "赵敏": "13900004444",
          "孙丽": "13900005555", "陈亮": "13900006666", "周杰": "13900007777"}
TYPED_EMPLOYER = "某科技公司"


def bj(*args) -> datetime:
    """A Beijing wall-clock time."""
    return datetime(*args, tzinfo=BJ)


def build_quarter(session, make_member, admin) -> dict:
    """The fixture rows; returns the members by name and the communities."""
    comm_a = session.scalar(select(Community).where(Community.code == d.COMM_A))
    comm_b = session.scalar(select(Community).where(Community.code == d.COMM_B))
    units = {u.code: u for u in session.scalars(select(PartyUnit))}
    units[UNIT_CODE].registered_on, units[UNIT_B_CODE].registered_on = date(2026, 1, 10), date(2026, 2, 1)
    save_unit(session, code="LATE0001", name="迟到单位", community=comm_a, registered_on=date(2026, 10, 10))
    b_home = d.COMM_B + "B001"
    spec = [  # name, building, unit code or None (typed employer), approve, registered_on
        ("张红", d.COURTYARD, UNIT_CODE, True, date(2026, 3, 1)),
        ("王芳", b_home, UNIT_CODE, True, date(2026, 3, 2)),
        ("李强", d.TOWER, UNIT_B_CODE, True, date(2026, 3, 3)),
        ("赵敏", d.COURTYARD, None, True, date(2026, 3, 4)),
        ("孙丽", d.TOWER, UNIT_CODE, True, date(2026, 4, 1)),
        ("陈亮", d.COURTYARD, UNIT_CODE, False, date(2026, 3, 5)),   # pending: not reported
        ("周杰", d.COURTYARD, UNIT_CODE, True, date(2026, 10, 2)),   # registered after the quarter
    ]
    m = {}
    for name, building, unit_code, approve, registered_on in spec:
        extra = {"unit": unit_code} if unit_code else {"unit": "", "employer_name": TYPED_EMPLOYER,
                                                       "employer_party_org": "某科技公司党支部"}
        m[name] = make_member(name, PHONES[name], building=building, approve_as=admin if approve else None, **extra)
        m[name].registered_on = registered_on
    p1 = ServicePost(community_id=comm_a.id, street_code=d.STREET, name="政策宣传岗")
    p2 = ServicePost(community_id=comm_a.id, street_code=d.STREET, name="环境整治岗")
    session.add_all([p1, p2])
    session.flush()
    session.add_all([
        PostClaim(post_id=p1.id, member_id=m["张红"].id, claimed_at=bj(2026, 5, 1, 9)),
        PostClaim(post_id=p2.id, member_id=m["赵敏"].id, claimed_at=bj(2026, 6, 1, 9),
                  released_at=bj(2026, 6, 30, 12)),                       # released before the quarter
        PostClaim(post_id=p1.id, member_id=m["赵敏"].id, claimed_at=bj(2026, 9, 30, 20)),  # last evening
        PostClaim(post_id=p2.id, member_id=m["李强"].id, claimed_at=bj(2026, 10, 5, 9)),   # after
        PostClaim(post_id=p1.id, member_id=m["李强"].id, claimed_at=bj(2026, 7, 1, 9),
                  released_at=bj(2026, 7, 10, 9)),
    ])

    def activity(community, title, starts, cancelled=False):
        a = Activity(community_id=community.id, street_code=d.STREET, title=title, starts_at=starts,
                     ends_at=starts + timedelta(hours=2), place="社区广场", needed=10, cancelled=cancelled)
        session.add(a)
        session.flush()
        return a

    act1 = activity(comm_a, "环境整治", bj(2026, 7, 1, 0, 0))        # the first instant of Q3 (UTC: 30 June)
    act2 = activity(comm_a, "政策宣传", bj(2026, 9, 30, 23, 59))     # the last minute of Q3
    act3 = activity(comm_a, "治安巡逻", bj(2026, 6, 30, 23, 59))     # Q2
    act4 = activity(comm_a, "文明劝导", bj(2026, 10, 1, 0, 0))       # Q4 (UTC: still 30 September)
    act5 = activity(comm_b, "关爱帮扶", bj(2026, 8, 15, 9, 0))
    act6 = activity(comm_a, "取消的活动", bj(2026, 8, 1, 9, 0), cancelled=True)
    confirmed = datetime(2026, 10, 8, tzinfo=timezone.utc)

    def signup(a, who, checked=True, far=False, hours=None):
        session.add(ActivitySignup(activity_id=a.id, member_id=m[who].id,
                                   checked_in_at=a.starts_at + timedelta(minutes=5) if checked else None,
                                   far_from_place=far, hours=None if hours is None else Decimal(hours),
                                   confirmed_at=confirmed if hours is not None else None,
                                   confirmed_by=admin.id if hours is not None else None))

    signup(act1, "张红", hours="2.0")
    signup(act2, "张红", far=True, hours="1.5")
    signup(act3, "张红", hours="3.0")
    signup(act4, "张红", hours="4.0")
    signup(act6, "张红", hours="1.0")
    signup(act5, "王芳", hours="2.5")
    signup(act1, "王芳", checked=False)
    signup(act1, "李强")                  # checked in, hours not yet confirmed
    signup(act2, "李强", hours="1.0")
    signup(act1, "孙丽", checked=False)   # signed up only: not active

    def wish(community, title, raised, status="open", who=None, fulfilled=None):
        session.add(Wish(community_id=community.id, street_code=d.STREET, title=title, raised_at=raised,
                         status=status, member_id=m[who].id if who else None,
                         claimed_at=raised + timedelta(hours=1) if who else None, fulfilled_at=fulfilled))

    wish(comm_a, "帮独居老人买药", bj(2026, 7, 2, 10), "fulfilled", "张红", bj(2026, 7, 5, 10))      # 3 days
    wish(comm_a, "修理轮椅", bj(2026, 6, 20, 10), "fulfilled", "张红", bj(2026, 7, 10, 10))          # 20 days
    wish(comm_a, "代购米面", bj(2026, 9, 25, 10), "fulfilled", "李强", bj(2026, 10, 1, 0, 0))        # fulfilled in Q4
    wish(comm_a, "陪同就医", bj(2026, 8, 1, 10), "claimed", "赵敏")
    wish(comm_b, "辅导作业", bj(2026, 7, 15, 10), "fulfilled", "王芳", bj(2026, 7, 16, 10))           # 1 day
    wish(comm_a, "打扫楼道", bj(2026, 9, 1, 10))
    session.add_all([MemberRemark(member_id=m["张红"].id, quarter_start=date(2026, 7, 1), remark="表现突出"),
                     MemberRemark(member_id=m["张红"].id, quarter_start=date(2026, 4, 1), remark="上季度评价")])
    session.flush()
    return {"members": m, "comm_a": comm_a, "comm_b": comm_b}


# name: (posts, signed up, checked in, far, hours, wishes fulfilled, remark)
EXPECTED_MEMBERS = {
    "张红": (["政策宣传岗"], 2, 2, 1, 3.5, ["帮独居老人买药", "修理轮椅"], "表现突出"),
    "王芳": ([], 2, 1, 0, 2.5, ["辅导作业"], None),
    "孙丽": ([], 1, 0, 0, 0.0, [], None),
    "李强": (["政策宣传岗"], 2, 2, 0, 1.0, [], None),
    "赵敏": (["政策宣传岗"], 0, 0, 0, 0.0, [], None),
}
# sheet / section: (members in order of registration, signed up, checked in, far, hours, wishes)
EXPECTED_UNITS = {
    "市税务局": (["李强"], 2, 2, 0, 1.0, 0),
    "市财政局": (["张红", "王芳", "孙丽"], 5, 3, 1, 6.0, 3),
    TYPED_EMPLOYER: (["赵敏"], 0, 0, 0, 0.0, 0),
}
EXPECTED_ORDER = ["市税务局", "市财政局", TYPED_EMPLOYER]  # registered units by code, then typed names
EXPECTED_INDICATORS = {
    d.COMM_A: {"units": 1, "members": 4, "active": 3, "hours": 4.5, "activities": 2, "wishes_raised": 4,
               "wishes_fulfilled": 2, "median_days": 11.5},
    d.COMM_B: {"units": 1, "members": 1, "active": 1, "hours": 2.5, "activities": 1, "wishes_raised": 1,
               "wishes_fulfilled": 1, "median_days": 1.0},
    d.STREET: {"units": 2, "members": 5, "active": 4, "hours": 7.0, "activities": 3, "wishes_raised": 5,
               "wishes_fulfilled": 3, "median_days": 3.0},
}
