"""Party indicators (双报到) per community or per street for one quarter (bounds in the display zone).

  units          单位报到数      units paired with the community, registered by the quarter's last day
  members        党员报到数      approved members living there, registered by the quarter's last day
  active         活跃党员        of those, members who checked in to an activity starting in the quarter,
                                held a post during it, or fulfilled a wish in it
  hours          服务时长        confirmed hours of the community's activities starting in the quarter
  activities     开展活动数      the community's activities starting in the quarter, not cancelled
  wishes_raised / wishes_fulfilled   微心愿 raised / fulfilled in the quarter
  median_days    办结中位天数    median of fulfilled_at − raised_at over the wishes fulfilled in the quarter
Members and units count by where they live / pair; activities, hours and wishes by their community.
Counts only: nothing personal. One grouped query per family; the caller passes the scoped communities.
"""
from __future__ import annotations

from datetime import tzinfo

from sqlalchemy import Float, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from grid_app.models import Building, Community, Street
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.models.party_service import Activity, ActivitySignup, PostClaim, Wish
from grid_app.party.quarters import Quarter
from grid_app.platform.errors import InvalidInput

GROUPS = ("community", "street")
COLUMNS = [  # key, Chinese heading, English heading
    ("code", "编码", "Code"), ("name", "名称", "Name"), ("units", "单位报到", "Units"),
    ("members", "党员报到", "Members registered"), ("active", "活跃党员", "Members active"),
    ("hours", "服务时长(小时)", "Hours served"), ("activities", "开展活动", "Activities held"),
    ("wishes_raised", "微心愿(新增)", "Wishes raised"), ("wishes_fulfilled", "微心愿(完成)", "Wishes fulfilled"),
    ("median_days", "办结中位天数", "Median days to fulfil"),
]
FIGURES = [key for key, _, _ in COLUMNS[2:]]


def compute(session: Session, communities: list[Community], quarter: Quarter, zone: tzinfo,
            group: str = "community") -> list[dict]:
    """One row per community (or per street of those communities), in code order, zeros where nothing happened."""
    if group not in GROUPS:
        raise InvalidInput(f"group must be one of {', '.join(GROUPS)}", code="bad_group")
    ids = [c.id for c in communities]
    if not ids:
        return []
    start, end = quarter.bounds(zone)
    key = Community.id if group == "community" else Community.street_id
    rows = {}
    if group == "community":
        for c in communities:
            rows[c.id] = {"code": c.code, "name": c.name}
    else:
        for s in session.scalars(select(Street).where(Street.id.in_({c.street_id for c in communities}))):
            rows[s.id] = {"code": s.code, "name": s.name}
    for row in rows.values():
        row.update({k: 0 for k in FIGURES}, hours=0.0, median_days=None)
    in_scope = Community.id.in_(ids)

    def merge(query):
        for r in session.execute(query):
            values = dict(r._mapping)
            rows[values.pop("k")].update({k: v for k, v in values.items() if v is not None})

    merge(select(key.label("k"), func.count().label("units")).select_from(PartyUnit)
          .join(Community, PartyUnit.community_id == Community.id)
          .where(in_scope, PartyUnit.registered_on < quarter.next_first_day).group_by(key))
    active = or_(
        exists().where(ActivitySignup.member_id == PartyMember.id, ActivitySignup.checked_in_at.is_not(None),
                       Activity.id == ActivitySignup.activity_id, Activity.cancelled.is_(False),
                       Activity.starts_at >= start, Activity.starts_at < end),
        exists().where(PostClaim.member_id == PartyMember.id, PostClaim.claimed_at < end,
                       or_(PostClaim.released_at.is_(None), PostClaim.released_at > start)),
        exists().where(Wish.member_id == PartyMember.id, Wish.status == "fulfilled",
                       Wish.fulfilled_at >= start, Wish.fulfilled_at < end))
    merge(select(key.label("k"), func.count().label("members"), func.count().filter(active).label("active"))
          .select_from(PartyMember).join(Building, PartyMember.building_id == Building.id)
          .join(Community, Building.community_id == Community.id)
          .where(in_scope, PartyMember.status == "approved", PartyMember.registered_on < quarter.next_first_day)
          .group_by(key))
    confirmed = and_(ActivitySignup.hours.is_not(None), ActivitySignup.confirmed_at.is_not(None))
    merge(select(key.label("k"), func.count(func.distinct(Activity.id)).label("activities"),
                 cast(func.coalesce(func.sum(ActivitySignup.hours).filter(confirmed), 0), Float).label("hours"))
          .select_from(Activity).join(Community, Activity.community_id == Community.id)
          .outerjoin(ActivitySignup, ActivitySignup.activity_id == Activity.id)
          .where(in_scope, Activity.cancelled.is_(False), Activity.starts_at >= start, Activity.starts_at < end)
          .group_by(key))
    fulfilled = and_(Wish.status == "fulfilled", Wish.fulfilled_at >= start, Wish.fulfilled_at < end)
    days = func.extract("epoch", Wish.fulfilled_at - Wish.raised_at) / 86400.0
    merge(select(key.label("k"),
                 func.count().filter(and_(Wish.raised_at >= start, Wish.raised_at < end)).label("wishes_raised"),
                 func.count().filter(fulfilled).label("wishes_fulfilled"),
                 func.percentile_cont(0.5).within_group(days).filter(fulfilled).label("median_days"))
          .select_from(Wish).join(Community, Wish.community_id == Community.id)
          .where(in_scope, or_(and_(Wish.raised_at >= start, Wish.raised_at < end), fulfilled)).group_by(key))
    for row in rows.values():
        row["hours"] = round(float(row["hours"]), 1)
        row["median_days"] = None if row["median_days"] is None else round(float(row["median_days"]), 1)
    return sorted(rows.values(), key=lambda r: r["code"])
